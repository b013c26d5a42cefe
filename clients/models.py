"""The root of the clinical record: the client, their intake, referral, consents and who is
assigned to work with them. Words follow DOMAIN.md: the client's own words come first."""

from __future__ import annotations

import datetime
from typing import Any

import pgtrigger
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hrp import bounds, formats
from hrp.crypto import EncryptedTextField
from hrp.immutability import AppendOnlyModel, ImmutableError, SealedTrigger, append_only

# Free text longer than this is refused with a message rather than silently cut.
TEXT_LIMIT = 10_000
text_limit = MaxLengthValidator(
    TEXT_LIMIT, message=_("Please keep this under 10,000 characters (it has %(show_value)d).")
)
phone_format = RegexValidator(
    r"^\+?[0-9 ()./-]{7,20}$",
    message=_("Enter a phone number of digits, spaces and + ( ) - . / only, e.g. +1 555 010 2030."),
)


def LongText(verbose_name: Any, *, client_words: bool = False, **kwargs: Any) -> models.TextField:
    """A free-text field with the clinic's length limit. `client_words=True`: the client's own
    words, which the language hint (hrp/language.py) never corrects."""
    field = models.TextField(verbose_name, blank=True, validators=[text_limit], **kwargs)
    field.client_words = client_words  # type: ignore[attr-defined]
    return field


def PrivateText(verbose_name: Any, **kwargs: Any) -> EncryptedTextField:
    """LongText encrypted at rest (hrp/crypto.py): for the client's own words about their life,
    which the language hint leaves as said."""
    kwargs.setdefault("client_words", True)
    return EncryptedTextField(verbose_name, blank=True, validators=[text_limit], **kwargs)


# Stage of change, said plainly first with the formal term beside it (DOMAIN.md): a stage
# describes where the client is today, never a verdict. Values are SubstanceUse.Stage's, so an
# intake's stage and an assessment's compare directly.
STAGE_CHOICES: list[tuple[str, Any]] = [
    ("precontemplation", _("Not considering change right now (precontemplation)")),
    ("contemplation", _("Thinking about change, in two minds (contemplation)")),
    ("preparation", _("Getting ready to change (preparation)")),
    ("action", _("Making changes now (action)")),
    ("maintenance", _("Keeping up changes made (maintenance)")),
]


def stage_label(stage: str) -> Any:
    """How a stage of change reads on every page: plain words with the formal term beside."""
    return dict(STAGE_CHOICES).get(stage, "")


# The client's strengths and resources, in their words (issue 16). The intake and each harm
# assessment carry the same three fields; assessments.selectors.current_strengths picks them.
STRENGTH_FIELDS: list[tuple[str, Any, Any]] = [
    (
        "strengths",
        _("strengths"),
        _("What the client is good at, cares about, or is proud of, in their words."),
    ),
    (
        "supports",
        _("supports: people, places, services"),
        _("Who and what helps: people, places, groups or services the client can turn to."),
    ),
    (
        "past_changes",
        _("past changes that worked"),
        _("Changes the client has made before (in use or elsewhere) and what helped them work."),
    ),
]


# The languages the clinic writes to clients in (client pages, links, printed plans). Staff pages
# stay in the clinic's language; these are only the words the client reads.
CLIENT_LANGUAGES = [("en", _("English")), ("es", _("Spanish"))]


class ClientQuerySet(models.QuerySet["Client"]):
    pass


