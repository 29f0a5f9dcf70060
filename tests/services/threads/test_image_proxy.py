"""The image proxy against a real HTTP server on 127.0.0.1, with the DNS and connection seams of
`tests.web.thread_images`: the allowed path serves sniffed PNG bytes without passing cookies on;
every refusal (private, loopback, link-local, IPv4-mapped, mixed answers, redirects to private
places, too big, wrong type, SVG, HTML posing as PNG, slow, bad scheme or port, bad signature)
is a clear 4xx/5xx status before any connection to a refused address is made."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from gpanel.services.threads.frame_binding import FrameBinding, url_digest
from gpanel.services.threads.image_proxy import ImageRefused, UrlSigner
from tests.web.thread_images import PUBLIC_IP, ImageOrigin, image_origin, test_proxy
from tests.web.thread_support import PNG


@pytest.fixture(scope="module")
def origin() -> Iterator[ImageOrigin]:
    with image_origin() as running:
        yield running


async def test_allowed_image_is_served_as_sniffed_and_cookies_never_pass(
    origin: ImageOrigin,
) -> None:
    proxy, transport = test_proxy(origin)
    try:
        first = await proxy.fetch("http://img.test/ok.png?x=1")
        again = await proxy.fetch("http://img.test/ok.png?x=2")
    finally:
        await proxy.aclose()
    assert first.content_type == "image/png" and first.data == PNG and again.data == PNG
    requests = [r for r in origin.seen if r["path"].startswith("/ok.png")][-2:]
    assert all(r["host"] == "img.test" for r in requests)
    assert all("cookie" not in r and "authorization" not in r for r in requests)
    assert transport.targets == [PUBLIC_IP, PUBLIC_IP]


async def test_relative_redirect_is_followed_and_checked(origin: ImageOrigin) -> None:
    proxy, _ = test_proxy(origin)
    try:
        assert (await proxy.fetch("http://img.test/to/ok")).data == PNG
    finally:
        await proxy.aclose()


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("http://127.0.0.1/x.png", 403),
        ("http://localhost/x.png", 403),
        ("http://[::1]/x.png", 403),
        ("http://[::ffff:127.0.0.1]/x.png", 403),
        ("http://169.254.169.254/latest/meta-data", 403),
        ("http://2130706433/x.png", 403),
        ("http://intranet.test/x.png", 403),
        ("http://mapped.test/x.png", 403),
        ("http://metadata.test/x.png", 403),
        ("http://mixed.test/x.png", 403),
        ("http://img.test/to/private", 403),
        ("http://img.test/to/loop", 403),
        ("http://img.test/to/intranet", 403),
        ("http://img.test/to/mapped", 403),
        ("http://img.test/to/loopname", 403),
        ("http://img.test/big.png", 413),
        ("http://img.test/big-stream.png", 413),
        ("http://img.test/page.html", 415),
        ("http://img.test/logo.svg", 415),
        ("http://img.test/fake.png", 415),
        ("http://img.test/missing.png", 502),
        ("ftp://img.test/x.png", 400),
        ("file:///etc/passwd", 400),
        ("http://img.test:8080/x.png", 400),
        ("http://user:pw@img.test/x.png", 400),
        ("http://nowhere.test/x.png", 502),
    ],
)
async def test_refusals(origin: ImageOrigin, url: str, status: int) -> None:
    proxy, transport = test_proxy(origin)
    try:
        with pytest.raises(ImageRefused) as refused:
            await proxy.fetch(url)
    finally:
        await proxy.aclose()
    assert refused.value.status == status, refused.value.reason
    assert set(transport.targets) <= {PUBLIC_IP}  # never connected anywhere else


async def test_slow_origin_hits_the_time_cap(origin: ImageOrigin) -> None:
    proxy, _ = test_proxy(origin, timeout=0.5)
    try:
        with pytest.raises(ImageRefused) as refused:
            await proxy.fetch("http://img.test/slow.png")
    finally:
        await proxy.aclose()
    assert refused.value.status == 504


def test_signatures_only_for_the_signed_url_and_they_expire() -> None:
    """A signature names its binding (viewer, session, record, mailbox, thread, message) and
    holds only for the URL it was made for, with the same secret, before it expires."""
    signer = UrlSigner("secret-one")
    url = "http://img.test/ok.png"
    binding = FrameBinding(7, "ref", "contact", 3, 2, "t1", "m1", "")
    signature = signer.signature(url, binding)
    checked = signer.check(url, signature)
    assert checked is not None
    assert (checked.viewer_id, checked.session_ref, checked.message_id) == (7, "ref", "m1")
    assert checked.target == url_digest(url)
    assert not signer.check(url + "?", signature)
    # Change a character of the MAC: every bit of it counts (the last base64 character can
    # carry padding bits, so changing it may not change the bytes at all).
    stamp, mac = signature.rsplit(".", 1)
    tampered = f"{stamp}.{'B' if mac[0] == 'A' else 'A'}{mac[1:]}"
    assert not signer.check(url, tampered)
    assert not UrlSigner("secret-two").check(url, signature)
    assert not signer.check(url, "")
    assert not UrlSigner("secret-one", max_age=-1).check(url, signature)
