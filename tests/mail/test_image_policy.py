"""The image proxy's rules: which URLs, which addresses, which bytes."""

from __future__ import annotations

import pytest

from gpanel.mail.image_policy import (
    check_url,
    is_allowed_content_type,
    is_public_address,
    sniff_image_type,
)


@pytest.mark.parametrize(
    "ip",
    [
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "127.0.0.1",
        "127.8.8.8",
        "0.0.0.0",
        "169.254.169.254",
        "100.64.0.1",
        "100.127.255.254",
        "224.0.0.251",
        "240.0.0.1",
        "255.255.255.255",
        "192.0.2.1",
        "198.18.0.1",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "fd12:3456::1",
        "fec0::1",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "::ffff:169.254.169.254",
        "64:ff9b::a00:1",
        "2002:7f00:1::1",
        "2002:a00:1::1",
        "2001:db8::1",
        "fe80::1%eth0",
        "not-an-ip",
        "",
    ],
)
def test_non_public_addresses_are_refused(ip: str) -> None:
    """Private, loopback, link-local, CGNAT, multicast, reserved, ULA, site-local and IPv6
    forms that embed such an IPv4 address are never fetched."""
    assert not is_public_address(ip)


@pytest.mark.parametrize("ip", ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
def test_public_addresses_are_allowed(ip: str) -> None:
    assert is_public_address(ip)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://example.com/a.png", "scheme"),
        ("file:///etc/passwd", "scheme"),
        ("https://user:pw@example.com/a.png", "credentials"),
        ("https://example.com@169.254.169.254/", "credentials"),
        ("http://example.com:8080/a.png", "port"),
        ("http://127.0.0.1/a.png", "address"),
        ("http://[::ffff:127.0.0.1]/a.png", "address"),
        ("http://2130706433/", "address"),
        ("http://0x7f.1/", "address"),
        ("http://localhost/a.png", "local"),
        ("http://printer.local/a.png", "local"),
        ("http://exa mple.com/", "control"),
        ("http://example.com\\@evil/", "control"),
        ("http:///nohost", "host"),
    ],
)
def test_urls_refused_before_any_lookup(url: str, reason: str) -> None:
    """Scheme, credentials, ports, literal addresses and local names are refused up front."""
    verdict = check_url(url)
    assert not verdict.ok and reason in verdict.reason


def test_an_ordinary_image_url_passes_with_its_host_and_port() -> None:
    """A public https URL passes; the handler must still resolve and check every address,
    then connect to that checked address (a second lookup is how DNS rebinding gets in)."""
    verdict = check_url("https://images.example.com/a.png?x=1")
    assert verdict.ok and verdict.host == "images.example.com" and verdict.port == 443


def test_only_raster_magic_numbers_pass() -> None:
    """Bytes decide the type: PNG, JPEG, GIF, WebP, BMP, ICO pass; SVG and HTML do not."""
    assert sniff_image_type(b"\x89PNG\r\n\x1a\n....") == "image/png"
    assert sniff_image_type(b"\xff\xd8\xff\xe0") == "image/jpeg"
    assert sniff_image_type(b"GIF89a") == "image/gif"
    assert sniff_image_type(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "image/webp"
    assert sniff_image_type(b"BM" + b"\x00" * 12) == "image/bmp"
    assert sniff_image_type(b"\x00\x00\x01\x00\x01\x00") == "image/x-icon"
    for bad in (b"<svg xmlns=", b"<?xml version", b"<html>", b"", b"%PDF-1.4"):
        assert sniff_image_type(bad) is None
    assert is_allowed_content_type("image/PNG; charset=x")
    assert not is_allowed_content_type("image/svg+xml")
