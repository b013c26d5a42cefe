"""Writes for appointments (booking, series, rescheduling, attendance) and session notes
(drafts with optimistic locking, signing, co-signature, addenda, rating alerts). Each audits
what it changed, never note text; nothing is deleted (a cancellation is a status)."""

from __future__ import annotations

import datetime
import secrets
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from clients.models import Client, Consent, SubstanceUse
from goals import services as goal_services
from goals.models import Goal
from hrp import access, bounds
from hrp.accounts.authn import password_reentry_error
from hrp.accounts.models import User
from hrp.audit.actions import AuditAction
from hrp.audit.models import AuditEvent
from hrp.audit.services import audit_record
from hrp.clinic import clinic_setting
from hrp.language import LanguageHint, language_hints
from risk import rules as risk_rules
from risk.models import RiskFlag
from risk.services import risk_flag_raise
from sessions import selectors
from sessions.models import (
    CONTACT_MAX_MINUTES,
    CONTACT_TEXT_LIMIT,
    NOTE_TEXT_LIMIT,
    Appointment,
    AppointmentSeries,
    ClientSessionRating,
    ContactAddendum,
    ContactReview,
    NoteAddendum,
    NoteLockedError,
    NoteReview,
    OutsideContact,
    RatingAlert,
    Room,
    SessionNote,
    validate_video_link,
)
from sessions.vocab import FORMAT_FIELDS, RiskLevel

MAX_SERIES = 52
# How long an identical addendum from the same author counts as the same one sent again.
ADDENDUM_RESEND_WINDOW = datetime.timedelta(minutes=1)


def overlapping(
    *,
    therapist: User,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    exclude: Any = None,
) -> QuerySet[Appointment]:
    """The therapist's other appointments still on the calendar that overlap this time."""
    qs = Appointment.objects.filter(
        therapist=therapist,
        status__in=[Appointment.Status.SCHEDULED, Appointment.Status.ATTENDED],
        starts_at__lt=ends_at,
        ends_at__gt=starts_at,
    )
    if exclude is not None:
        qs = qs.exclude(pk=exclude.pk)
    return qs


def series_times(
    *,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    frequency: str = "",
    occurrences: int = 1,
) -> list[tuple[datetime.datetime, datetime.datetime]]:
    """Start and end of every appointment a booking would make (one, or the whole series).
    Callers pass a start inside `bounds.APPOINTMENT`, so 52 fortnights later cannot overflow."""
    if not frequency:
        return [(starts_at, ends_at)]
    step = datetime.timedelta(weeks=1 if frequency == AppointmentSeries.Frequency.WEEKLY else 2)
    return [(starts_at + step * i, ends_at + step * i) for i in range(occurrences)]


def overlapping_any(
    *, therapist: User, times: list[tuple[datetime.datetime, datetime.datetime]]
) -> list[Appointment]:
    """The therapist's appointments that overlap any of `times`, in time order."""
    found: dict[int, Appointment] = {}
    for starts_at, ends_at in times:
        for appointment in overlapping(
            therapist=therapist, starts_at=starts_at, ends_at=ends_at
        ).select_related("client"):
            found[appointment.pk] = appointment
    return sorted(found.values(), key=lambda a: a.starts_at)


def room_check(
    *,
    room: Room | None,
    times: list[tuple[datetime.datetime, datetime.datetime]],
    exclude: Appointment | None = None,
) -> None:
    """Refuse a room that another appointment still on the calendar holds at any of `times`.
    Unlike a therapist's double-booking (a warning), a room cannot hold two sessions. The
    database says the same on PostgreSQL (`appointment_room_no_overlap`, migration 0011) for
    bookings that race past this check; `_create_in_room` turns that into this message."""
    if room is None:
        return
    if not room.active:
        raise ValidationError({"room": _("This room is no longer in use.")})
    busy = Q()
    for starts_at, ends_at in times:
        busy |= Q(starts_at__lt=ends_at, ends_at__gt=starts_at)
    taken = Appointment.objects.filter(
        busy,
        room=room,
        status__in=[Appointment.Status.SCHEDULED, Appointment.Status.ATTENDED],
    )
    if exclude is not None:
        taken = taken.exclude(pk=exclude.pk)
    if taken.exists():
        raise ValidationError({"room": _("This room is already booked at that time.")})


def _create_in_room(**fields: Any) -> Appointment:
    try:
        with transaction.atomic():  # a savepoint: the caller's transaction stays usable
            return Appointment.objects.create(**fields)
    except IntegrityError as error:
        if "appointment_room_no_overlap" in str(error):
            raise ValidationError(
                {"room": _("This room is already booked at that time.")}
            ) from None
        raise


def _validate_times(starts_at: datetime.datetime, ends_at: datetime.datetime) -> None:
    # The clinic's range first: past it, even the arithmetic below could overflow.
    bounds.APPOINTMENT.check_datetime(starts_at, field="starts_at")
    bounds.APPOINTMENT.check_datetime(ends_at, field="ends_at")
    if ends_at <= starts_at:
        raise ValidationError({"ends_at": _("The end must be after the start.")})
    if ends_at - starts_at > datetime.timedelta(hours=8):
        raise ValidationError({"ends_at": _("An appointment lasts at most 8 hours.")})


def _audit(action: AuditAction, *, actor: User, obj: Appointment, **kw: Any):
    audit_record(
        category=AuditEvent.Category.CHANGE,
        action=action,
        actor=actor,
        obj=obj,
        chart_number=obj.client.chart_number,
        **kw,
    )


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


