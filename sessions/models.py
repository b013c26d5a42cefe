"""Appointments (scheduling, series, attendance, rescheduling history) and session notes
(drafts with optimistic locking, signing with a content hash, co-signature, addenda) with the
client's session rating."""

from __future__ import annotations

import datetime
import hashlib
import json
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.models import Client, Consent
from hrp import bounds, formats
from hrp.crypto import EncryptedJSONField, EncryptedTextField, Unreadable
from hrp.immutability import AppendOnlyModel, ImmutableError, SignedNoteLock, append_only
from sessions.vocab import ContactKind, NoteFormat, RiskLevel

NOTE_TEXT_LIMIT = 20_000


class NoteLockedError(ImmutableError):
    """Raised when code tries to change or delete a signed note, an addendum or a review."""


def integrity_hash(content: dict[str, Any], **context: Any) -> str:
    """SHA-256 over the canonical JSON of what was written (`content`) and of who, where and
    when (`context`). "unreadable" (which never verifies) when a value did not decrypt."""
    if any(isinstance(value, Unreadable) for value in content.values()):
        return "unreadable"
    payload = {"content": content, **context}
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


class Modality(models.TextChoices):
    IN_PERSON = "in_person", _("In person")
    VIDEO = "video", _("Video")
    PHONE = "phone", _("Phone")


def validate_video_link(value: str) -> None:
    """A video link is an https URL without credentials: it goes to the client's phone."""
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.hostname or parts.username or parts.password:
        raise ValidationError(
            _(
                "Enter a video link starting with https:// (for example https://meet.example.org/abc)."
            )
        )


