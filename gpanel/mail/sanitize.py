"""Sanitising mail HTML: the first of the two layers between a sender and the reader's browser.

`sanitize_html` runs nh3 (the ammonia sanitiser: html5ever parses as a browser does, then only
allow-listed elements and attributes are serialised) with an email allow-list: the layout
tags newsletters use (tables, fonts, centring), `style` attributes and `<style>` blocks both
reduced by `css.py`, attributes allowed per tag (no wildcard: a `<style>` element keeps none
and is rebuilt bare around its reduced CSS, whatever its attributes or spelling), and no
script, form, frame, object, embed, SVG, MathML, `<base>`, `<meta>` or `<link>`. URLs are
decided by our attribute filter, because nh3 runs it after its own scheme check and does not
check its output: links keep http, https and mailto; images keep `cid:` and
http(s) only through the caller's `rewrite_src` (attachment endpoint, signed proxy, or None to
block: blocked remote images are counted so the page can offer "show images"), plus raster
`data:` images. Relative and protocol-relative URLs, `srcset`, `background` and `poster`
never pass. Links open in a new browsing context with `rel="noopener noreferrer"`.

`text_to_html` is the plain-text path: escaped, URLs linkified, whitespace preserved.
"""

from __future__ import annotations

import html
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

import nh3

from gpanel.mail.css import sanitize_declarations, sanitize_stylesheet

ImageRewriter = Callable[[str], "str | None"]

_TAGS_LIST = """
    a abbr acronym address article aside b bdi bdo big blockquote br caption center cite
    code col colgroup dd del details dfn div dl dt em figcaption figure font footer h1 h2 h3
    h4 h5 h6 header hr i img ins kbd li main mark ol p pre q rp rt ruby s samp section small
    span strike strong style sub summary sup table tbody td tfoot th thead time tr tt u ul
    var wbr
"""
TAGS = frozenset(_TAGS_LIST.split())
# Elements dropped with everything inside them, not just unwrapped: their content is code,
# another document, or foreign markup (SVG, MathML) whose parsing rules differ from HTML's.
_CLEAN_CONTENT_TAGS_LIST = """
    script title noscript template iframe frame frameset object embed applet noembed
    noframes svg math xmp
"""
CLEAN_CONTENT_TAGS = frozenset(_CLEAN_CONTENT_TAGS_LIST.split())
_COMMON = {
    "style",
    "class",
    "dir",
    "lang",
    "title",
    "align",
    "valign",
    "width",
    "height",
    "bgcolor",
}
# Attributes each tag may keep beyond `_COMMON`. There is no "*" entry: nh3 would give those
# attributes to every allowed tag, `<style>` included, and a `<style>` with any attribute at all
# must not exist in the output (see `_clean_style_blocks`). `<style>` keeps none.
_SPECIFIC: dict[str, set[str]] = {
    "a": {"href"},
    "img": {"src", "alt", "border", "hspace", "vspace"},
    "table": {"border", "cellpadding", "cellspacing", "summary", "frame", "rules"},
    "td": {"colspan", "rowspan", "nowrap", "abbr", "scope", "headers"},
    "th": {"colspan", "rowspan", "nowrap", "abbr", "scope", "headers"},
    "col": {"span"},
    "colgroup": {"span"},
    "font": {"color", "face", "size"},
    "ol": {"start", "type", "reversed"},
    "ul": {"type"},
    "li": {"value", "type"},
    "hr": {"size", "noshade", "color"},
    "blockquote": {"type"},
    "time": {"datetime"},
    "details": {"open"},
}
ATTRIBUTES: dict[str, frozenset[str]] = {
    tag: frozenset() if tag == "style" else frozenset(_COMMON | _SPECIFIC.get(tag, set()))
    for tag in TAGS
}
URL_SCHEMES = frozenset({"http", "https", "mailto", "cid", "data"})
MAX_DATA_IMAGE_CHARS = 1024 * 1024

