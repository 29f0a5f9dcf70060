"""The links inside the message frame are bound to one session and one message, over real HTTP.

A proxied image URL (`/img?u=&s=`) and an inline `cid:` URL (`?inline=1&t=`) made for Ben's
page load for the cookie-less frame while his session lives. They answer 403 (proxy) or 404
(inline part) and fetch nothing once he signs out; when presented with another session's
cookie; when re-signed for another message that does not hold that image (a URL from one
message planted in another); and when the viewer may no longer see the thread. The proxy
never fetches gpanel's own URLs."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from gpanel.services.sharing.policy import Audience
from gpanel.services.threads.image_proxy import UrlSigner
from tests.support.stack import Stack, csrf
from tests.web.thread_images import ImageOrigin, image_origin, proxied_stack
from tests.web.thread_support import BEN, CARLA, PAT, PNG, World, build_world, mail


@pytest.fixture
def origin() -> Iterator[ImageOrigin]:
    with image_origin() as running:
        yield running


@pytest.fixture
def world(db_url: str, origin: ImageOrigin) -> Iterator[World]:
    stack: Stack
    with proxied_stack(db_url, origin) as stack:
        yield build_world(stack)


def _frame_images(page: str) -> list[str]:
    docs = [html.unescape(s) for s in re.findall(r'srcdoc="([^"]*)"', page)]
    return [html.unescape(s) for doc in docs for s in re.findall(r'<img src="([^"]+)"', doc)]


def _message(world: World, subject: str, image: str) -> tuple[str, str]:
    raw, _ = mail(f"Pat <{PAT}>", BEN, subject, "see", f"<p>{subject}</p><img src='{image}'>")
    created = world.insert(raw)
    return str(created["id"]), str(created["threadId"])


def _proxy_url(world: World, client: httpx.Client, thread_id: str, message_id: str) -> str:
    page = client.get(world.url(thread_id), params={"images": message_id})
    assert page.status_code == 200
    (url,) = [u for u in _frame_images(page.text) if "/img?" in u]
    return url


def _fetches(origin: ImageOrigin) -> int:
    return sum(1 for seen in origin.seen if seen["path"].startswith("/ok"))


def test_proxy_url_ends_with_its_session(world: World, origin: ImageOrigin) -> None:
    """Loads for the cookie-less frame while Ben is signed in; after sign-out it is 403 and
    the image server sees no request."""
    message_id, thread_id = _message(world, "Banner", "http://img.test/ok.png")
    url = _proxy_url(world, world.ben, thread_id, message_id)
    assert httpx.get(url).content == PNG
    before = _fetches(origin)
    signed_out = world.ben.post("/auth/logout", data={"csrf_token": csrf(world.ben)})
    assert signed_out.status_code in (200, 303)
    assert httpx.get(url).status_code == 403
    assert _fetches(origin) == before


def test_proxy_url_refused_to_another_session(world: World, origin: ImageOrigin) -> None:
    """A URL made in one of Ben's sessions, presented with the cookie of his other session
    (or Carla's), is 403: the link belongs to the page it was rendered into."""
    message_id, thread_id = _message(world, "Banner", "http://img.test/ok.png")
    url = _proxy_url(world, world.ben, thread_id, message_id)
    other = world.stack.sign_in(BEN)
    before = _fetches(origin)
    assert other.get(url).status_code == 403
    assert world.carla.get(url).status_code == 403
    assert _fetches(origin) == before
    assert world.ben.get(url).status_code == 200  # its own session still loads it


def test_proxy_url_for_another_message_is_refused(world: World, origin: ImageOrigin) -> None:
    """The tracker URL of message A, signed by gpanel for message B (which holds another
    image) with Ben's live session, is 403: the proxy fetches only what the named message
    shows. The URL of A with B's signature is 403 too."""
    a_id, a_thread = _message(world, "Tracker", "http://img.test/ok.png?r=1")
    b_id, b_thread = _message(world, "Plain", "http://img.test/ok.png?r=2")
    a_url = _proxy_url(world, world.ben, a_thread, a_id)
    b_url = _proxy_url(world, world.ben, b_thread, b_id)
    a_query, b_query = parse_qs(urlsplit(a_url).query), parse_qs(urlsplit(b_url).query)
    signer = UrlSigner(world.stack.settings.secret_key.get_secret_value())
    b_binding = signer.check(b_query["u"][0], b_query["s"][0])
    assert b_binding is not None and b_binding.message_id == b_id
    resigned = signer.signature(a_query["u"][0], b_binding)
    before = _fetches(origin)
    planted = httpx.get(world.stack.url + "/img", params={"u": a_query["u"][0], "s": resigned})
    assert planted.status_code == 403
    swapped = httpx.get(
        world.stack.url + "/img", params={"u": a_query["u"][0], "s": b_query["s"][0]}
    )
    assert swapped.status_code == 403
    assert _fetches(origin) == before
    assert httpx.get(a_url).status_code == 200


def test_proxy_url_refused_when_access_ends(world: World, origin: ImageOrigin) -> None:
    """Carla sees Ben's thread while he shares by record access; once he makes his mail private, the
    image URL her page was given is 403 though her session is live."""
    world.share(Audience.RECORD_ACCESS)
    message_id, thread_id = _message(world, "Shared", "http://img.test/ok.png")
    url = _proxy_url(world, world.carla, thread_id, message_id)
    assert httpx.get(url).status_code == 200
    world.share(Audience.PRIVATE)
    assert httpx.get(url).status_code == 403


def test_inline_image_token_ends_with_its_session(world: World) -> None:
    """A `cid:` image link loads for the cookie-less frame while the session lives, is refused
    with another session's cookie, and is 404 after sign-out (it used to work for 24 hours)."""
    raw, _ = mail(
        f"Pat <{PAT}>",
        BEN,
        "Logo",
        "logo",
        '<p>Logo</p><img src="cid:logo@acme">',
        related=[("logo@acme", PNG, "image/png")],
    )
    created = world.insert(raw)
    page = world.ben.get(world.url(created["threadId"]))
    (inline,) = [u for u in _frame_images(page.text) if "inline=1" in u]
    assert httpx.get(inline).content == PNG
    carla_session = world.stack.sign_in(CARLA)
    assert carla_session.get(inline).status_code in (403, 404)
    world.ben.post("/auth/logout", data={"csrf_token": csrf(world.ben)})
    assert httpx.get(inline).status_code == 404


def test_proxy_never_fetches_gpanels_own_urls(world: World, origin: ImageOrigin) -> None:
    """A gpanel proxy URL planted in mail as an image, shown on request, is proxied as any
    remote image would be, and the proxy refuses it (403) without a request to anyone."""
    planted = f"{world.stack.url}/img?u=http%3A%2F%2Fimg.test%2Fok.png&s=stolen"
    message_id, thread_id = _message(world, "Planted", planted)
    url = _proxy_url(world, world.ben, thread_id, message_id)
    assert parse_qs(urlsplit(url).query)["u"] == [planted]
    before = _fetches(origin)
    assert httpx.get(url).status_code == 403
    assert _fetches(origin) == before


ATTACKER_UA = "Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0 attacker-laptop"
VICTIM_UA = "Mozilla/5.0 (Macintosh) Safari/605.1 victim-mail-client"


def test_planted_proxy_url_from_another_session_never_loads(
    world: World, origin: ImageOrigin
) -> None:
    """Ben (the attacker) renders his own message with its tracker shown, in his own live
    session, and plants the proxy URL (and a `cid:` link) in mail to Carla. However her client
    fetches it, cookie-less as the frame and mail clients' image proxies do, or with her own
    gpanel session, it is refused and the image server sees no request; the same cookie-less
    load from Ben's own browser (the frame of the page it was rendered for) still works."""
    message_id, thread_id = _message(world, "Tracker", "http://img.test/ok.png?who=carla")
    page = world.ben.get(
        world.url(thread_id), params={"images": message_id}, headers={"User-Agent": ATTACKER_UA}
    )
    (url,) = [u for u in _frame_images(page.text) if "/img?" in u]
    before = _fetches(origin)
    assert httpx.get(url, headers={"User-Agent": VICTIM_UA}).status_code == 403
    assert httpx.get(url).status_code == 403  # any other client, no session
    assert world.carla.get(url, headers={"User-Agent": ATTACKER_UA}).status_code == 403
    assert _fetches(origin) == before
    assert httpx.get(url, headers={"User-Agent": ATTACKER_UA}).content == PNG

    raw, _ = mail(
        f"Pat <{PAT}>",
        BEN,
        "Logo",
        "logo",
        '<p>Logo</p><img src="cid:logo@acme">',
        related=[("logo@acme", PNG, "image/png")],
    )
    created = world.insert(raw)
    own = world.ben.get(world.url(created["threadId"]), headers={"User-Agent": ATTACKER_UA})
    (inline,) = [u for u in _frame_images(own.text) if "inline=1" in u]
    assert httpx.get(inline, headers={"User-Agent": VICTIM_UA}).status_code == 404
    assert httpx.get(inline, headers={"User-Agent": ATTACKER_UA}).content == PNG
