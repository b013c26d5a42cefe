"""Billing: the client's problem list (ICD-10-CM diagnoses with their history), encounters coded
for billing (one per attended session, signed contact outside sessions or member's attendance at
a group meeting), the clinic's own
service codes and its fee schedule.

History is never rewritten: a diagnosis keeps its current state on `Diagnosis` (kept by
billing.services) and every change as an append-only `DiagnosisChange` row; a wrong diagnosis is
marked "entered in error", never deleted. An encounter is locked with the note it bills: the
`EncounterLock` trigger refuses UPDATE and DELETE while the session's note (the contact, or the
group meeting's note) is signed, exactly as signed notes are locked
(hrp.immutability.SIGNED_COLUMN).
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pgtrigger
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from billing import codes
from clients.models import Client
from groups.models import Attendance, GroupNote
from hrp import bounds
from hrp.crypto import EncryptedTextField
from hrp.immutability import (
    SIGNED_COLUMN,
    AppendOnlyModel,
    ImmutableError,
    SealedTrigger,
    append_only,
)
from sessions.models import Appointment, OutsideContact, SessionNote

# The most diagnoses one encounter points to (a claim line's four diagnosis pointers).
MAX_DIAGNOSES_PER_ENCOUNTER = 4


class DiagnosisImmutableError(ImmutableError):
    """Raised when code tries to change or remove a step of a diagnosis's history."""


class EncounterLockedError(ImmutableError):
    """Raised when code tries to change the coding of an encounter whose note is signed."""


class DiagnosisStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    RESOLVED = "resolved", _("Resolved")
    # A correction: the code was wrong. The row stays (history is never erased).
    ENTERED_IN_ERROR = "entered_in_error", _("Entered in error")