class Room(models.Model):
    """A room of the clinic, managed by clinic admins (scheduling's Rooms page). An appointment
    may hold one. Two appointments still on the calendar (scheduled or attended) never share a
    room at overlapping times: on PostgreSQL the exclusion constraint
    `appointment_room_no_overlap` (migration 0011, btree_gist) refuses it, whatever the
    interleaving; `sessions.services.room_check` says so first with a clear message (and is the
    whole rule on the embedded SQLite, whose writes are serialised anyway)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    active = models.BooleanField(_("in use"), default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class AppointmentSeries(models.Model):
    """A weekly or fortnightly run of appointments, created together."""

    class Frequency(models.TextChoices):
        WEEKLY = "weekly", _("Weekly")
        FORTNIGHTLY = "fortnightly", _("Every two weeks")

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="appointment_series")
    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    frequency = models.CharField(_("repeats"), max_length=16, choices=Frequency.choices)
    occurrences = models.PositiveSmallIntegerField(_("number of appointments"))
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    def __str__(self) -> str:
        return f"{self.get_frequency_display()} x{self.occurrences}"


class Appointment(models.Model):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        ATTENDED = "attended", _("Attended")
        CANCELLED_CLIENT = "cancelled_client", _("Cancelled by the client")
        CANCELLED_CLINIC = "cancelled_clinic", _("Cancelled by the clinic")
        NO_SHOW = "no_show", _("Did not attend")
        RESCHEDULED = "rescheduled", _("Moved to another time")

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="appointments")
    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("therapist"),
        on_delete=models.PROTECT,
        related_name="appointments",
    )
    starts_at = models.DateTimeField(_("starts"), db_index=True)
    ends_at = models.DateTimeField(_("ends"))
    modality = models.CharField(
        _("modality"), max_length=16, choices=Modality.choices, default=Modality.IN_PERSON
    )
    location = models.CharField(_("location"), max_length=200, blank=True)
    room = models.ForeignKey(
        Room,
        verbose_name=_("room"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="appointments",
    )
    # Not PHI (it names no one), but only an https URL: see validate_video_link.
    video_link = models.URLField(
        _("video link"), max_length=500, blank=True, validators=[validate_video_link]
    )
    status = models.CharField(
        _("attendance"), max_length=20, choices=Status.choices, default=Status.SCHEDULED
    )
    notice_hours = models.PositiveIntegerField(
        _("notice given (hours)"),
        null=True,
        blank=True,
        help_text=_("For a cancellation: how long before the start it was cancelled."),
    )
    series = models.ForeignKey(
        AppointmentSeries,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="appointments",
    )
    rescheduled_from = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="rescheduled_to",
    )
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # Attended and its note not yet signed by the therapist (no note, or a draft, including
    # one returned by the supervisor): what "late notes" lists once LATE_NOTE_HOURS have
    # passed. Kept by the services that change attendance or a note's status
    # (`sessions.services._note_pending_sync`), so that late notes are read from a partial
    # index, not found by scanning every attended session ever held.
    note_pending = models.BooleanField(default=False, editable=False)

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [
            models.Index(fields=["therapist", "starts_at"]),
            models.Index(fields=["client", "starts_at"]),
            # The caseload's "last contact": the latest attended session of each client, read
            # with one index probe per client (LIMIT 1), not by ranking the client's history.
            models.Index(
                F("client"),
                F("starts_at").desc(),
                condition=Q(status="attended"),
                name="appointment_attended_latest",
            ),
            models.Index(
                fields=["therapist", "ends_at"],
                condition=Q(note_pending=True),
                name="appointment_note_pending",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")),
                name="appointment_ends_after_start",
                violation_error_message=_("The end must be after the start."),
            ),
        ]

    def __str__(self) -> str:
        return formats.datetime_(self.starts_at)

    @staticmethod
    def is_note_pending(status: str, note_status: str | None) -> bool:
        """The rule `note_pending` stores: attended, and no note or only a draft."""
        return status == Appointment.Status.ATTENDED and note_status in (
            None,
            SessionNote.Status.DRAFT,
        )

    @property
    def date_implausible(self) -> bool:
        """Stored before the date policy with a date no appointment can have: pages mark it
        so that it is moved or cancelled (hrp/bounds.py)."""
        return bounds.implausible(self.starts_at)

    @property
    def is_cancelled(self) -> bool:
        return self.status in (self.Status.CANCELLED_CLIENT, self.Status.CANCELLED_CLINIC)

    @property
    def is_open(self) -> bool:
        """Still on the calendar: scheduled, not yet marked."""
        return self.status == self.Status.SCHEDULED

    @property
    def duration_minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)


def _score(verbose_name: Any) -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(
        verbose_name, null=True, blank=True, validators=[MaxValueValidator(10)]
    )


class NoteStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    AWAITING_COSIGN = "awaiting_cosign", _("Signed, waiting for co-signature")
    SIGNED = "signed", _("Signed")
    COSIGNED = "cosigned", _("Signed and co-signed")


# What co-signing or returning a note waiting for co-signature may change: the status, the
# signature and co-signature, the hash and the bookkeeping, never the content. One list for the
# trigger (SignedNoteLock) and for `SessionNote.save()`.
COSIGN_MOVE_FIELDS = (
    "status",
    "signed_at",
    "signed_by",
    "content_hash",
    "cosigned_at",
    "cosigned_by",
    "version",
    "updated_at",
)


class SessionNote(models.Model):
    """The note of one attended appointment.

    Lifecycle: draft -> signed (final), or, for a therapist who needs co-signature,
    draft -> awaiting co-signature -> co-signed (final) or back to draft with the supervisor's
    comments. Once signed the row is locked: `save()` refuses, the forms and views refuse, and
    on PostgreSQL the `SignedNoteLock` trigger (hrp.immutability) refuses UPDATE and DELETE
    except the two status moves out of "awaiting co-signature" that change only
    COSIGN_MOVE_FIELDS, which `save()` reads too.
    """

    Status = NoteStatus

    appointment = models.OneToOneField(Appointment, on_delete=models.PROTECT, related_name="note")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="session_notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="session_notes"
    )
    format = models.CharField(
        _("format"), max_length=12, choices=NoteFormat.choices, default=NoteFormat.DAP
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    # Optimistic locking: every save must name the version it started from.
    version = models.PositiveIntegerField(default=1)
    # The editor (a random key per rendered page, never content) that made the last save, the
    # version it saved from and the version it produced. An editor whose answer was lost (a
    # timeout, a restart) sends its next save from that older version again; when nobody else
    # has saved since, that is the same editor going on, not a conflict with itself.
    save_key = models.CharField(max_length=64, blank=True, default="")
    save_key_base = models.PositiveIntegerField(null=True, blank=True)
    save_key_version = models.PositiveIntegerField(null=True, blank=True)

    # Free text, encrypted at rest.
    agenda = EncryptedTextField(_("the client's agenda for today"), blank=True, client_words=True)
    data = EncryptedTextField(_("data"), blank=True)
    objective = EncryptedTextField(_("objective"), blank=True)
    assessment = EncryptedTextField(_("assessment"), blank=True)
    plan = EncryptedTextField(_("plan"), blank=True)
    narrative = EncryptedTextField(_("narrative"), blank=True)
    risk_actions = EncryptedTextField(_("actions taken"), blank=True)
    next_time = EncryptedTextField(_("plan for next time"), blank=True)
    # [{"goal": id, "score": 0-10 or null, "note": text}], encrypted as one value.
    goal_checkins = EncryptedJSONField(_("goal check-ins"), blank=True, default=list)

    # Structured parts.
    # [{"substance": id, "week": "YYYY-MM-DD", "use_days": n, "days_above_plan": n,
    #   "amount": "1.5" or "", "unit": text}]: written to goals.UseCheckIn when signed.
    use_entries = models.JSONField(_("use since the last session"), default=list, blank=True)
    interventions = models.JSONField(_("interventions used"), default=list, blank=True)
    exercise_stages = models.JSONField(_("exercise stages done"), default=list, blank=True)
    tension_before = _score(_("tension before (0-10)"))
    tension_after = _score(_("tension after (0-10)"))
    overdose_risk = models.CharField(
        _("overdose risk"), max_length=8, choices=RiskLevel.choices, blank=True
    )
    suicide_risk = models.CharField(
        _("suicidal thoughts"), max_length=8, choices=RiskLevel.choices, blank=True
    )

    # The client's session rating, four items 0-10.
    rating_heard = _score(_("I felt heard and respected"))
    rating_wanted = _score(_("We worked on what I wanted to work on"))
    rating_approach = _score(_("The approach fit me"))
    rating_overall = _score(_("Overall, today's session was right for me"))

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

    # The fields the content hash covers (everything the author wrote or chose).
    CONTENT_FIELDS = (
        "format",
        "agenda",
        "data",
        "objective",
        "assessment",
        "plan",
        "narrative",
        "risk_actions",
        "next_time",
        "goal_checkins",
        "use_entries",
        "interventions",
        "exercise_stages",
        "tension_before",
        "tension_after",
        "overdose_risk",
        "suicide_risk",
        "rating_heard",
        "rating_wanted",
        "rating_approach",
        "rating_overall",
    )
    TEXT_FIELDS = (
        "agenda",
        "data",
        "objective",
        "assessment",
        "plan",
        "narrative",
        "risk_actions",
        "next_time",
    )
    RATING_FIELDS = ("rating_heard", "rating_wanted", "rating_approach", "rating_overall")
    COSIGN_MOVE_FIELDS = COSIGN_MOVE_FIELDS

    class Meta:
        ordering = ["-appointment__starts_at", "-id"]
        indexes = [models.Index(fields=["author", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(signed_at__isnull=True) | ~Q(content_hash=""),
                name="signed_note_has_hash",
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
        return f"Note {self.pk}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # The stored row decides, not this instance: a stale instance must not slip through.
        if self.pk and not self._state.adding:
            stored = SessionNote.objects.filter(pk=self.pk).values_list("status", flat=True)
            stored_status = stored.first()
            update_fields = set(kwargs.get("update_fields") or ())
            status_only = update_fields and update_fields <= set(self.COSIGN_MOVE_FIELDS)
            if stored_status in (self.Status.SIGNED, self.Status.COSIGNED):
                raise NoteLockedError("A signed note is locked; add an addendum instead.")
            if stored_status == self.Status.AWAITING_COSIGN and not status_only:
                raise NoteLockedError("A signed note is locked; add an addendum instead.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        if SessionNote.objects.filter(pk=self.pk, signed_at__isnull=False).exists():
            raise NoteLockedError("A signed note is never deleted.")
        return super().delete(*args, **kwargs)

    @property
    def is_signed(self) -> bool:
        return self.signed_at is not None

    @property
    def is_final(self) -> bool:
        return self.status in (self.Status.SIGNED, self.Status.COSIGNED)

    @property
    def rating_total(self) -> int | None:
        values = [getattr(self, f) for f in self.RATING_FIELDS]
        if any(v is None for v in values):
            return None
        return sum(values)

    def compute_hash(self) -> str:
        """SHA-256 over the content, the people and the signing time."""
        return integrity_hash(
            {name: getattr(self, name) for name in self.CONTENT_FIELDS},
            note=self.pk,
            appointment=self.appointment_id,
            client=self.client_id,
            author=self.author_id,
            signed_by=self.signed_by_id,
            signed_at=self.signed_at.isoformat() if self.signed_at else None,
        )

    def hash_verified(self) -> bool:
        return bool(self.content_hash) and self.compute_hash() == self.content_hash


class _HashedAppendOnly(AppendOnlyModel):
    """An append-only row under a signed note, with the same integrity hash as the note: set
    `content_hash = compute_hash()` before the insert; `hash_verified()` says whether the
    stored row still matches (the note page shows the red warning when not)."""

    content_hash = models.CharField(max_length=64)

    # What the writer wrote, and who/where/when (field names), covered by the hash.
    HASHED_CONTENT: tuple[str, ...] = ()
    HASHED_CONTEXT: tuple[str, ...] = ()

    class Meta:
        abstract = True

    def compute_hash(self) -> str:
        context = {}
        for name in self.HASHED_CONTEXT:
            value = getattr(self, name)
            context[name] = value.isoformat() if hasattr(value, "isoformat") else value
        return integrity_hash(
            {name: getattr(self, name) for name in self.HASHED_CONTENT}, **context
        )

    def hash_verified(self) -> bool:
        return bool(self.content_hash) and self.compute_hash() == self.content_hash


class NoteAddendum(_HashedAppendOnly):
    """A correction or later addition to a signed note: the note itself never changes."""

    note = models.ForeignKey(SessionNote, on_delete=models.PROTECT, related_name="addenda")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = EncryptedTextField(_("addendum"))
    created_at = models.DateTimeField(default=timezone.now)

    HASHED_CONTENT = ("text",)
    HASHED_CONTEXT = ("note_id", "author_id", "created_at")

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("addendum")
        verbose_name_plural = _("addenda")
        constraints = [
            models.CheckConstraint(
                condition=Q(content_hash__regex=r"^[0-9a-f]{64}$"), name="addendum_has_hash"
            ),
        ]
        triggers = append_only(error=NoteLockedError)

    def __str__(self) -> str:
        return f"Addendum {self.pk}"


class NoteReview(_HashedAppendOnly):
    """A supervisor's decision on a note waiting for co-signature; returns keep their comments."""

    class Decision(models.TextChoices):
        COSIGNED = "cosigned", _("Co-signed")
        RETURNED = "returned", _("Returned for revision")

    note = models.ForeignKey(SessionNote, on_delete=models.PROTECT, related_name="reviews")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decision = models.CharField(max_length=12, choices=Decision.choices)
    comments = EncryptedTextField(_("comments for the therapist"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    HASHED_CONTENT = ("decision", "comments")
    HASHED_CONTEXT = ("note_id", "reviewer_id", "created_at")

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("note review")
        constraints = [
            models.CheckConstraint(
                condition=Q(content_hash__regex=r"^[0-9a-f]{64}$"), name="review_has_hash"
            ),
        ]
        triggers = append_only(error=NoteLockedError)

    def __str__(self) -> str:
        return f"{self.get_decision_display()} {formats.date(self.created_at)}"


class RatingAlert(models.Model):
    """A session rating that fell under the clinic threshold, or 5 or more points below the
    client's running average; shown to the therapist and their supervisor until acknowledged."""

    class Reason(models.TextChoices):
        BELOW_THRESHOLD = "threshold", _("Under the clinic threshold")
        DROP = "drop", _("Well below this client's usual rating")
        BOTH = "both", _("Under the threshold and well below the usual rating")

    note = models.OneToOneField(SessionNote, on_delete=models.CASCADE, related_name="rating_alert")
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="rating_alerts")
    reason = models.CharField(max_length=12, choices=Reason.choices)
    total = models.PositiveSmallIntegerField()
    running_average = models.DecimalField(max_digits=4, decimal_places=1, null=True)
    created_at = models.DateTimeField(default=timezone.now)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # Open alerts per client (supervisor dashboard, home notices): the few still
            # open, not every alert ever raised.
            models.Index(
                fields=["client"],
                condition=Q(acknowledged_at__isnull=True),
                name="ratingalert_open",
            )
        ]

    def __str__(self) -> str:
        return f"Rating alert {self.total}/40"


