"""The record panel under strict and loose search: Gmail's hits are re-checked, so a sender who
only looks like the record never shows, and a company's subdomain mail does.

Gmail matches `from:` by words (docs/gmail-facts.md, "Reading and search"): the company query
`from:@acme.example` finds `x@mail.acme.example` (a subdomain: the company's) and
`y@acme.example.community` (not the company's); a loose search also finds
`y@acme.exampled.org`. A display name spelling a contact's address
(`maria.schneider@acme-logistics.example <z@evil.example>`) is found by a search for the
contact but is not from her. Pins down, in both modes: the company's view lists Maria's mail
and the subdomain's, and none of the lookalikes; Maria's view lists only her own mail.
"""

from __future__ import annotations

import pytest

from tests.support.stack import Stack
from tests.web.panel_kit import EMAIL, MARIA, build, message, subjects


@pytest.mark.parametrize("mode", ["strict", "loose"])
def test_lookalikes_never_show_and_subdomains_do(stack: Stack, mode: str) -> None:
    """Company and contact views, one mailbox, four senders."""
    stack.emulator.control.put("/_emulator/search", json={"mode": mode}).raise_for_status()
    world = build(stack, connect=["carla"])
    carla = EMAIL["carla"]
    world.deliver("carla", message(MARIA, [carla], "From Maria")[0])
    world.deliver("carla", message("Ops <x@mail.acme.example>", [carla], "From a subdomain")[0])
    world.deliver("carla", message("y@acme.example.community", [carla], "Lookalike domain")[0])
    world.deliver("carla", message("y@acme.exampled.org", [carla], "Loose lookalike")[0])
    world.deliver("carla", message(f"{MARIA} <z@evil.example>", [carla], "Spelled name")[0])
    client = world.client("carla")
    company = sorted(s or "" for s in subjects(world.threads(client, "company", "acme")))
    assert company == ["From Maria", "From a subdomain"]
    assert subjects(world.threads(client, "contact", "maria")) == ["From Maria"]
