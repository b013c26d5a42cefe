"""Harm reduction supplies and services given to a client (naloxone kits, test strips, sterile
supplies...), or the client referred elsewhere for them.

A record is never edited. A mistake is put right by voiding the record with a reason (a
`SupplyVoid` row) and, for a correction, recording the right one with `corrects` pointing at
the voided record (supplies.services.supply_correct does both at once). Both tables are
append-only (hrp.immutability): the counts a funder received last month can always be
explained from the rows.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.models import Client
from hrp import bounds
from hrp.crypto import EncryptedTextField
from hrp.immutability import AppendOnlyModel, ImmutableError, append_only

# The most of one item recorded at once: a box of 100 syringes a few times over, not a typo
# of an extra zero or two.
QUANTITY_MAX = 500


class SupplyImmutableError(ImmutableError):
    """Raised when code tries to change or remove a supply record or its void."""


class SupplyRecord(AppendOnlyModel):
    DATE_RANGES = {"given_on": bounds.HISTORY}

    class Item(models.TextChoices):
        NALOXONE = "naloxone", _("Naloxone kit")
        FENTANYL_STRIPS = "fentanyl_strips", _("Fentanyl test strips")
        XYLAZINE_STRIPS = "xylazine_strips", _("Xylazine test strips")
        STERILE = "sterile", _("Sterile syringes and injecting supplies")
        SAFER_SMOKING = "safer_smoking", _("Safer-smoking supplies")
        OTHER = "other", _("Other (describe)")

    class How(models.TextChoices):
        GIVEN = "given", _("Given at the clinic")
        REFERRED = "referred", _("Referred elsewhere for it")

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="supplies")
    item = models.CharField(_("item"), max_length=24, choices=Item)
    # Which "other" item: a plain description ("wound care kit"), not clinical content.
    item_other = models.CharField(_("other item"), max_length=100, blank=True)
    quantity = models.PositiveIntegerField(_("quantity"))
    given_on = models.DateField(_("date"))
    how = models.CharField(_("given or referred"), max_length=12, choices=How, default=How.GIVEN)
    note = EncryptedTextField(_("note"), blank=True)
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
        ordering = ["-given_on", "-id"]
        indexes = [
            models.Index(fields=["client", "given_on"]),
            # The funders' report reads a range of months across the clinic.
            models.Index(fields=["given_on"]),
        ]
        triggers = append_only(error=SupplyImmutableError)
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gte=1, quantity__lte=QUANTITY_MAX),
                name="supply_quantity_range",
                violation_error_message=_("The quantity must be from 1 to 500."),
            ),
            models.CheckConstraint(
                condition=~Q(item="other") | ~Q(item_other=""),
                name="supply_other_described",
                violation_error_message=_("Describe the other item."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item} x{self.quantity} ({self.given_on})"

    @property
    def item_label(self) -> str:
        if self.item == self.Item.OTHER:
            return self.item_other
        return str(self.get_item_display())


class SupplyVoid(AppendOnlyModel):
    """A record set aside as recorded in error, with why. Voided records stay on the chart
    (struck through) and leave every total."""

    record = models.OneToOneField(SupplyRecord, on_delete=models.PROTECT, related_name="void")
    reason = EncryptedTextField(_("reason"))
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    voided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        triggers = append_only(error=SupplyImmutableError)

    def __str__(self) -> str:
        return f"void of {self.record_id}"
