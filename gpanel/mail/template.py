"""A sanitised body as a template that does not depend on who views it.

Sanitising is the expensive step of showing a message (the CSS of a heavy newsletter takes
seconds in Python), and its output would differ per viewer only in the image URLs: `cid:` parts
point at the viewer's attachment route, remote images at a proxy URL bound to the viewer's
session, or nowhere while images are blocked. So `make_template` sanitises once with every image
URL replaced by a placeholder (`https://gpanel-image.invalid/<nonce>/<n>`, the nonce a secret
of the process, so mail cannot spell one), and `fill_template` puts each viewer's URLs in, or
drops the `src`, which is what `sanitize_html` itself does with a refused image. The template
is plain data (picklable), so it can be made in a worker process and cached in memory.

A body longer than `max_chars`, or that takes longer than `max_seconds` to sanitise, gives an
empty template marked `over_budget`: the view shows "too large to show here" instead.
"""

from __future__ import annotations

import html
import re
import time
from dataclasses import dataclass

from gpanel.mail.sanitize import ImageRewriter, SanitizedHtml, sanitize_html, trusted_url

PLACEHOLDER_HOST = "gpanel-image.invalid"
_NONCE = re.compile(r"^[0-9a-f]{16,64}$")


@dataclass(frozen=True, slots=True)
class BodyTemplate:
    html: str  # sanitised; image sources are placeholders
    images: tuple[str, ...]  # placeholder n -> the image URL as the sanitiser read it
    over_budget: bool = False

    @property
    def remote_images(self) -> frozenset[str]:
        """The http(s) image URLs of the body (the only ones the image proxy may fetch)."""
        return frozenset(u for u in self.images if u[:5].lower() in ("http:", "https"))

    @property
    def size(self) -> int:
        return len(self.html) + sum(len(u) for u in self.images) + 100


def _check(nonce: str) -> None:
    if not _NONCE.match(nonce):
        raise ValueError("the nonce must be 16 to 64 lower-case hex digits")


def make_template(
    source: str, nonce: str, *, max_chars: int, max_seconds: float | None
) -> BodyTemplate:
    """`source` sanitised with placeholders for image URLs, or an over-budget template."""
    _check(nonce)
    if len(source) > max_chars:
        return BodyTemplate("", (), over_budget=True)
    images: list[str] = []

    def placeholder(url: str) -> str:
        images.append(url)
        return f"https://{PLACEHOLDER_HOST}/{nonce}/{len(images) - 1}"

    deadline = None if max_seconds is None else time.monotonic() + max_seconds
    result = sanitize_html(source, placeholder, deadline=deadline)
    if result.over_budget:
        return BodyTemplate("", (), over_budget=True)
    return BodyTemplate(result.html, tuple(images))


def fill_template(
    template: BodyTemplate, nonce: str, rewrite_src: ImageRewriter | None
) -> SanitizedHtml:
    """The template with this viewer's image URLs: `rewrite_src(url)` as in `sanitize_html`."""
    _check(nonce)
    pattern = re.compile(r' src="https://' + re.escape(PLACEHOLDER_HOST) + "/" + nonce + r'/(\d+)"')
    blocked = 0

    def fill(match: re.Match[str]) -> str:
        nonlocal blocked
        index = int(match.group(1))
        if index >= len(template.images):
            return ""
        url = template.images[index]
        is_remote = url[:4].lower() != "cid:"
        rewritten = trusted_url(rewrite_src(url)) if rewrite_src else None
        if rewritten is None:
            blocked += is_remote
            return ""
        return f' src="{html.escape(rewritten, quote=True)}"'

    filled = pattern.sub(fill, template.html)
    return SanitizedHtml(
        filled, blocked, bool(template.remote_images), over_budget=template.over_budget
    )
