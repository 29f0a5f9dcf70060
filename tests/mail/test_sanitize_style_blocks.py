"""Style blocks and per-tag attributes in the sanitiser: a `<style>` element leaves
`sanitize_html` only bare (no attribute at all) and only with CSS that `css.py` produced, however
the sender spells it: with attributes, in upper case, self-closing, nested, inside SVG or
MathML, wrapped in comments or CDATA, or with an end tag that carries attributes. Attributes are
allowed per tag, so an attribute that one tag may keep does not pass on another."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from gpanel.mail.sanitize import ATTRIBUTES, sanitize_html

LOADS = "@import url(https://tracker.example/r.css);@import 'https://tracker.example/q.css';"
RULES = "p{color:red}td{background:url(https://tracker.example/b.png)}"
PAYLOAD = LOADS + RULES

VARIANTS = [
    f"<style class=x>{PAYLOAD}</style>",
    f'<style class="x" id=y media="all" type="text/css">{PAYLOAD}</style>',
    f"<style nonce=abc>{PAYLOAD}</style>",
    f"<style lang=en title=t dir=ltr>{PAYLOAD}</style>",
    f"<STYLE CLASS=X>{PAYLOAD}</STYLE>",
    f"<StYlE\tclass=x\n>{PAYLOAD}</sTyLe>",
    f"<style/x>{PAYLOAD}</style>",
    f"<style/>{PAYLOAD}</style>",
    f"<style class=x>{PAYLOAD}</style class=x>",
    f"<style class=x>{PAYLOAD}</style\n>",
    f"<style class=x><style>{PAYLOAD}</style></style>",
    f"<div><style class=x>{PAYLOAD}</style></div>",
    f"<table><style class=x>{PAYLOAD}</style><tr><td>1</td></tr></table>",
    f"<svg><style class=x>{PAYLOAD}</style></svg>",
    f"<math><style class=x>{PAYLOAD}</style></math>",
    f"<svg><foreignObject><style class=x>{PAYLOAD}</style></foreignObject></svg>",
    f"<noscript><style class=x>{PAYLOAD}</style></noscript>",
    f"<template><style class=x>{PAYLOAD}</style></template>",
    f"<style class=x><!-- {PAYLOAD} --></style>",
    f"<!--<style class=x>-->{PAYLOAD}<!--</style>-->",
    f"<style class=x><![CDATA[ {PAYLOAD} ]]></style>",
    f"<svg><style><![CDATA[</style><style class=x>{PAYLOAD}]]></style></svg>",
    f"<style class=x>/* */{PAYLOAD}</style>",
    f'<p title="</style><style class=x>{PAYLOAD}">x</p>',
    f"<style class=x>p{{color:red}}</style><style media=print>{PAYLOAD}</style>",
    f"<html><head><style class=x>{PAYLOAD}</style></head><body>hi</body></html>",
    f"<body><style class=x>{PAYLOAD}</style>hi</body>",
    f"<xmp><style class=x>{PAYLOAD}</style></xmp>",
    f"<style class=x>{PAYLOAD}",
]


class _Styles(HTMLParser):
    """Every style element as a browser's tokenizer sees it: its attributes and raw text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[tuple[list[tuple[str, str | None]], str]] = []
        self.style_attributes: list[str] = []
        self._open: list[tuple[str, str | None]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.style_attributes += [v or "" for k, v in attrs if k == "style"]
        if tag == "style":
            self._open = attrs
            self.blocks.append((attrs, ""))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "style":
            self.blocks.append((attrs, ""))

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            attrs, text = self.blocks[-1]
            self.blocks[-1] = (attrs, text + data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._open = None


def _styles(out: str) -> _Styles:
    parser = _Styles()
    parser.feed(out)
    parser.close()
    return parser


@pytest.mark.parametrize("source", VARIANTS)
def test_style_blocks_leave_bare_and_load_nothing(source: str) -> None:
    """Whatever the spelling, no style element keeps an attribute, and no CSS in the output (style
    blocks as a browser tokenises them, style attributes) can load anything: no @import, no
    url(), no trace of the tracker's host. The payload may survive only as inert text."""
    out = sanitize_html(source).html
    found = _styles(out)
    for attrs, css in found.blocks:
        assert attrs == [], out
        for bad in ("@import", "url(", "tracker.example", "<"):
            assert bad not in css.lower(), out
    for value in found.style_attributes:
        assert "url(" not in value.lower() and "tracker" not in value.lower(), out
    lowered = out.lower()
    assert lowered.count("<style") == lowered.count("</style>") == len(found.blocks), out


def test_style_with_attributes_keeps_its_safe_rules() -> None:
    """A style block with attributes is cleaned like a bare one, not dropped wholesale and not
    passed through: the harmless rule stays, the imports and the url() declaration go."""
    out = sanitize_html(f"<style class=x media=all>{PAYLOAD}</style><p>hi</p>").html
    assert out == "<style>p{color:red}</style><p>hi</p>"


def test_attributes_are_allowed_per_tag() -> None:
    """`style` may keep no attribute; an attribute allowed on one tag is dropped on another
    (href on a td, src on an anchor, colspan on a paragraph); common ones stay where allowed."""
    assert ATTRIBUTES["style"] == frozenset()
    assert "href" in ATTRIBUTES["a"] and "href" not in ATTRIBUTES["td"]
    out = sanitize_html(
        '<table><tr><td href="https://x.example/" colspan=2 class=c>1</td></tr></table>'
        '<a src="https://x.example/i.png" href="https://ok.example/" class=k>l</a>'
        '<p colspan=3 align=center>p</p><img src="data:image/png;base64,AAAA" alt=a href=h>'
    ).html
    assert '<td colspan="2" class="c">1</td>' in out
    assert "x.example" not in out
    assert '<a href="https://ok.example/" class="k"' in out
    assert '<p align="center">p</p>' in out
    assert 'alt="a"' in out and " href=" not in out.split("<img", 1)[1]
