from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class ClinicSetting(models.Model):
    """One clinic setting saved on the Clinic settings page (hrp/clinic.py reads them)."""

    key = models.CharField(max_length=64, unique=True)
    value = models.JSONField()
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    def __str__(self) -> str:
        return self.key