@transaction.atomic
def appointment_book(
    *,
    actor: User,
    client: Client,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    modality: str,
    location: str = "",
    frequency: str = "",
    occurrences: int = 1,
    room: Room | None = None,
    video_link: str = "",
) -> list[Appointment]:
    """Book one appointment, or a weekly / fortnightly series of `occurrences`, with the
    client's therapist. Double-booking the therapist is allowed (a warning, not a refusal:
    clinics book groups and back-to-back handovers), see `overlapping`; double-booking a room
    is refused (`room_check`). `video_link` must be an https URL. Side effect:
    `appointment.book`."""
    access.require_write(actor, client)
    _validate_times(starts_at, ends_at)
    if video_link:
        try:
            URLValidator(schemes=["https"])(video_link)
            validate_video_link(video_link)
        except ValidationError:
            raise ValidationError(
                {"video_link": _("Enter a video link starting with https://.")}
            ) from None
    if client.therapist_id is None:
        raise ValidationError(_("Assign a therapist to the client first."))
    series = None
    if frequency:
        if not 2 <= occurrences <= MAX_SERIES:
            raise ValidationError(
                {"occurrences": _("A series has 2 to %(n)d appointments.") % {"n": MAX_SERIES}}
            )
        series = AppointmentSeries.objects.create(
            client=client,
            therapist=client.therapist,
            frequency=frequency,
            occurrences=occurrences,
            created_by=actor,
        )
    else:
        occurrences = 1
    booked = []
    times = series_times(
        starts_at=starts_at, ends_at=ends_at, frequency=frequency, occurrences=occurrences
    )
    room_check(room=room, times=times)
    for start, end in times:
        # Every occurrence, not only the first, must fall inside the clinic's range.
        _validate_times(start, end)
        appointment = _create_in_room(
            client=client,
            therapist=client.therapist,
            starts_at=start,
            ends_at=end,
            modality=modality,
            location=location,
            room=room,
            video_link=video_link,
            series=series,
            created_by=actor,
        )
        _audit(
            AuditAction.APPOINTMENT_BOOK,
            actor=actor,
            obj=appointment,
            changes={"starts_at": (None, appointment.starts_at), "status": (None, "scheduled")},
        )
        booked.append(appointment)
    return booked


@transaction.atomic
def appointment_reschedule(
    *,
    actor: User,
    appointment: Appointment,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
) -> Appointment:
    """Move an appointment: the old one stays, marked "moved", linked to the new one, so the
    history of changes is kept. Side effect: `appointment.reschedule`."""
    appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
    if not appointment.is_open:
        raise ValidationError(_("Only a scheduled appointment can be moved."))
    _validate_times(starts_at, ends_at)
    # The room goes with the appointment; the old time frees it (no longer "scheduled").
    room_check(room=appointment.room, times=[(starts_at, ends_at)], exclude=appointment)
    appointment.status = Appointment.Status.RESCHEDULED
    appointment.save(update_fields=["status"])
    new = _create_in_room(
        client=appointment.client,
        therapist=appointment.therapist,
        starts_at=starts_at,
        ends_at=ends_at,
        modality=appointment.modality,
        location=appointment.location,
        room=appointment.room,
        video_link=appointment.video_link,
        series=appointment.series,
        rescheduled_from=appointment,
        created_by=actor,
    )
    _audit(
        AuditAction.APPOINTMENT_RESCHEDULE,
        actor=actor,
        obj=new,
        changes={"starts_at": (appointment.starts_at, new.starts_at)},
    )
    return new


@transaction.atomic
def appointment_record_attendance(
    *,
    actor: User,
    appointment: Appointment,
    status: str,
    notice_hours: int | None = None,
) -> Appointment:
    """Mark an appointment attended, cancelled (by client or clinic, with the notice given) or
    not attended. Attendance is recorded once it has started; a cancellation any time before.
    Side effects: `appointment.attendance` with the old and new status and notice, when either
    changed; `note_pending` (late notes) follows the new status."""
    appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
    allowed = {
        Appointment.Status.ATTENDED,
        Appointment.Status.NO_SHOW,
        Appointment.Status.CANCELLED_CLIENT,
        Appointment.Status.CANCELLED_CLINIC,
        Appointment.Status.SCHEDULED,
    }
    if status not in allowed:
        raise ValidationError({"status": _("Choose one of the listed outcomes.")})
    if appointment.status == Appointment.Status.RESCHEDULED:
        raise ValidationError(_("This appointment was moved; record attendance on the new one."))
    if (
        status != Appointment.Status.ATTENDED
        and SessionNote.objects.filter(appointment=appointment).exists()
    ):
        raise ValidationError(
            {"status": _("This session has a note, so it stays marked as attended.")}
        )
    started = appointment.starts_at <= timezone.now()
    if status in (Appointment.Status.ATTENDED, Appointment.Status.NO_SHOW) and not started:
        raise ValidationError(
            {"status": _("Attendance can be recorded once the appointment has started.")}
        )
    cancelled = status in (Appointment.Status.CANCELLED_CLIENT, Appointment.Status.CANCELLED_CLINIC)
    if cancelled and notice_hours is None:
        raise ValidationError({"notice_hours": _("Say how many hours' notice was given.")})
    old, old_notice = appointment.status, appointment.notice_hours
    appointment.status = status
    appointment.notice_hours = notice_hours if cancelled else None
    appointment.save(update_fields=["status", "notice_hours"])
    # Only an attended session can have a note (refused above otherwise).
    note_status = (
        SessionNote.objects.filter(appointment=appointment).values_list("status", flat=True).first()
        if status == Appointment.Status.ATTENDED
        else None
    )
    _note_pending_sync(appointment_id=appointment.pk, status=status, note_status=note_status)
    changes: dict[str, tuple[Any, Any]] = {}
    if old != status:
        changes["status"] = (old, status)
    if old_notice != appointment.notice_hours:
        # Correcting the notice of a cancellation is a change too.
        changes["notice_hours"] = (old_notice, appointment.notice_hours)
    if changes:
        _audit(
            AuditAction.APPOINTMENT_ATTENDANCE,
            actor=actor,
            obj=appointment,
            changes=changes,
        )
    return appointment


# --- Session notes ---------------------------------------------------------------------------


class NoteConflict(Exception):
    """The draft was saved elsewhere (another tab) since this editor loaded it."""

    def __init__(self, current: SessionNote) -> None:
        super().__init__("The note was saved elsewhere since you opened it.")
        self.current = current


@dataclass(frozen=True)
class SaveResult:
    note: SessionNote
    changed: list[str]
    hints: list[LanguageHint]


def _note_audit(
    action: AuditAction,
    *,
    actor: User,
    note: SessionNote,
    category: str = AuditEvent.Category.CHANGE,
    changes: dict[str, tuple[Any, Any]] | None = None,
    detail: str = "",
) -> None:
    audit_record(
        category=category,
        action=action,
        actor=actor,
        obj=note,
        chart_number=note.client.chart_number,
        changes=changes,
        detail=detail,
    )


