"""Writes for group sessions: creating a group with its weekly meetings, members (each under a
consent in force to take part), attendance per member per meeting, and the group note (drafts,
signing with the password, co-signature for a trainee, return with comments). Each audits what
changed, never note text and never a member's name."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from clients.models import Client, Consent
from disclosures.services import check_in_force
from groups.models import (
    ATTENDANCE_STATUSES,
    GROUP_NOTE_TEXT_LIMIT,
    MAX_MEETINGS,
    Attendance,
    Facilitator,
    Group,
    GroupNote,
    GroupNoteReview,
    Meeting,
    MemberNote,
    Membership,
)
from hrp import access, bounds
from hrp.accounts.authn import password_reentry_error
from hrp.accounts.models import User
from hrp.audit.actions import AuditAction
from hrp.audit.models import AuditEvent
from hrp.audit.services import audit_record
from sessions.models import Appointment, NoteLockedError


class GroupNoteConflict(Exception):
    """The note was saved elsewhere since this page loaded it."""

    def __init__(self, current: GroupNote) -> None:
        super().__init__("The note was saved elsewhere since you opened it.")
        self.current = current


def _audit(action: AuditAction, *, actor: User, obj: Any, **kw: Any) -> None:
    audit_record(category=AuditEvent.Category.CHANGE, action=action, actor=actor, obj=obj, **kw)


def require_facilitator(actor: User, group: Group) -> None:
    """Only a facilitator of the group changes it (the rule the views ask through `can`)."""
    if not Facilitator.objects.filter(group=group, clinician=actor).exists():
        raise PermissionDenied


def meeting_times(
    *,
    weekday: int,
    start_time: datetime.time,
    minutes: int,
    first: datetime.date,
    last: datetime.date,
) -> list[tuple[datetime.datetime, datetime.datetime]]:
    """Start and end of every weekly meeting from `first` to `last` (dates in the clinic's
    zone; a daylight-saving change keeps the wall-clock time)."""
    zone = timezone.get_current_timezone()
    day = first + datetime.timedelta(days=(weekday - first.weekday()) % 7)
    times = []
    while day <= last:
        start = datetime.datetime.combine(day, start_time, tzinfo=zone)
        times.append((start, start + datetime.timedelta(minutes=minutes)))
        day += datetime.timedelta(weeks=1)
    return times


@transaction.atomic
def group_create(
    *,
    actor: User,
    name: str,
    label: str,
    kind: str,
    weekday: int,
    start_time: datetime.time,
    duration_minutes: int,
    starts_on: datetime.date,
    ends_on: datetime.date,
    co_facilitators: list[User] | tuple[User, ...] = (),
) -> Group:
    """A group led by `actor` (a therapist) with `co_facilitators`, and a meeting row for each
    week of the series. Side effect: `group.create` (no names)."""
    if not access.is_therapist(actor):
        raise PermissionDenied
    name, label = name.strip(), label.strip()
    if not name:
        raise ValidationError({"name": _("Give the group a name.")})
    if not label:
        raise ValidationError({"label": _("Give the group a neutral label for calendars.")})
    if kind not in Group.Kind.values:
        raise ValidationError({"kind": _("Choose drop-in or closed.")})
    if weekday not in Group.Weekday.values:
        raise ValidationError({"weekday": _("Choose the day of the week.")})
    if not 15 <= duration_minutes <= 480:
        raise ValidationError({"duration_minutes": _("A meeting lasts 15 to 480 minutes.")})
    bounds.check_dates({"starts_on": starts_on, "ends_on": ends_on}, Group.DATE_RANGES)
    if ends_on < starts_on:
        raise ValidationError({"ends_on": _("The last week must be after the first.")})
    times = meeting_times(
        weekday=weekday,
        start_time=start_time,
        minutes=duration_minutes,
        first=starts_on,
        last=ends_on,
    )
    if not times:
        raise ValidationError({"ends_on": _("No meeting day falls between these dates.")})
    if len(times) > MAX_MEETINGS:
        raise ValidationError(
            {"ends_on": _("A series has at most %(n)d weekly meetings.") % {"n": MAX_MEETINGS}}
        )
    others = [u for u in co_facilitators if u.pk != actor.pk]
    if any(not access.is_therapist(u) for u in others):
        raise ValidationError({"co_facilitators": _("Facilitators are clinicians.")})
    group = Group.objects.create(
        name=name,
        label=label,
        kind=kind,
        weekday=weekday,
        start_time=start_time,
        duration_minutes=duration_minutes,
        starts_on=starts_on,
        ends_on=ends_on,
        created_by=actor,
    )
    Facilitator.objects.create(group=group, clinician=actor, lead=True)
    Facilitator.objects.bulk_create(Facilitator(group=group, clinician=u) for u in others)
    Meeting.objects.bulk_create(Meeting(group=group, starts_at=s, ends_at=e) for s, e in times)
    _audit(AuditAction.GROUP_CREATE, actor=actor, obj=group, changes={"meetings": (0, len(times))})
    return group


def _require_running(group: Group) -> None:
    if group.status == Group.Status.ENDED:
        raise ValidationError(_("This group has ended: it no longer changes."))


@transaction.atomic
def group_edit(
    *,
    actor: User,
    group: Group,
    name: str,
    label: str,
    kind: str,
    weekday: int,
    start_time: datetime.time,
    duration_minutes: int,
) -> Group:
    """Change a running group's name, kind, neutral calendar label and the schedule of its
    future meetings (a facilitator). A meeting that has started, or has attendance recorded,
    keeps its time; each later week of the series (to `ends_on`) that has no such meeting gets
    one at the new day, time and length. Meetings moved are replaced (not shifted), so a
    reminder planned for the old time is no longer sent (`still_needed` finds no meeting) and
    the new one is planned. Side effect: `group.edit` (field names and old/new values, never
    members)."""
    group = Group.objects.select_for_update().get(pk=group.pk)
    require_facilitator(actor, group)
    _require_running(group)
    name, label = name.strip(), label.strip()
    if not name:
        raise ValidationError({"name": _("Give the group a name.")})
    if not label:
        raise ValidationError({"label": _("Give the group a neutral label for calendars.")})
    if kind not in Group.Kind.values:
        raise ValidationError({"kind": _("Choose drop-in or closed.")})
    if weekday not in Group.Weekday.values:
        raise ValidationError({"weekday": _("Choose the day of the week.")})
    if not 15 <= duration_minutes <= 480:
        raise ValidationError({"duration_minutes": _("A meeting lasts 15 to 480 minutes.")})
    before = {
        "name": group.name,
        "label": group.label,
        "kind": group.kind,
        "weekday": group.weekday,
        "start_time": group.start_time.isoformat(timespec="minutes"),
        "duration_minutes": group.duration_minutes,
    }
    after = {
        "name": name,
        "label": label,
        "kind": kind,
        "weekday": weekday,
        "start_time": start_time.isoformat(timespec="minutes"),
        "duration_minutes": duration_minutes,
    }
    changes: dict[str, tuple[Any, Any]] = {
        field: (before[field], after[field])
        for field in before
        if before[field] != after[field] and field != "name"
    }
    if before["name"] != name:
        # The name may say what the group is about: the audit says it changed, not what to.
        changes["name"] = ("", "changed")
    if not changes:
        raise ValidationError(_("Nothing to change: edit a field first."))
    schedule_changed = any(f in changes for f in ("weekday", "start_time", "duration_minutes"))
    group.name, group.label, group.kind = name, label, kind
    group.weekday, group.start_time, group.duration_minutes = weekday, start_time, duration_minutes
    group.save(update_fields=["name", "label", "kind", "weekday", "start_time", "duration_minutes"])
    if schedule_changed:
        moved = _reschedule(group)
        changes["future_meetings"] = (None, moved)
    _audit(AuditAction.GROUP_EDIT, actor=actor, obj=group, changes=changes)
    return group


def _week(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


def _reschedule(group: Group) -> int:
    """Replace the group's future meetings without attendance by the new weekly times (from
    this week to `ends_on`); returns how many meetings the new schedule has from now."""
    now = timezone.now()
    future = Meeting.objects.filter(group=group, starts_at__gt=now, status=Meeting.Status.SCHEDULED)
    kept_weeks = {
        _week(m.day)
        for m in Meeting.objects.filter(group=group).filter(
            Q(starts_at__lte=now) | Q(attendances__isnull=False)
        )
    }
    future.filter(attendances__isnull=True).delete()
    first = max(group.starts_on, timezone.localdate())
    times = [
        (start, end)
        for start, end in meeting_times(
            weekday=group.weekday,
            start_time=group.start_time,
            minutes=group.duration_minutes,
            first=_week(first),
            last=group.ends_on,
        )
        if start > now and _week(timezone.localdate(start)) not in kept_weeks
    ]
    Meeting.objects.bulk_create(Meeting(group=group, starts_at=s, ends_at=e) for s, e in times)
    return len(times)


@transaction.atomic
def group_end(*, actor: User, group: Group, ended_on: datetime.date) -> Group:
    """End a running group from `ended_on` (today or later: the first day without the group, as
    a membership's `left_on`). Its meetings from that day that have no attendance are cancelled
    (their reminders stop: `still_needed` sends only for scheduled meetings), and every
    membership still open then ends that day (a member who had not joined yet leaves the day
    they would have joined). Side effects: `group.end` for the group (how many meetings were
    cancelled and memberships ended) and `group.member_leave` per membership ended (chart
    number only)."""
    group = Group.objects.select_for_update().get(pk=group.pk)
    require_facilitator(actor, group)
    _require_running(group)
    bounds.check_dates({"ended_on": ended_on}, {"ended_on": bounds.APPOINTMENT})
    if ended_on < timezone.localdate():
        raise ValidationError(
            {"ended_on": _("A group ends today or later: past meetings keep their record.")}
        )
    zone = timezone.get_current_timezone()
    from_start = datetime.datetime.combine(ended_on, datetime.time.min, tzinfo=zone)
    cancelled = (
        Meeting.objects.filter(group=group, starts_at__gte=from_start)
        .exclude(status=Meeting.Status.HELD)
        .filter(attendances__isnull=True)
        .update(status=Meeting.Status.CANCELLED, note_pending=False)
    )
    open_memberships = list(
        Membership.objects.select_for_update(of=("self",))
        .filter(group=group)
        .filter(Q(left_on__isnull=True) | Q(left_on__gt=ended_on))
        .select_related("client")
    )
    for membership in open_memberships:
        old = membership.left_on
        membership.left_on = max(ended_on, membership.joined_on)
        membership.save(update_fields=["left_on"])
        audit_record(
            category=AuditEvent.Category.CHANGE,
            action=AuditAction.GROUP_MEMBER_LEAVE,
            actor=actor,
            obj=membership,
            chart_number=membership.client.chart_number,
            changes={"left_on": (old, membership.left_on)},
            detail="group ended",
        )
    group.status = Group.Status.ENDED
    group.ended_on = ended_on
    group.save(update_fields=["status", "ended_on"])
    _audit(
        AuditAction.GROUP_END,
        actor=actor,
        obj=group,
        changes={
            "ended_on": (None, ended_on.isoformat()),
            "meetings_cancelled": (0, cancelled),
            "memberships_ended": (0, len(open_memberships)),
        },
    )
    return group


def group_consent(*, client: Client, day: datetime.date) -> Consent | None:
    """The client's latest consent to take part in a group that is in force on `day`."""
    return (
        Consent.objects.filter(
            client=client,
            scope=Consent.Scope.GROUP,
            revoked_on__isnull=True,
            effective_on__lte=day,
            expires_on__gte=day,
        )
        .order_by("-effective_on", "-id")
        .first()
    )


NO_CONSENT = _(
    "This client has no consent in force to take part in a group. Their therapist records "
    "it on the chart's Consents tab (“Taking part in a group”) first. Nothing was saved."
)


@transaction.atomic
def member_add(
    *,
    actor: User,
    group: Group,
    chart_number: str,
    joined_on: datetime.date,
    meeting: Meeting | None = None,
) -> Membership:
    """Add the client with `chart_number` to `group` from `joined_on`, under their consent to
    take part in a group in force that day (`disclosures.services.check_in_force` says why one
    is not). At a `meeting` of a drop-in group the member joins that day and is marked as
    attending. Refused with a clear message, nothing stored, otherwise. Side effect:
    `group.member_add` (chart number only)."""
    group = Group.objects.select_for_update().get(pk=group.pk)
    require_facilitator(actor, group)
    _require_running(group)
    chart_number = chart_number.strip()
    client = (
        Client.objects.filter(
            chart_number=chart_number, status__in=(Client.Status.ACTIVE, Client.Status.INTAKE)
        ).first()
        if chart_number
        else None
    )
    if client is None:
        raise ValidationError(
            {"chart_number": _("No current client has this chart number. Check it and try again.")}
        )
    if meeting is not None:
        if group.kind != Group.Kind.DROP_IN:
            raise ValidationError(_("Only a drop-in group adds members at a meeting."))
        if meeting.group_id != group.pk:
            raise PermissionDenied
        joined_on = meeting.day
    bounds.check_dates({"joined_on": joined_on}, Membership.DATE_RANGES)
    if Membership.objects.filter(group=group, client=client).exists():
        raise ValidationError({"chart_number": _("This client is already a member.")})
    consent = group_consent(client=client, day=joined_on)
    if consent is None:
        latest = (
            Consent.objects.filter(client=client, scope=Consent.Scope.GROUP)
            .order_by("-effective_on", "-id")
            .first()
        )
        if latest is not None:
            # Say why the one on file does not hold (revoked, expired, not yet in force).
            check_in_force(consent=latest, today=joined_on)
        raise ValidationError({"chart_number": NO_CONSENT})
    membership = Membership.objects.create(
        group=group, client=client, consent=consent, joined_on=joined_on, added_by=actor
    )
    audit_record(
        category=AuditEvent.Category.CHANGE,
        action=AuditAction.GROUP_MEMBER_ADD,
        actor=actor,
        obj=membership,
        chart_number=client.chart_number,
    )
    if meeting is not None:
        _attendance_write(
            actor=actor,
            meeting=meeting,
            statuses={membership.pk: Appointment.Status.ATTENDED},
            members=[membership],
        )
    return membership


@transaction.atomic
def member_leave(*, actor: User, membership: Membership, left_on: datetime.date) -> Membership:
    """The member leaves the group on `left_on` (their record stays). Side effect:
    `group.member_leave`."""
    membership = (
        Membership.objects.select_for_update().select_related("client").get(pk=membership.pk)
    )
    require_facilitator(actor, membership.group)
    bounds.check_dates({"left_on": left_on}, Membership.DATE_RANGES)
    if left_on < membership.joined_on:
        raise ValidationError({"left_on": _("A member leaves after joining.")})
    old = membership.left_on
    membership.left_on = left_on
    membership.save(update_fields=["left_on"])
    audit_record(
        category=AuditEvent.Category.CHANGE,
        action=AuditAction.GROUP_MEMBER_LEAVE,
        actor=actor,
        obj=membership,
        chart_number=membership.client.chart_number,
        changes={"left_on": (old, left_on)},
    )
    return membership


def _note_pending_sync(meeting: Meeting) -> None:
    """Store `Meeting.note_pending`: held (someone attended) and no signed note."""
    held = Attendance.objects.filter(meeting=meeting, status=Appointment.Status.ATTENDED).exists()
    signed = GroupNote.objects.filter(meeting=meeting, signed_at__isnull=False).exists()
    status = Meeting.Status.HELD if held else Meeting.Status.SCHEDULED
    Meeting.objects.filter(pk=meeting.pk).update(status=status, note_pending=held and not signed)


def _attendance_write(
    *,
    actor: User,
    meeting: Meeting,
    statuses: dict[int, str],
    members: list[Membership],
) -> list[Attendance]:
    by_pk = {m.pk: m for m in members}
    existing = {a.membership_id: a for a in Attendance.objects.filter(meeting=meeting)}
    note = GroupNote.objects.filter(meeting=meeting).first()
    changed = []
    for membership_pk, status in statuses.items():
        membership = by_pk.get(membership_pk)
        if membership is None:
            raise ValidationError(_("Record attendance only for members on the meeting's day."))
        if status not in ATTENDANCE_STATUSES:
            raise ValidationError({"status": _("Choose one of the listed outcomes.")})
        row = existing.get(membership_pk)
        if row is not None and row.status == status:
            continue
        if status == Appointment.Status.ATTENDED:
            consent_lapse = consent_lapse_on(membership, meeting.day)
            if consent_lapse:
                raise ValidationError(
                    _(
                        "%(name)s cannot be recorded as attending: %(reason)s Their therapist "
                        "records a new consent to take part on the chart's Consents tab."
                    )
                    % {"name": membership.client.preferred_name, "reason": consent_lapse}
                )
        if note is not None and note.is_signed:
            raise NoteLockedError(
                _("The group note is signed, so the attendance it records stays as it is.")
            )
        if (
            note is not None
            and status != Appointment.Status.ATTENDED
            and MemberNote.objects.filter(note=note, client_id=membership.client_id)
            .exclude(text="")
            .exists()
        ):
            raise ValidationError(
                _("A member with a private part in the note stays marked as attending.")
            )
        if row is None:
            row = Attendance.objects.create(
                meeting=meeting,
                membership=membership,
                client_id=membership.client_id,
                status=status,
                recorded_by=actor,
            )
            old = None
        else:
            old = row.status
            row.status, row.recorded_by, row.recorded_at = status, actor, timezone.now()
            row.save(update_fields=["status", "recorded_by", "recorded_at"])
        audit_record(
            category=AuditEvent.Category.CHANGE,
            action=AuditAction.GROUP_ATTENDANCE,
            actor=actor,
            obj=row,
            chart_number=membership.client.chart_number,
            changes={"status": (old, status)},
        )
        changed.append(row)
    _note_pending_sync(meeting)
    return changed


@transaction.atomic
def attendance_record(
    *, actor: User, meeting: Meeting, statuses: dict[int, str]
) -> list[Attendance]:
    """Record each member's attendance at `meeting` (membership pk -> status among
    `ATTENDANCE_STATUSES`), once the meeting has started (a cancellation any time). Refused
    whole, nothing stored, when any answer is not allowed. Unchanged answers write nothing.
    Side effects: `group.attendance` per change (chart number only); the meeting's status and
    `note_pending` follow."""
    meeting = Meeting.objects.select_for_update().select_related("group").get(pk=meeting.pk)
    require_facilitator(actor, meeting.group)
    if meeting.status == Meeting.Status.CANCELLED:
        raise ValidationError(_("This meeting was cancelled when the group ended."))
    started = meeting.starts_at <= timezone.now()
    cancelled = (Appointment.Status.CANCELLED_CLIENT, Appointment.Status.CANCELLED_CLINIC)
    if not started and any(s not in cancelled for s in statuses.values()):
        raise ValidationError(
            {"status": _("Attendance can be recorded once the meeting has started.")}
        )
    members = list(members_on(meeting))
    return _attendance_write(actor=actor, meeting=meeting, statuses=statuses, members=members)


def members_on(meeting: Meeting) -> Any:
    """The memberships active on the meeting's day, with their clients and their consent."""
    day = meeting.day
    return (
        Membership.objects.filter(group_id=meeting.group_id, joined_on__lte=day)
        .exclude(left_on__lte=day)
        .select_related("client", "consent")
        .order_by("client__preferred_name", "id")
    )


def consent_lapse_on(membership: Membership, day: datetime.date) -> str:
    """Why the member's consent to take part does not hold on `day` (revoked, expired, not yet
    in force), or "" when it does: the consents' one rule (check_in_force), as for reminders.

    The decision (issue 20): a consent revoked or expired does not end the membership (its
    history stays, and a member whose consent is renewed comes back without being re-added);
    it blocks recording them as attending from that day, the meeting page shows why, and
    their reminders stop (groups.reminders). Reads `membership.consent` (load it)."""
    try:
        check_in_force(consent=membership.consent, today=day)
    except ValidationError as error:
        return " ".join(error.messages)
    return ""


# --- The group note ---------------------------------------------------------------------------


def _note_audit(action: AuditAction, *, actor: User, note: GroupNote, **kw: Any) -> None:
    kw.setdefault("category", AuditEvent.Category.CHANGE)
    audit_record(action=action, actor=actor, obj=note, **kw)


def _require_draft(note: GroupNote) -> None:
    if note.status != GroupNote.Status.DRAFT:
        raise NoteLockedError(_("This note is signed and can no longer be changed."))


def attending(meeting: Meeting) -> list[Attendance]:
    return list(
        Attendance.objects.filter(meeting=meeting, status=Appointment.Status.ATTENDED)
        .select_related("client")
        .order_by("client__preferred_name", "id")
    )


@transaction.atomic
def group_note_start(*, actor: User, meeting: Meeting) -> GroupNote:
    """The draft note of a held meeting, created on first use with an empty private part per
    attending member. Side effect: `group_note.create`."""
    meeting = Meeting.objects.select_for_update().select_related("group").get(pk=meeting.pk)
    require_facilitator(actor, meeting.group)
    existing = GroupNote.objects.filter(meeting=meeting).first()
    if existing is not None:
        return existing
    present = attending(meeting)
    if not present:
        raise ValidationError(
            _("A note is written for a meeting someone attended. Record the attendance first.")
        )
    note = GroupNote.objects.create(meeting=meeting, author=actor)
    MemberNote.objects.bulk_create(MemberNote(note=note, client=a.client) for a in present)
    _note_audit(AuditAction.GROUP_NOTE_CREATE, actor=actor, note=note)
    return note


def _check_length(name: str, text: str) -> None:
    if len(text) > GROUP_NOTE_TEXT_LIMIT:
        raise ValidationError(
            {name: _("This is limited to 20,000 characters (it has %(n)d).") % {"n": len(text)}}
        )


@transaction.atomic
def group_note_save(
    *,
    actor: User,
    note: GroupNote,
    expected_version: int,
    shared: str,
    parts: dict[int, str],
) -> GroupNote:
    """Save a draft (its author, a facilitator): the shared part and each attending member's
    private part (client pk -> text). Refused when signed and when saved elsewhere since
    `expected_version`. Side effect: `group_note.save` naming what changed, never text."""
    note = GroupNote.objects.select_for_update().select_related("meeting__group").get(pk=note.pk)
    _require_draft(note)
    if note.author_id != actor.pk:
        raise PermissionDenied
    require_facilitator(actor, note.meeting.group)
    if note.version != expected_version:
        stored_parts = {part.client_id: part.text for part in note.parts.all()}
        if note.shared == shared and all(stored_parts.get(k) == v for k, v in parts.items()):
            # The same text sent twice (a double click, a resent form): already saved.
            return note
        raise GroupNoteConflict(note)
    _check_length("shared", shared)
    stored = {part.client_id: part for part in note.parts.all()}
    present = {a.client_id for a in attending(note.meeting)}
    for client_pk, text in parts.items():
        if client_pk not in present:
            raise ValidationError(_("A private part is written for a member who attended."))
        _check_length(f"part_{client_pk}", text)
    changed = []
    if note.shared != shared:
        note.shared = shared
        changed.append("shared")
    for client_pk, text in parts.items():
        part = stored.get(client_pk)
        if part is None:
            MemberNote.objects.create(note=note, client_id=client_pk, text=text)
            changed.append("part")
        elif part.text != text:
            part.text = text
            part.save(update_fields=["text"])
            changed.append("part")
    if changed:
        note.version += 1
        note.updated_at = timezone.now()
        note.save(update_fields=["shared", "version", "updated_at"])
        _note_audit(
            AuditAction.GROUP_NOTE_SAVE,
            actor=actor,
            note=note,
            changes={name: ("", "changed") for name in sorted(set(changed))},
        )
    return note


def _names(client: Client) -> list[str]:
    return [n for n in (client.preferred_name.strip(), client.legal_name.strip()) if len(n) > 1]


def group_note_sign_problems(note: GroupNote) -> list[str]:
    """What a note still needs before signing. The shared part is read on every member's chart
    and each private part on its member's: neither may name another member."""
    problems = []
    if not note.shared.strip():
        problems.append(_("Write the shared part: what the group did and its themes."))
    parts = list(note.parts.select_related("client"))
    clients = [part.client for part in parts]
    for client in clients:
        if any(name.casefold() in note.shared.casefold() for name in _names(client)):
            problems.append(
                _(
                    "The shared part names a member (%(name)s): every member's chart shows it. "
                    "Write “a member” instead."
                )
                % {"name": client.preferred_name}
            )
    for part in parts:
        for other in clients:
            if other.pk != part.client_id and any(
                name.casefold() in part.text.casefold() for name in _names(other)
            ):
                problems.append(
                    _(
                        "The private part for %(member)s names another member (%(name)s): "
                        "it is shown on %(member)s's chart. Write “another member” instead."
                    )
                    % {"member": part.client.preferred_name, "name": other.preferred_name}
                )
    return problems


def group_note_sign(
    *, actor: User, note: GroupNote, password: str, expected_version: int
) -> GroupNote:
    """Sign a draft with the author's password re-entered (as `sessions.services.note_sign`);
    a facilitator who needs co-signature signs into their supervisor's queue. Side effects:
    `group_note.sign` (or `group_note.sign_refused`); the meeting's `note_pending` clears."""
    if note.author_id != actor.pk:
        raise PermissionDenied
    wrong = _("That password is not right. The note is still a draft.")
    refusal = password_reentry_error(user=actor, password=password, wrong=wrong)
    if refusal is None:
        with transaction.atomic():
            note = (
                GroupNote.objects.select_for_update(of=("self",))
                .select_related("meeting__group")
                .get(pk=note.pk)
            )
            _require_draft(note)
            require_facilitator(actor, note.meeting.group)
            if note.version != expected_version:
                raise GroupNoteConflict(note)
            return group_note_sign_verified(actor=actor, note=note)
    _note_audit(
        AuditAction.GROUP_NOTE_SIGN_REFUSED,
        actor=actor,
        note=note,
        category=AuditEvent.Category.SECURITY,
        detail="wrong password" if refusal == wrong else "password entry paused",
    )
    raise ValidationError({"password": refusal})


def group_note_sign_verified(*, actor: User, note: GroupNote) -> GroupNote:
    """Sign a draft locked by the caller whose author has just proved who they are."""
    problems = group_note_sign_problems(note)
    if problems:
        raise ValidationError(problems)
    note.signed_at = timezone.now()
    note.signed_by = actor
    note.status = (
        GroupNote.Status.AWAITING_COSIGN if actor.requires_cosign else GroupNote.Status.SIGNED
    )
    note.version += 1
    note.updated_at = note.signed_at
    note.content_hash = note.compute_hash()
    note.save(
        update_fields=["signed_at", "signed_by", "status", "version", "updated_at", "content_hash"]
    )
    _note_pending_sync(note.meeting)
    _note_audit(
        AuditAction.GROUP_NOTE_SIGN,
        actor=actor,
        note=note,
        changes={"status": (GroupNote.Status.DRAFT, note.status)},
    )
    return note


def group_note_cosign(*, actor: User, note: GroupNote, password: str) -> GroupNote:
    """The author's current supervisor co-signs a note waiting for them, password re-entered.
    Side effects: `group_note.cosign`, or `group_note.cosign_refused`."""
    wrong = _("That password is not right. The note is not co-signed.")
    refusal = password_reentry_error(user=actor, password=password, wrong=wrong)
    if refusal is not None:
        _note_audit(
            AuditAction.GROUP_NOTE_COSIGN_REFUSED,
            actor=actor,
            note=note,
            category=AuditEvent.Category.SECURITY,
            detail="wrong password" if refusal == wrong else "password entry paused",
        )
        raise ValidationError({"password": refusal})
    return _cosign(actor=actor, note=note)


@transaction.atomic
def _cosign(*, actor: User, note: GroupNote) -> GroupNote:
    note = GroupNote.objects.select_for_update().get(pk=note.pk)
    if note.status != GroupNote.Status.AWAITING_COSIGN:
        raise ValidationError(_("This note is not waiting for co-signature."))
    if not access.supervises(actor, note.author_id):
        raise PermissionDenied
    if not note.hash_verified():
        raise ValidationError(_("This note failed its integrity check and cannot be co-signed."))
    note.status = GroupNote.Status.COSIGNED
    note.cosigned_at = timezone.now()
    note.cosigned_by = actor
    note.version += 1
    note.save(update_fields=["status", "cosigned_at", "cosigned_by", "version"])
    GroupNoteReview.objects.create(
        note=note, reviewer=actor, decision=GroupNoteReview.Decision.COSIGNED
    )
    _note_audit(
        AuditAction.GROUP_NOTE_COSIGN,
        actor=actor,
        note=note,
        changes={"status": (GroupNote.Status.AWAITING_COSIGN, note.status)},
    )
    return note


@transaction.atomic
def group_note_return(*, actor: User, note: GroupNote, comments: str) -> GroupNote:
    """The supervisor returns a note with comments: it reopens as a draft for its author and
    the meeting's note is pending again. Side effect: `group_note.return`."""
    note = GroupNote.objects.select_for_update().select_related("meeting").get(pk=note.pk)
    if note.status != GroupNote.Status.AWAITING_COSIGN:
        raise ValidationError(_("This note is not waiting for co-signature."))
    if not access.supervises(actor, note.author_id):
        raise PermissionDenied
    comments = comments.strip()
    if not comments:
        raise ValidationError({"comments": _("Say what the facilitator should revise.")})
    _check_length("comments", comments)
    note.status = GroupNote.Status.DRAFT
    note.signed_at = None
    note.signed_by = None
    note.content_hash = ""
    note.version += 1
    note.save(update_fields=["status", "signed_at", "signed_by", "content_hash", "version"])
    GroupNoteReview.objects.create(
        note=note, reviewer=actor, decision=GroupNoteReview.Decision.RETURNED, comments=comments
    )
    _note_pending_sync(note.meeting)
    _note_audit(
        AuditAction.GROUP_NOTE_RETURN,
        actor=actor,
        note=note,
        changes={"status": (GroupNote.Status.AWAITING_COSIGN, note.status)},
    )
    return note
