"""Reads for the calendars: the days a view spans, the appointments in them, working hours,
time off and the free slots they leave. Each view issues a fixed number of queries however
many clinicians, days and appointments it shows (tests/scheduling/test_queries.py)."""

from __future__ import annotations

import calendar as pycalendar
import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from clients import selectors as client_selectors
from clients.models import Client
from hrp.accounts.models import User
from hrp.clinic import clinic_setting
from scheduling import extensions
from scheduling.models import CalendarFeed, TimeOff, WorkingHours
from sessions.models import Appointment, Room

SPANS = ("day", "week", "month")
# On the calendar: still planned or held. Cancelled, missed and moved ones free the time.
ACTIVE = (Appointment.Status.SCHEDULED, Appointment.Status.ATTENDED)
# Client search on the booking page: at most this many matches.
SEARCH_LIMIT = 20


def span_dates(span: str, day: datetime.date) -> list[datetime.date]:
    """The dates a view shows around `day`: the day, its week (Monday first) or its month."""
    if span == "day":
        return [day]
    if span == "week":
        monday = day - datetime.timedelta(days=day.weekday())
        return [monday + datetime.timedelta(days=i) for i in range(7)]
    length = pycalendar.monthrange(day.year, day.month)[1]
    return [day.replace(day=i) for i in range(1, length + 1)]


def step(span: str, day: datetime.date, direction: int) -> datetime.date:
    """The day the previous (-1) or next (+1) view opens on: the day, the week's Monday or
    the month's first."""
    if span == "day":
        return day + datetime.timedelta(days=direction)
    if span == "week":
        # The Monday of the week before or after, so addresses name a week by its first day.
        return day - datetime.timedelta(days=day.weekday()) + datetime.timedelta(weeks=direction)
    month = day.month - 1 + direction
    return datetime.date(day.year + month // 12, month % 12 + 1, 1)


def local_start(day: datetime.date) -> datetime.datetime:
    """Midnight at the start of `day` in the clinic's time zone."""
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=timezone.get_current_timezone())


def _wall(day: datetime.date, at: datetime.time, tz: Any) -> datetime.datetime:
    """`day` at wall-clock `at` in `tz`, as a moment. A time the clocks skip (02:30 on the
    spring-forward night) is read with the offset before the change, i.e. 03:30 after it; a
    time that happens twice (01:30 on the fall-back night) is its first occurrence."""
    return datetime.datetime.combine(day, at, tzinfo=tz).astimezone(datetime.UTC)


@dataclass(frozen=True)
class Slot:
    starts_at: datetime.datetime
    ends_at: datetime.datetime


def free_slots(
    *,
    dates: Iterable[datetime.date],
    hours: Iterable[WorkingHours],
    time_off: Iterable[TimeOff],
    busy: Iterable[Appointment],
    now: datetime.datetime,
    minutes: int,
    other: Iterable[extensions.Busy] = (),
) -> dict[datetime.date, list[Slot]]:
    """The free slots per date of one clinician: each working-hours block of the date's
    weekday, in the clinic's wall-clock time, cut into slots of `minutes` of real time (a
    block spanning a daylight-saving change is one hour shorter or longer that night), minus
    days off, slots overlapping an appointment still on the calendar, and slots already
    begun. Pure: the caller loads the rows once for every clinician and day."""
    tz = timezone.get_current_timezone()
    length = datetime.timedelta(minutes=minutes)
    by_weekday: dict[int, list[WorkingHours]] = defaultdict(list)
    for block in hours:
        by_weekday[block.weekday].append(block)
    off = list(time_off)
    taken = sorted(
        [(a.starts_at, a.ends_at) for a in busy if a.status in ACTIVE]
        + [(b.starts_at, b.ends_at) for b in other]
    )
    slots: dict[datetime.date, list[Slot]] = {}
    for day in dates:
        found: list[Slot] = []
        if not any(t.first_day <= day <= t.last_day for t in off):
            for block in sorted(by_weekday.get(day.weekday(), []), key=lambda b: b.starts):
                start, end = _wall(day, block.starts, tz), _wall(day, block.ends, tz)
                while start + length <= end:
                    stop = start + length
                    if start >= now and not any(s < stop and e > start for s, e in taken):
                        found.append(Slot(start, stop))
                    start = stop
        slots[day] = found
    return slots


@dataclass
class Day:
    date: datetime.date
    appointments: list[Appointment] = field(default_factory=list)
    slots: list[Slot] = field(default_factory=list)
    # Time held by other apps (a group meeting), neutral labels only.
    busy: list[extensions.Busy] = field(default_factory=list)


@dataclass
class ClinicianDays:
    clinician: User
    days: list[Day]