def _seal[Row: (NoteAddendum, NoteReview, ContactAddendum, ContactReview)](row: Row) -> Row:
    """Insert an addendum or review with its integrity hash (it can never be set later)."""
    row.content_hash = row.compute_hash()
    row.save()
    return row


def _note_pending_sync(*, appointment_id: int, status: str, note_status: str | None) -> None:
    """Store `Appointment.note_pending` after a change of attendance or of a note's status
    (one update, none when the flag already says so)."""
    pending = Appointment.is_note_pending(status, note_status)
    Appointment.objects.filter(pk=appointment_id).exclude(note_pending=pending).update(
        note_pending=pending
    )


@transaction.atomic
def appointments_note_pending_refill() -> int:
    """Set `Appointment.note_pending` on every row from the rule, for data loaded in bulk
    around the services (`seed_load` writes with COPY). The same statement as migration
    0007's fill. Returns how many rows changed. No audit event: no record changes meaning."""
    signed = SessionNote.objects.filter(appointment=OuterRef("pk")).exclude(
        status=SessionNote.Status.DRAFT
    )
    pending = Q(status=Appointment.Status.ATTENDED) & ~Exists(signed)
    changed = Appointment.objects.filter(pending, note_pending=False).update(note_pending=True)
    return changed + Appointment.objects.filter(~pending, note_pending=True).update(
        note_pending=False
    )


def note_require_draft(note: SessionNote) -> None:
    """Refuse a change to a note that is no longer a draft (or to what is attached to it:
    techniques): called on the row the caller has locked."""
    if note.status != SessionNote.Status.DRAFT:
        raise NoteLockedError(_("This note is signed and can no longer be changed."))


_locked_guard = note_require_draft


@transaction.atomic
def note_start(*, actor: User, appointment: Appointment) -> SessionNote:
    """The draft note of an attended appointment, created on first use in the clinic's note
    format with a check-in line for each active goal. Side effect: `note.create`."""
    appointment = (
        Appointment.objects.select_for_update().select_related("client").get(pk=appointment.pk)
    )
    existing = SessionNote.objects.filter(appointment=appointment).first()
    if existing is not None:
        return existing
    if appointment.status != Appointment.Status.ATTENDED:
        raise ValidationError(
            _("A note is written for an attended session. Record the attendance first.")
        )
    goals = Goal.objects.filter(client=appointment.client, status=Goal.Status.ACTIVE).order_by(
        "review_date", "id"
    )
    note = SessionNote.objects.create(
        appointment=appointment,
        client=appointment.client,
        author=actor,
        format=clinic_setting("NOTE_FORMAT"),
        goal_checkins=[{"goal": g.pk, "score": None, "note": ""} for g in goals],
    )
    _note_audit(AuditAction.NOTE_CREATE, actor=actor, note=note)
    # The client may have rated the session from their phone before the note was begun: the
    # alert hangs on the note, so it is weighed now.
    if ClientSessionRating.objects.filter(appointment=appointment).exists():
        rating_evaluate(note=note)
    return note


@transaction.atomic
def note_save(
    *,
    actor: User,
    note: SessionNote,
    expected_version: int,
    values: dict[str, Any],
    save_key: str = "",
) -> SaveResult:
    """Save a draft. `values` holds cleaned NoteForm data (any subset of the content fields).

    Refused when the note is signed (NoteLockedError) and when it was saved elsewhere since
    `expected_version` was loaded (NoteConflict): never last-write-wins. `save_key` names the
    editor tab (random, per tab): a stale version from the tab that made the last save, with
    nobody saving since, is that tab going on after its answer was lost, never a conflict with
    itself. The audit event names the fields changed, never their text. Side effects:
    `note.save`; the rating alert is re-evaluated when the four ratings are complete."""
    note = SessionNote.objects.select_for_update().select_related("client").get(pk=note.pk)
    _locked_guard(note)
    changed = [
        name
        for name, value in values.items()
        if name in SessionNote.CONTENT_FIELDS and name != "format" and getattr(note, name) != value
    ]
    # A stale version only conflicts when it would change something: the explicit "Save
    # draft" right after an autosave of the same text (leaving the field autosaves) is a no-op.
    # The same editor resending from the version its lost save started from, with nothing
    # saved since by anyone else, carries on from its own text.
    own_last_save = bool(save_key) and (
        note.save_key,
        note.save_key_base,
        note.save_key_version,
    ) == (save_key, expected_version, note.version)
    if note.version != expected_version and changed and not own_last_save:
        raise NoteConflict(note)
    for name in changed:
        setattr(note, name, values[name])
    if changed:
        note.version += 1
        note.updated_at = timezone.now()
        note.save_key = save_key
        note.save_key_base = expected_version if save_key else None
        note.save_key_version = note.version if save_key else None
        note.full_clean(exclude=["appointment", "client", "author", "signed_by", "cosigned_by"])
        note.save()
        _note_audit(
            AuditAction.NOTE_SAVE,
            actor=actor,
            note=note,
            changes={name: ("", "changed") for name in changed},
        )
        if any(name in SessionNote.RATING_FIELDS for name in changed):
            rating_evaluate(note=note)
    hints = language_hints(*(getattr(note, f) for f in SessionNote.TEXT_FIELDS))
    hints += [
        h
        for h in language_hints(*(c.get("note", "") for c in note.goal_checkins))
        if h not in hints
    ]
    return SaveResult(note=note, changed=changed, hints=hints)


def sign_problems(note: SessionNote) -> list[str]:
    """What a note still needs before it can be signed (drafts may be incomplete)."""
    problems = []
    body = [name for name, _label in FORMAT_FIELDS[note.format]]
    if not any((getattr(note, name) or "").strip() for name in body):
        problems.append(_("Write the body of the note."))
    if not note.overdose_risk or not note.suicide_risk:
        problems.append(
            _("Record the overdose risk and suicidal thoughts (“None noted” is a choice).")
        )
    elif (
        note.overdose_risk != RiskLevel.NONE or note.suicide_risk != RiskLevel.NONE
    ) and not note.risk_actions.strip():
        problems.append(_("Say what actions were taken about the risk recorded."))
    ratings = [getattr(note, f) for f in SessionNote.RATING_FIELDS]
    if any(r is not None for r in ratings) and any(r is None for r in ratings):
        problems.append(_("Enter all four session ratings, or none."))
    return problems


