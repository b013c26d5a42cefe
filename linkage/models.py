"""Referrals and linkage to other services (medication for opioid use disorder, syringe
services, medical care, psychiatry, housing, peer support...), offered, not imposed.

`ServiceReferral.status` is the current step, kept by linkage.services together with an
append-only `ReferralStatusChange` row per step (who, when, a note), so the history of an offer
is never rewritten. A declined referral is "declined", never a failure, and may be offered
again: the same referral moves back to "suggested" or "interested".

(Not clients.models.Referral, which records how the client came to the clinic.)
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.models import Client
from disclosures.models import Disclosure
from hrp import bounds
from hrp.crypto import EncryptedTextField
from hrp.immutability import AppendOnlyModel, ImmutableError, append_only


class ReferralImmutableError(ImmutableError):
    """Raised when code tries to change or remove a step of a referral's history."""


class Service(models.TextChoices):
    METHADONE = "methadone", _("Methadone")
    BUPRENORPHINE = "buprenorphine", _("Buprenorphine")
    SYRINGE_SERVICES = "syringe_services", _("Syringe services")
    MEDICAL_CARE = "medical_care", _("Medical care")
    PSYCHIATRY = "psychiatry", _("Psychiatry")
    HOUSING = "housing", _("Housing")
    PEER_SUPPORT = "peer_support", _("Peer support")
    OTHER = "other", _("Other (describe)")


class Status(models.TextChoices):
    # In the order an offer usually moves; any step may follow any other (a client may decline
    # at any point, and a declined offer may be made again).
    SUGGESTED = "suggested", _("Suggested")
    INTERESTED = "interested", _("Client interested")
    REFERRED = "referred", _("Referred")
    APPOINTMENT_MADE = "appointment_made", _("Appointment made")
    LINKED = "linked", _("Linked")
    DECLINED = "declined", _("Declined")


# Still open: the follow-up date reminds the therapist, the Overview lists it.
OPEN_STATUSES = (
    Status.SUGGESTED,
    Status.INTERESTED,
    Status.REFERRED,
    Status.APPOINTMENT_MADE,
)


class ServiceReferral(models.Model):
    DATE_RANGES = {"follow_up_on": bounds.PLANNING}

    Service = Service
    Status = Status

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="service_referrals")
    service = models.CharField(_("service"), max_length=24, choices=Service)
    service_other = models.CharField(_("other service"), max_length=100, blank=True)
    provider = models.CharField(
        _("organisation or provider"),
        max_length=200,
        blank=True,
        help_text=_("Who the client is referred to, e.g. “Eastside Opioid Treatment Program”."),
    )
    status = models.CharField(_("status"), max_length=20, choices=Status)
    follow_up_on = models.DateField(_("follow up on"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-updated_at", "-id"]
        indexes = [
            models.Index(fields=["client", "updated_at"]),
            # The follow-up reminders read open referrals by date across the clinic.
            models.Index(
                fields=["follow_up_on"],
                name="referral_open_follow_up",
                condition=Q(status__in=list(OPEN_STATUSES), follow_up_on__isnull=False),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(service="other") | ~Q(service_other=""),
                name="referral_other_described",
                violation_error_message=_("Describe the other service."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service} ({self.status})"

    @property
    def service_label(self) -> str:
        if self.service == Service.OTHER:
            return self.service_other
        return str(self.get_service_display())

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class ReferralStatusChange(AppendOnlyModel):
    """One step of a referral: the status it moved to, who recorded it and when, a note, and
    the disclosure made at that step if information about the client was shared."""

    referral = models.ForeignKey(ServiceReferral, on_delete=models.PROTECT, related_name="changes")
    status = models.CharField(_("status"), max_length=20, choices=Status)
    note = EncryptedTextField(_("note"), blank=True)
    disclosure = models.OneToOneField(
        Disclosure,
        verbose_name=_("information shared"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referral_change",
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["changed_at", "id"]
        indexes = [models.Index(fields=["referral", "changed_at"])]
        triggers = append_only(error=ReferralImmutableError)

    def __str__(self) -> str:
        return f"{self.referral_id}: {self.status}"
