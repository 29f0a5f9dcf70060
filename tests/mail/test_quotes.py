"""Quoted text folds behind "Show quoted text": Gmail's and Apple Mail's quote blocks, the
quote's end found by its own tag (nested blocks inside stay inside), text after the quote
stays outside, and a message that is nothing but a quote is left open."""

from __future__ import annotations

from gpanel.mail.quotes import fold_quotes
from gpanel.mail.sanitize import text_to_html


def test_gmail_quote_folds_with_its_nested_blocks() -> None:
    """The whole gmail_quote div, nested divs and blockquote included, goes in the details."""
    html = (
        '<p>Thanks</p><div class="gmail_quote"><div>On Mon X wrote:</div>'
        "<blockquote>old <div>x</div></blockquote></div><p>sig</p>"
    )
    folded, visible = fold_quotes(html)
    assert visible == len("<p>Thanks</p>")
    assert folded.startswith('<p>Thanks</p><details class="gpanel-quote"><summary')
    assert folded.endswith("</blockquote></div></details><p>sig</p>")


def test_apple_cite_blockquote_folds() -> None:
    """`<blockquote type="cite">` (Apple Mail, Thunderbird) folds; a plain blockquote does not."""
    folded, _ = fold_quotes('<p>Yes.</p><blockquote type="cite"><p>Ok?</p></blockquote>')
    assert '<details class="gpanel-quote">' in folded
    plain = "<p>As they say:</p><blockquote><p>quote</p></blockquote>"
    assert fold_quotes(plain) == (plain, len(plain))


def test_a_message_that_is_only_a_quote_stays_open() -> None:
    """Nothing written before the quote (a bare forward): folding would hide everything."""
    html = '<div class="gmail_quote">Forwarded message</div>'
    assert fold_quotes(html) == (html, len(html))


def test_plain_text_quote_folds_with_its_attribution() -> None:
    """In plain-text mail the "On ... wrote:" line and the ">" lines after it fold."""
    html = text_to_html("Hi\n\nSpeak soon.\n\nOn Tue, Carla wrote:\n> a\n>\n> b\n")
    folded, visible = fold_quotes(html)
    assert '<details class="gpanel-quote">' in folded
    assert folded.index("<details") < folded.index("On Tue, Carla wrote:")
    assert "Speak soon." in folded[: folded.index("<details")]
    assert visible == html.index("On Tue")
    lone = text_to_html("> just one quoted line\n")
    assert fold_quotes(lone) == (lone, len(lone))