# Browsers strip leading and trailing C0 controls and spaces from URLs, and drop tabs and
# newlines anywhere; the filter decides on the URL the browser will actually see.
_URL_EDGES = "".join(chr(c) for c in range(0x21))
_URL_INNER = re.compile(r"[\t\n\r]")
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")
_DATA_IMAGE = re.compile(r"^data:image/(png|jpeg|jpg|gif|webp|bmp);base64,[A-Za-z0-9+/=]*$", re.I)
_TRUSTED_URL = re.compile(r"^https?://[^\s\"'<>\\`]+$")
# Any spelling of a style start tag, with or without attributes, and its raw text up to the first
# end tag (a browser ends a style element's raw text at the first `</style`, in any case).
_STYLE_BLOCK = re.compile(r"<style\b[^>]*>(.*?)</style\s*>", re.S | re.I)
_STYLE_START = re.compile(r"<\s*/?\s*style", re.I)
_LINKABLE = re.compile(r"\bhttps?://[^\s<>\"'`]+", re.I)
_TRAILING_PUNCTUATION = ".,;:!?)]}'\""


@dataclass(frozen=True, slots=True)
class SanitizedHtml:
    html: str
    blocked_remote_images: int  # http(s) images removed because rewrite_src refused them
    has_remote_images: bool  # the message has http(s) images (shown or not)
    over_budget: bool = False  # the deadline passed: `html` is empty, show a notice instead


def _normalize_url(value: str) -> tuple[str, str]:
    """(url as the browser reads it, lower-case scheme or '' when relative)."""
    url = _URL_INNER.sub("", value.strip(_URL_EDGES))
    match = _SCHEME.match(url)
    return url, (match.group(1).lower() if match else "")


def trusted_url(url: str | None) -> str | None:
    """A URL returned by the caller's rewriter, if it is an absolute http(s) URL (nh3 drops
    relative ones even from the filter, and the frame's CSP names an origin anyway)."""
    if url is not None and _TRUSTED_URL.match(url):
        return url
    return None


class _Filter:
    """nh3's attribute filter for one document; counts remote images as it goes."""

    def __init__(self, rewrite_src: ImageRewriter | None, deadline: float | None = None) -> None:
        self.rewrite_src = rewrite_src
        self.blocked = 0
        self.remote = False
        self.deadline = deadline
        self.over_budget = False

    def __call__(self, element: str, attribute: str, value: str) -> str | None:
        # The filter is where the time goes (nh3 alone takes milliseconds; the CSS parser is
        # Python): past the deadline it keeps nothing, so nh3 finishes at once.
        if self.over_budget or (self.deadline is not None and time.monotonic() > self.deadline):
            self.over_budget = True
            return None
        if attribute == "style":
            return sanitize_declarations(value) or None
        if attribute == "href":
            url, scheme = _normalize_url(value)
            return url if scheme in ("http", "https", "mailto") else None
        if attribute == "src":
            return self._image(value) if element == "img" else None
        return value

    def _image(self, value: str) -> str | None:
        url, scheme = _normalize_url(value)
        if scheme == "data":
            ok = len(url) <= MAX_DATA_IMAGE_CHARS and _DATA_IMAGE.match(url)
            return url if ok else None
        if scheme == "cid":
            return trusted_url(self.rewrite_src(url)) if self.rewrite_src else None
        if scheme in ("http", "https"):
            self.remote = True
            rewritten = trusted_url(self.rewrite_src(url)) if self.rewrite_src else None
            if rewritten is None:
                self.blocked += 1
            return rewritten
        return None


def _clean_style_block(match: re.Match[str]) -> str:
    css = sanitize_stylesheet(match.group(1))
    return f"<style>{css}</style>" if css else ""