class Client(models.Model):
    # The range each date keeps to (hrp/bounds.py): forms and services read it from here.
    DATE_RANGES = {"date_of_birth": bounds.HISTORY, "discharged_on": bounds.HISTORY}

    class Status(models.TextChoices):
        INTAKE = "intake", _("Intake")
        ACTIVE = "active", _("Active")
        ON_HOLD = "on_hold", _("On hold")
        DISCHARGED = "discharged", _("Discharged")

    chart_number = models.CharField(_("chart number"), max_length=16, unique=True, editable=False)
    # Low-threshold care (issue 21): a client may be known only by the name they choose, so the
    # legal name and date of birth are optional and added when the client chooses to share
    # them. What needs them asks then (clients.identity.require_identity), nothing before.
    legal_name = models.CharField(
        _("legal name"),
        max_length=200,
        blank=True,
        help_text=_("Optional: add it when the client chooses to share it."),
    )
    preferred_name = models.CharField(
        _("preferred name"),
        max_length=200,
        blank=True,
        help_text=_(
            "What the client likes to be called. Shown everywhere in place of the legal name."
        ),
    )
    identity_description = models.CharField(
        _("how the team recognises the client"),
        max_length=200,
        blank=True,
        help_text=_(
            "Only words the client agrees to, e.g. with initials: “tall, red cap, Tuesdays at the "
            "drop-in”. Useful when the client gives no name."
        ),
    )
    # A keyed hash (clients.identity.identity_key) of the normalised legal name and date of
    # birth, set by the services that write them: how a possible duplicate is found with one
    # index probe, and still found if the legal name is ever encrypted at rest. "" while
    # either is missing.
    identity_key = models.CharField(max_length=64, blank=True, editable=False, db_index=True)
    # A record merged into another stays as an alias (see clients.identity): its rows keep
    # pointing at it, and the chart and lists send the reader to the record that continues.
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="merged_aliases",
    )
    pronouns = models.CharField(_("pronouns"), max_length=50, blank=True)
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True, validators=[phone_format])
    email = models.EmailField(_("email"), blank=True)
    may_contact = models.BooleanField(
        _("may we contact you?"),
        default=False,
        help_text=_("The client agrees to be contacted by the clinic (for example, reminders)."),
    )
    safe_to_leave_message = models.BooleanField(
        _("safe to leave a message"),
        default=False,
        help_text=_("Messages on this phone or email will not put the client at risk."),
    )
    # Appointment reminders to the client: only with may_contact, by the channel they chose,
    # content-free (date, time and, unless hidden, the clinic's display name).
    reminder_channel = models.CharField(
        _("appointment reminders"),
        max_length=8,
        blank=True,
        choices=[("", _("None")), ("email", _("By email")), ("sms", _("By text message"))],
    )
    reminder_hide_clinic_name = models.BooleanField(
        _("leave the clinic's name out of reminders"), default=False
    )
    # What the client reads from the clinic (printed plans, pages opened from a link) is in this
    # language; the clinic's own pages are not affected.
    preferred_language = models.CharField(
        _("language for what the client reads"),
        max_length=2,
        choices=CLIENT_LANGUAGES,
        default="en",
        help_text=_("Printed plans and pages the client opens from a link use this language."),
    )
    reminders_opted_out_at = models.DateTimeField(
        _("opted out of reminders"), null=True, blank=True
    )
    emergency_contact_name = models.CharField(_("emergency contact"), max_length=200, blank=True)
    emergency_contact_relationship = models.CharField(_("relationship"), max_length=100, blank=True)
    emergency_contact_phone = models.CharField(
        _("emergency contact phone"), max_length=30, blank=True, validators=[phone_format]
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.INTAKE, db_index=True
    )
    status_changed_at = models.DateTimeField(_("status since"), default=timezone.now)
    discharged_on = models.DateField(_("discharged on"), null=True, blank=True)
    discharge_reason = LongText(_("reason for discharge"))
    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("therapist"),
        on_delete=models.PROTECT,
        related_name="clients",
        null=True,
        blank=True,
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = ClientQuerySet.as_manager()

    class Meta:
        ordering = ["preferred_name", "legal_name"]
        indexes = [models.Index(fields=["therapist", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="discharged") | Q(discharged_on__isnull=False),
                name="discharged_has_date",
                violation_error_message=_("A discharge needs a date."),
            ),
            models.CheckConstraint(
                condition=~Q(preferred_name="") | ~Q(legal_name=""),
                name="client_has_a_name",
                violation_error_message=_(
                    "Write the name the client chooses to be called (initials are fine)."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(merged_into=models.F("pk")),
                name="client_not_merged_into_itself",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.chart_number})"

    @property
    def identity_recorded(self) -> bool:
        """Whether the legal name and date of birth are both on the record."""
        return bool(self.legal_name.strip()) and self.date_of_birth is not None

    @property
    def display_name(self) -> str:
        """The name the client goes by (hrp/formats.py decides)."""
        return formats.person_name(self.preferred_name, self.legal_name)

    @property
    def name_with_legal(self) -> str:
        """Where the legal name matters (documents that leave the clinic, identity checks):
        "Sam (legal name: Samuel Ortiz)" when the two differ."""
        return formats.person_name(self.preferred_name, self.legal_name, legal_too=True)


class TherapistAssignment(models.Model):
    """Who was the client's therapist, and when. The current one has no end."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="assignments")
    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="client_assignments"
    )
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=255, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["client"], condition=Q(ended_at__isnull=True), name="one_current_therapist"
            )
        ]

    def __str__(self) -> str:
        return f"{self.therapist} ({formats.date(self.started_at)})"


class MedicalDecision(models.TextChoices):
    RECOMMENDED = "recommended", _("Recommended")
    NOT_NEEDED = "not_needed", _("Not needed now")
    NOT_CONSIDERED = "not_considered", _("Not yet considered")


class Intake(models.Model):
    """The intake conversation, saved step by step as a draft until completed."""

    MedicalDecision = MedicalDecision

    class Step(models.TextChoices):
        REASON = "reason", _("In their words")
        DETAILS = "details", _("Contact details")
        SUBSTANCES = "substances", _("Substances")
        CONCERNS = "concerns", _("Other concerns")
        MEDICAL = "medical", _("Medical evaluation")
        REFERRAL = "referral", _("Referral")
        REVIEW = "review", _("Review")

    client = models.OneToOneField(Client, on_delete=models.PROTECT, related_name="intake")
    reason_for_coming = LongText(
        _("what brings you here?"),
        client_words=True,
        help_text=_("In the client's own words, as they said it."),
    )
    client_goals = LongText(
        _("what would you like to get from coming here?"),
        client_words=True,
        help_text=_("The client's goals in their own words. Goals belong to the client."),
    )
    anxiety = models.BooleanField(_("anxiety"), default=False)
    depression = models.BooleanField(_("depression"), default=False)
    trauma_history = models.BooleanField(_("trauma history"), default=False)
    other_concern = models.CharField(_("other concern"), max_length=200, blank=True)
    concerns_notes = LongText(_("notes on these concerns"))
    # The intake's decision about a medical evaluation ("always get a medical evaluation",
    # DOMAIN.md): recommended by default; "not needed" only with a reason. "Not yet
    # considered" is what intakes recorded before the decision was explicit say when nothing
    # was ticked (migration 0003): an honest unknown, shown and reminded like an outstanding
    # one. The evaluations themselves are MedicalEvaluation rows; clients.medical states the
    # status that follows from both.
    medical_evaluation = models.CharField(
        _("medical evaluation"),
        max_length=16,
        choices=MedicalDecision,
        default=MedicalDecision.RECOMMENDED,
    )
    medical_not_needed_reason = models.CharField(
        _("why it is not needed now"),
        max_length=200,
        blank=True,
        help_text=_("For example: seen by their own doctor last month, with results shared."),
    )
    # What was said at the start about how the clinic works (issue 16). Not a gate: an intake
    # may be completed without them, and the review step says what was not yet explained.
    explained_goals = models.BooleanField(
        _("all goals are welcome here; stopping is one possible goal among several"),
        default=False,
    )
    explained_lapses = models.BooleanField(
        _("using more than planned can happen, and we can learn from it together"),
        default=False,
    )
    explained_attendance_only = models.BooleanField(
        _("the referring agency sees attendance only, never what is said here"),
        default=False,
        help_text=_("Only asked when the referral is mandated."),
    )
    # Strengths and resources (STRENGTH_FIELDS), encrypted: the client's own words about
    # their life and the people in it.
    strengths = PrivateText(STRENGTH_FIELDS[0][1], help_text=STRENGTH_FIELDS[0][2])
    supports = PrivateText(STRENGTH_FIELDS[1][1], help_text=STRENGTH_FIELDS[1][2])
    past_changes = PrivateText(STRENGTH_FIELDS[2][1], help_text=STRENGTH_FIELDS[2][2])
    current_step = models.CharField(max_length=16, choices=Step.choices, default=Step.REASON)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~Q(medical_evaluation="not_needed") | ~Q(medical_not_needed_reason=""),
                name="medical_not_needed_has_reason",
                violation_error_message=_("Say why a medical evaluation is not needed now."),
            )
        ]

    def __str__(self) -> str:
        return f"Intake {self.client_id}"

    def explanations_missing(self, *, mandated: bool) -> list[str]:
        """What was not yet explained at the start, in the words the review step shows."""
        missing = []
        if not self.explained_goals:
            missing.append(str(_("Every goal is welcome; stopping is one among several.")))
        if not self.explained_lapses:
            missing.append(
                str(_("Using more than planned can happen, and we learn from it together."))
            )
        if mandated and not self.explained_attendance_only:
            missing.append(str(_("The referring agency sees attendance only.")))
        return missing

    @property
    def is_draft(self) -> bool:
        return self.completed_at is None

    @property
    def concerns(self) -> list[str]:
        items = []
        if self.anxiety:
            items.append(str(_("Anxiety")))
        if self.depression:
            items.append(str(_("Depression")))
        if self.trauma_history:
            items.append(str(_("Trauma history")))
        if self.other_concern:
            items.append(self.other_concern)
        return items


class MedicalEvaluationImmutableError(ImmutableError):
    """Raised when code tries to change or remove a recorded medical evaluation."""


class MedicalEvaluation(AppendOnlyModel):
    """One medical evaluation the client had: when, by whom or where, and the key findings.
    Append-only: a repeat evaluation is a new row, and a row recorded in error is put right by
    recording the right one with `corrects` pointing at it (the latest row that nothing
    corrects is the one that counts)."""

    DATE_RANGES = {"evaluated_on": bounds.HISTORY}

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="medical_evaluations")
    evaluated_on = models.DateField(_("date of the evaluation"))
    # Free text: a clinic, a doctor's name, "primary care at the health centre".
    evaluated_by = models.CharField(_("by whom or where"), max_length=200, blank=True)
    findings = EncryptedTextField(_("key findings"), blank=True, validators=[text_limit])
    corrects = models.OneToOneField(
        "self",
        verbose_name=_("corrects"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrected_by",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-evaluated_on", "-id"]
        # "The latest evaluation per client" reads one index probe per client.
        indexes = [models.Index(fields=["client", "-evaluated_on", "-id"], name="medeval_latest")]
        triggers = append_only(error=MedicalEvaluationImmutableError)

    def __str__(self) -> str:
        return f"Medical evaluation {self.client_id} ({self.evaluated_on})"


class SubstanceUse(models.Model):
    """One substance or behaviour as described at intake, with the client's current goal."""

    class Substance(models.TextChoices):
        ALCOHOL = "alcohol", _("Alcohol")
        CANNABIS = "cannabis", _("Cannabis")
        OPIOIDS_PRESCRIBED = "opioids_rx", _("Opioids (prescribed)")
        HEROIN_FENTANYL = "heroin_fentanyl", _("Heroin / fentanyl")
        STIMULANTS_COCAINE = "cocaine", _("Cocaine / crack")
        METHAMPHETAMINE = "methamphetamine", _("Methamphetamine")
        BENZODIAZEPINES = "benzodiazepines", _("Benzodiazepines")
        TOBACCO_NICOTINE = "nicotine", _("Tobacco / nicotine")
        PSYCHEDELICS = "psychedelics", _("Psychedelics")
        MDMA = "mdma", _("MDMA")
        GAMBLING = "gambling", _("Gambling")
        OTHER = "other", _("Other")

    class Goal(models.TextChoices):
        SAFER_USE = "safer_use", _("Safer use")
        MODERATION = "moderation", _("Moderation")
        ABSTINENCE = "abstinence", _("Abstinence")
        UNDECIDED = "undecided", _("Undecided")

    class Stage(models.TextChoices):
        PRECONTEMPLATION = "precontemplation", _("Precontemplation")
        CONTEMPLATION = "contemplation", _("Contemplation")
        PREPARATION = "preparation", _("Preparation")
        ACTION = "action", _("Action")
        MAINTENANCE = "maintenance", _("Maintenance")

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="substances")
    substance = models.CharField(_("substance or behaviour"), max_length=32, choices=Substance)
    substance_other = models.CharField(_("name, if other"), max_length=100, blank=True)
    amount = models.CharField(_("amount"), max_length=200, blank=True)
    frequency = models.CharField(_("how often"), max_length=200, blank=True)
    route = models.CharField(_("route"), max_length=100, blank=True)
    setting = models.CharField(_("setting"), max_length=200, blank=True)
    last_use = models.CharField(
        _("last use"), max_length=100, blank=True, help_text=_("A date or 'about a week ago'.")
    )
    goal = models.CharField(
        _("client's current goal"), max_length=16, choices=Goal, default=Goal.UNDECIDED
    )
    stage_of_change = models.CharField(
        _("stage of change"), max_length=20, choices=Stage, blank=True
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["recorded_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(substance="other") | ~Q(substance_other=""),
                name="other_substance_named",
                violation_error_message=_("Name the substance or behaviour."),
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        if self.substance == self.Substance.OTHER:
            return self.substance_other
        return str(self.get_substance_display())


class Referral(models.Model):
    """How the client came to the clinic. A mandated referral's agency receives attendance
    only, never clinical content (DOMAIN.md)."""

    class Source(models.TextChoices):
        SELF = "self", _("Self-referred")
        MANDATED = "mandated", _("Mandated")

    class MandateKind(models.TextChoices):
        CRIMINAL_JUSTICE = "criminal_justice", _("Criminal justice")
        WELFARE_TO_WORK = "welfare_to_work", _("Welfare-to-work")
        EMPLOYEE_ASSISTANCE = "employee_assistance", _("Employee assistance")
        OTHER = "other", _("Other")

    client = models.OneToOneField(Client, on_delete=models.PROTECT, related_name="referral")
    source = models.CharField(_("referral"), max_length=16, choices=Source, default=Source.SELF)
    mandate_kind = models.CharField(
        _("kind of mandate"), max_length=32, choices=MandateKind, blank=True
    )
    agency = models.CharField(_("referring agency"), max_length=200, blank=True)
    agency_contact = models.CharField(_("agency contact"), max_length=200, blank=True)
    agency_contact_details = models.CharField(
        _("agency phone or email"), max_length=200, blank=True
    )

    def __str__(self) -> str:
        return str(self.get_source_display())

    @property
    def is_mandated(self) -> bool:
        return self.source == self.Source.MANDATED


def names(recipient: str, name: str) -> bool:
    """Whether a consent's recipient names `name` (an agency, a provider): the name appears,
    ignoring case, within the recipient ("County Probation" in "Kings County Probation
    Department, Officer Lee"). Never for an empty name. The same test as the disclosure
    selectors' `recipient__icontains` and the trigger's `strpos(lower(...))`."""
    name = name.strip()
    return bool(name) and name.casefold() in recipient.casefold()


def mandated_agency(client_id: int | None) -> str:
    """The agency of the client's mandated referral, or "" (self-referred, or no agency)."""
    if client_id is None:
        return ""
    agency = (
        Referral.objects.filter(client_id=client_id, source=Referral.Source.MANDATED)
        .values_list("agency", flat=True)
        .first()
    )
    return (agency or "").strip()


class ConsentQuerySet(models.QuerySet["Consent"]):
    def in_force(self, on: datetime.date | None = None) -> ConsentQuerySet:
        on = on or timezone.localdate()
        return self.filter(revoked_on__isnull=True, effective_on__lte=on, expires_on__gte=on)

    def not_to_mandated_agency(self, client: Client) -> ConsentQuerySet:
        """Without the consents naming the agency of the client's mandated referral: nothing
        clinical goes to that agency under any consent, even one recorded before the rule
        (or before the referral was recorded as mandated)."""
        agency = mandated_agency(client.pk)
        return self.exclude(recipient__icontains=agency) if agency else self


class MandatedAgencyAttendanceOnly(SealedTrigger):
    """Row trigger on consents: refuse a consent (INSERT, or an UPDATE of its scope or
    recipient) whose recipient names the agency of the client's mandated referral with any
    scope but attendance only. The database's copy of `Consent.scope_refusal`, so that no code
    path (the admin, a shell, a data migration) can record one. Revoking such a consent, or
    rotating its ciphertext, changes neither column and passes."""

    when = pgtrigger.Before
    operation = pgtrigger.Insert | pgtrigger.Update
    level = pgtrigger.Row

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("name", "mandated_agency_attendance_only")
        super().__init__(**kwargs)

    def get_func(self, model: Any) -> str:
        referral = model._meta.apps.get_model("clients", "Referral")._meta.db_table
        allowed = ", ".join(f"'{scope}'" for scope in MANDATED_AGENCY_SCOPES)
        # Built from a table name and the Scope enumeration, never from input.
        return self.format_sql(f"""
            IF TG_OP = 'UPDATE' AND NEW.scope IS NOT DISTINCT FROM OLD.scope
               AND NEW.recipient IS NOT DISTINCT FROM OLD.recipient THEN
                RETURN NEW;
            END IF;
            IF NEW.scope NOT IN ({allowed}) AND EXISTS (
                SELECT 1 FROM {referral} r
                WHERE r.client_id = NEW.client_id AND r.source = 'mandated'
                  AND btrim(r.agency) <> ''
                  AND strpos(lower(NEW.recipient), lower(btrim(r.agency))) > 0
            ) THEN
                RAISE EXCEPTION 'a mandated referral''s agency receives attendance only';
            END IF;
            RETURN NEW;
        """)  # noqa: S608


class Consent(models.Model):
    """A written consent to disclose, in the shape 42 CFR Part 2 requires: recipient,
    purpose, what may be disclosed, effective and expiry dates, signature, revocation."""

    # Signed and revoked in the past; in force from and expiring on dates that may lie ahead.
    DATE_RANGES = {
        "signed_on": bounds.HISTORY,
        "revoked_on": bounds.HISTORY,
        "effective_on": bounds.PLANNING,
        "expires_on": bounds.PLANNING,
    }

    class Scope(models.TextChoices):
        ATTENDANCE = "attendance", _("Attendance only (dates attended or missed)")
        SUMMARY = "summary", _("Treatment summary")
        COUNSELING_NOTES = "counseling_notes", _("Counseling notes (needs its own consent)")
        OTHER = "other", _("Other (describe)")
        # Not a disclosure outside the clinic: the client agrees to take part in a group, where
        # other members and the facilitators hear what they share (groups.services).
        GROUP = "group", _("Taking part in a group")

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="consents")
    recipient = models.CharField(_("recipient"), max_length=200)
    purpose = models.CharField(_("purpose of the disclosure"), max_length=500)
    scope = models.CharField(_("what may be disclosed"), max_length=32, choices=Scope)
    scope_details = LongText(_("details of what may be disclosed"))
    effective_on = models.DateField(_("effective from"))
    expires_on = models.DateField(_("expires on"))
    signed_on = models.DateField(_("signed by the client on"))
    revoked_on = models.DateField(_("revoked on"), null=True, blank=True)
    revoked_by = models.CharField(
        _("revoked by"), max_length=200, blank=True, help_text=_("Usually the client.")
    )
    revocation_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    objects = ConsentQuerySet.as_manager()

    EXPIRING_WITHIN_DAYS = 30

    class Meta:
        ordering = ["-effective_on", "-id"]
        triggers = [MandatedAgencyAttendanceOnly()]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_on__gt=models.F("effective_on")),
                name="consent_expires_after_effective",
                violation_error_message=_("The expiry date must be after the effective date."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.recipient}: {self.get_scope_display()}"

    def clean(self) -> None:
        if self.effective_on and self.expires_on and self.expires_on <= self.effective_on:
            raise ValidationError(
                {"expires_on": _("The expiry date must be after the effective date.")}
            )
        if self.scope == self.Scope.OTHER and not self.scope_details.strip():
            raise ValidationError({"scope_details": _("Describe what may be disclosed.")})
        # A revoked consent allows nothing, so a consent recorded before the referral became
        # mandated can still be revoked (the trigger lets that through too).
        refusal = "" if self.revoked_on else self.scope_refusal()
        if refusal:
            raise ValidationError({"scope": refusal})

    def scope_refusal(self) -> str:
        """Why this consent's scope may not be given to its recipient, or "".

        The one statement of the rule (DOMAIN.md): the agency of a mandated referral sees
        attendance only, so a consent naming it (`names`) may only have a scope in
        MANDATED_AGENCY_SCOPES. The form shows this message; the service refuses through
        `full_clean`; the trigger MandatedAgencyAttendanceOnly refuses the rest."""
        if self.scope in MANDATED_AGENCY_SCOPES:
            return ""
        agency = mandated_agency(self.client_id)
        if not names(self.recipient, agency):
            return ""
        return str(
            _(
                "“%(recipient)s” is the agency of this client's mandated referral (%(agency)s). "
                "A mandated referral's agency sees attendance only (dates attended or missed), "
                "never clinical content: choose “Attendance only” for this recipient."
            )
            % {"recipient": self.recipient.strip(), "agency": agency}
        )

    @property
    def state(self) -> str:
        today = timezone.localdate()
        if self.revoked_on:
            return "revoked"
        if self.expires_on < today:
            return "expired"
        if self.effective_on > today:
            return "not_yet_effective"
        if self.expires_on <= today + datetime.timedelta(days=self.EXPIRING_WITHIN_DAYS):
            return "expiring_soon"
        return "in_force"

    @property
    def state_label(self) -> str:
        return {
            "revoked": _("Revoked"),
            "expired": _("Expired"),
            "not_yet_effective": _("Not yet in force"),
            "expiring_soon": _("Expires soon"),
            "in_force": _("In force"),
        }[self.state]


