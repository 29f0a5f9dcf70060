"""The message frame: the second, independent layer between mail HTML and the reader.

Sanitised HTML is shown inside an `<iframe srcdoc>` that is sandboxed without `allow-scripts`
(so nothing in it runs, even if the sanitiser ever let a handler through), without
`allow-same-origin` (so the frame is an opaque origin that cannot read gpanel's cookies, storage
or DOM), without `allow-forms`, `allow-top-navigation` or `allow-modals`; only
`allow-popups allow-popups-to-escape-sandbox`, so a clicked link opens as a normal tab. The
document's first element is a Content-Security-Policy meta tag that forbids every fetch except
images from gpanel's own attachment and proxy paths (and `data:` images), so a remote image,
font, stylesheet or beacon that slipped through sanitising still loads nothing. `<base
target=_blank>` sends links out of the frame; `no-referrer` keeps the thread URL private.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

SANDBOX = "allow-popups allow-popups-to-escape-sandbox"
REFERRER_POLICY = "no-referrer"

_ORIGIN = re.compile(
    r"^https?://[A-Za-z0-9.\-]+(:\d{1,5})?$|^https?://\[[0-9A-Fa-f:.]+\](:\d{1,5})?$"
)
_PATH = re.compile(r"^/[A-Za-z0-9._~/\-]*$")

# Mail is written for white paper; the frame keeps that whatever the host page's theme, and
# keeps wide newsletters from forcing a horizontal scroll of the whole message.
RESET_CSS = (
    "html{color-scheme:light}"
    "body{margin:0;padding:8px;background:#fff;color:#222;"
    "font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;"
    "overflow-wrap:break-word}"
    "img{max-width:100%;height:auto}"
    "table{max-width:100%}"
    "pre{white-space:pre-wrap}"
    "blockquote{margin:0 0 0 .8ex;padding-left:1ex;border-left:2px solid #ccc}"
)


def image_sources(image_origin: str, image_paths: Sequence[str]) -> str:
    """The CSP img-src list: the given paths on gpanel's origin, and data: images."""
    if not _ORIGIN.match(image_origin):
        raise ValueError(f"image_origin must be scheme://host[:port], got {image_origin!r}")
    for path in image_paths:
        if not _PATH.match(path):
            raise ValueError(f"image path must be a plain absolute path, got {path!r}")
    sources = [image_origin + path for path in image_paths] or ["'none'"]
    return " ".join([*sources, "data:"])


def content_security_policy(image_origin: str, image_paths: Sequence[str] = ("/",)) -> str:
    return (
        "default-src 'none'; "
        f"img-src {image_sources(image_origin, image_paths)}; "
        "style-src 'unsafe-inline'; font-src 'none'; media-src 'none'; object-src 'none'; "
        "frame-src 'none'; child-src 'none'; script-src 'none'; connect-src 'none'; "
        "form-action 'none'; base-uri 'none'"
    )


def srcdoc_document(
    sanitized_html: str, image_origin: str, image_paths: Sequence[str] = ("/",)
) -> str:
    """The frame's whole document around already sanitised HTML.

    `image_origin` is gpanel's origin as the browser sees it (`https://crm.example.com`);
    `image_paths` narrows img-src to the attachment and image-proxy path prefixes (end each
    with "/" to allow everything below it). The policy is the first thing in <head>, so it is
    in force before any element of the message is parsed.
    """
    csp = html.escape(content_security_policy(image_origin, image_paths), quote=True)
    return (
        "<!DOCTYPE html><html><head>"
        f'<meta http-equiv="Content-Security-Policy" content="{csp}">'
        '<meta name="referrer" content="no-referrer">'
        '<base target="_blank">'
        f"<style>{RESET_CSS}</style>"
        f"</head><body>{sanitized_html}</body></html>"
    )


def iframe_attributes(srcdoc: str, *, title: str = "Message") -> dict[str, str]:
    """The iframe's attributes, values unescaped (a template must escape them, as Jinja's
    autoescape or `xmlattr` does). Use `iframe_tag` to get ready-made markup."""
    return {
        "sandbox": SANDBOX,
        "referrerpolicy": REFERRER_POLICY,
        "srcdoc": srcdoc,
        "title": title,
    }


def iframe_tag(srcdoc: str, *, title: str = "Message", css_class: str = "gpanel-mail-frame") -> str:
    """A complete `<iframe>` element with every attribute value HTML-escaped."""
    attributes = {"class": css_class, **iframe_attributes(srcdoc, title=title)}
    rendered = " ".join(
        f'{name}="{html.escape(value, quote=True)}"' for name, value in attributes.items()
    )
    return f"<iframe {rendered}></iframe>"
