"""Fixtures for the wire's own tests: the tiny app (tiny.py) and an in-process client to it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.emulator.wire.tiny import Tiny, build_tiny


@pytest.fixture
def tiny() -> Tiny:
    return build_tiny()


@pytest.fixture
async def client(tiny: Tiny) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=tiny.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://emu") as c:
        yield c