def note_sign(
    *,
    actor: User,
    note: SessionNote,
    password: str,
    expected_version: int,
) -> SessionNote:
    """Sign a draft with the author's password re-entered. The content hash is stored; use
    check-ins are written for the progress charts. A therapist who needs co-signature signs
    into their supervisor's queue. Side effects: `note.sign` (or `note.sign_refused`),
    check-ins `checkin.record`, the session's `note_pending` cleared (no longer late)."""
    if note.author_id != actor.pk:
        raise PermissionDenied
    # The password is checked before the row is locked: hashing takes a noticeable fraction
    # of a second, and an autosave of this note would wait for it behind the lock. It is
    # throttled with sign-in (hrp.accounts.authn); a failure it records is committed at once.
    wrong = _("That password is not right. The note is still a draft.")
    refusal = password_reentry_error(user=actor, password=password, wrong=wrong)
    if refusal is None:
        with transaction.atomic():
            note = SessionNote.objects.select_for_update().select_related("client").get(pk=note.pk)
            _locked_guard(note)
            if note.author_id != actor.pk:
                raise PermissionDenied
            if note.version != expected_version:
                raise NoteConflict(note)
            return note_sign_verified(actor=actor, note=note)
    # Recorded after the signing transaction has closed: inside it, the ValidationError below
    # would roll the security event back with everything else.
    _note_audit(
        AuditAction.NOTE_SIGN_REFUSED,
        actor=actor,
        note=note,
        category=AuditEvent.Category.SECURITY,
        detail="wrong password" if refusal == wrong else "password entry paused",
    )
    raise ValidationError({"password": refusal})


def note_sign_verified(*, actor: User, note: SessionNote) -> SessionNote:
    """Sign a draft locked by the caller whose author has just proved who they are (note_sign
    checks the password; the demo seeder signs as its own accounts)."""
    problems = sign_problems(note)
    if problems:
        raise ValidationError(problems)
    note.signed_at = timezone.now()
    note.signed_by = actor
    note.status = (
        SessionNote.Status.AWAITING_COSIGN if actor.requires_cosign else SessionNote.Status.SIGNED
    )
    note.version += 1
    note.updated_at = note.signed_at
    note.content_hash = note.compute_hash()
    note.save(
        update_fields=["signed_at", "signed_by", "status", "version", "updated_at", "content_hash"]
    )
    # A note exists only for an attended session.
    _note_pending_sync(
        appointment_id=note.appointment_id,
        status=Appointment.Status.ATTENDED,
        note_status=note.status,
    )
    _note_audit(
        AuditAction.NOTE_SIGN,
        actor=actor,
        note=note,
        changes={"status": (SessionNote.Status.DRAFT, note.status)},
    )
    _record_use(actor=actor, note=note)
    _raise_risk_flags(actor=actor, note=note)
    return note


NOTE_SOURCE = "sessions.note"
CONTACT_SOURCE = "sessions.contact"


def _raise_risk_flags(
    *, actor: User, note: SessionNote | OutsideContact, source_key: str = NOTE_SOURCE
) -> None:
    """Suicidal thoughts or overdose risk recorded as "some" or "acute" in a signed note or
    contact outside sessions open a risk flag at that level (risk.rules), one per record and
    kind: signing again after a supervisor returned it finds the same flag (and raises it to
    acute if it now says so)."""
    description = _("Session note") if source_key == NOTE_SOURCE else _("Contact outside sessions")
    for kind, answer in (
        (RiskFlag.Kind.SUICIDE, note.suicide_risk),
        (RiskFlag.Kind.OVERDOSE, note.overdose_risk),
    ):
        level = risk_rules.note_level(answer)
        if level is not None:
            risk_flag_raise(
                client=note.client,
                kind=kind,
                level=level,
                source_key=source_key,
                source_id=note.pk,
                actor=actor,
                description=description,
                opened_at=note.signed_at,
            )


def _record_use(*, actor: User, note: SessionNote) -> None:
    substances = {s.pk: s for s in SubstanceUse.objects.filter(client=note.client)}
    for entry in note.use_entries:
        substance = substances.get(entry.get("substance"))
        if substance is None or entry.get("use_days") is None:
            continue
        amount = entry.get("amount")
        goal_services.checkin_record(
            actor=actor,
            client=note.client,
            substance=substance,
            week=datetime.date.fromisoformat(entry["week"]),
            use_days=int(entry["use_days"]),
            # The clinician's correction, or None: the plan's limits decide (goals/limits.py).
            days_above_plan=(
                int(entry["days_above_plan"])
                if entry.get("days_above_plan") not in (None, "")
                else None
            ),
            typical_amount=Decimal(amount) if amount not in (None, "") else None,
            amount_unit=entry.get("unit", ""),
            source_note_id=note.pk,
        )


def note_cosign(*, actor: User, note: SessionNote, password: str) -> SessionNote:
    """The supervisor co-signs a note waiting for them, with their password re-entered as the
    author's is for signing. Side effects: `note.cosign`, or `note.cosign_refused` (and a failed
    attempt toward the account's sign-in limit) for a password refused.

    The password is checked before the transaction: a refusal raised inside it would roll back
    the failed attempt and the audit event with it."""
    wrong = _("That password is not right. The note is not co-signed.")
    refusal = password_reentry_error(user=actor, password=password, wrong=wrong)
    if refusal is not None:
        _note_audit(
            AuditAction.NOTE_COSIGN_REFUSED,
            actor=actor,
            note=note,
            category=AuditEvent.Category.SECURITY,
            detail="wrong password" if refusal == wrong else "password entry paused",
        )
        raise ValidationError({"password": refusal})
    return note_cosign_verified(actor=actor, note=note)


