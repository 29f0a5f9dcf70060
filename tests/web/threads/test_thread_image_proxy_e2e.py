"""The image proxy through gpanel's real route: a message's remote images, shown on request,
load through `/img` with gpanel's own headers only; a forged or altered signature is 403; a
signed URL that points inside the network is still refused."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import httpx
import pytest

from tests.support.stack import Stack
from tests.web.thread_images import ImageOrigin, image_origin, proxied_stack
from tests.web.thread_support import BEN, PAT, PNG, World, build_world, mail


@pytest.fixture
def origin() -> Iterator[ImageOrigin]:
    with image_origin() as running:
        yield running


@pytest.fixture
def world(db_url: str, origin: ImageOrigin) -> Iterator[World]:
    stack: Stack
    with proxied_stack(db_url, origin) as stack:
        yield build_world(stack)


def test_remote_images_load_through_the_proxy_only_when_asked(world: World) -> None:
    raw, _ = mail(
        f"Pat <{PAT}>",
        BEN,
        "Newsletter",
        "see the banner",
        '<p>Banner</p><img src="http://img.test/ok.png">'
        '<img src="http://intranet.test/secret.png">',
    )
    created = world.insert(raw)
    url = world.url(created["threadId"])
    blocked = world.ben.get(url).text
    assert "/img?" not in html.unescape(blocked)
    shown = world.ben.get(url, params={"images": created["id"]}).text
    (doc,) = [html.unescape(s) for s in re.findall(r'srcdoc="([^"]*)"', shown)]
    good, private = [html.unescape(s) for s in re.findall(r'<img src="([^"]+)"', doc)]
    assert good.startswith(world.stack.url + "/img?u=http%3A%2F%2Fimg.test%2Fok.png&s=")
    image = httpx.get(good)  # the frame sends no cookies
    assert image.status_code == 200 and image.content == PNG
    assert image.headers["content-type"] == "image/png"
    assert image.headers["cache-control"].startswith("private, max-age=")
    assert image.headers["x-content-type-options"] == "nosniff"
    assert "set-cookie" not in image.headers and "x-upstream" not in image.headers
    assert httpx.get(private).status_code == 403
    forged = good.replace("ok.png", "ok2.png")
    assert httpx.get(forged).status_code == 403
    assert httpx.get(good.split("&s=")[0] + "&s=bogus").status_code == 403
    assert httpx.get(world.stack.url + "/img").status_code == 403
