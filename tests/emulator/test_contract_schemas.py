"""The contract test, answers side: the emulator answers exactly the shapes of Google's
discovery document (`gmail.v1.json` as bundled in google-api-python-client).

The document's schemas are converted to JSON Schema in which listed properties are the only
ones allowed, so an unknown or mistyped field fails; the responses of the main methods,
exercised over real HTTP, must validate. The requests side (routes, parameters) is
test_contract_routes.py.
"""

from __future__ import annotations

import base64
import functools
from email.message import EmailMessage
from typing import Any

import httpx
import jsonschema
import pytest

from gpanel.emulator import discovery
from tests.emulator.conftest import ANN, BOB, client_for, make_mail
from tests.support.emulator import RunningEmulator


def to_json_schema(node: dict[str, Any]) -> dict[str, Any]:
    """One discovery schema node as JSON Schema; listed properties are the only ones allowed."""
    if "$ref" in node:
        return {"$ref": f"#/$defs/{node['$ref']}"}
    kind = node.get("type")
    out: dict[str, Any]
    if kind == "object":
        out = {"type": "object"}
        if "properties" in node:
            out["properties"] = {k: to_json_schema(v) for k, v in node["properties"].items()}
            out["additionalProperties"] = False
        if "additionalProperties" in node:
            out["additionalProperties"] = to_json_schema(node["additionalProperties"])
    elif kind == "array":
        out = {"type": "array", "items": to_json_schema(node.get("items", {}))}
    elif kind == "string":
        out = {"type": "string"}
        if node.get("format") in ("int64", "uint64"):
            out["pattern"] = r"^-?[0-9]+$"  # 64-bit integers travel as decimal strings
        elif node.get("format") == "byte":
            out["pattern"] = r"^[A-Za-z0-9_\-+/]*={0,2}$"
        if "enum" in node:
            out["enum"] = node["enum"]
    elif kind == "integer":
        out = {"type": "integer"}
    elif kind == "number":
        out = {"type": "number"}
    elif kind == "boolean":
        out = {"type": "boolean"}
    else:
        out = {}  # "any"
    return out


@functools.cache
def validator(schema_name: str) -> jsonschema.protocols.Validator:
    defs = {name: to_json_schema(node) for name, node in discovery.schemas().items()}
    schema = {"$defs": defs, "$ref": f"#/$defs/{schema_name}"}
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    cls.check_schema(schema)
    return cls(schema)


def test_the_converted_schemas_reject_unknown_and_mistyped_fields() -> None:
    """The converter is strict: an extra field, a numeric historyId or a bad enum all fail."""
    label = validator("Label")
    label.validate({"id": "Label_1", "name": "x", "type": "user"})
    for bad in (
        {"id": "Label_1", "colour": "red"},
        {"id": "Label_1", "type": "robot"},
        {"id": "Label_1", "messagesTotal": "3"},
    ):
        with pytest.raises(jsonschema.ValidationError):
            label.validate(bad)
    with pytest.raises(jsonschema.ValidationError):
        validator("Profile").validate({"emailAddress": ANN, "historyId": 12})


def _mail_with_attachment() -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Bob <{BOB}>"
    msg["To"] = ANN
    msg["Subject"] = "Signed contract"
    msg.set_content("See attached.")
    msg.add_attachment(b"%PDF-1.4 fake", maintype="application", subtype="pdf", filename="c.pdf")
    return msg.as_bytes()


def _check(response: httpx.Response) -> Any:
    """Validate one response against its method's schema; return the JSON body."""
    request = response.request
    assert response.is_success, (request.method, request.url.path, response.text[:300])
    found = discovery.match_method(request.method, request.url.path)
    assert found is not None, request.url.path
    method = found[0]
    if method.response_schema is None:
        assert response.content in (b"", b"{}"), method.id
        return None
    body = response.json()
    validator(method.response_schema).validate(body)
    CHECKED.add(method.id)
    return body


CHECKED: set[str] = set()


