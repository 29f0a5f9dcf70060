"""Privacy canary for the record panel: mail whose subject, body (and so snippet), recipients
(addresses and display names) and attachment name carry unique markers goes through every
panel feature (list as JSON, fragment, page and embed; paging; "why" by address and by thread;
unlink and undo; private and back; block), then every table of the database, every file under
the data directory (the SQLite file included, byte for byte) and every log record captured at
DEBUG are searched: no marker may appear anywhere.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from gpanel.services.sharing.policy import Audience, Detail
from tests.support.canary import assert_nowhere, capture_logs, database_rows
from tests.support.stack import run_stack
from tests.web.panel_kit import EMAIL, MARIA, build, message


def test_no_mail_content_is_stored_or_logged(
    db_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    capture_logs(caplog)
    marker = "cnry" + secrets.token_hex(6)
    markers = {
        "subject": f"Subject {marker}sub",
        "body": f"Body text {marker}body",
        "rcpt": f"{marker}rcpt@elsewhere.example",
        "name": f"Name {marker}name",
        "file": f"{marker}file.pdf",
    }
    data_dir = tmp_path / "data"
    with run_stack(db_url, data_dir=str(data_dir)) as stack:
        world = build(stack, connect=["ben", "carla"])
        world.share("ben", Audience.RECORD_ACCESS, Detail.SUBJECT)
        cc = [f'"{markers["name"]}" <{markers["rcpt"]}>']
        raw, first = message(
            MARIA,
            [EMAIL["carla"]],
            markers["subject"],
            markers["body"],
            cc=cc,
            attachment=(markers["file"], b"%PDF-1.4 canary"),
        )
        carla_copy = world.deliver("carla", raw)
        ben_copy = world.deliver(
            "ben", message(MARIA, [EMAIL["ben"]], markers["subject"], markers["body"], cc=cc)[0]
        )
        for n in range(3):
            world.deliver("carla", message(MARIA, [EMAIL["carla"]], f"{marker} more {n}")[0])
        carla, ben = world.client("carla"), world.client("ben")
        contact = world.records["maria"]
        listed = world.threads(carla, "contact", "maria")
        assert markers["subject"] in [t["subject"] for t in listed["threads"]]  # it is live
        for url in (
            f"/records/contact/{contact}/panel?fragment=1",
            f"/records/contact/{contact}/panel",
            f"/embed/contact/{contact}",
            f"/api/records/company/{world.records['acme']}/threads",
            f"/api/records/deal/{world.records['acme-fleet']}/threads?company=1",
        ):
            assert carla.get(url).status_code == 200
        for q in (MARIA, markers["rcpt"], carla_copy["threadId"], "nonsense!"):
            assert (
                carla.post(f"/api/records/contact/{contact}/why", json={"q": q}).status_code == 200
            )
            assert (
                carla.post(
                    f"/records/contact/{contact}/panel/why?fragment=1", data={"q": q}
                ).status_code
                == 200
            )
        mine = {"mailbox_id": world.mailbox["carla"], "thread_id": carla_copy["threadId"]}
        for action, body in (
            ("unlink", mine),
            ("relink", mine),
            ("private", mine),
            ("private", {**mine, "private": False}),
        ):
            resp = carla.post(f"/api/records/contact/{contact}/panel/{action}", json=body)
            assert resp.status_code == 200, resp.text
        assert carla.post("/api/blocks", json={"pattern": "@blocked.example"}).status_code == 201
        world.threads(ben, "contact", "maria")
        assert ben_copy["threadId"]
        first_rfc = first.strip("<>")

        blob = database_rows(stack.db_url)
    logged = assert_nowhere(
        {**markers, "marker": marker, "message-id": first_rfc}, blob, caplog, (data_dir, tmp_path)
    )
    assert caplog.records, "the log capture saw nothing: the scan would prove nothing"
    assert "gpanel.panel" in logged or "gpanel.unlinks" in logged
