"""The sanitiser: email allow-list, CSS value filter, URL rules, image rewriting and counting."""

from __future__ import annotations

import pytest

from gpanel.mail.css import sanitize_declarations, sanitize_stylesheet
from gpanel.mail.sanitize import sanitize_html, text_to_html


def proxy(url: str) -> str | None:
    if url.startswith("cid:"):
        return "https://crm.example/mail/att/m1/" + url[4:]
    return "https://crm.example/mail/img/?u=" + url.replace("&", "%26")


@pytest.mark.parametrize(
    "value",
    [
        "background:url(http://t.example/a.png)",
        "background-image:image-set('a.png' 1x)",
        "width:expression(alert(1))",
        "color:red;background:u\\72l(http://t.example/)",
        "color:red/**/;background:url(x)",
        "behavior:url(x.htc)",
        "-moz-binding:url(x.xml#xss)",
        "background:javascript:alert(1)",
        "font-family:'</style><script>'",
        "background:cross-fade(url(a), url(b))",
    ],
)
def test_style_values_that_load_or_hide_are_dropped(value: str) -> None:
    """No declaration that can fetch, run or hide a load survives in a style attribute."""
    kept = sanitize_declarations(value).lower()
    for bad in (
        "url(",
        "image-set",
        "expression",
        "\\",
        "/*",
        "behavior",
        "binding",
        "javascript",
        "<",
        "cross-fade",
    ):
        assert bad not in kept, (value, kept)


def test_safe_declarations_survive_normalised() -> None:
    """Layout and colour declarations stay; unknown properties and position are dropped."""
    kept = sanitize_declarations("COLOR: #333; position:fixed; Font-Size:12px !important; x:y")
    assert kept == "color:#333;font-size:12px !important"


def test_style_blocks_keep_rules_and_media_but_no_loads() -> None:
    """<style> keeps selectors and @media, drops @import, @font-face and url() values."""
    css = sanitize_stylesheet(
        "@import url(http://t/x.css); @font-face{font-family:x;src:url(http://t/f.woff)}"
        ".a{color:red;background:url(http://t/b.png)} @media (max-width:600px){td{width:100%}}"
        "p{color:blue"
    )
    assert css == ".a{color:red}\n@media (max-width:600px){td{width:100%}}\np{color:blue}"
    assert "<" not in sanitize_stylesheet("p{font-family:'</style>'}")


def test_elements_that_run_fetch_or_submit_are_gone() -> None:
    """Scripts, frames, objects, forms, inputs, base, meta, link and SVG never survive."""
    html = (
        "<script>alert(1)</script><iframe src=https://x></iframe><object data=x></object>"
        "<embed src=x><form action=https://x><input name=a><button>Go</button></form>"
        "<base href=https://evil/><meta http-equiv=refresh content='0;url=https://e/'>"
        "<link rel=stylesheet href=https://e/x.css><svg><script>alert(1)</script></svg>"
        "<math><mi xlink:href=javascript:alert(1)>m</mi></math><p onclick=alert(1)>kept</p>"
    )
    out = sanitize_html(html).html.lower()
    for bad in (
        "<script",
        "<iframe",
        "<object",
        "<embed",
        "<form",
        "<input",
        "<button",
        "<base",
        "<meta",
        "<link",
        "<svg",
        "<math",
        "onclick",
        "alert",
        "href",
    ):
        assert bad not in out, (bad, out)
    assert "<p>kept</p>" in out


def test_links_keep_safe_schemes_and_open_outside() -> None:
    """http(s)/mailto links stay with rel and target; javascript:, data:, relative and
    protocol-relative links lose their href."""
    out = sanitize_html(
        '<a href="https://ok.example/?a=1&b=2">1</a><a href=" jav&#x09;ascript:alert(1)">2</a>'
        '<a href="data:text/html,x">3</a><a href="/rel">4</a><a href="//evil.example/">5</a>'
        '<a href="mailto:a@b.example">6</a>'
    ).html
    assert 'href="https://ok.example/?a=1&amp;b=2"' in out
    assert 'href="mailto:a@b.example"' in out
    assert out.count("href=") == 2
    assert out.count('rel="noopener noreferrer"') == 6 and out.count('target="_blank"') == 6


def test_images_are_rewritten_blocked_and_counted() -> None:
    """cid: and http(s) images go through rewrite_src; refused remote ones are counted;
    relative, protocol-relative, srcset, background and SVG data images are dropped."""
    html = (
        '<img src="cid:logo"><img src="http://t.example/a.png"><img src="https://t.example/b">'
        '<img src="x.png"><img src="//t.example/c"><img srcset="http://t.example/d 2x">'
        '<img src="data:image/png;base64,iVBORw0KGgo=">'
        '<img src="data:image/svg+xml;base64,PHN2Zz4=">'
        '<table background="http://t.example/bg.png"><tr><td background="x">c</td></tr></table>'
    )
    blocked = sanitize_html(html, lambda u: proxy(u) if u.startswith("cid:") else None)
    assert blocked.has_remote_images and blocked.blocked_remote_images == 2
    assert blocked.html.count("<img src=") == 2  # the cid image and the PNG data image
    assert "https://crm.example/mail/att/m1/logo" in blocked.html
    assert "t.example" not in blocked.html and "svg" not in blocked.html
    allowed = sanitize_html(html, proxy)
    assert allowed.blocked_remote_images == 0 and allowed.html.count("/mail/img/") == 2
    nothing = sanitize_html(html)
    assert nothing.blocked_remote_images == 2 and "crm.example" not in nothing.html


def test_rewriter_output_must_be_absolute_http() -> None:
    """A rewriter returning a javascript: or relative URL does not get it into the page."""
    out = sanitize_html('<img src="cid:a"><img src="https://x/y">', lambda u: "javascript:alert(1)")
    assert "javascript" not in out.html and out.blocked_remote_images == 1


def test_text_to_html_escapes_and_links() -> None:
    """Plain text is escaped; http(s) URLs become safe links; trailing punctuation stays out."""
    out = text_to_html(
        '<b>hi</b> see https://ex.example/a?b=1&c="2" and (https://w.example/x_(y)).'
    )
    assert "&lt;b&gt;hi&lt;/b&gt;" in out
    assert '<a href="https://ex.example/a?b=1&amp;c=" rel="noopener noreferrer"' in out
    assert 'href="https://w.example/x_(y)"' in out and "</a>)." in out
    assert "javascript" not in text_to_html("javascript:alert(1)").replace(
        "javascript:alert(1)", ""
    )
