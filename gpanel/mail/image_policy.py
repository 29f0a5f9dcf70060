"""The image proxy's rules, as pure functions (the HTTP handler lives in the web layer).

An image proxy fetches URLs chosen by strangers from inside our network, which makes it the
classic SSRF hole: `http://169.254.169.254/` (cloud metadata), `http://localhost:5432/`,
`http://[::ffff:10.0.0.1]/`. The handler must apply, in order: `check_url` on the URL; resolve
the host itself; `is_public_address` on *every* resolved address; connect to the checked address
(not the name again: a second lookup is how DNS rebinding swaps in 127.0.0.1 after the check);
no redirects followed without running all of this again; no cookies or auth sent; stop reading
at `MAX_IMAGE_BYTES` and after `FETCH_TIMEOUT_SECONDS`; and serve the bytes only if
`sniff_image_type` recognises a raster format, with that type as Content-Type (never the
origin's claim: SVG, which can carry script, is never served).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

ALLOWED_SCHEMES = frozenset({"http", "https"})
ALLOWED_PORTS = frozenset({80, 443})
MAX_URL_CHARS = 4_096
MAX_IMAGE_BYTES = 8 * 1024 * 1024
FETCH_TIMEOUT_SECONDS = 10.0
CONNECT_TIMEOUT_SECONDS = 3.0
MAX_REDIRECTS = 3

ALLOWED_CONTENT_TYPES = frozenset(
    {"image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp", "image/x-icon"}
)

# Ranges that are not the public internet, beyond what `ipaddress`'s flags cover.
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_BENCHMARK = ipaddress.ip_network("198.18.0.0/15")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
_SITE_LOCAL = ipaddress.ip_network("fec0::/10")
_6TO4 = ipaddress.ip_network("2002::/16")
_TEREDO = ipaddress.ip_network("2001::/32")


@dataclass(frozen=True, slots=True)
class UrlVerdict:
    ok: bool
    reason: str = ""  # why not, in words for a log line (never the URL itself)
    host: str = ""
    port: int = 0


def check_url(url: str) -> UrlVerdict:
    """Whether the proxy may try `url` at all: http(s), a host, no credentials, port 80/443."""
    if len(url) > MAX_URL_CHARS:
        return UrlVerdict(False, "url too long")
    if any(ord(c) < 0x21 or c == "\\" for c in url):
        return UrlVerdict(False, "control character, space or backslash in url")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return UrlVerdict(False, "unparsable url")
    if parts.scheme.lower() not in ALLOWED_SCHEMES:
        return UrlVerdict(False, "scheme not allowed")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        return UrlVerdict(False, "credentials in url")
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        return UrlVerdict(False, "no host")
    if port is None:
        port = 443 if parts.scheme.lower() == "https" else 80
    if port not in ALLOWED_PORTS:
        return UrlVerdict(False, "port not allowed")
    literal = _literal_address(host)
    if literal is not None and not is_public_address(literal):
        return UrlVerdict(False, "address not public")
    if literal is None and (
        host == "localhost" or host.endswith((".localhost", ".local", ".internal", ".arpa"))
    ):
        return UrlVerdict(False, "local host name")
    return UrlVerdict(True, host=host, port=port)


def _literal_address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address a host names literally; legacy numeric IPv4 forms count as not public."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        pass
    # Resolvers accept legacy IPv4 spellings (2130706433, 0x7f.1, 0177.0.0.1) that
    # `ipaddress` refuses. No real domain ends in a numeric or hex label, so such a host is
    # taken as an address we cannot vouch for: the unspecified one, which is never public.
    last = host.rsplit(".", 1)[-1]
    if last.isdigit() or last.startswith("0x"):
        return ipaddress.IPv4Address("0.0.0.0")
    return None


def is_public_address(ip: str | ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """True only for a globally routable unicast address; anything unparsable is not public."""
    try:
        address = ipaddress.ip_address(ip) if isinstance(ip, str) else ip
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address):
        # Addresses that embed an IPv4 address are judged by it (::ffff:127.0.0.1 is loopback).
        embedded = address.ipv4_mapped or (address.sixtofour if address in _6TO4 else None)
        if embedded is not None:
            return is_public_address(embedded)
        if address in _TEREDO and address.teredo is not None:
            return is_public_address(address.teredo[1])
        if address in _NAT64 or address in _NAT64_LOCAL or address in _SITE_LOCAL:
            return False
        if address.scope_id:
            return False
    elif address in _CGNAT or address in _BENCHMARK:
        return False
    return not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    )


def sniff_image_type(head: bytes) -> str | None:
    """The raster type the first bytes prove, or None (SVG, HTML and anything else)."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if len(head) >= 12 and head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"BM") and len(head) >= 14:
        return "image/bmp"
    if head.startswith(b"\x00\x00\x01\x00") and len(head) >= 6:
        return "image/x-icon"
    return None


def is_allowed_content_type(content_type: str) -> bool:
    """Whether the origin's declared type is one we serve at all (the bytes decide the rest)."""
    return content_type.split(";", 1)[0].strip().lower() in ALLOWED_CONTENT_TYPES