@transaction.atomic
def note_cosign_verified(*, actor: User, note: SessionNote) -> SessionNote:
    """Co-sign for a supervisor who has just proved who they are (note_cosign checks the
    password; the demo seeder co-signs as its own accounts). Side effect: `note.cosign`."""
    note = SessionNote.objects.select_for_update().select_related("client").get(pk=note.pk)
    if note.status != SessionNote.Status.AWAITING_COSIGN:
        raise ValidationError(_("This note is not waiting for co-signature."))
    if not access.supervises(actor, note.author_id):
        raise PermissionDenied
    if not note.hash_verified():
        raise ValidationError(_("This note failed its integrity check and cannot be co-signed."))
    note.status = SessionNote.Status.COSIGNED
    note.cosigned_at = timezone.now()
    note.cosigned_by = actor
    note.version += 1
    note.save(update_fields=["status", "cosigned_at", "cosigned_by", "version"])
    _seal(NoteReview(note=note, reviewer=actor, decision=NoteReview.Decision.COSIGNED))
    _note_audit(
        AuditAction.NOTE_COSIGN,
        actor=actor,
        note=note,
        changes={"status": (SessionNote.Status.AWAITING_COSIGN, note.status)},
    )
    return note


@transaction.atomic
def note_return(*, actor: User, note: SessionNote, comments: str) -> SessionNote:
    """The supervisor returns a note with comments: it reopens as a draft for its author, and
    the comments stay with it. Side effects: `note.return`; the session's `note_pending` is set
    again (a returned draft is late like any draft)."""
    note = SessionNote.objects.select_for_update().select_related("client").get(pk=note.pk)
    if note.status != SessionNote.Status.AWAITING_COSIGN:
        raise ValidationError(_("This note is not waiting for co-signature."))
    if not access.supervises(actor, note.author_id):
        raise PermissionDenied
    comments = comments.strip()
    if not comments:
        raise ValidationError({"comments": _("Say what the therapist should revise.")})
    if len(comments) > NOTE_TEXT_LIMIT:
        raise ValidationError({"comments": _("Comments are limited to 20,000 characters.")})
    note.status = SessionNote.Status.DRAFT
    note.signed_at = None
    note.signed_by = None
    note.content_hash = ""
    note.version += 1
    note.save(update_fields=["status", "signed_at", "signed_by", "content_hash", "version"])
    # A note exists only for an attended session.
    _note_pending_sync(
        appointment_id=note.appointment_id,
        status=Appointment.Status.ATTENDED,
        note_status=note.status,
    )
    _seal(
        NoteReview(
            note=note, reviewer=actor, decision=NoteReview.Decision.RETURNED, comments=comments
        )
    )
    _note_audit(
        AuditAction.NOTE_RETURN,
        actor=actor,
        note=note,
        changes={"status": (SessionNote.Status.AWAITING_COSIGN, note.status)},
    )
    return note


@transaction.atomic
def note_add_addendum(*, actor: User, note: SessionNote, text: str) -> NoteAddendum:
    """A correction or addition under a signed note. The same text from the same author
    within a minute is the same addendum sent twice (a double click, a resend after a lost
    answer): it is returned, not added again. Side effect: `note.addendum`."""
    # Locked (reading a signed row this way changes nothing), so two sends at once queue.
    note = SessionNote.objects.select_for_update().select_related("client").get(pk=note.pk)
    if not note.is_signed:
        raise ValidationError(_("A draft is changed directly; addenda are for signed notes."))
    text = text.strip()
    if not text:
        raise ValidationError({"text": _("Write the addendum.")})
    if len(text) > NOTE_TEXT_LIMIT:
        raise ValidationError(
            {
                "text": _("An addendum is limited to 20,000 characters (this one has %(n)d).")
                % {"n": len(text)}
            }
        )
    latest = (
        NoteAddendum.objects.filter(
            note=note, author=actor, created_at__gte=timezone.now() - ADDENDUM_RESEND_WINDOW
        )
        .order_by("-created_at", "-id")
        .first()
    )
    if latest is not None and latest.text == text:
        return latest
    addendum = _seal(NoteAddendum(note=note, author=actor, text=text))
    _note_audit(AuditAction.NOTE_ADDENDUM, actor=actor, note=note)
    return addendum


def note_verify(*, actor: User | None = None, note: SessionNote) -> bool:
    """True when a signed note's content matches its stored hash (drafts have none). A
    mismatch is audited as a security event each time it is seen (by `actor`; None when a
    command or task checks, not a person), and so is each addendum or
    review (read from the note's prefetched rows) that fails its own hash; the note page marks
    those with the same red warning."""
    failures = [
        f"{kind} {row.pk} hash mismatch"
        for kind, rows in (("addendum", note.addenda.all()), ("review", note.reviews.all()))
        for row in rows
        if not row.hash_verified()
    ]
    if note.is_signed and not note.hash_verified():
        failures.insert(0, "content hash mismatch")
    for detail in failures:
        audit_record(
            category=AuditEvent.Category.SECURITY,
            action=AuditAction.NOTE_VERIFY_FAILED,
            actor=actor,
            obj=note,
            chart_number=note.client.chart_number,
            detail=detail,
        )
    return not note.is_signed or note.hash_verified()


def rating_evaluate(*, note: SessionNote) -> RatingAlert | None:
    """Raise, update or clear the alert for `note`'s session against the clinic threshold and
    the running average of the client's earlier rated sessions (at least two are needed for an
    average). The session's rating is the latest word on it (`selectors.rated_sessions`: the
    client's own rating from their phone when there is one, else the in-session rating), and
    so are the earlier ones. An acknowledged alert is kept as it was."""
    existing = RatingAlert.objects.filter(note=note).first()
    if existing is not None and existing.acknowledged_at is not None:
        return existing
    rated = selectors.rated_sessions(note.client_id)
    total = rated.filter(pk=note.appointment_id).values_list("rating_total", flat=True).first()
    reason = ""
    average = None
    if total is not None:
        earlier = list(
            rated.filter(starts_at__lt=note.appointment.starts_at).values_list(
                "rating_total", flat=True
            )
        )
        if len(earlier) >= 2:
            average = Decimal(sum(earlier)) / len(earlier)
        below = total < clinic_setting("RATING_ALERT_THRESHOLD")
        drop = average is not None and average - total >= clinic_setting("RATING_ALERT_DROP")
        reason = (
            RatingAlert.Reason.BOTH
            if below and drop
            else RatingAlert.Reason.BELOW_THRESHOLD
            if below
            else RatingAlert.Reason.DROP
            if drop
            else ""
        )
    if not reason:
        if existing is not None:
            existing.delete()
        return None
    rounded = average.quantize(Decimal("0.1")) if average is not None else None
    alert, _created = RatingAlert.objects.update_or_create(
        note=note,
        defaults={
            "client_id": note.client_id,
            "reason": reason,
            "total": total,
            "running_average": rounded,
        },
    )
    return alert


