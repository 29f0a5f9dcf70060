"""Test seams for the image proxy, at the network boundary only.

- `ImageOrigin`: a real HTTP server on 127.0.0.1 (stdlib, background thread) playing a remote
  image host: a PNG, an oversized PNG, HTML, SVG, HTML claiming to be PNG, redirects to private
  places, a slow answer, a cookie-setting answer. It records every request's headers.
- `resolver(...)`: the proxy's DNS seam. Test names resolve to fixed addresses: `img.test` to a
  public-looking address (so the allowed path is exercised), others to private, link-local or
  IPv4-mapped loopback addresses.
- `LoopbackTransport`: the proxy's connection seam. It sends requests for the public-looking
  address to the local server instead (the proxy has already vetted the address by then), so
  no test touches the internet.
- `proxied_stack`: a running gpanel whose image proxy is built on these seams (handed to
  `create_app`, which hands it to `open_context`).
"""

from __future__ import annotations

import contextlib
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from gpanel.app import create_app
from gpanel.demo.cast import REPS
from gpanel.emulator.config import EmulatorConfig
from gpanel.services.threads.image_proxy import ImageProxy
from tests.support.emulator import run_emulator
from tests.support.servers import serve
from tests.support.stack import Stack, stack_settings
from tests.web.thread_support import PNG

PUBLIC_IP = "93.184.215.14"
_BROWSER_SERVICE = re.compile(
    r"^(https?://)?([a-z0-9-]+\.)*(googleapis\.com|google\.com|gvt1\.com|gstatic\.com)"
    r"(:\d+)?(/|$)"
)
NAMES: dict[str, list[str]] = {
    "img.test": [PUBLIC_IP],
    "intranet.test": ["192.168.1.10"],
    "mixed.test": [PUBLIC_IP, "10.1.1.1"],
    "mapped.test": ["::ffff:127.0.0.1"],
    "metadata.test": ["169.254.169.254"],
    "loop.test": ["127.0.0.1"],
}
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect/></svg>'


@dataclass
class ImageOrigin:
    port: int
    seen: list[dict[str, str]] = field(default_factory=list)


def _handler(origin: ImageOrigin) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            return

        def _send(self, status: int, ctype: str, body: bytes, **headers: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            if not headers.pop("no_length", ""):
                self.send_header("Content-Length", str(len(body)))
            for k, v in headers.items():
                self.send_header(k.replace("_", "-"), v)
            self.end_headers()
            # The proxy stops reading an oversized image, as it should: the write then fails.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(body)

        def do_GET(self) -> None:
            origin.seen.append(
                {"path": self.path, **{k.lower(): v for k, v in self.headers.items()}}
            )
            path = self.path.split("?", 1)[0]
            if path == "/ok.png":
                self._send(200, "image/png", PNG, X_Upstream="secret", Set_Cookie="track=1")
            elif path == "/big.png":
                self._send(200, "image/png", PNG + b"\0" * (9 * 1024 * 1024))
            elif path == "/big-stream.png":
                self._send(200, "image/png", PNG + b"\0" * (9 * 1024 * 1024), no_length="1")
            elif path == "/page.html":
                self._send(200, "text/html", b"<html><script>alert(1)</script></html>")
            elif path == "/logo.svg":
                self._send(200, "image/svg+xml", SVG)
            elif path == "/fake.png":
                self._send(200, "image/png", b"<html><script>alert(1)</script></html>")
            elif path.startswith("/to/"):
                target = {
                    "private": "http://10.0.0.5/x.png",
                    "loop": "http://127.0.0.1/x.png",
                    "intranet": "http://intranet.test/x.png",
                    "ok": "/ok.png",
                    "mapped": "http://[::ffff:127.0.0.1]/x.png",
                    "loopname": "http://loop.test/x.png",
                }[path[4:]]
                self._send(302, "text/plain", b"", Location=target)
            elif path == "/slow.png":
                time.sleep(3)
                self._send(200, "image/png", PNG)
            else:
                self._send(404, "text/plain", b"no")

    return Handler


@contextmanager
def image_origin() -> Iterator[ImageOrigin]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(ImageOrigin(0)))
    origin = ImageOrigin(int(server.server_address[1]))
    server.RequestHandlerClass = _handler(origin)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield origin
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


async def resolver(host: str, port: int) -> list[str]:
    if host in NAMES:
        return NAMES[host]
    raise OSError(f"{host} does not resolve in tests")


class LoopbackTransport(httpx.AsyncBaseTransport):
    """Connects requests for PUBLIC_IP to the local origin; anything else is a test failure."""

    def __init__(self, origin: ImageOrigin) -> None:
        self.origin = origin
        self.inner = httpx.AsyncHTTPTransport(retries=0)
        self.targets: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.targets.append(request.url.host)
        if request.url.host != PUBLIC_IP:
            raise AssertionError(f"the proxy tried to connect to {request.url.host}")
        request.url = request.url.copy_with(host="127.0.0.1", port=self.origin.port)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def test_proxy(origin: ImageOrigin, **options: Any) -> tuple[ImageProxy, LoopbackTransport]:
    transport = LoopbackTransport(origin)
    return ImageProxy(resolver, transport=transport, **options), transport


test_proxy.__test__ = False  # type: ignore[attr-defined]  # a factory, not a test


@contextmanager
def proxied_stack(db_url: str, origin: ImageOrigin) -> Iterator[Stack]:
    """`tests.support.stack.run_stack`, with gpanel's image proxy on the test seams."""
    with run_emulator(EmulatorConfig()) as emu:
        for rep in REPS:
            emu.add_user(rep.email, rep.name)
        settings, env = stack_settings(db_url, emu.url)
        app = create_app(settings, image_proxy=test_proxy(origin)[0])
        with serve(app, port=settings.port) as url:
            yield Stack(url, emu, settings, db_url, env)


@dataclass
class Egress:
    """What reached the recorder: every request the browser tried to send off 127.0.0.1."""

    port: int
    hits: list[str] = field(default_factory=list)

    def from_pages(self) -> list[str]:
        """Hits less Chromium's own background services (updates, account and autofill
        look-ups), which no page asked for."""
        return [h for h in self.hits if not _BROWSER_SERVICE.search(h.split(" ", 1)[-1])]

    @property
    def proxy_arg(self) -> str:
        # Chromium sends everything but loopback through this "proxy" (loopback bypasses
        # proxies by default), so the recorder sees any request that would leave the machine,
        # including those of sandboxed frames, which Playwright's request events do not report.
        return f"--proxy-server=http://127.0.0.1:{self.port}"


@contextmanager
def egress_recorder() -> Iterator[Egress]:
    egress = Egress(0)

    class Recorder(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            return

        def _refuse(self) -> None:
            egress.hits.append(f"{self.command} {self.path}")
            self.send_response(502)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_GET = do_POST = do_PUT = do_HEAD = do_OPTIONS = do_CONNECT = _refuse

    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    egress.port = int(server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield egress
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
