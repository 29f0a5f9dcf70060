"""Fixtures for the Gmail client's unit tests: a respx router behind a real httpx client."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
import respx

from tests.gmail.fakes import BASE, FakeTime, Tokens


@pytest.fixture
def router() -> respx.Router:
    return respx.Router(base_url=BASE, assert_all_mocked=True)


@pytest.fixture
async def http(router: respx.Router) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.MockTransport(router.async_handler)) as client:
        yield client


@pytest.fixture
def tokens() -> Tokens:
    return Tokens()


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()