class ClientSessionRating(AppendOnlyModel):
    """The client's own rating of an attended session, sent from their phone after it (the
    session-rating link of selfreport). Its own append-only row rather than the note's
    `rating_*` fields: the note may already be signed and locked, and an in-session rating in
    it stays as the client gave it then. Both are shown; the alert rule and the ratings chart
    read the latest word on the session (`selectors.rated_sessions`): the client's own rating
    when there is one, as it is always given after the session, else the in-session one."""

    class Source(models.TextChoices):
        CLIENT = "client", _("reported by the client")

    appointment = models.ForeignKey(
        Appointment, on_delete=models.PROTECT, related_name="client_ratings"
    )
    client = models.ForeignKey(
        Client, on_delete=models.PROTECT, related_name="client_session_ratings"
    )
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.CLIENT)
    rating_heard = models.PositiveSmallIntegerField(validators=[MaxValueValidator(10)])
    rating_wanted = models.PositiveSmallIntegerField(validators=[MaxValueValidator(10)])
    rating_approach = models.PositiveSmallIntegerField(validators=[MaxValueValidator(10)])
    rating_overall = models.PositiveSmallIntegerField(validators=[MaxValueValidator(10)])
    recorded_at = models.DateTimeField(default=timezone.now)
    # The clinician in whose name the client's answer was stored (who sent the link).
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    RATING_FIELDS = ("rating_heard", "rating_wanted", "rating_approach", "rating_overall")

    class Meta:
        ordering = ["-recorded_at", "-id"]
        indexes = [
            models.Index(fields=["appointment", "-recorded_at"], name="clientrating_latest"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating_heard__lte=10)
                & Q(rating_wanted__lte=10)
                & Q(rating_approach__lte=10)
                & Q(rating_overall__lte=10),
                name="clientrating_items_0_to_10",
            ),
        ]
        triggers = append_only(error=ImmutableError)

    def __str__(self) -> str:
        return f"Client rating {self.rating_total}/40"

    @property
    def rating_total(self) -> int:
        return sum(getattr(self, f) for f in self.RATING_FIELDS)