# What a consent naming the agency of a mandated referral may allow: attendance only.
MANDATED_AGENCY_SCOPES = (Consent.Scope.ATTENDANCE,)


class IdentityDecisionImmutableError(ImmutableError):
    """Raised when code tries to change or remove a recorded decision about a duplicate."""


class IdentityDecision(AppendOnlyModel):
    """A clinician's decision about a possible duplicate (two records with the same legal name
    and date of birth, clients.identity): the same person, merged, or two people, kept apart.
    Append-only: a decision is part of the record's history, reviewed by the supervisor.

    A merge keeps `merged` as an alias of `client` (Client.merged_into): every row of both
    records stays where it was written, so its origin is the record it points at; `rows_kept`
    is the count per related table of the alias at the moment of the merge, derived from
    `Client._meta.related_objects`."""

    class Decision(models.TextChoices):
        MERGED = "merged", _("Same person: records merged")
        KEPT_APART = "kept_apart", _("Different people: kept apart")

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="identity_decisions")
    other = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(_("decision"), max_length=16, choices=Decision)
    rows_kept = models.JSONField(default=dict, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-decided_at", "-id"]
        triggers = append_only(error=IdentityDecisionImmutableError)
        constraints = [
            models.CheckConstraint(
                condition=~Q(client=models.F("other")), name="identity_decision_two_records"
            ),
        ]

    def __str__(self) -> str:
        return f"Identity decision {self.client_id}/{self.other_id}: {self.decision}"
