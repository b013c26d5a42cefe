"""Writes for the clinic shell: the clinic settings page."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from hrp import clinic
from hrp.accounts.models import User
from hrp.audit.actions import AuditAction
from hrp.audit.models import AuditEvent
from hrp.audit.services import audit_record
from hrp.core.models import ClinicSetting


@transaction.atomic
def clinic_settings_save(*, actor: User, raw: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """Validate and save the clinic settings in `raw` (name -> submitted value). All or
    nothing: any invalid value refuses the whole save, with a message per setting. Returns
    and audits (`clinic.settings`) what changed, old and new; settings are not clinical."""
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    for name, value in raw.items():
        try:
            cleaned[name] = clinic.validate(name, value)
        except ValidationError as error:
            errors[name] = error.messages
    if errors:
        raise ValidationError(errors)
    changes = {}
    for name, value in cleaned.items():
        old = clinic.clinic_setting(name)
        if isinstance(old, dict) and isinstance(value, dict):
            # The environment may add keys the page does not show; only the page's keys count.
            changed = any(old.get(key) != number for key, number in value.items())
        else:
            changed = old != value
        if changed:
            changes[name] = (old, value)
            ClinicSetting.objects.update_or_create(
                key=name,
                defaults={"value": value, "updated_at": timezone.now(), "updated_by": actor},
            )
    if changes:
        audit_record(
            category=AuditEvent.Category.CHANGE,
            action=AuditAction.CLINIC_SETTINGS,
            actor=actor,
            changes=_audited(changes),
        )
        saved = dict(ClinicSetting.objects.values_list("key", "value"))
        transaction.on_commit(lambda: clinic.store(saved))
    return changes


def _audited(changes: dict[str, tuple[Any, Any]]) -> dict[str, tuple[Any, Any]]:
    """The changes as the audit trail stores them: plain values only (it would keep a dict as
    its Python repr), so a map setting (reminder timings, measure intervals) is recorded key by
    key, `NAME.key`, for the keys that changed."""
    flat: dict[str, tuple[Any, Any]] = {}
    for name, (old, new) in changes.items():
        if isinstance(new, dict):
            before = old if isinstance(old, dict) else {}
            for key, value in new.items():
                if before.get(key) != value:
                    flat[f"{name}.{key}"] = (before.get(key), value)
        else:
            flat[name] = (old, new)
    return flat
