"""Group sessions: a group (drop-in or closed) run by facilitators on a weekly series of
meetings, its members (clients of the clinic, each under a consent to take part), attendance
per member per meeting, and one group note per meeting: a shared part (what the group did, its
themes) and a private part per attending member, signed, locked and co-signed as a session
note is. A member's chart shows the shared part and their own part only."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.models import Client, Consent
from hrp import bounds, formats
from hrp.crypto import EncryptedTextField
from hrp.immutability import (
    AppendOnlyModel,
    LockedWithNote,
    LockedWithNoteModel,
    SignedNoteLock,
    append_only,
)
from sessions.models import (
    COSIGN_MOVE_FIELDS,
    Appointment,
    NoteLockedError,
    NoteReview,
    NoteStatus,
    integrity_hash,
)

GROUP_NOTE_TEXT_LIMIT = 20_000
# A series covers at most a year of weekly meetings; a longer group starts a new series.
MAX_MEETINGS = 52


class Group(models.Model):
    class Kind(models.TextChoices):
        DROP_IN = "drop_in", _("Drop-in (members may join at any meeting)")
        CLOSED = "closed", _("Closed (a fixed membership)")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Running")
        ENDED = "ended", _("Ended")

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    DATE_RANGES = {"starts_on": bounds.APPOINTMENT, "ends_on": bounds.APPOINTMENT}

    name = models.CharField(_("name"), max_length=120)
    # What a calendar or a phone shows: says nothing about the group's subject.
    label = models.CharField(
        _("calendar label"),
        max_length=60,
        help_text=_("A neutral label for calendars, e.g. “Group, room 2”."),
    )
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    weekday = models.PositiveSmallIntegerField(_("meets on"), choices=Weekday.choices)
    start_time = models.TimeField(_("at"))
    duration_minutes = models.PositiveSmallIntegerField(
        _("length (minutes)"), validators=[MinValueValidator(15), MaxValueValidator(480)]
    )
    starts_on = models.DateField(_("first week"))
    ends_on = models.DateField(_("last week"))
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.ACTIVE
    )
    # The day the group ended (groups.services.group_end): its later meetings are cancelled and
    # its memberships end that day.
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")),
                name="group_ends_after_start",
                violation_error_message=_("The last week must be after the first."),
            ),
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=15, duration_minutes__lte=480),
                name="group_duration_range",
            ),
            models.CheckConstraint(
                condition=Q(status="active", ended_on__isnull=True)
                | Q(status="ended", ended_on__isnull=False),
                name="group_ended_has_date",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Facilitator(models.Model):
    """A clinician who runs the group; exactly one is the lead."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="facilitators")
    clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="group_facilitations"
    )
    lead = models.BooleanField(_("lead"), default=False)

    class Meta:
        ordering = ["-lead", "id"]
        constraints = [
            models.UniqueConstraint(fields=["group", "clinician"], name="facilitator_once"),
            models.UniqueConstraint(
                fields=["group"], condition=Q(lead=True), name="facilitator_one_lead"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.clinician_id} in {self.group_id}"


class Membership(models.Model):
    """A client taking part in a group, under the consent in force when they joined."""

    DATE_RANGES = {"joined_on": bounds.APPOINTMENT, "left_on": bounds.APPOINTMENT}

    group = models.ForeignKey(Group, on_delete=models.PROTECT, related_name="memberships")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="group_memberships")
    consent = models.ForeignKey(Consent, on_delete=models.PROTECT, related_name="+")
    joined_on = models.DateField(_("joined on"))
    left_on = models.DateField(_("left on"), null=True, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["joined_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["group", "client"], name="membership_once"),
            models.CheckConstraint(
                condition=Q(left_on__isnull=True) | Q(left_on__gte=F("joined_on")),
                name="membership_leaves_after_joining",
            ),
        ]

    def __str__(self) -> str:
        return f"Member {self.pk}"

    def active_on(self, day: datetime.date) -> bool:
        # `left_on` is the first day without the member: a meeting that day is not theirs.
        return self.joined_on <= day and (self.left_on is None or day < self.left_on)


class Meeting(models.Model):
    """One meeting of the group's weekly series."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        HELD = "held", _("Held")
        # The group ended before it (groups.services.group_end): no attendance, no reminder.
        CANCELLED = "cancelled", _("Cancelled (the group ended)")

    group = models.ForeignKey(Group, on_delete=models.PROTECT, related_name="meetings")
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.SCHEDULED)
    # Held, and its note not yet signed: the group's "late note" (as Appointment.note_pending),
    # kept by groups.services._note_pending_sync.
    note_pending = models.BooleanField(default=False, editable=False)

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [
            models.Index(fields=["starts_at"], name="group_meeting_starts"),
            models.Index(
                fields=["group"], condition=Q(note_pending=True), name="group_meeting_pending"
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["group", "starts_at"], name="meeting_once"),
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="meeting_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return formats.datetime_(self.starts_at)

    @property
    def day(self) -> datetime.date:
        return timezone.localdate(self.starts_at)


# The outcomes a member's attendance may have, with the words sessions uses for them.
ATTENDANCE_STATUSES = (
    Appointment.Status.ATTENDED,
    Appointment.Status.NO_SHOW,
    Appointment.Status.CANCELLED_CLIENT,
    Appointment.Status.CANCELLED_CLINIC,
)


class Attendance(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="attendances")
    membership = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="attendances")
    # The member's client, copied so that a chart reads its own rows through an index.
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="group_attendances")
    status = models.CharField(
        _("attendance"),
        max_length=20,
        choices=[(s.value, s.label) for s in ATTENDANCE_STATUSES],
    )
    recorded_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["meeting", "id"]
        indexes = [models.Index(fields=["client", "meeting"], name="group_attendance_client")]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "membership"], name="attendance_once"),
        ]

    def __str__(self) -> str:
        return f"{self.get_status_display()}"

    @property
    def attended(self) -> bool:
        return self.status == Appointment.Status.ATTENDED


class GroupNote(models.Model):
    """The note of a held meeting: the shared part, and a `MemberNote` per attending member.
    Lifecycle and lock as `sessions.SessionNote` (the same statuses, the same trigger)."""

    Status = NoteStatus

    meeting = models.OneToOneField(Meeting, on_delete=models.PROTECT, related_name="note")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="group_notes"
    )
    # What the group did and its themes; read on every member's chart, so never a member's name.
    shared = EncryptedTextField(_("shared part: what the group did, themes"), blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=NoteStatus.choices, default=NoteStatus.DRAFT
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    content_hash = models.CharField(max_length=64, blank=True)
    cosigned_at = models.DateTimeField(null=True, blank=True)
    cosigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    COSIGN_MOVE_FIELDS = COSIGN_MOVE_FIELDS

    class Meta:
        indexes = [models.Index(fields=["author", "status"], name="group_note_author_status")]
        constraints = [
            models.CheckConstraint(
                condition=Q(signed_at__isnull=True) | ~Q(content_hash=""),
                name="signed_group_note_has_hash",
            ),
        ]
        triggers = [
            SignedNoteLock(
                moving=COSIGN_MOVE_FIELDS,
                awaiting=NoteStatus.AWAITING_COSIGN,
                moves_to=(NoteStatus.DRAFT, NoteStatus.COSIGNED),
            )
        ]

    def __str__(self) -> str:
        return f"Group note {self.pk}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # The stored row decides, not this instance (as SessionNote.save).
        if self.pk and not self._state.adding:
            stored = GroupNote.objects.filter(pk=self.pk).values_list("status", flat=True).first()
            update_fields = set(kwargs.get("update_fields") or ())
            status_only = update_fields and update_fields <= set(COSIGN_MOVE_FIELDS)
            if stored in (NoteStatus.SIGNED, NoteStatus.COSIGNED) or (
                stored == NoteStatus.AWAITING_COSIGN and not status_only
            ):
                raise NoteLockedError("A signed note is locked.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        if GroupNote.objects.filter(pk=self.pk, signed_at__isnull=False).exists():
            raise NoteLockedError("A signed note is never deleted.")
        return super().delete(*args, **kwargs)

    @property
    def is_signed(self) -> bool:
        return self.signed_at is not None

    @property
    def is_final(self) -> bool:
        return self.status in (NoteStatus.SIGNED, NoteStatus.COSIGNED)

    def compute_hash(self) -> str:
        """SHA-256 over the shared part, every member's part (by client), the people and the
        signing time. Reads `parts` (prefetch it)."""
        parts = {str(part.client_id): part.text for part in self.parts.all()}
        return integrity_hash(
            {"shared": self.shared, "parts": parts},
            group_note=self.pk,
            meeting=self.meeting_id,
            author=self.author_id,
            signed_by=self.signed_by_id,
            signed_at=self.signed_at.isoformat() if self.signed_at else None,
        )

    def hash_verified(self) -> bool:
        return bool(self.content_hash) and self.compute_hash() == self.content_hash


class MemberNote(LockedWithNoteModel):
    """One attending member's private part of a group note: read on that member's chart only."""

    note = models.ForeignKey(GroupNote, on_delete=models.PROTECT, related_name="parts")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="group_note_parts")
    text = EncryptedTextField(_("private part"), blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["note", "client"], name="member_note_once"),
        ]
        triggers = [LockedWithNote(error=NoteLockedError)]

    def __str__(self) -> str:
        return f"Member part {self.pk}"


class GroupNoteReview(AppendOnlyModel):
    """A supervisor's decision on a group note waiting for co-signature."""

    Decision = NoteReview.Decision

    note = models.ForeignKey(GroupNote, on_delete=models.PROTECT, related_name="reviews")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decision = models.CharField(max_length=12, choices=NoteReview.Decision.choices)
    comments = EncryptedTextField(_("comments for the facilitator"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        triggers = append_only(error=NoteLockedError)

    def __str__(self) -> str:
        return f"{self.get_decision_display()} {formats.date(self.created_at)}"
