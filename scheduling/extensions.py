"""Time on a clinician's calendar that is not an appointment: other apps register a source.

Group meetings (groups/) sit above this app in the layers, so the calendar cannot read them
itself; `groups` registers a `BusySource` from its `ready()`. The calendars (day, week, month,
clinic view), the free-slot computation and the iCalendar feed all read `busy_between`, so a
facilitator's group meeting is shown, blocks a free slot and reaches their phone, with one query
per source whatever the number of clinicians or days. What a source returns is neutral by
construction: a label (the group's calendar label), never a client or member.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Busy:
    clinician_id: int
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    # Shown on every calendar and feed: neutral, never a client's or member's name.
    label: str
    # The page a clinician opens from their own calendar ("" when there is none).
    url: str = ""
    # A stable id for the iCalendar UID.
    key: str = ""


BusySource = Callable[[list[int], datetime.datetime, datetime.datetime], Iterable[Busy]]

_SOURCES: list[BusySource] = []


def register_busy_source(source: BusySource) -> None:
    if source not in _SOURCES:
        _SOURCES.append(source)


def busy_between(
    clinician_ids: list[int], begin: datetime.datetime, end: datetime.datetime
) -> list[Busy]:
    """Every registered source's time of these clinicians overlapping [begin, end), by start."""
    found: list[Busy] = []
    for source in _SOURCES:
        found.extend(source(clinician_ids, begin, end))
    return sorted(found, key=lambda busy: (busy.starts_at, busy.clinician_id, busy.key))
