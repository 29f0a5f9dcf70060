"""gpanel's image proxy: remote images of mail, fetched by gpanel, never by the reader's browser.

A remote image in a message is shown only after the reader asks, and then through
`/img?u=<url>&s=<signature>`. The signature is a frame token (`frame_binding`: the app
secret, its own salt, a timestamp) that binds the URL to the viewer's session and to the
record, mailbox, thread and message it was rendered into, and expires after
`SIGNATURE_MAX_AGE`. The route checks all of it again before anything is fetched (the frame is
an opaque origin whose requests carry no cookies, so the token is what names the viewer).

Fetching follows `gpanel.mail.image_policy` to the letter, because an image proxy fetches URLs
chosen by strangers from inside our network (the classic SSRF hole):
- only http/https on ports 80/443, no credentials in the URL (`check_url`);
- gpanel resolves the name itself (`Resolver`, by default the event loop's `getaddrinfo`) and
  every address must be public (`is_public_address`); it then connects to that vetted address,
  sending the name as Host header and TLS server name, so a second lookup cannot swap in
  127.0.0.1 (DNS rebinding);
- redirects are followed by hand, at most `MAX_REDIRECTS`, each hop checked again;
- its own `httpx.AsyncClient`: no cookie jar (a policy that stores nothing), no proxies from the
  environment, no auth, nothing of the reader's request passed on;
- one deadline over the whole fetch and a byte cap while reading; the declared type must be a
  raster image type and the first bytes must prove it (`sniff_image_type`), SVG never passes.
The answer carries only our own headers. Refusals are `ImageRefused` with a status and a reason
that names no URL (logs hold reasons and statuses only).
"""

from __future__ import annotations

import asyncio
import dataclasses
import hmac
import ipaddress
import logging
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from http.cookiejar import CookieJar, DefaultCookiePolicy
from urllib.parse import urlsplit, urlunsplit

import httpx

from gpanel.mail.image_policy import (
    CONNECT_TIMEOUT_SECONDS,
    FETCH_TIMEOUT_SECONDS,
    MAX_IMAGE_BYTES,
    MAX_REDIRECTS,
    check_url,
    is_allowed_content_type,
    is_public_address,
    sniff_image_type,
)
from gpanel.services.threads.frame_binding import (
    IMAGE,
    TOKEN_MAX_AGE,
    FrameBinding,
    FrameSigner,
    url_digest,
)

log = logging.getLogger("gpanel.image_proxy")

PROXY_PATH = "/img"
SIGNATURE_MAX_AGE = TOKEN_MAX_AGE
CACHE_SECONDS = 3600
_SNIFF_BYTES = 32

Resolver = Callable[[str, int], Awaitable[list[str]]]


