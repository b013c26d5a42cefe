"""Writes for scheduling: working hours and time off, rooms, calendar feeds, video links and
booking a free slot. Booking itself is sessions' (`sessions.services.appointment_book`, with
its overlap warning and room check): this app never writes an appointment another way."""

from __future__ import annotations

import datetime
import secrets

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _

from clients.models import Client
from hrp import access
from hrp.accounts.models import User
from hrp.audit.actions import AuditAction
from hrp.audit.models import AuditEvent
from hrp.audit.services import audit_record
from scheduling import selectors
from scheduling.models import CalendarFeed, TimeOff, WorkingHours
from sessions import services as session_services
from sessions.models import Appointment, Room


@transaction.atomic
def working_hours_add(
    *, clinician: User, weekday: int, starts: datetime.time, ends: datetime.time
) -> WorkingHours:
    """Add a block to the clinician's usual week; refused when it overlaps one they have."""
    if ends <= starts:
        raise ValidationError({"ends": _("The end must be after the start.")})
    # Lock the clinician's blocks so two tabs cannot add overlapping ones.
    existing = list(
        WorkingHours.objects.select_for_update().filter(clinician=clinician, weekday=weekday)
    )
    if any(b.starts < ends and b.ends > starts for b in existing):
        raise ValidationError(_("These hours overlap hours you already have on that day."))
    block = WorkingHours.objects.create(
        clinician=clinician, weekday=weekday, starts=starts, ends=ends
    )
    _audit(
        AuditAction.WORKING_HOURS_ADD,
        clinician,
        block,
        {"weekday": (None, weekday), "starts": (None, starts), "ends": (None, ends)},
    )
    return block


def _audit(
    action: AuditAction,
    actor: User,
    obj: models.Model,
    changes: dict[str, tuple[object, object]],
    category: str = AuditEvent.Category.CHANGE,
) -> None:
    """Hours, time off, rooms and feeds decide who can be booked when and where, and a feed
    carries a secret address: each change is on the audit trail (no client, no chart)."""
    audit_record(category=category, action=action, actor=actor, obj=obj, changes=changes)


@transaction.atomic
def working_hours_remove(*, clinician: User, pk: int) -> int:
    """Remove one of the clinician's own blocks; returns how many went (0 if already gone)."""
    block = WorkingHours.objects.filter(clinician=clinician, pk=pk).first()
    if block is None:
        return 0
    changes = {"weekday": (block.weekday, None), "starts": (block.starts, None)}
    _audit(AuditAction.WORKING_HOURS_REMOVE, clinician, block, changes)
    return WorkingHours.objects.filter(pk=block.pk).delete()[0]


@transaction.atomic
def time_off_add(
    *, clinician: User, first_day: datetime.date, last_day: datetime.date, kind: str
) -> TimeOff:
    """Mark days off (no free slots on them); booked appointments are not touched."""
    if last_day < first_day:
        raise ValidationError({"last_day": _("The last day cannot be before the first.")})
    row, created = TimeOff.objects.get_or_create(
        clinician=clinician, first_day=first_day, last_day=last_day, kind=kind
    )
    if created:
        changes = {
            "first_day": (None, first_day),
            "last_day": (None, last_day),
            "kind": (None, kind),
        }
        _audit(AuditAction.TIME_OFF_ADD, clinician, row, changes)
    return row


@transaction.atomic
def time_off_remove(*, clinician: User, pk: int) -> int:
    row = TimeOff.objects.filter(clinician=clinician, pk=pk).first()
    if row is None:
        return 0
    changes = {"first_day": (row.first_day, None), "last_day": (row.last_day, None)}
    _audit(AuditAction.TIME_OFF_REMOVE, clinician, row, changes)
    return TimeOff.objects.filter(pk=row.pk).delete()[0]


@transaction.atomic
def room_create(*, actor: User, name: str) -> Room:
    """A new room (clinic admins). Names are unique, compared without case or spaces."""
    access.require(actor, "scheduling.manage_rooms")
    name = " ".join(name.split())
    if not name:
        raise ValidationError({"name": _("Enter the room's name.")})
    if Room.objects.filter(name__iexact=name).exists():
        raise ValidationError({"name": _("There is already a room with this name.")})
    room = Room.objects.create(name=name)
    _audit(AuditAction.ROOM_CREATE, actor, room, {"name": (None, name)})
    return room


@transaction.atomic
def room_set_active(*, actor: User, room: Room, active: bool) -> Room:
    """Take a room out of use (it stays on past appointments) or back into use."""
    access.require(actor, "scheduling.manage_rooms")
    was = Room.objects.select_for_update().get(pk=room.pk).active
    if was != active:
        Room.objects.filter(pk=room.pk).update(active=active)
        _audit(AuditAction.ROOM_SET_ACTIVE, actor, room, {"active": (was, active)})
    room.active = active
    return room


@transaction.atomic
def feed_create(*, clinician: User) -> str:
    """A new private feed address for the clinician, replacing any earlier one (which stops
    working at once). Returns the token, which is never stored: only its hash is."""
    access.require(clinician, "scheduling.own_calendar")
    token = secrets.token_urlsafe(32)
    feed, _created = CalendarFeed.objects.update_or_create(
        clinician=clinician, defaults={"token_hash": CalendarFeed.token_digest(token)}
    )
    # Never the token or its hash: only that a new address exists.
    _audit(AuditAction.CALENDAR_FEED_CREATE, clinician, feed, {}, AuditEvent.Category.SECURITY)
    return token


@transaction.atomic
def feed_revoke(*, clinician: User) -> int:
    feed = CalendarFeed.objects.filter(clinician=clinician).first()
    if feed is None:
        return 0
    _audit(AuditAction.CALENDAR_FEED_REVOKE, clinician, feed, {}, AuditEvent.Category.SECURITY)
    return CalendarFeed.objects.filter(pk=feed.pk).delete()[0]


def slot_book(
    *,
    actor: User,
    client: Client,
    starts_at: datetime.datetime,
    modality: str,
    room: Room | None,
    video_link: str,
    confirm_overlap: bool,
) -> tuple[list[Appointment], list[Appointment]]:
    """Book the free slot starting at `starts_at` for one of the actor's own clients, through
    sessions' booking (same validation, same room check). Returns (booked, overlaps): when the
    slot overlaps an appointment and `confirm_overlap` is false nothing is booked and the
    overlaps come back, the warning sessions' booking page gives."""
    if client.therapist_id != actor.pk:
        raise ValidationError(_("Choose one of your own clients."))
    slot = selectors.is_free_slot(clinician=actor, starts_at=starts_at)
    if slot is None:
        raise ValidationError(
            _("This time is no longer free. Choose another slot on the calendar.")
        )
    overlaps = session_services.overlapping_any(
        therapist=actor, times=[(slot.starts_at, slot.ends_at)]
    )
    if overlaps and not confirm_overlap:
        return [], overlaps
    booked = session_services.appointment_book(
        actor=actor,
        client=client,
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        modality=modality,
        room=room,
        video_link=video_link,
    )
    return booked, overlaps