@transaction.atomic
def client_rating_record(
    *, actor: User, appointment: Appointment, ratings: dict[str, int]
) -> ClientSessionRating:
    """Store the client's own rating of an attended session (four items 0-10, sent from
    their phone), in `actor`'s name (the clinician who sent the link), as its own append-only
    row: the note may be signed. When the session has a note, its alert is weighed again
    (rating_evaluate reads the latest word on each session); else when the note is begun.
    Missing or out-of-range items raise ValidationError and store nothing. Refused
    (PermissionDenied) for anyone who may not write in the chart. Side effect:
    `client_rating.record`."""
    access.require_write(actor, appointment.client)
    if appointment.status != Appointment.Status.ATTENDED:
        raise ValidationError(_("Only an attended session can be rated."))
    errors = {
        name: _("Please choose a number from 0 to 10.")
        for name in ClientSessionRating.RATING_FIELDS
        if not isinstance(ratings.get(name), int) or not 0 <= ratings[name] <= 10
    }
    if errors:
        raise ValidationError(errors)
    rating = ClientSessionRating.objects.create(
        appointment=appointment,
        client_id=appointment.client_id,
        recorded_by=actor,
        **{name: ratings[name] for name in ClientSessionRating.RATING_FIELDS},
    )
    audit_record(
        category=AuditEvent.Category.CHANGE,
        action=AuditAction.CLIENT_RATING_RECORD,
        actor=actor,
        obj=rating,
        chart_number=appointment.client.chart_number,
        changes={"total": (None, rating.rating_total)},
    )
    note = SessionNote.objects.filter(appointment=appointment).select_related("appointment")
    found = note.defer(*SessionNote.TEXT_FIELDS).first()
    if found is not None:
        rating_evaluate(note=found)
    return rating


@transaction.atomic
def rating_alert_acknowledge(*, actor: User, alert: RatingAlert) -> RatingAlert:
    """Mark an alert as seen (by the therapist or their supervisor). Refused
    (PermissionDenied) for anyone outside the client's care team, such as a reader under an
    emergency grant. Side effect: `rating_alert.acknowledge`."""
    alert = RatingAlert.objects.select_for_update().select_related("client").get(pk=alert.pk)
    access.require_care(actor, alert.client)
    if alert.acknowledged_at is None:
        alert.acknowledged_at = timezone.now()
        alert.acknowledged_by = actor
        alert.save(update_fields=["acknowledged_at", "acknowledged_by"])
        audit_record(
            category=AuditEvent.Category.CHANGE,
            action=AuditAction.RATING_ALERT_ACKNOWLEDGE,
            actor=actor,
            obj=alert,
            chart_number=alert.client.chart_number,
        )
    return alert


# --- Contacts outside sessions ---------------------------------------------------------------
# A phone call, a text, a video call, an outreach, crisis or collateral contact: a short note
# with the same life as a session note (draft, signed with the password, locked, co-signed for
# a therapist who needs it, addenda), counted as contact once signed.


class ContactConflict(Exception):
    """The draft was saved elsewhere since this form was loaded."""

    def __init__(self, current: OutsideContact) -> None:
        super().__init__("The contact was saved elsewhere since you opened it.")
        self.current = current


def _contact_audit(
    action: AuditAction,
    *,
    actor: User,
    contact: OutsideContact,
    category: str = AuditEvent.Category.CHANGE,
    changes: dict[str, tuple[Any, Any]] | None = None,
    detail: str = "",
) -> None:
    audit_record(
        category=category,
        action=action,
        actor=actor,
        obj=contact,
        chart_number=contact.client.chart_number,
        changes=changes,
        detail=detail,
    )


def consent_covering(
    *, client: Client, consent: Consent | None, day: datetime.date
) -> Consent | None:
    """`consent` when it allows a collateral contact with its recipient on `day`, else None:
    the client's own, not attendance-only (that covers confirming dates to an agency, not a
    conversation about the client's care), in force that day (effective, not expired, not
    revoked on or before it). A revocation after the contact does not undo a contact made
    while the consent held."""
    if consent is None or consent.client_id != client.pk:
        return None
    # Attendance-only covers confirming dates to an agency; taking part in a group covers the
    # group itself: neither is a conversation about the client's care with someone else.
    if consent.scope in (Consent.Scope.ATTENDANCE, Consent.Scope.GROUP):
        return None
    if not consent.effective_on <= day <= consent.expires_on:
        return None
    if consent.revoked_on is not None and consent.revoked_on <= day:
        return None
    return consent


def _contact_clean(*, client: Client, values: dict[str, Any]) -> dict[str, Any]:
    """Check and normalise what a contact form sends (the same rules for every caller):
    dates in `bounds.CONTACT` and not ahead of now, texts within their limits, the consent of a
    collateral contact in force that day, nothing about a third party kept on other kinds."""
    values = dict(values)
    kind = values.get("kind")
    if kind not in OutsideContact.Kind.values:
        raise ValidationError({"kind": _("Choose the kind of contact.")})
    occurred_at = values.get("occurred_at")
    if occurred_at is None:
        raise ValidationError({"occurred_at": _("Say when the contact happened.")})
    if occurred_at > timezone.now() + datetime.timedelta(minutes=5):
        raise ValidationError(
            {"occurred_at": _("A contact is recorded once it has happened: check the time.")}
        )
    # After the check above: a time later tonight is also "after today" for the range, and
    # "once it has happened" is the clearer thing to say.
    bounds.check_dates({"occurred_at": occurred_at}, OutsideContact.DATE_RANGES)
    minutes = values.get("duration_minutes")
    if minutes is not None and not 1 <= minutes <= CONTACT_MAX_MINUTES:
        raise ValidationError(
            {
                "duration_minutes": _("Enter the minutes, from 1 to %(n)d.")
                % {"n": CONTACT_MAX_MINUTES}
            }
        )
    for name in OutsideContact.TEXT_FIELDS:
        text = values.get(name) or ""
        if len(text) > CONTACT_TEXT_LIMIT:
            raise ValidationError(
                {name: _("This is limited to 5,000 characters (it has %(n)d).") % {"n": len(text)}}
            )
        values[name] = text
    for name in ("overdose_risk", "suicide_risk"):
        if values.get(name) and values[name] not in RiskLevel.values:
            raise ValidationError({name: _("Choose one of the listed answers.")})
        values[name] = values.get(name) or ""
    if kind == OutsideContact.Kind.COLLATERAL:
        if not values["with_whom"].strip():
            raise ValidationError(
                {"with_whom": _("Say who you spoke with (a name and how they know the client).")}
            )
        day = timezone.localdate(occurred_at)
        if values.get("consent") is None:
            raise ValidationError(
                {
                    "consent": _(
                        "A collateral contact needs the client's consent to talk with this "
                        "person. Choose the consent, or record the consent first."
                    )
                }
            )
        if consent_covering(client=client, consent=values["consent"], day=day) is None:
            raise ValidationError(
                {
                    "consent": _(
                        "This consent does not cover a conversation on %(day)s: it is "
                        "attendance-only, or was not in force that day (not yet effective, "
                        "expired or revoked). Nothing was saved."
                    )
                    % {"day": bounds.show_date(day)}
                }
            )
    else:
        # Only a collateral contact is with someone else, under a consent.
        values["with_whom"] = ""
        values["consent"] = None
    return values


