"""Requests laid out from Gmail's discovery document, and refused when Google would refuse."""

from __future__ import annotations

import pytest

from gpanel.gmail import discovery
from gpanel.gmail.costs import cost_table
from gpanel.gmail.errors import InvalidRequest


def test_document_is_loaded_once_from_the_installed_package():
    """The document comes from googleapiclient and is cached."""
    assert discovery.document() is discovery.document()
    assert discovery.document()["name"] == "gmail"


def test_build_lays_out_path_and_repeated_query():
    """Path parameters are percent-encoded; repeated ones appear once per value."""
    built = discovery.build(
        "gmail.users.messages.get",
        {"userId": "me", "id": "a/b c", "format": "metadata", "metadataHeaders": ["From", "To"]},
    )
    assert built.http_method == "GET"
    assert built.path == "/gmail/v1/users/me/messages/a%2Fb%20c"
    assert built.query == (
        ("format", "metadata"),
        ("metadataHeaders", "From"),
        ("metadataHeaders", "To"),
    )


def test_booleans_and_integers_are_written_as_google_expects():
    built = discovery.build(
        "gmail.users.threads.list", {"userId": "me", "includeSpamTrash": False, "maxResults": 5}
    )
    assert built.query == (("includeSpamTrash", "false"), ("maxResults", "5"))


@pytest.mark.parametrize(
    "params",
    [
        {"userId": "me", "id": "x", "format": "raw"},  # threads.get has no raw format
        {"userId": "me", "id": "x", "bogus": "1"},  # unknown parameter
        {"userId": "me"},  # id is required
        {"userId": "me", "id": "x", "metadataHeaders": "From"},  # repeated needs a list
        {"userId": "me", "id": ""},  # empty path segment
    ],
)
def test_invalid_parameters_are_refused(params):
    with pytest.raises(InvalidRequest):
        discovery.build("gmail.users.threads.get", params)


def test_unknown_method_is_refused():
    with pytest.raises(InvalidRequest):
        discovery.method("gmail.users.nothing")


def test_send_upload_path_and_cap_come_from_discovery():
    """The media upload endpoint and its 35 MB cap are read, not typed."""
    send = discovery.method("gmail.users.messages.send")
    assert send.max_upload == 36_700_160
    built = discovery.build("gmail.users.messages.send", {"userId": "me"}, upload=True)
    assert built.path == "/upload/gmail/v1/users/me/messages/send"


def test_every_costed_method_exists_in_discovery():
    """The cost table names real methods, in both regimes."""
    for regime in ("legacy", "2026"):
        table = cost_table(regime)
        for method_id in table.costs:
            discovery.method(method_id)
    assert cost_table("2026").cost("gmail.users.threads.get") == 40
    assert cost_table("legacy").cost("gmail.users.messages.get") == 5
    assert cost_table("2026").per_user_per_minute == 6000
    with pytest.raises(ValueError):
        cost_table("2027")