def calendars(
    *, clinicians: list[User], dates: list[datetime.date], with_clients: bool
) -> list[ClinicianDays]:
    """Each clinician's appointments, other busy time and free slots on `dates`, in a fixed
    number of queries whatever the number of clinicians or days: appointments (with the client
    only when `with_clients`, for a clinician's own calendar or their supervisor's; the clinic
    view never loads a client), working hours, time off, and one per busy source
    (scheduling.extensions: group meetings)."""
    tz = timezone.get_current_timezone()
    ids = [c.pk for c in clinicians]
    begin = local_start(dates[0])
    end = local_start(dates[-1] + datetime.timedelta(days=1))
    appointments = Appointment.objects.filter(
        therapist_id__in=ids, starts_at__lt=end, ends_at__gt=begin
    ).select_related("room")
    if with_clients:
        appointments = appointments.select_related("client")
    else:
        # Nothing of the client, not even its id, reaches a clinic-view template; only what
        # holds a clinician's time or a room.
        appointments = appointments.filter(status__in=ACTIVE).only(
            "therapist_id", "starts_at", "ends_at", "status", "modality", "room__name"
        )
    per_clinician: dict[int, list[Appointment]] = defaultdict(list)
    for appointment in appointments.order_by("starts_at", "id"):
        per_clinician[appointment.therapist_id].append(appointment)
    hours: dict[int, list[WorkingHours]] = defaultdict(list)
    for block in WorkingHours.objects.filter(clinician_id__in=ids):
        hours[block.clinician_id].append(block)
    off: dict[int, list[TimeOff]] = defaultdict(list)
    for row in TimeOff.objects.filter(
        clinician_id__in=ids, first_day__lte=dates[-1], last_day__gte=dates[0]
    ):
        off[row.clinician_id].append(row)
    others: dict[int, list[extensions.Busy]] = defaultdict(list)
    for busy in extensions.busy_between(ids, begin, end):
        others[busy.clinician_id].append(busy)
    now = timezone.now()
    minutes = clinic_setting("SLOT_MINUTES")
    result = []
    for clinician in clinicians:
        mine = per_clinician[clinician.pk]
        slots = free_slots(
            dates=dates,
            hours=hours[clinician.pk],
            time_off=off[clinician.pk],
            busy=mine,
            now=now,
            minutes=minutes,
            other=others[clinician.pk],
        )
        days = {d: Day(d, slots=slots[d]) for d in dates}
        for busy in others[clinician.pk]:
            local = timezone.localtime(busy.starts_at, tz).date()
            if local in days:
                days[local].busy.append(busy)
        for appointment in mine:
            local = timezone.localtime(appointment.starts_at, tz).date()
            if local in days:
                days[local].appointments.append(appointment)
        result.append(ClinicianDays(clinician, list(days.values())))
    return result


def is_free_slot(*, clinician: User, starts_at: datetime.datetime) -> Slot | None:
    """The free slot of `clinician` starting at `starts_at`, or None (taken meanwhile, off,
    outside working hours or past): what a click on a slot books."""
    day = timezone.localtime(starts_at).date()
    found = calendars(clinicians=[clinician], dates=[day], with_clients=False)[0].days[0].slots
    return next((slot for slot in found if slot.starts_at == starts_at), None)


def caseload_matches(*, clinician: User, query: str) -> QuerySet[Client]:
    """The clinician's own current clients matching a name or chart number (the same match
    the caseload search uses); nothing for an empty query."""
    if not query.strip():
        return Client.objects.none()
    return (
        Client.objects.filter(
            therapist=clinician, status__in=[Client.Status.ACTIVE, Client.Status.INTAKE]
        )
        .filter(client_selectors.search_q(query))
        .order_by("preferred_name", "legal_name", "pk")[:SEARCH_LIMIT]
    )


def own_client(*, clinician: User, pk: int | None) -> Client | None:
    """One of the clinician's own current clients, by id, or None."""
    if pk is None:
        return None
    return Client.objects.filter(
        pk=pk, therapist=clinician, status__in=[Client.Status.ACTIVE, Client.Status.INTAKE]
    ).first()


def rooms_in_use() -> QuerySet[Room]:
    return Room.objects.filter(active=True)


def working_hours_of(clinician: User) -> QuerySet[WorkingHours]:
    return WorkingHours.objects.filter(clinician=clinician)


def time_off_of(clinician: User) -> QuerySet[TimeOff]:
    return TimeOff.objects.filter(clinician=clinician)


def feed_for_token(token: str) -> CalendarFeed | None:
    """The active feed whose token hashes to the stored hash, with its clinician, or None."""
    from_hash = CalendarFeed.token_digest(token)
    return (
        CalendarFeed.objects.filter(token_hash=from_hash, clinician__is_active=True)
        .select_related("clinician")
        .first()
    )


def feed_appointments(clinician: User) -> QuerySet[Appointment]:
    """What a feed carries: the clinician's appointments still on the calendar from 30 days
    back to a year ahead, times only."""
    now = timezone.now()
    return (
        Appointment.objects.filter(
            therapist=clinician,
            status__in=ACTIVE,
            starts_at__gte=now - datetime.timedelta(days=30),
            starts_at__lt=now + datetime.timedelta(days=366),
        )
        .only("pk", "starts_at", "ends_at", "status", "created_at", "room__name")
        .select_related("room")
        .order_by("starts_at", "id")
    )


def feed_busy(clinician: User) -> list[extensions.Busy]:
    """A feed's other busy time (group meetings) over the same window as its appointments."""
    now = timezone.now()
    return extensions.busy_between(
        [clinician.pk], now - datetime.timedelta(days=30), now + datetime.timedelta(days=366)
    )


def has_feed(clinician: User) -> bool:
    return CalendarFeed.objects.filter(clinician=clinician).exists()