@transaction.atomic
def contact_create(*, actor: User, client: Client, values: dict[str, Any]) -> OutsideContact:
    """Record a contact outside a session as a draft by `actor`, the treating clinician.
    `values`: kind, occurred_at, duration_minutes, with_whom, consent, summary, overdose_risk,
    suicide_risk, risk_actions. Refused (ValidationError, nothing stored) for a collateral
    contact without a consent in force that day. Side effect: `contact.create`."""
    access.require_write(actor, client)
    values = _contact_clean(client=client, values=values)
    contact = OutsideContact.objects.create(client=client, author=actor, **values)
    _contact_audit(AuditAction.CONTACT_CREATE, actor=actor, contact=contact)
    return contact


def _contact_locked_guard(contact: OutsideContact) -> None:
    if contact.status != OutsideContact.Status.DRAFT:
        raise NoteLockedError(_("This contact is signed and can no longer be changed."))


@transaction.atomic
def contact_save(
    *, actor: User, contact: OutsideContact, expected_version: int, values: dict[str, Any]
) -> OutsideContact:
    """Save a draft contact (its author, still the treating clinician). Refused when signed
    (NoteLockedError) and when saved elsewhere since `expected_version` (ContactConflict).
    The audit event names the fields changed, never their text. Side effect: `contact.save`."""
    contact = OutsideContact.objects.select_for_update().select_related("client").get(pk=contact.pk)
    _contact_locked_guard(contact)
    if contact.author_id != actor.pk:
        raise PermissionDenied
    access.require_write(actor, contact.client)
    if contact.version != expected_version:
        raise ContactConflict(contact)
    values = _contact_clean(client=contact.client, values=values)
    changed = [name for name, value in values.items() if getattr(contact, name) != value]
    if changed:
        for name in changed:
            setattr(contact, name, values[name])
        contact.version += 1
        contact.updated_at = timezone.now()
        contact.save()
        _contact_audit(
            AuditAction.CONTACT_SAVE,
            actor=actor,
            contact=contact,
            changes={name: ("", "changed") for name in changed},
        )
    return contact


def contact_sign_problems(contact: OutsideContact) -> list[str]:
    """What a contact still needs before it can be signed."""
    problems = []
    if not contact.summary.strip():
        problems.append(_("Write the note of the contact."))
    risks = (contact.overdose_risk, contact.suicide_risk)
    if contact.kind == OutsideContact.Kind.CRISIS and not all(risks):
        problems.append(
            _(
                "A crisis contact records the overdose risk and suicidal thoughts "
                "(“None noted” is a choice)."
            )
        )
    if any(r and r != RiskLevel.NONE for r in risks) and not contact.risk_actions.strip():
        problems.append(_("Say what actions were taken about the risk recorded."))
    if contact.is_collateral and (
        consent_covering(
            client=contact.client,
            consent=contact.consent,
            day=timezone.localdate(contact.occurred_at),
        )
        is None
    ):
        problems.append(
            _("A collateral contact needs a consent in force on the day of the contact.")
        )
    return problems


def contact_sign(
    *, actor: User, contact: OutsideContact, password: str, expected_version: int
) -> OutsideContact:
    """Sign a draft contact with the author's password re-entered (as `note_sign`). A
    therapist who needs co-signature signs into their supervisor's queue. Side effects:
    `contact.sign` (or `contact.sign_refused`, with a failed attempt toward the sign-in limit)."""
    if contact.author_id != actor.pk:
        raise PermissionDenied
    wrong = _("That password is not right. The contact is still a draft.")
    refusal = password_reentry_error(user=actor, password=password, wrong=wrong)
    if refusal is None:
        with transaction.atomic():
            contact = (
                OutsideContact.objects.select_for_update(of=("self",))
                .select_related("client", "consent")
                .get(pk=contact.pk)
            )
            _contact_locked_guard(contact)
            access.require_write(actor, contact.client)
            if contact.version != expected_version:
                raise ContactConflict(contact)
            return contact_sign_verified(actor=actor, contact=contact)
    _contact_audit(
        AuditAction.CONTACT_SIGN_REFUSED,
        actor=actor,
        contact=contact,
        category=AuditEvent.Category.SECURITY,
        detail="wrong password" if refusal == wrong else "password entry paused",
    )
    raise ValidationError({"password": refusal})


def contact_sign_verified(*, actor: User, contact: OutsideContact) -> OutsideContact:
    """Sign a draft locked by the caller whose author has just proved who they are
    (contact_sign checks the password; the demo seeder signs as its own accounts)."""
    if contact.author_id != actor.pk:
        raise PermissionDenied
    problems = contact_sign_problems(contact)
    if problems:
        raise ValidationError(problems)
    contact.signed_at = timezone.now()
    contact.signed_by = actor
    contact.status = (
        OutsideContact.Status.AWAITING_COSIGN
        if actor.requires_cosign
        else OutsideContact.Status.SIGNED
    )
    contact.version += 1
    contact.updated_at = contact.signed_at
    contact.content_hash = contact.compute_hash()
    contact.save(
        update_fields=["signed_at", "signed_by", "status", "version", "updated_at", "content_hash"]
    )
    _contact_audit(
        AuditAction.CONTACT_SIGN,
        actor=actor,
        contact=contact,
        changes={"status": (OutsideContact.Status.DRAFT, contact.status)},
    )
    _raise_risk_flags(actor=actor, note=contact, source_key=CONTACT_SOURCE)
    return contact


