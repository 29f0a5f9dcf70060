"""The test servers bind their own socket: a port another process already serves is refused at
once (`PortTaken`), never health-checked against that other server, and `run_stack` then picks
another port (two test workers racing for one port made a test sign in on the wrong gpanel)."""

from __future__ import annotations

import socket

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from tests.support.servers import PortTaken, serve


def _app(text: str) -> Starlette:
    return Starlette(routes=[Route("/healthz", lambda _: PlainTextResponse(text))])


def test_a_port_in_use_is_refused_not_borrowed() -> None:
    with serve(_app("first")) as url:
        port = int(url.rsplit(":", 1)[1])
        with pytest.raises(PortTaken), serve(_app("second"), port=port):
            pass
        assert httpx.get(url + "/healthz").text == "first"


def test_a_free_port_is_served_and_released() -> None:
    with serve(_app("ok")) as url:
        assert httpx.get(url + "/healthz").text == "ok"
    port = int(url.rsplit(":", 1)[1])
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))  # released on exit
