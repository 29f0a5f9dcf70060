"""The message frame: CSP first in head, image sources narrowed, sandbox without scripts."""

from __future__ import annotations

import html

import pytest

from gpanel.mail.frame import SANDBOX, iframe_attributes, iframe_tag, srcdoc_document


def test_csp_is_the_first_element_and_narrows_images() -> None:
    """The policy precedes any message markup and allows images only from gpanel's paths."""
    doc = srcdoc_document("<p>hi</p>", "https://crm.example", ("/mail/att/", "/mail/img/"))
    head = doc.split("<head>", 1)[1]
    assert head.startswith('<meta http-equiv="Content-Security-Policy" content="default-src')
    assert "img-src https://crm.example/mail/att/ https://crm.example/mail/img/ data:;" in doc
    for directive in (
        "script-src 'none'",
        "font-src 'none'",
        "media-src 'none'",
        "form-action 'none'",
        "base-uri 'none'",
        "style-src 'unsafe-inline'",
    ):
        assert directive in html.unescape(doc)
    assert '<base target="_blank">' in doc and doc.index("<base") < doc.index("<p>hi</p>")


@pytest.mark.parametrize(
    "origin",
    ["https://crm.example/path", "javascript:x", "https://a b", "https://x;script-src *", "'self'"],
)
def test_bad_image_origins_are_refused(origin: str) -> None:
    """An origin that could rewrite the policy is a programming error, raised at once."""
    with pytest.raises(ValueError):
        srcdoc_document("", origin)


def test_iframe_is_sandboxed_without_scripts_or_same_origin() -> None:
    """Only popups are allowed, the referrer is withheld, and srcdoc is escaped once."""
    attrs = iframe_attributes('<p title="x">&amp;</p>')
    assert attrs["sandbox"] == SANDBOX == "allow-popups allow-popups-to-escape-sandbox"
    assert attrs["referrerpolicy"] == "no-referrer"
    tag = iframe_tag('<p title="x">&amp;</p>')
    assert 'srcdoc="&lt;p title=&quot;x&quot;&gt;&amp;amp;&lt;/p&gt;"' in tag
    assert html.unescape(tag.split('srcdoc="', 1)[1].split('"', 1)[0]) == '<p title="x">&amp;</p>'
    assert "allow-scripts" not in tag and "allow-same-origin" not in tag