# --- Contacts outside sessions ----------------------------------------------------------------

CONTACT_TEXT_LIMIT = 5_000
# A contact outside a session lasts at most a working day (a long crisis call, an outreach round).
CONTACT_MAX_MINUTES = 8 * 60


class OutsideContact(models.Model):
    """A contact with or about the client outside a session: a phone call, a text, a video
    call, an outreach or crisis contact, or a collateral contact (family or others, under a
    consent the client gave). A short note, signed and locked like a session note.

    Lifecycle and lock as `SessionNote`: draft -> signed (final), or, for a therapist who
    needs co-signature, draft -> awaiting co-signature -> co-signed, or back to draft with the
    supervisor's comments (`ContactReview`). Once signed, `save()` refuses and on PostgreSQL
    the same `SignedNoteLock` trigger refuses UPDATE and DELETE except the co-signature moves.
    The risk answers use the note's field names (`overdose_risk`, `suicide_risk`,
    `risk_actions`) and vocabulary, so what reads a note's risk reads a contact's alike.
    A signed contact counts as contact: the caseload's "last contact" is the latest of the
    attended sessions and the signed contacts (sessions.selectors.annotate_last_contact).
    """

    Kind = ContactKind
    Status = NoteStatus

    DATE_RANGES = {"occurred_at": bounds.CONTACT}

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="outside_contacts")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="outside_contacts"
    )
    kind = models.CharField(_("kind of contact"), max_length=12, choices=ContactKind.choices)
    occurred_at = models.DateTimeField(_("when"))
    duration_minutes = models.PositiveSmallIntegerField(
        _("duration (minutes)"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(CONTACT_MAX_MINUTES)],
    )
    # For a collateral contact: the person spoken with, and the consent that allows it.
    with_whom = EncryptedTextField(_("with whom"), blank=True)
    consent = models.ForeignKey(
        Consent,
        verbose_name=_("consent"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    summary = EncryptedTextField(_("note"), blank=True)
    overdose_risk = models.CharField(
        _("overdose risk"), max_length=8, choices=RiskLevel.choices, blank=True
    )
    suicide_risk = models.CharField(
        _("suicidal thoughts"), max_length=8, choices=RiskLevel.choices, blank=True
    )
    risk_actions = EncryptedTextField(_("actions taken"), blank=True)

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

    # What the hash covers: everything the author wrote or chose.
    CONTENT_FIELDS = (
        "kind",
        "occurred_at",
        "duration_minutes",
        "with_whom",
        "consent_id",
        "summary",
        "overdose_risk",
        "suicide_risk",
        "risk_actions",
    )
    TEXT_FIELDS = ("with_whom", "summary", "risk_actions")
    COSIGN_MOVE_FIELDS = COSIGN_MOVE_FIELDS

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("contact outside a session")
        verbose_name_plural = _("contacts outside sessions")
        indexes = [
            models.Index(fields=["author", "status"], name="contact_author_status"),
            models.Index(fields=["client", "occurred_at"], name="contact_client_when"),
            # "Last contact" and the Overview's latest contacts: one index probe per client.
            models.Index(
                F("client"),
                F("occurred_at").desc(),
                condition=Q(signed_at__isnull=False),
                name="contact_signed_latest",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(signed_at__isnull=True) | ~Q(content_hash=""),
                name="signed_contact_has_hash",
            ),
            # The service refuses it with a message; the database keeps it true of signed rows.
            models.CheckConstraint(
                condition=Q(signed_at__isnull=True)
                | ~Q(kind=ContactKind.COLLATERAL)
                | Q(consent__isnull=False),
                name="signed_collateral_contact_has_consent",
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
        return f"{self.get_kind_display()} {self.pk}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # The stored row decides, not this instance (as SessionNote.save).
        if self.pk and not self._state.adding:
            stored_status = (
                OutsideContact.objects.filter(pk=self.pk).values_list("status", flat=True).first()
            )
            update_fields = set(kwargs.get("update_fields") or ())
            status_only = update_fields and update_fields <= set(COSIGN_MOVE_FIELDS)
            if stored_status in (NoteStatus.SIGNED, NoteStatus.COSIGNED) or (
                stored_status == NoteStatus.AWAITING_COSIGN and not status_only
            ):
                raise NoteLockedError("A signed contact is locked; add an addendum instead.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        if OutsideContact.objects.filter(pk=self.pk, signed_at__isnull=False).exists():
            raise NoteLockedError("A signed contact is never deleted.")
        return super().delete(*args, **kwargs)

    @property
    def is_signed(self) -> bool:
        return self.signed_at is not None

    @property
    def is_final(self) -> bool:
        return self.status in (NoteStatus.SIGNED, NoteStatus.COSIGNED)

    @property
    def is_collateral(self) -> bool:
        return self.kind == ContactKind.COLLATERAL

    @property
    def date_implausible(self) -> bool:
        return bounds.implausible(self.occurred_at)

    def content(self) -> dict[str, Any]:
        values = {name: getattr(self, name) for name in self.CONTENT_FIELDS}
        # One spelling of the moment, whatever time zone the instance carries.
        when = self.occurred_at
        values["occurred_at"] = when.astimezone(datetime.UTC).isoformat() if when else None
        return values

    def compute_hash(self) -> str:
        """SHA-256 over the content, the people and the signing time (as a note's)."""
        return integrity_hash(
            self.content(),
            contact=self.pk,
            client=self.client_id,
            author=self.author_id,
            signed_by=self.signed_by_id,
            signed_at=self.signed_at.isoformat() if self.signed_at else None,
        )

    def hash_verified(self) -> bool:
        return bool(self.content_hash) and self.compute_hash() == self.content_hash


class ContactAddendum(_HashedAppendOnly):
    """A correction or later addition to a signed contact: the contact itself never changes."""

    contact = models.ForeignKey(OutsideContact, on_delete=models.PROTECT, related_name="addenda")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = EncryptedTextField(_("addendum"))
    created_at = models.DateTimeField(default=timezone.now)

    HASHED_CONTENT = ("text",)
    HASHED_CONTEXT = ("contact_id", "author_id", "created_at")

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("contact addendum")
        verbose_name_plural = _("contact addenda")
        constraints = [
            models.CheckConstraint(
                condition=Q(content_hash__regex=r"^[0-9a-f]{64}$"),
                name="contact_addendum_has_hash",
            ),
        ]
        triggers = append_only(error=NoteLockedError)

    def __str__(self) -> str:
        return f"Contact addendum {self.pk}"


class ContactReview(_HashedAppendOnly):
    """A supervisor's decision on a contact waiting for co-signature (as NoteReview)."""

    Decision = NoteReview.Decision

    contact = models.ForeignKey(OutsideContact, on_delete=models.PROTECT, related_name="reviews")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decision = models.CharField(max_length=12, choices=NoteReview.Decision.choices)
    comments = EncryptedTextField(_("comments for the therapist"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    HASHED_CONTENT = ("decision", "comments")
    HASHED_CONTEXT = ("contact_id", "reviewer_id", "created_at")

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("contact review")
        verbose_name_plural = _("contact reviews")
        constraints = [
            models.CheckConstraint(
                condition=Q(content_hash__regex=r"^[0-9a-f]{64}$"),
                name="contact_review_has_hash",
            ),
        ]
        triggers = append_only(error=NoteLockedError)

    def __str__(self) -> str:
        return f"{self.get_decision_display()} {formats.date(self.created_at)}"
