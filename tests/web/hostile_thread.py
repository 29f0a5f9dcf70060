"""A hostile thread in Ben's mailbox: `count` messages from Pat, each a ~1.2 MB HTML body of
heavy inline CSS (`tests.mail.hostile_bodies`), threaded as replies to the first. Used by the
stall test and `bench/stall_bench.py`."""

from __future__ import annotations

from tests.mail.hostile_bodies import TARGET_CHARS, hostile_body
from tests.web.thread_support import BEN, PAT, World, mail


def insert_hostile_thread(world: World, count: int = 12, chars: int = TARGET_CHARS) -> str:
    """The thread id of `count` hostile messages, all in one thread."""
    first_id = ""
    thread_ids: set[str] = set()
    for i in range(count):
        raw, message_id = mail(
            f"Pat <{PAT}>",
            BEN,
            "Quarterly newsletter" if i == 0 else "Re: Quarterly newsletter",
            "the newsletter",
            hostile_body(i, chars),
            reply_to_id=first_id,
        )
        first_id = first_id or message_id
        thread_ids.add(str(world.insert(raw)["threadId"]))
    (thread_id,) = thread_ids
    return thread_id
