"""The production rendering path for tests: Gmail resource -> MessageView -> sanitised HTML ->
frame document, with the rewriter the thread view will use (cid: to the attachment endpoint,
remote images to the proxy only when allowed), plus a text extractor to judge readability."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote

from gpanel.mail.frame import srcdoc_document
from gpanel.mail.message import MessageView, read_message
from gpanel.mail.render import render_body
from gpanel.mail.sanitize import ImageRewriter, SanitizedHtml

ORIGIN = "http://127.0.0.1:8000"
ATTACHMENT_PATH = "/mail/att/"
PROXY_PATH = "/mail/img/"
IMAGE_PATHS = (ATTACHMENT_PATH, PROXY_PATH)


def rewriter(view: MessageView | None, *, origin: str = ORIGIN, images: bool) -> ImageRewriter:
    def rewrite(url: str) -> str | None:
        if url.lower().startswith("cid:"):
            part = view.part_for_cid(url) if view is not None else None
            if part is None:
                return None
            return f"{origin}{ATTACHMENT_PATH}{quote(part.part_id or 'x', safe='')}"
        if images:
            return f"{origin}{PROXY_PATH}?u={quote(url, safe='')}"
        return None

    return rewrite


def render(
    msg: dict[str, Any], *, images: bool = False, max_body_bytes: int = 2 * 1024 * 1024
) -> tuple[MessageView, SanitizedHtml, str]:
    view = read_message(msg, max_body_bytes=max_body_bytes)
    body = render_body(
        view,
        rewrite_src=rewriter(view, images=images),
        original_url=f"{ORIGIN}/mail/original/{view.id}",
    )
    return view, body, srcdoc_document(body.html, ORIGIN, IMAGE_PATHS)


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in ("style", "script", "title"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script", "title") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts)
