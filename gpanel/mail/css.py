"""CSS from mail, reduced to declarations that change how text looks and load nothing.

nh3 checks property names only and passes `style` values through verbatim, and `<style>` blocks
not at all, so both go through tinycss2 here. A declaration survives when its property is in
`ALLOWED_PROPERTIES` and its serialised value holds no function or token that can fetch a
resource or run code (`url(`, `image-set`, `expression`, `behavior`, `-moz-binding`,
`javascript:`), no CSS escape (`\\`) or comment (`/*`) that could hide one, and no `<` (which in
a `<style>` block could close it). Rules keep their selectors (the frame confines them);
`@media` is kept with its rules sanitised; every other at-rule (`@import`, `@font-face`,
`@namespace`, `@keyframes`...) is dropped. The output is tinycss2's own serialisation, checked
after serialising, so what is checked is what the browser reads.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import tinycss2

MAX_CSS_CHARS = 512 * 1024  # one style attribute or block; beyond it the CSS is dropped
MAX_NESTING = 4

_ALLOWED_PROPERTIES_LIST = """
    background-color border border-bottom border-bottom-color border-bottom-left-radius
    border-bottom-right-radius border-bottom-style border-bottom-width border-collapse
    border-color border-left border-left-color border-left-style border-left-width
    border-radius border-right border-right-color border-right-style border-right-width
    border-spacing border-style border-top border-top-color border-top-left-radius
    border-top-right-radius border-top-style border-top-width border-width box-sizing
    caption-side clear color column-count column-gap direction display empty-cells float
    font font-family font-size font-style font-variant font-weight height letter-spacing
    line-height list-style list-style-position list-style-type margin margin-bottom
    margin-left margin-right margin-top max-height max-width min-height min-width opacity
    outline overflow overflow-wrap overflow-x overflow-y padding padding-bottom padding-left
    padding-right padding-top table-layout text-align text-decoration text-decoration-color
    text-decoration-line text-decoration-style text-indent text-overflow text-shadow
    text-transform unicode-bidi vertical-align visibility white-space width word-break
    word-spacing word-wrap background align-items justify-content flex flex-direction
    flex-wrap gap mso-line-height-rule
"""
ALLOWED_PROPERTIES = frozenset(_ALLOWED_PROPERTIES_LIST.split())

# Substrings that mark a resource load, script or an attempt to hide one, checked on the
# lower-cased serialised value.
FORBIDDEN_SUBSTRINGS = (
    "url(",
    "image-set",
    "image(",
    "cross-fade",
    "element(",
    "src(",
    "var(",
    "expression",
    "behavior",
    "-moz-binding",
    "javascript:",
    "@import",
    "\\",
    "/*",
    "<",
)
_FORBIDDEN_FUNCTIONS = frozenset(
    {
        "url",
        "image-set",
        "-webkit-image-set",
        "image",
        "cross-fade",
        "element",
        "src",
        "var",
        "expression",
        "paint",
        "env",
    }
)


def _loads_nothing(tokens: Iterable[Any]) -> bool:
    """No url token, no resource-loading function and no parse error (an unterminated string
    or block could swallow what follows) anywhere in the token tree."""
    for token in tokens:
        kind = getattr(token, "type", "")
        if kind in ("url", "error"):
            return False
        if kind == "function":
            if token.lower_name in _FORBIDDEN_FUNCTIONS or not _loads_nothing(token.arguments):
                return False
        elif kind in ("() block", "[] block", "{} block") and not _loads_nothing(token.content):
            return False
    return True


def is_safe_css_text(text: str) -> bool:
    lowered = text.lower()
    return not any(bad in lowered for bad in FORBIDDEN_SUBSTRINGS)


def _declarations(tokens: Any) -> list[str]:
    kept: list[str] = []
    for decl in tinycss2.parse_declaration_list(tokens, skip_comments=True, skip_whitespace=True):
        if getattr(decl, "type", "") != "declaration" or decl.lower_name not in ALLOWED_PROPERTIES:
            continue
        if not _loads_nothing(decl.value):
            continue
        value = tinycss2.serialize(decl.value).strip()
        text = f"{decl.lower_name}:{value}{' !important' if decl.important else ''}"
        if value and is_safe_css_text(text):
            kept.append(text)
    return kept


def sanitize_declarations(style: str) -> str:
    """A `style` attribute's declarations, only the allowed and load-free ones ('' if none)."""
    if len(style) > MAX_CSS_CHARS:
        return ""
    return ";".join(_declarations(style))


def _rules(rules: Iterable[Any], depth: int) -> list[str]:
    out: list[str] = []
    for rule in rules:
        kind = getattr(rule, "type", "")
        if kind == "qualified-rule":
            selector = tinycss2.serialize(rule.prelude).strip()
            body = ";".join(_declarations(rule.content))
            if selector and body and "<" not in selector and _loads_nothing(rule.prelude):
                out.append(f"{selector}{{{body}}}")
        elif kind == "at-rule" and rule.lower_at_keyword == "media" and depth < MAX_NESTING:
            query = tinycss2.serialize(rule.prelude).strip()
            if rule.content is None or not is_safe_css_text(query):
                continue
            inner = _rules(
                tinycss2.parse_rule_list(rule.content, skip_comments=True, skip_whitespace=True),
                depth + 1,
            )
            if inner:
                out.append(f"@media {query}{{{''.join(inner)}}}")
    return out


def sanitize_stylesheet(css: str) -> str:
    """A `<style>` block's content reduced to safe rules ('' if none); never contains `<`."""
    if len(css) > MAX_CSS_CHARS:
        return ""
    rules = tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True)
    text = "\n".join(_rules(rules, 0))
    # Belt and braces: nothing that could close the element may leave this function.
    return text if "<" not in text else ""