def contact_cosign(*, actor: User, contact: OutsideContact, password: str) -> OutsideContact:
    """The supervisor co-signs a contact waiting for them, password re-entered (as
    `note_cosign`). Side effects: `contact.cosign`, or `contact.cosign_refused`."""
    wrong = _("That password is not right. The contact is not co-signed.")
    refusal = password_reentry_error(user=actor, password=password, wrong=wrong)
    if refusal is not None:
        _contact_audit(
            AuditAction.CONTACT_COSIGN_REFUSED,
            actor=actor,
            contact=contact,
            category=AuditEvent.Category.SECURITY,
            detail="wrong password" if refusal == wrong else "password entry paused",
        )
        raise ValidationError({"password": refusal})
    return contact_cosign_verified(actor=actor, contact=contact)


@transaction.atomic
def contact_cosign_verified(*, actor: User, contact: OutsideContact) -> OutsideContact:
    """Co-sign for a supervisor who has just proved who they are. Side effect: `contact.cosign`."""
    contact = OutsideContact.objects.select_for_update().select_related("client").get(pk=contact.pk)
    if contact.status != OutsideContact.Status.AWAITING_COSIGN:
        raise ValidationError(_("This contact is not waiting for co-signature."))
    if not access.supervises(actor, contact.author_id):
        raise PermissionDenied
    if not contact.hash_verified():
        raise ValidationError(_("This contact failed its integrity check and cannot be co-signed."))
    contact.status = OutsideContact.Status.COSIGNED
    contact.cosigned_at = timezone.now()
    contact.cosigned_by = actor
    contact.version += 1
    contact.save(update_fields=["status", "cosigned_at", "cosigned_by", "version"])
    _seal(ContactReview(contact=contact, reviewer=actor, decision=ContactReview.Decision.COSIGNED))
    _contact_audit(
        AuditAction.CONTACT_COSIGN,
        actor=actor,
        contact=contact,
        changes={"status": (OutsideContact.Status.AWAITING_COSIGN, contact.status)},
    )
    return contact


@transaction.atomic
def contact_return(*, actor: User, contact: OutsideContact, comments: str) -> OutsideContact:
    """The supervisor returns a contact with comments: it reopens as a draft for its author
    (and stops counting as contact until signed again). Side effect: `contact.return`."""
    contact = OutsideContact.objects.select_for_update().select_related("client").get(pk=contact.pk)
    if contact.status != OutsideContact.Status.AWAITING_COSIGN:
        raise ValidationError(_("This contact is not waiting for co-signature."))
    if not access.supervises(actor, contact.author_id):
        raise PermissionDenied
    comments = comments.strip()
    if not comments:
        raise ValidationError({"comments": _("Say what the therapist should revise.")})
    if len(comments) > NOTE_TEXT_LIMIT:
        raise ValidationError({"comments": _("Comments are limited to 20,000 characters.")})
    contact.status = OutsideContact.Status.DRAFT
    contact.signed_at = None
    contact.signed_by = None
    contact.content_hash = ""
    contact.version += 1
    contact.save(update_fields=["status", "signed_at", "signed_by", "content_hash", "version"])
    _seal(
        ContactReview(
            contact=contact,
            reviewer=actor,
            decision=ContactReview.Decision.RETURNED,
            comments=comments,
        )
    )
    _contact_audit(
        AuditAction.CONTACT_RETURN,
        actor=actor,
        contact=contact,
        changes={"status": (OutsideContact.Status.AWAITING_COSIGN, contact.status)},
    )
    return contact


@transaction.atomic
def contact_add_addendum(*, actor: User, contact: OutsideContact, text: str) -> ContactAddendum:
    """A correction or addition under a signed contact, by the treating clinician. The same
    text from the same author within a minute is the same addendum sent twice: returned, not
    added again. Side effect: `contact.addendum`."""
    contact = OutsideContact.objects.select_for_update().select_related("client").get(pk=contact.pk)
    access.require_write(actor, contact.client)
    if not contact.is_signed:
        raise ValidationError(_("A draft is changed directly; addenda are for signed contacts."))
    text = text.strip()
    if not text:
        raise ValidationError({"text": _("Write the addendum.")})
    if len(text) > NOTE_TEXT_LIMIT:
        raise ValidationError(
            {
                "text": _("An addendum is limited to 20,000 characters (this one has %(n)d).")
                % {"n": len(text)}
            }
        )
    latest = (
        ContactAddendum.objects.filter(
            contact=contact,
            author=actor,
            created_at__gte=timezone.now() - ADDENDUM_RESEND_WINDOW,
        )
        .order_by("-created_at", "-id")
        .first()
    )
    if latest is not None and latest.text == text:
        return latest
    addendum = _seal(ContactAddendum(contact=contact, author=actor, text=text))
    _contact_audit(AuditAction.CONTACT_ADDENDUM, actor=actor, contact=contact)
    return addendum


def contact_verify(*, actor: User | None = None, contact: OutsideContact) -> bool:
    """True when a signed contact matches its stored hash (drafts have none). Each mismatch,
    of the contact or of a prefetched addendum or review, is audited as a security event."""
    failures = [
        f"{kind} {row.pk} hash mismatch"
        for kind, rows in (("addendum", contact.addenda.all()), ("review", contact.reviews.all()))
        for row in rows
        if not row.hash_verified()
    ]
    if contact.is_signed and not contact.hash_verified():
        failures.insert(0, "content hash mismatch")
    for detail in failures:
        audit_record(
            category=AuditEvent.Category.SECURITY,
            action=AuditAction.CONTACT_VERIFY_FAILED,
            actor=actor,
            obj=contact,
            chart_number=contact.client.chart_number,
            detail=detail,
        )
    return not contact.is_signed or contact.hash_verified()
