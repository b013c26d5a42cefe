"""Writes for scheduling: working hours and time off, rooms, calendar feeds, video links and
booking a free slot. Booking itself is sessions' (`sessions.services.appointment_book`, with
its overlap warning and room check): this app never writes an appointment another way."""

from __future__ import annotations

import datetime
import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from clients.models import Client
from hrp import access
from hrp.accounts.models import User
from hrp.clinic import clinic_setting
from scheduling import selectors
from scheduling.models import CalendarFeed, TimeOff, WorkingHours
from sessions import services as session_services
from sessions.models import Appointment, Room, validate_video_link


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
    return WorkingHours.objects.create(
        clinician=clinician, weekday=weekday, starts=starts, ends=ends
    )


@transaction.atomic
def working_hours_remove(*, clinician: User, pk: int) -> int:
    """Remove one of the clinician's own blocks; returns how many went (0 if already gone)."""
    return WorkingHours.objects.filter(clinician=clinician, pk=pk).delete()[0]


@transaction.atomic
def time_off_add(
    *, clinician: User, first_day: datetime.date, last_day: datetime.date, kind: str
) -> TimeOff:
    """Mark days off (no free slots on them); booked appointments are not touched."""
    if last_day < first_day:
        raise ValidationError({"last_day": _("The last day cannot be before the first.")})
    row, _created = TimeOff.objects.get_or_create(
        clinician=clinician, first_day=first_day, last_day=last_day, kind=kind
    )
    return row


@transaction.atomic
def time_off_remove(*, clinician: User, pk: int) -> int:
    return TimeOff.objects.filter(clinician=clinician, pk=pk).delete()[0]


@transaction.atomic
def room_create(*, actor: User, name: str) -> Room:
    """A new room (clinic admins). Names are unique, compared without case or spaces."""
    access.require(actor, "scheduling.manage_rooms")
    name = " ".join(name.split())
    if not name:
        raise ValidationError({"name": _("Enter the room's name.")})
    if Room.objects.filter(name__iexact=name).exists():
        raise ValidationError({"name": _("There is already a room with this name.")})
    return Room.objects.create(name=name)


@transaction.atomic
def room_set_active(*, actor: User, room: Room, active: bool) -> Room:
    """Take a room out of use (it stays on past appointments) or back into use."""
    access.require(actor, "scheduling.manage_rooms")
    Room.objects.filter(pk=room.pk).update(active=active)
    room.active = active
    return room


@transaction.atomic
def feed_create(*, clinician: User) -> str:
    """A new private feed address for the clinician, replacing any earlier one (which stops
    working at once). Returns the token, which is never stored: only its hash is."""
    access.require(clinician, "scheduling.own_calendar")
    token = secrets.token_urlsafe(32)
    CalendarFeed.objects.update_or_create(
        clinician=clinician, defaults={"token_hash": CalendarFeed.token_digest(token)}
    )
    return token


@transaction.atomic
def feed_revoke(*, clinician: User) -> int:
    return CalendarFeed.objects.filter(clinician=clinician).delete()[0]


def video_link_generate() -> str:
    """A video link from the clinic's provider pattern, with a fresh random code; "" when the
    clinic has none (or it is not an https address with {code})."""
    pattern = clinic_setting("VIDEO_LINK_PATTERN") or ""
    if "{code}" not in pattern:
        return ""
    link = pattern.replace("{code}", secrets.token_urlsafe(12))
    try:
        validate_video_link(link)
    except ValidationError:
        return ""
    return link


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
