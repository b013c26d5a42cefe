from __future__ import annotations

from typing import Any, NoReturn

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditImmutableError(Exception):
    """Raised when code tries to change or remove an audit event."""


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AuditImmutableError("Audit events are never updated.")

    def delete(self) -> NoReturn:
        raise AuditImmutableError("Audit events are never deleted.")


class AuditEvent(models.Model):
    """One append-only row per access, change or security event.

    Rows carry metadata (who, when, what kind, which object, from where) and, for changes, the
    old and new values of the fields that changed. Clinical apps record the chart number, not
    the client's name, so the trail can be shown to a clinic admin without clinical content.
    On PostgreSQL a trigger refuses UPDATE and DELETE too (migration 0002).
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

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AuditImmutableError("Audit events are never updated.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AuditImmutableError("Audit events are never deleted.")
