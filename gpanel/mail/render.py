"""One message's body, ready for the frame: pick HTML or text, sanitise, note truncation.

This is the function the thread view calls per message: `render_body(view, rewrite_src=...)`
gives a `SanitizedHtml` whose `html` goes into `frame.srcdoc_document`. Plain-text messages go
through `text_to_html` and then the same sanitiser, so there is one path to the browser. A
body cut at `read_message`'s size limit ends with a notice and, when the caller passes one, a
link to the original (the attachment endpoint or Gmail's "show original").
"""

from __future__ import annotations

import html

from gpanel.mail.message import MessageView
from gpanel.mail.sanitize import ImageRewriter, SanitizedHtml, sanitize_html, text_to_html

TRUNCATION_NOTICE_CLASS = "gpanel-truncated"
TOO_LARGE_NOTICE_CLASS = "gpanel-too-large"


def truncation_notice(original_url: str | None) -> str:
    """The note appended to a body cut at the size limit (static text: safe by construction)."""
    link = ""
    if original_url and original_url.startswith(("https://", "http://")):
        href = html.escape(original_url, quote=True)
        link = f' <a href="{href}" target="_blank" rel="noopener noreferrer">Open the original</a>'
    return (
        f'<p class="{TRUNCATION_NOTICE_CLASS}" style="border-top:1px solid #ccc;padding-top:6px;'
        f'color:#555">This message is too long to show in full.{link}</p>'
    )


def too_large_notice(original_url: str | None) -> str:
    """What stands in for a body over the sanitising budget (static text: safe by construction)."""
    link = ""
    if original_url and original_url.startswith(("https://", "http://")):
        href = html.escape(original_url, quote=True)
        link = f' <a href="{href}" target="_blank" rel="noopener noreferrer">Open in Gmail</a>'
    return (
        f'<p class="{TOO_LARGE_NOTICE_CLASS}" style="color:#555">'
        f"This message is too large to show here.{link}</p>"
    )


def body_source(view: MessageView) -> str | None:
    """The HTML the sanitiser gets for the message's best body (None when it has none)."""
    body = view.html_body or view.text_body
    if body is None:
        return None
    return body.text if view.html_body is not None else text_to_html(body.text)


def finish_body(
    view: MessageView, result: SanitizedHtml, original_url: str | None
) -> SanitizedHtml:
    """A sanitised body with its notices: too large to show, or cut at the size limit."""
    if result.over_budget:
        return SanitizedHtml(too_large_notice(original_url), 0, False, over_budget=True)
    body = view.html_body or view.text_body
    if body is None or not body.truncated:
        return result
    return SanitizedHtml(
        result.html + truncation_notice(original_url),
        result.blocked_remote_images,
        result.has_remote_images,
    )


def render_body(
    view: MessageView,
    *,
    rewrite_src: ImageRewriter | None = None,
    original_url: str | None = None,
) -> SanitizedHtml:
    """The message's best body as sanitised HTML (empty when it has no body at all), in this
    thread and without a budget (the thread view uses templates made off the event loop)."""
    source = body_source(view)
    if source is None:
        return SanitizedHtml("", 0, False)
    return finish_body(view, sanitize_html(source, rewrite_src), original_url)