def _clean_style_blocks(cleaned: str) -> str | None:
    """Every style block of nh3's output replaced by its CSS as `css.py` reduces it, or None when
    the output holds a style tag this cannot account for (the caller then drops them all).

    nh3 escapes "<" in attribute values and text and keeps no comments, so in its output a
    "<style" only ever starts a style element, whose raw text ends at the first "</style>".
    Whatever its attributes or case, each block is rebuilt bare; afterwards the only style tags
    left must be the ones rebuilt here.
    """
    blocks: list[str] = []

    def rebuild(match: re.Match[str]) -> str:
        out = _clean_style_block(match)
        if out:
            blocks.append(out)
        return out

    result = _STYLE_BLOCK.sub(rebuild, cleaned)
    if len(_STYLE_START.findall(result)) != 2 * len(blocks):
        return None
    return result


def sanitize_html(
    source: str, rewrite_src: ImageRewriter | None = None, *, deadline: float | None = None
) -> SanitizedHtml:
    """Sanitise untrusted mail HTML for the message frame.

    `rewrite_src(url)` receives each `cid:` and http(s) image URL and returns the absolute
    http(s) URL to use (gpanel's attachment endpoint or signed proxy) or None to drop the
    image. Without it every such image is dropped. Past `deadline` (a `time.monotonic()`
    value) the answer is empty with `over_budget` set: a body that takes that long is not shown.
    """
    attribute_filter = _Filter(rewrite_src, deadline)
    cleaned = _nh3(source, attribute_filter, keep_style=True)
    styled = None if attribute_filter.over_budget else _clean_style_blocks(cleaned)
    if styled is None and not attribute_filter.over_budget:
        # Never expected: a style tag the rebuild could not account for. Drop every style
        # block rather than pass one through unfiltered (a fresh filter keeps counts right).
        attribute_filter = _Filter(rewrite_src, deadline)
        styled = _nh3(source, attribute_filter, keep_style=False)
    if styled is None or attribute_filter.over_budget or _late(deadline):
        return SanitizedHtml("", 0, False, over_budget=True)
    return SanitizedHtml(styled, attribute_filter.blocked, attribute_filter.remote)


def _late(deadline: float | None) -> bool:
    return deadline is not None and time.monotonic() > deadline


def _nh3(source: str, attribute_filter: _Filter, *, keep_style: bool) -> str:
    tags = set(TAGS) if keep_style else set(TAGS) - {"style"}
    clean_content = set(CLEAN_CONTENT_TAGS) | (set() if keep_style else {"style"})
    return nh3.clean(
        source,
        tags=tags,
        clean_content_tags=clean_content,
        attributes={tag: set(attrs) for tag, attrs in ATTRIBUTES.items() if tag in tags},
        attribute_filter=attribute_filter,
        strip_comments=True,
        link_rel="noopener noreferrer",
        set_tag_attribute_values={"a": {"target": "_blank"}},
        url_schemes=set(URL_SCHEMES),
        url_relative="deny",
    )


def _link(match: re.Match[str]) -> str:
    url = match.group(0)
    trimmed = url.rstrip(_TRAILING_PUNCTUATION)
    # Keep a closing parenthesis that balances one inside the URL (Wikipedia-style links).
    while url[len(trimmed) : len(trimmed) + 1] == ")" and trimmed.count("(") > trimmed.count(")"):
        trimmed += ")"
    tail = url[len(trimmed) :]
    href = html.escape(trimmed, quote=True)
    return f'<a href="{href}" rel="noopener noreferrer" target="_blank">{href}</a>' + html.escape(
        tail, quote=True
    )


def text_to_html(text: str) -> str:
    """Plain text as HTML: escaped, http(s) URLs linked, line breaks and spacing kept."""
    out: list[str] = []
    pos = 0
    for match in _LINKABLE.finditer(text):
        out.append(html.escape(text[pos : match.start()], quote=True))
        out.append(_link(match))
        pos = match.end()
    out.append(html.escape(text[pos:], quote=True))
    body = "".join(out)
    return f'<div style="white-space:pre-wrap;overflow-wrap:anywhere">{body}</div>'