class Diagnosis(models.Model):
    """One entry of a client's problem list. The code never changes (a wrong code is marked
    entered in error and the right one added); status and dates do, each change kept."""

    DATE_RANGES = {"onset_on": bounds.HISTORY, "resolved_on": bounds.HISTORY}
    Status = DiagnosisStatus

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="diagnoses")
    code = models.CharField(_("ICD-10-CM code"), max_length=8)
    code_set = models.CharField(_("code set"), max_length=32, default=codes.CODE_SET_VERSION)
    status = models.CharField(_("status"), max_length=20, choices=DiagnosisStatus)
    onset_on = models.DateField(_("onset"), null=True, blank=True)
    resolved_on = models.DateField(_("resolved on"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["client", "code", "id"]
        verbose_name_plural = _("diagnoses")
        indexes = [models.Index(fields=["client", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(resolved_on__isnull=True)
                | Q(onset_on__isnull=True)
                | Q(resolved_on__gte=F("onset_on")),
                name="diagnosis_resolved_after_onset",
                violation_error_message=_("The resolution date must be on or after the onset."),
            ),
            models.CheckConstraint(
                condition=~Q(status="resolved") | Q(resolved_on__isnull=False),
                name="diagnosis_resolved_has_date",
                violation_error_message=_("Enter the date the diagnosis was resolved."),
            ),
            # One open entry per code: a code may come back once resolved (a new episode).
            models.UniqueConstraint(
                fields=["client", "code"],
                condition=Q(status="active"),
                name="diagnosis_one_active_per_code",
                violation_error_message=_("This diagnosis is already on the problem list."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} ({self.status})"

    @property
    def entry(self) -> codes.DiagnosisCode:
        return codes.ICD10[self.code]

    @property
    def official(self) -> str:
        return self.entry.official

    @property
    def display(self) -> str:
        return self.entry.shown

    @property
    def label(self) -> str:
        return self.entry.label

    @property
    def system(self) -> str:
        return codes.ICD10_SYSTEM


class DiagnosisChange(AppendOnlyModel):
    """One step of a diagnosis's history: the state it moved to, who and when, and why."""

    diagnosis = models.ForeignKey(Diagnosis, on_delete=models.PROTECT, related_name="changes")
    status = models.CharField(_("status"), max_length=20, choices=DiagnosisStatus)
    onset_on = models.DateField(_("onset"), null=True, blank=True)
    resolved_on = models.DateField(_("resolved on"), null=True, blank=True)
    reason = EncryptedTextField(_("reason for the change"), blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["changed_at", "id"]
        indexes = [models.Index(fields=["diagnosis", "changed_at"])]
        triggers = append_only(error=DiagnosisImmutableError)

    def __str__(self) -> str:
        return f"{self.diagnosis_id}: {self.status}"


class ClinicServiceCode(models.Model):
    """A service code the clinic adds to the built-in ones (billing.codes.SERVICE_CODES), with
    one of the same unit rules. Managed by clinic admins in the admin site."""

    code = models.CharField(_("code"), max_length=16, unique=True)
    description = models.CharField(_("description"), max_length=200)
    rule = models.CharField(
        _("units"),
        max_length=16,
        choices=[(rule.value, label) for rule, label in codes.UNIT_RULE_LABELS.items()],
    )
    min_minutes = models.PositiveSmallIntegerField(_("from (minutes)"), null=True, blank=True)
    max_minutes = models.PositiveSmallIntegerField(_("to (minutes)"), null=True, blank=True)
    unit_minutes = models.PositiveSmallIntegerField(
        _("minutes per unit"), null=True, blank=True, validators=[MinValueValidator(2)]
    )
    active = models.BooleanField(_("offered"), default=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(rule="per_unit") | Q(unit_minutes__gte=2),
                name="clinic_code_unit_minutes",
                violation_error_message=_("Enter the minutes per unit (at least 2)."),
            ),
            models.CheckConstraint(
                condition=~Q(rule="time_range") | Q(min_minutes__isnull=False),
                name="clinic_code_range_start",
                violation_error_message=_("Enter where the time range starts."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.description}"

    def as_service_code(self) -> codes.ServiceCode:
        return codes.ServiceCode(
            code=self.code,
            system="Clinic",
            description=self.description,
            rule=codes.UnitRule(self.rule),
            min_minutes=self.min_minutes,
            max_minutes=self.max_minutes,
            unit_minutes=self.unit_minutes,
        )


class Fee(models.Model):
    """The clinic's fee for one unit of a service code from a date: the fee of a service is
    the one in force on its date of service."""

    code = models.CharField(_("service code"), max_length=16)
    amount = models.DecimalField(
        _("fee per unit"),
        max_digits=8,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("99999.99"))],
    )
    effective_on = models.DateField(_("in force from"))

    class Meta:
        ordering = ["code", "-effective_on"]
        constraints = [
            models.UniqueConstraint(fields=["code", "effective_on"], name="fee_one_per_day"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="fee_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.amount} from {self.effective_on}"


class EncounterLock(SealedTrigger):
    """Row trigger on encounters: UPDATE and DELETE are refused while the session's note (for
    an appointment), the contact (for a contact outside sessions) or the group note of the
    meeting (for a member's attendance at a group meeting) is signed, the rule and
    column of hrp.immutability's SignedNoteLock. INSERT passes: a session whose note was
    signed before it was coded (every note signed before billing existed) may still be coded,
    once; the coding is then locked. The note's row is read FOR SHARE, so signing and a change
    of coding wait for each other."""

    when = pgtrigger.Before
    operation = pgtrigger.Update | pgtrigger.Delete
    level = pgtrigger.Row
    declare = [("note_signed_at", "timestamptz")]

    def __init__(self, **kwargs: object) -> None:
        kwargs.setdefault("name", "encounter_lock")
        super().__init__(**kwargs)

    def get_func(self, model: object) -> str:
        notes = SessionNote._meta.db_table
        contacts = OutsideContact._meta.db_table
        # Names from the models, never from input.
        by_note = f"SELECT {SIGNED_COLUMN} INTO note_signed_at FROM {notes} WHERE appointment_id = OLD.appointment_id FOR SHARE;"  # noqa: S608, E501
        by_contact = f"SELECT {SIGNED_COLUMN} INTO note_signed_at FROM {contacts} WHERE id = OLD.contact_id FOR SHARE;"  # noqa: S608, E501
        # A member's encounter is locked by the one group note of the meeting they attended:
        # the note's row (not the attendance's) is the one read FOR SHARE.
        group_notes = GroupNote._meta.db_table
        attendances = Attendance._meta.db_table
        by_group_note = f"SELECT n.{SIGNED_COLUMN} INTO note_signed_at FROM {group_notes} n JOIN {attendances} a ON a.meeting_id = n.meeting_id WHERE a.id = OLD.attendance_id FOR SHARE OF n;"  # noqa: S608, E501
        return self.format_sql(f"""
            IF OLD.appointment_id IS NOT NULL THEN {by_note} END IF;
            IF OLD.contact_id IS NOT NULL THEN {by_contact} END IF;
            IF OLD.attendance_id IS NOT NULL THEN {by_group_note} END IF;
            IF note_signed_at IS NOT NULL THEN
                RAISE EXCEPTION 'encounters of signed notes are locked (% refused)', TG_OP
                USING ERRCODE = 'restrict_violation';
            END IF;
            IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
            RETURN NEW;
        """)


class Encounter(models.Model):
    """An attended session, a signed contact outside sessions or a member's attendance at a
    group meeting, coded for billing: the service
    code and the units its rule gives for the real duration (and an add-on code's units),
    where it happened, the diagnoses it addressed, who rendered it and who supervised."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="encounters")
    appointment = models.OneToOneField(
        Appointment, on_delete=models.PROTECT, null=True, blank=True, related_name="encounter"
    )
    contact = models.OneToOneField(
        OutsideContact, on_delete=models.PROTECT, null=True, blank=True, related_name="encounter"
    )
    # A member's attendance at a group meeting (group psychotherapy): one encounter per member.
    attendance = models.OneToOneField(
        Attendance, on_delete=models.PROTECT, null=True, blank=True, related_name="encounter"
    )
    service_date = models.DateField(_("date of service"))
    minutes = models.PositiveSmallIntegerField(
        _("duration (minutes)"), validators=[MinValueValidator(1), MaxValueValidator(8 * 60)]
    )
    code = models.CharField(_("service code"), max_length=16)
    code_system = models.CharField(_("code system"), max_length=8)
    # Copied when coded: the superbill says what was billed even if a clinic code is renamed.
    description = models.CharField(_("service"), max_length=200)
    units = models.PositiveSmallIntegerField(_("units"))
    addon_code = models.CharField(_("add-on code"), max_length=16, blank=True)
    addon_units = models.PositiveSmallIntegerField(_("add-on units"), default=0)
    place_of_service = models.CharField(
        _("place of service"), max_length=2, choices=codes.PLACES_OF_SERVICE
    )
    # ICD-10-CM codes from the client's problem list, in the order the claim points to them.
    # (A JSON list, not an ArrayField: the embedded demo runs on SQLite.)
    diagnosis_codes = models.JSONField(_("diagnoses addressed"), default=list)
    rendering = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("rendering clinician"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    supervising = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("supervising clinician"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    coded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    coded_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["service_date", "id"]
        indexes = [models.Index(fields=["client", "service_date"])]
        triggers = [EncounterLock()]
        constraints = [
            # Exactly one source: a session, a contact or a member's attendance at a meeting.
            models.CheckConstraint(
                condition=Q(
                    appointment__isnull=False, contact__isnull=True, attendance__isnull=True
                )
                | Q(appointment__isnull=True, contact__isnull=False, attendance__isnull=True)
                | Q(appointment__isnull=True, contact__isnull=True, attendance__isnull=False),
                name="encounter_one_source",
                violation_error_message=_(
                    "An encounter bills one session, one contact or one group attendance."
                ),
            ),
            models.CheckConstraint(condition=Q(units__gte=1), name="encounter_units_positive"),
            models.CheckConstraint(
                condition=Q(addon_code="", addon_units=0)
                | (~Q(addon_code="") & Q(addon_units__gte=1)),
                name="encounter_addon_units",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service_date} {self.code}x{self.units}"

    # What a FHIR Encounter needs, from the session or contact billed.
    status = "finished"

    @property
    def code_system_uri(self) -> str:
        return codes.SYSTEM_URIS.get(self.code_system, codes.LOCAL_SYSTEM)

    @property
    def started_at(self) -> datetime.datetime:
        if self.appointment_id:
            return self.appointment.starts_at
        if self.attendance_id:
            return self.attendance.meeting.starts_at
        return self.contact.occurred_at

    @property
    def is_group(self) -> bool:
        """Group psychotherapy: the FHIR export and the superbill say so (never who else
        attended)."""
        return self.attendance_id is not None

    @property
    def ended_at(self) -> datetime.datetime:
        return self.started_at + datetime.timedelta(minutes=self.minutes)

    @property
    def place_label(self) -> str:
        return f"{self.place_of_service} {codes.PLACE_OF_SERVICE.get(self.place_of_service, '')}"