class ImageRefused(Exception):
    """The proxy will not serve this image; `status` is the HTTP answer, `reason` the words."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class ProxiedImage:
    content_type: str
    data: bytes


async def system_resolver(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for `host`, without blocking the loop."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


class UrlSigner:
    """Signs and checks proxy URLs with the app secret. A signature is a frame token
    (`frame_binding`): the URL's digest bound to one viewer's session and one message."""

    def __init__(self, secret: str, max_age: int = SIGNATURE_MAX_AGE) -> None:
        self._frames = FrameSigner(secret, max_age)
        self.max_age = max_age

    def signature(self, url: str, binding: FrameBinding) -> str:
        return self._frames.dumps(IMAGE, dataclasses.replace(binding, target=url_digest(url)))

    def check(self, url: str, signature: str) -> FrameBinding | None:
        """The binding the signature names, if it was made for exactly this URL and is fresh."""
        binding = self._frames.loads(IMAGE, signature)
        if not url or binding is None or not hmac.compare_digest(binding.target, url_digest(url)):
            return None
        return binding


def _host_header(host: str, port: int, scheme: str) -> str:
    name = f"[{host}]" if ":" in host else host
    default = 443 if scheme == "https" else 80
    return name if port == default else f"{name}:{port}"


class ImageProxy:
    def __init__(
        self,
        resolver: Resolver = system_resolver,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        max_bytes: int = MAX_IMAGE_BYTES,
        timeout: float = FETCH_TIMEOUT_SECONDS,
        max_redirects: int = MAX_REDIRECTS,
    ) -> None:
        self.resolver = resolver
        self.max_bytes = max_bytes
        self.timeout = timeout
        self.max_redirects = max_redirects
        jar = CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))  # stores nothing
        self.client = httpx.AsyncClient(
            transport=transport or httpx.AsyncHTTPTransport(retries=0),
            follow_redirects=False,
            trust_env=False,
            cookies=jar,
            timeout=httpx.Timeout(timeout, connect=CONNECT_TIMEOUT_SECONDS),
            limits=httpx.Limits(max_connections=50, max_keepalive_connections=10),
        )

    async def aclose(self) -> None:
        await self.client.aclose()

    async def fetch(self, url: str) -> ProxiedImage:
        """The image at `url`, or ImageRefused."""
        try:
            async with asyncio.timeout(self.timeout):
                return await self._follow(url)
        except TimeoutError:
            raise ImageRefused(504, "the image server took too long") from None

    async def _follow(self, url: str) -> ProxiedImage:
        for _ in range(self.max_redirects + 1):
            request, vetted = await self._vet(url)
            try:
                response = await self.client.send(request, stream=True)
            except httpx.HTTPError as exc:
                log.info("image fetch failed: %s", type(exc).__name__)
                raise ImageRefused(502, "the image server could not be reached") from None
            try:
                if response.is_redirect:
                    location = response.headers.get("location", "")
                    url = str(httpx.URL(vetted).join(location)) if location else ""
                    if not url:
                        raise ImageRefused(502, "the image server redirected nowhere")
                    continue
                return await self._read(response)
            finally:
                await response.aclose()
        raise ImageRefused(502, "too many redirects")

    async def _vet(self, url: str) -> tuple[httpx.Request, str]:
        verdict = check_url(url)
        if not verdict.ok:
            status = 403 if verdict.reason in ("address not public", "local host name") else 400
            raise ImageRefused(status, verdict.reason)
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        try:
            literal = ipaddress.ip_address(verdict.host.strip("[]"))
            addresses = [str(literal)]
        except ValueError:
            try:
                addresses = await self.resolver(verdict.host, verdict.port)
            except OSError:
                raise ImageRefused(502, "the image server's name does not resolve") from None
        if not addresses:
            raise ImageRefused(502, "the image server's name does not resolve")
        if not all(is_public_address(a) for a in addresses):
            raise ImageRefused(403, "address not public")
        address = addresses[0]
        netloc = f"[{address}]" if ":" in address else address
        if verdict.port != (443 if scheme == "https" else 80):
            netloc += f":{verdict.port}"
        target = urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))
        request = httpx.Request(
            "GET",
            target,
            headers={
                "Host": _host_header(verdict.host, verdict.port, scheme),
                "Accept": "image/png,image/jpeg,image/gif,image/webp,image/*;q=0.8",
                "User-Agent": "gpanel-image-proxy/0.1",
            },
            extensions={"sni_hostname": verdict.host} if scheme == "https" else {},
        )
        # The URL as the origin knows it, for resolving relative redirects.
        return request, urlunsplit((scheme, parts.netloc, parts.path or "/", parts.query, ""))

    async def _read(self, response: httpx.Response) -> ProxiedImage:
        if response.status_code != 200:
            raise ImageRefused(502, f"the image server answered {response.status_code}")
        if not is_allowed_content_type(response.headers.get("content-type", "")):
            raise ImageRefused(415, "not a raster image type")
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise ImageRefused(413, "image too large")
        body = bytearray()
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) > self.max_bytes:
                raise ImageRefused(413, "image too large")
        kind = sniff_image_type(bytes(body[:_SNIFF_BYTES]))
        if kind is None:
            raise ImageRefused(415, "the bytes are not a raster image")
        return ProxiedImage(kind, bytes(body))