def test_responses_validate_against_the_discovery_schemas(users: RunningEmulator) -> None:
    """The main methods, exercised over HTTP, answer exactly the document's shapes."""
    CHECKED.clear()
    users.insert(ANN, make_mail(subject="Hello", message_id="<h1@globex.example>"))
    users.insert(ANN, _mail_with_attachment())
    raw = make_mail(
        subject="Re: Hello",
        sender=ANN,
        to=BOB,
        extra="In-Reply-To: <h1@globex.example>\r\nReferences: <h1@globex.example>",
    )
    with client_for(users, users.token(ANN)) as gmail:
        _check(gmail.get("/profile"))
        labels = _check(gmail.get("/labels"))
        assert any(label["id"] == "INBOX" for label in labels["labels"])
        _check(gmail.get("/labels/INBOX"))
        created = _check(gmail.post("/labels", json={"name": "gpanel/Customers"}))
        _check(gmail.patch(f"/labels/{created['id']}", json={"name": "gpanel/Clients"}))
        _check(gmail.put(f"/labels/{created['id']}", json={"name": "gpanel/Customers"}))

        listed = _check(gmail.get("/messages", params={"q": "in:anywhere"}))
        ids = [m["id"] for m in listed["messages"]]
        for fmt in ("minimal", "metadata", "full", "raw"):
            params: dict[str, Any] = {"format": fmt}
            if fmt == "metadata":
                params["metadataHeaders"] = ["Subject", "From"]
            for mid in ids:
                message = _check(gmail.get(f"/messages/{mid}", params=params))
        full = [_check(gmail.get(f"/messages/{mid}")) for mid in ids]
        with_attachment = next(m for m in full if m["payload"].get("parts"))
        part = next(p for p in with_attachment["payload"]["parts"] if p.get("filename"))
        _check(
            gmail.get(
                f"/messages/{with_attachment['id']}/attachments/{part['body']['attachmentId']}"
            )
        )
        sent = _check(
            gmail.post(
                "/messages/send",
                json={
                    "raw": base64.urlsafe_b64encode(raw).decode(),
                    "threadId": full[-1]["threadId"],
                },
            )
        )
        inserted = _check(
            gmail.post(
                "/messages",
                json={"raw": base64.urlsafe_b64encode(make_mail()).decode(), "labelIds": ["INBOX"]},
            )
        )
        message = _check(
            gmail.post(f"/messages/{sent['id']}/modify", json={"addLabelIds": [created["id"]]})
        )
        assert created["id"] in message["labelIds"]
        _check(
            gmail.post(
                "/messages/batchModify",
                json={"ids": ids, "addLabelIds": ["STARRED"], "removeLabelIds": ["UNREAD"]},
            )
        )
        _check(gmail.post(f"/messages/{inserted['id']}/trash"))
        _check(gmail.post(f"/messages/{inserted['id']}/untrash"))

        threads = _check(gmail.get("/threads", params={"maxResults": 10}))
        for thread in threads["threads"]:
            for fmt in ("minimal", "metadata", "full"):
                _check(gmail.get(f"/threads/{thread['id']}", params={"format": fmt}))
        tid = threads["threads"][0]["id"]
        _check(gmail.post(f"/threads/{tid}/modify", json={"addLabelIds": ["IMPORTANT"]}))
        _check(gmail.post(f"/threads/{tid}/trash"))
        _check(gmail.post(f"/threads/{tid}/untrash"))

        start = int(_check(gmail.get("/profile"))["historyId"]) - 5
        history = _check(gmail.get("/history", params={"startHistoryId": start}))
        assert history["history"]
        _check(gmail.post("/watch", json={"topicName": "projects/p/topics/t"}))
        _check(gmail.post("/stop"))
        _check(gmail.delete(f"/labels/{created['id']}"))
    # Upload sends answer the Message shape too.
    upload = httpx.post(
        f"{users.url}/upload/gmail/v1/users/me/messages/send?uploadType=media",
        content=make_mail(sender=ANN, to=BOB),
        headers={"Authorization": f"Bearer {users.token(ANN)}", "Content-Type": "message/rfc822"},
    )
    _check(upload)
    expected = {
        "gmail.users.getProfile",
        "gmail.users.labels.list",
        "gmail.users.labels.get",
        "gmail.users.labels.create",
        "gmail.users.labels.patch",
        "gmail.users.labels.update",
        "gmail.users.messages.list",
        "gmail.users.messages.get",
        "gmail.users.messages.attachments.get",
        "gmail.users.messages.send",
        "gmail.users.messages.insert",
        "gmail.users.messages.modify",
        "gmail.users.messages.trash",
        "gmail.users.messages.untrash",
        "gmail.users.threads.list",
        "gmail.users.threads.get",
        "gmail.users.threads.modify",
        "gmail.users.threads.trash",
        "gmail.users.threads.untrash",
        "gmail.users.history.list",
        "gmail.users.watch",
    }
    assert expected <= CHECKED
