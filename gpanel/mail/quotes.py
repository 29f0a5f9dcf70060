"""Folding quoted text: the earlier messages a reply carries, collapsed behind "Show quoted text".

Works on HTML that `sanitize_html` already produced (html5ever's serialisation: every element
closed, attribute values quoted), so the quote's end is found by counting its own tag. The
first quote block is wrapped in `<details><summary>` (no script: details opens by itself
inside the sandboxed frame): Gmail's `<div class="gmail_quote">`, Apple Mail's and
Thunderbird's `<blockquote type="cite">`, and in plain-text mail (`text_to_html`'s pre-wrap
block) the run of two or more lines starting with `>` with the "On ... wrote:" line before it.
Outlook's `<div id="divRplyFwdMsg">` block is left as it is (its quote has no closing
marker). A quote with nothing written before it (a forward
with no words) stays open: folding it would hide the whole message. Pure function.
"""

from __future__ import annotations

import re

_START = re.compile(r'<(div) class="[^"]*\bgmail_quote\b[^"]*"|<(blockquote)\b[^>]*type="cite"')
_TAG = re.compile(r"<(/?)(div|blockquote)\b[^>]*>", re.IGNORECASE)
_TEXT = re.compile(r"<[^>]*>|&nbsp;|\s")

# Plain text: an optional attribution line, then two or more lines quoted with ">".
_TEXT_QUOTE = re.compile(r"(?m)^(?:[^\n<>]{0,300}wrote:\n)?(?:&gt;[^\n]*(?:\n|$)){2,}")

SUMMARY = '<summary style="cursor:pointer;color:#555;font-size:12px">Show quoted text</summary>'


def fold_quotes(html: str) -> tuple[str, int]:
    """(the HTML with its first quote folded, the index where the visible part ends)."""
    start = _START.search(html)
    if start is None:
        return _fold_text_quote(html)
    if not _TEXT.sub("", html[: start.start()]):
        return html, len(html)
    name = start.group(1) or start.group(2)
    depth = 0
    for tag in _TAG.finditer(html, start.start()):
        if tag.group(2).lower() != name:
            continue
        depth += -1 if tag.group(1) else 1
        if depth == 0:
            end = tag.end()
            folded = (
                html[: start.start()]
                + '<details class="gpanel-quote">'
                + SUMMARY
                + html[start.start() : end]
                + "</details>"
                + html[end:]
            )
            return folded, start.start()
    return html, len(html)


def _fold_text_quote(html: str) -> tuple[str, int]:
    for quote in _TEXT_QUOTE.finditer(html):
        if not _TEXT.sub("", html[: quote.start()]):
            continue  # nothing written before it
        body = quote.group(0)
        return (
            html[: quote.start()]
            + '<details class="gpanel-quote">'
            + SUMMARY
            + body
            + "</details>"
            + html[quote.end() :],
            quote.start(),
        )
    return html, len(html)
