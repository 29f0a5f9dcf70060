"""What a viewer sees of one event, under its owner's mail sharing setting (pure).

The owner's mail sharing applies to their calendar: the audience decides whether a colleague
sees the calendar at all (`policy.mailbox_detail`), the detail decides the fields. Full: title,
description, attendees, location and conference link; Subject: title, attendees, location and
link, no description; Metadata: time and attendees only. A private event (`visibility:
private` or `confidential`) is busy only for everyone but the calendar's owner: its time, no
title, no attendees. The owner always sees their own events in full.
"""

from __future__ import annotations

from dataclasses import dataclass

from gpanel.services.sharing.policy import Detail

# Ranks to pick the richest view when an event sits in several calendars.
RANK = {"busy": 0, Detail.METADATA: 1, Detail.SUBJECT: 2, Detail.FULL: 3}


@dataclass(frozen=True)
class Fields:
    level: str  # "busy" or a Detail value
    title: bool
    description: bool
    attendees: bool
    place: bool  # location and conference link


def fields_for(detail: Detail, *, is_owner: bool, private: bool) -> Fields:
    if is_owner:
        return Fields(Detail.FULL, True, True, True, True)
    if private:
        return Fields("busy", False, False, False, False)
    return Fields(
        detail,
        title=detail is not Detail.METADATA,
        description=detail is Detail.FULL,
        attendees=True,
        place=detail is not Detail.METADATA,
    )


def richer(a: Fields, b: Fields) -> Fields:
    return a if RANK[a.level] >= RANK[b.level] else b
