from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hrp.accounts.identity import canonical_email
from hrp.crypto import EncryptedTextField


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def get_by_natural_key(self, username: str | None) -> User:
        # Emails are stored in their canonical form and found by exact equality with it, never
        # by a case-insensitive match in the database (hrp.accounts.identity says why).
        return self.get(email=canonical_email(username))

    def create_user(self, email: str, password: str | None = None, **extra: object) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=canonical_email(email), **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        extra.setdefault("is_clinic_admin", True)
        return self.create_user(email, password, **extra)

    def active(self) -> models.QuerySet[User]:
        return self.filter(is_active=True)


def validate_npi(value: str) -> None:
    """A National Provider Identifier: 10 ASCII digits whose last is the Luhn check digit
    computed with the prefix 80840 (CMS, "Requirements for the NPI check digit")."""
    if not (len(value) == 10 and value.isascii() and value.isdigit()):
        raise ValidationError(_("An NPI is 10 digits."))
    digits = [int(d) for d in "80840" + value]
    total = 0
    for position, digit in enumerate(reversed(digits)):
        if position % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    if total % 10:
        raise ValidationError(_("This NPI's check digit is wrong: please check the number."))


def interface_languages() -> list[tuple[str, str]]:
    """The languages the staff interface offers (settings.LANGUAGES): a callable, so that a
    language added to the settings needs no migration."""
    return list(settings.LANGUAGES)


class User(AbstractBaseUser, PermissionsMixin):
    """A member of clinic staff. Never deleted: authorship of clinical records must survive,
    so leaving the clinic means deactivation."""

    email = models.EmailField(_("email address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=150)
    credentials = models.CharField(
        _("credentials"),
        max_length=100,
        blank=True,
        help_text=_("Shown after the name on signed notes, e.g. LCSW, PhD, trainee."),
    )
    # For billing (superbills, encounter exports): printed with the rendering clinician.
    licence = models.CharField(
        _("licence"),
        max_length=100,
        blank=True,
        help_text=_("Licence type, number and state, e.g. LCSW 012345 (NY)."),
    )
    npi = models.CharField(
        _("NPI"),
        max_length=10,
        blank=True,
        validators=[validate_npi],
        help_text=_("National Provider Identifier (10 digits)."),
    )
    is_therapist = models.BooleanField(_("therapist"), default=False)
    is_supervisor = models.BooleanField(_("supervisor"), default=False)
    is_clinic_admin = models.BooleanField(_("clinic admin"), default=False)
    requires_cosign = models.BooleanField(
        _("notes need a supervisor's co-signature"),
        default=False,
        help_text=_("For trainees: their session notes go to their supervisor to co-sign."),
    )
    email_reminders = models.BooleanField(_("send reminders by email too"), default=False)
    # Chosen by the person on "Your account"; activated for each of their requests
    # (hrp.accounts.middleware.UserLanguageMiddleware).
    language = models.CharField(
        _("interface language"), max_length=10, choices=interface_languages, default="en"
    )
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(default=False, editable=False)
    date_joined = models.DateTimeField(_("account created"), default=timezone.now)
    deactivated_at = models.DateTimeField(_("deactivated"), null=True, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        ordering = ["full_name", "email"]
        verbose_name = _("staff account")
        verbose_name_plural = _("staff accounts")
        constraints = [
            models.CheckConstraint(
                condition=Q(requires_cosign=False) | Q(is_therapist=True),
                name="cosign_only_for_therapists",
                violation_error_message=_("Only a therapist can need co-signature."),
            ),
            models.CheckConstraint(
                condition=Q(is_active=True) | Q(deactivated_at__isnull=False),
                name="deactivated_has_date",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email

    @classmethod
    def normalize_username(cls, username: str) -> str:
        # Django's clean() and its user forms normalise the sign-in name through this.
        return canonical_email(username)

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email

    @property
    def has_clinical_role(self) -> bool:
        return self.is_therapist or self.is_supervisor

    @property
    def role_labels(self) -> list[str]:
        labels = []
        if self.is_therapist:
            labels.append(str(_("Therapist")))
        if self.is_supervisor:
            labels.append(str(_("Supervisor")))
        if self.is_clinic_admin:
            labels.append(str(_("Clinic admin")))
        return labels


class SupervisionQuerySet(models.QuerySet["Supervision"]):
    def current(self) -> SupervisionQuerySet:
        """The supervisions in force now: the one definition of "current supervisor" that
        access, dashboards, reminders and summaries all use."""
        return self.filter(ended_at__isnull=True)


class Supervision(models.Model):
    """Links a supervisor to a therapist. Ending a supervision keeps the row, so who supervised
    whom and when stays answerable; a therapist has at most one current supervisor."""

    supervisor = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="supervisions_given"
    )
    supervisee = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="supervisions_received"
    )
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )

    objects = SupervisionQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["supervisee"],
                condition=Q(ended_at__isnull=True),
                name="one_current_supervisor",
            ),
            models.CheckConstraint(
                condition=~Q(supervisor=models.F("supervisee")),
                name="no_self_supervision",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.supervisor} → {self.supervisee}"

    @property
    def is_current(self) -> bool:
        return self.ended_at is None


class EmergencyGrant(models.Model):
    """Emergency ("break-glass") access: a clinician opens a client who is not theirs, stating
    a reason and re-entering their password. Read-only, for EMERGENCY_ACCESS_HOURS; every page
    opened under it is audited, and the client's therapist and supervisor are notified."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="emergency_grants")
    client = models.ForeignKey(
        "clients.Client", on_delete=models.PROTECT, related_name="emergency_grants"
    )
    reason = EncryptedTextField(_("reason"))
    granted_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-granted_at"]
        indexes = [models.Index(fields=["user", "client", "expires_at"])]

    def __str__(self) -> str:
        return f"Emergency access {self.pk}"

    def is_active(self, now: Any = None) -> bool:
        now = now or timezone.now()
        return self.ended_at is None and self.expires_at > now


class CoverQuerySet(models.QuerySet["Cover"]):
    def current(self, today: datetime.date | None = None) -> CoverQuerySet:
        """The covers in force on `today`: by default today in the active time zone, which is
        the clinic's during every request and task (hrp.core.middleware). A cover's range is
        inclusive of both dates; one ended early is over at once."""
        today = today or timezone.localdate()
        return self.filter(ended_at__isnull=True, starts_on__lte=today, ends_on__gte=today)


class Cover(models.Model):
    """A therapist covers another's caseload for a date range (leave, holidays): while it is in
    force the cover reads and writes the absent therapist's clients as a treating clinician
    (hrp.access). Arranged by a clinic admin or the absent therapist's supervisor; ending it
    early keeps the row, so who covered whom and when stays answerable."""

    absent = models.ForeignKey(User, on_delete=models.PROTECT, related_name="covers_received")
    cover = models.ForeignKey(User, on_delete=models.PROTECT, related_name="covers_given")
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("last day"))
    arranged_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    arranged_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )

    objects = CoverQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(absent=models.F("cover")), name="no_self_cover"),
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="cover_ends_on_or_after_start"
            ),
        ]
        indexes = [
            models.Index(fields=["cover", "ends_on"]),
            models.Index(fields=["absent", "ends_on"]),
        ]

    def __str__(self) -> str:
        return f"{self.cover} covers {self.absent}"
