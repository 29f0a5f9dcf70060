"""Body templates: sanitising once with placeholders and filling in each viewer's image URLs
gives exactly what sanitising with that viewer's rewriter gives (HTML and image counts), for
images shown, blocked and cid parts; mail cannot forge a placeholder; bodies over the size or
time budget come back empty and marked, never half-sanitised."""

from __future__ import annotations

import pytest

from gpanel.mail.sanitize import sanitize_html
from gpanel.mail.template import PLACEHOLDER_HOST, fill_template, make_template
from tests.mail.hostile_bodies import hostile_body

NONCE = "0123456789abcdef0123456789abcdef"
SOURCES = [
    "<p>plain</p>",
    '<img src="http://img.test/a.png"><img src="https://img.test/b.png?x=1&amp;y=2" alt=b>',
    '<img src="cid:logo@acme"><img src="http://img.test/a.png"><img src="http://img.test/a.png">',
    '<img src="data:image/png;base64,AAAA"><img src="javascript:alert(1)"><img src="/rel.png">',
    '<style class=x>p{color:red}</style><table><tr><td style="color:blue">'
    '<img src=" http://img.test/c.png ">x</td></tr></table>',
    f'<img src="https://{PLACEHOLDER_HOST}/{NONCE}/0"><p title=\'src="https://{PLACEHOLDER_HOST}'
    f'/{NONCE}/0"\'>src="https://{PLACEHOLDER_HOST}/{NONCE}/0"</p>',
]


def _rewriters() -> list[object]:
    def shown(url: str) -> str | None:
        return "https://gpanel.test/img?u=" + url.replace("&", "%26")

    def blocked(url: str) -> str | None:
        return "https://gpanel.test/part/1?t=a&b=c" if url.startswith("cid:") else None

    return [None, shown, blocked]


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("rewriter", _rewriters())
def test_filled_template_equals_direct_sanitising(source: str, rewriter: object) -> None:
    """fill(make(source)) == sanitize_html(source) for every viewer's rewriter."""
    template = make_template(source, NONCE, max_chars=10**6, max_seconds=None)
    filled = fill_template(template, NONCE, rewriter)  # type: ignore[arg-type]
    direct = sanitize_html(source, rewriter)  # type: ignore[arg-type]
    assert filled == direct


def test_mail_cannot_spell_a_placeholder() -> None:
    """A placeholder written in the mail itself (as an image, an attribute or text) is not
    filled: with the process's nonce it names no image of the template, and the real
    placeholders use a nonce the sender cannot know."""
    source = SOURCES[-1]
    template = make_template(source, "f" * 32, max_chars=10**6, max_seconds=None)
    out = fill_template(template, "f" * 32, lambda url: "https://gpanel.test/secret").html
    assert "gpanel.test/secret" in out  # the mail's own image (a remote URL) was shown
    assert out.count("gpanel.test/secret") == 1


def test_budgets_give_an_empty_marked_template() -> None:
    """Over the size budget, or past the time budget, nothing of the body is kept."""
    body = hostile_body(1)
    assert make_template(body, NONCE, max_chars=1000, max_seconds=None).over_budget
    slow = make_template(body, NONCE, max_chars=10**7, max_seconds=0.05)
    assert slow.over_budget and slow.html == "" and slow.images == ()
    filled = fill_template(slow, NONCE, None)
    assert filled.over_budget and filled.html == ""
