from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hrp import formats
from hrp.immutability import AppendOnlyModel, ImmutableError, append_only


class AuditImmutableError(ImmutableError):
    """Raised when code tries to change or remove an audit event."""


class AuditEvent(AppendOnlyModel):
    """One append-only row per access, change or security event.

    Rows carry metadata (who, when, what kind, which object, from where) and, for changes, the
    old and new values of the fields that changed. Clinical apps record the chart number, not
    the client's name, so the trail can be shown to a clinic admin without clinical content.
    Append-only (hrp.immutability): the database refuses UPDATE, DELETE and TRUNCATE, and
    Python refuses `save()` of a stored row, `delete()` and bulk changes.
    """

    class Category(models.TextChoices):
        ACCESS = "access", _("Access")
        CHANGE = "change", _("Change")
        SECURITY = "security", _("Security")

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="audit_events",
    )
    category = models.CharField(max_length=16, choices=Category.choices)
    action = models.CharField(max_length=64, db_index=True)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    chart_number = models.CharField(max_length=32, blank=True, db_index=True)
    changes = models.JSONField(default=dict, blank=True)
    detail = models.CharField(max_length=255, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    path = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]
        triggers = append_only(error=AuditImmutableError)

    def __str__(self) -> str:
        return f"{formats.datetime_(self.at)} {self.action}"
