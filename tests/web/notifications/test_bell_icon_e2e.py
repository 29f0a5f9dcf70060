"""The bell in the top bar is an inline SVG drawn in the text colour, not the bell emoji (which
shows as an empty box on machines without an emoji font). Over real HTTP."""

from __future__ import annotations

import re

from tests.support.stack import Stack

REP = "carla@brightwave.example"


def test_the_bell_is_an_inline_svg(stack: Stack) -> None:
    """Every page's bell holds an <svg> with a path and no emoji character."""
    browser = stack.sign_in(REP)
    for path in ("/", "/contacts", "/mailbox"):
        page = browser.get(path).text
        bell = re.search(r'<a href="/notifications" id="bell".*?</a>', page, re.S)
        assert bell is not None, path
        assert '<svg class="bell-icon"' in bell[0] and "<path " in bell[0]
        assert "\U0001f514" not in page and "&#128276;" not in page
