"""The accounting of disclosures (42 CFR Part 2 §2.24 / HIPAA 164.528): one append-only row per
document that left the clinic, saying who sent what to whom, when, under which consent.

Rows are never changed or removed: `Meta.triggers = append_only()` (hrp.immutability) makes
PostgreSQL refuse UPDATE, DELETE and TRUNCATE, so not even raw SQL from the application can
rewrite the accounting, and derives the Python guard (`save()` of a stored row, `delete()`, bulk
changes raise DisclosureImmutableError).

The produced PDF itself is not stored: the clinic keeps no second copy of what it sent, and
`sha256` lets anyone holding the document prove it is the one recorded here.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.models import Client, Consent
from hrp import formats
from hrp.crypto import EncryptedTextField
from hrp.immutability import AppendOnlyModel, ImmutableError, append_only


class DisclosureImmutableError(ImmutableError):
    """Raised when code tries to change or remove a recorded disclosure."""


class Disclosure(AppendOnlyModel):
    class What(models.TextChoices):
        ATTENDANCE_REPORT = "attendance_report", _("Attendance report")
        # Information about the client sent with a referral to another service (linkage app).
        # The counts stay 0 and the period is the day it was shared.
        REFERRAL = "referral", _("Referral information")
        # A progress summary downloaded for a recipient named in a consent (summaries app). The
        # counts stay 0; the period is the summary's.
        PROGRESS_SUMMARY = "progress_summary", _("Progress summary")
        # Billing exports (billing app): a superbill PDF, or the encounters as CSV for billing
        # software. The counts stay 0; the period is the export's.
        SUPERBILL = "superbill", _("Superbill")
        BILLING_CSV = "billing_csv", _("Encounters for billing software")
        # The client's record as a FHIR R4 Bundle sent to a recipient named in a consent
        # (records app). The counts stay 0; the period is the record's first day to the export.
        FHIR_RECORD = "fhir_record", _("Health record (FHIR)")

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="disclosures")
    consent = models.ForeignKey(
        Consent,
        verbose_name=_("under consent"),
        on_delete=models.PROTECT,
        related_name="disclosures",
    )
    # Copied from the consent when the document was produced: the accounting must say who
    # received it even if the consent's wording is later corrected.
    recipient = models.CharField(_("recipient"), max_length=200)
    what = models.CharField(_("what was disclosed"), max_length=32, choices=What.choices)
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"))
    # The figures the document showed, so the accounting says what was disclosed without
    # keeping the document.
    scheduled = models.PositiveIntegerField(_("sessions scheduled"))
    attended = models.PositiveIntegerField(_("attended"))
    cancelled_by_client = models.PositiveIntegerField(_("cancelled by the client"))
    cancelled_by_clinic = models.PositiveIntegerField(_("cancelled by the clinic"))
    missed = models.PositiveIntegerField(_("did not attend"))
    not_recorded = models.PositiveIntegerField(_("attendance not yet recorded"))
    moved = models.PositiveIntegerField(_("moved to another time"))
    disclosed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("disclosed by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    disclosed_at = models.DateTimeField(_("disclosed at"), default=timezone.now, db_index=True)
    sha256 = models.CharField(_("SHA-256 of the document"), max_length=64)
    # What was shared, in the clinician's words, for a referral (an attendance report's content
    # is its counts above). Clinical, so encrypted.
    shared = EncryptedTextField(_("what was shared"), null=True, blank=True)

    class Meta:
        ordering = ["-disclosed_at", "-id"]
        indexes = [models.Index(fields=["client", "disclosed_at"])]
        triggers = append_only(error=DisclosureImmutableError)
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")),
                name="disclosure_period_ordered",
                violation_error_message=_("The end of the period must be on or after its start."),
            ),
            models.CheckConstraint(
                condition=Q(
                    scheduled=F("attended")
                    + F("cancelled_by_client")
                    + F("cancelled_by_clinic")
                    + F("missed")
                    + F("not_recorded")
                ),
                name="disclosure_counts_add_up",
                violation_error_message=_("The counts must add up to the sessions scheduled."),
            ),
            models.CheckConstraint(
                condition=Q(sha256__regex=r"^[0-9a-f]{64}$"),
                name="disclosure_sha256_hex",
                violation_error_message=_("The document hash must be 64 hexadecimal digits."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_what_display()} to {self.recipient} ({formats.date(self.disclosed_at)})"
