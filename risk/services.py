"""Writes for risk flags: raise, follow up, resolve. The one follow-up path for every source.

For the source apps (assessments, sessions, safety, ...):

    risk_flag_raise(client=..., kind="suicide" | "overdose", level="some" | "acute",
                    source_key="safety.tolerance", source_id=window.pk,
                    description="Lost tolerance", actor=user)

`source_key` must be registered in risk.extensions (from the source app's ready()). One flag
per (source_key, source_id, kind): raising again returns the existing flag (a note signed
again after it was returned, a corrected answer, a retried task); "acute" raises an existing
"some" flag to acute, never the other way. `kind` and `level` are RiskFlag.Kind / Level values.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clients.models import Client
from hrp import access, bounds
from hrp.accounts.models import User
from hrp.audit.actions import AuditAction
from hrp.audit.models import AuditEvent
from hrp.audit.services import audit_record
from risk.extensions import risk_source
from risk.models import RiskFlag, RiskFollowUp

# A follow-up a few minutes "ahead" is a clock a little off, not a planned action.
CLOCK_SKEW = datetime.timedelta(minutes=5)


@transaction.atomic
def risk_flag_raise(
    *,
    client: Client,
    kind: str,
    level: str,
    source_key: str,
    source_id: int,
    actor: User,
    description: str = "",
    opened_at: datetime.datetime | None = None,
) -> RiskFlag:
    """Open the flag for one source record, or return the one it already opened.

    The source app has already checked that `actor` may write the record that raised it.
    Side effects: change event `risk.raise` (or `risk.escalate` when an open flag becomes
    acute); reminders follow from the flag (risk/reminders.py), planned by the next run.
    """
    if kind not in RiskFlag.Kind.values or level not in RiskFlag.Level.values:
        raise ValueError(f"unknown risk kind or level: {kind!r}, {level!r}")
    source = risk_source(source_key)
    if source is None:
        raise ValueError(f"unregistered risk source {source_key!r}: see risk/extensions.py")
    existing = (
        RiskFlag.objects.select_for_update()
        .filter(source_key=source_key, source_id=source_id, kind=kind)
        .first()
    )
    if existing is not None:
        if level == RiskFlag.Level.ACUTE and not existing.acute and existing.unresolved:
            existing.level = RiskFlag.Level.ACUTE
            existing.save(update_fields=["level"])
            _audit(AuditAction.RISK_FLAG_ESCALATE, actor, existing, {"level": ("some", "acute")})
        return existing
    flag = RiskFlag(
        client=client,
        kind=kind,
        level=level,
        source_key=source_key,
        source_id=source_id,
        source_description=(description or str(source.label))[:200],
        opened_at=opened_at or timezone.now(),
        opened_by=actor,
    )
    try:
        # A savepoint: two transactions raising the same flag at once leave one row.
        with transaction.atomic():
            flag.save()
    except IntegrityError:
        return RiskFlag.objects.get(source_key=source_key, source_id=source_id, kind=kind)
    _audit(
        AuditAction.RISK_FLAG_RAISE,
        actor,
        flag,
        {"kind": (None, kind), "level": (None, level), "source": (None, source_key)},
    )
    return flag


def _audit(action: AuditAction, actor: User, flag: RiskFlag, changes: dict) -> None:
    audit_record(
        category=AuditEvent.Category.CHANGE,
        action=action,
        actor=actor,
        obj=flag,
        chart_number=flag.client.chart_number,
        changes=changes,
    )


def _locked(flag: RiskFlag) -> RiskFlag:
    return RiskFlag.objects.select_for_update().select_related("client").get(pk=flag.pk)


@transaction.atomic
def risk_flag_follow_up(
    *, actor: User, flag: RiskFlag, action: str, done_at: datetime.datetime
) -> RiskFollowUp:
    """Record what was done about a flag. The treating clinician and the client's current
    supervisor may record one (not a reader under an emergency grant). An open flag becomes
    "followed up"; a resolved flag takes no more follow-ups. Side effect: `risk.follow_up`."""
    flag = _locked(flag)
    access.require_care(actor, flag.client)
    if not flag.unresolved:
        raise ValidationError(_("This flag is resolved: it takes no more follow-ups."))
    action = action.strip()
    if not action:
        raise ValidationError({"action": _("Describe what was done.")})
    _check_when(done_at, flag, field="done_at", what=_("The follow-up"))
    follow_up = RiskFollowUp(flag=flag, action=action, done_at=done_at, recorded_by=actor)
    follow_up.full_clean(exclude=["flag", "recorded_by"])
    follow_up.save()
    before = flag.state
    flag.state = RiskFlag.State.FOLLOWED_UP
    if flag.last_follow_up_at is None or done_at > flag.last_follow_up_at:
        flag.last_follow_up_at = done_at
    flag.save(update_fields=["state", "last_follow_up_at"])
    audit_record(
        category=AuditEvent.Category.CHANGE,
        action=AuditAction.RISK_FOLLOW_UP,
        actor=actor,
        obj=follow_up,
        chart_number=flag.client.chart_number,
        changes={"done_at": (None, done_at), "state": (before, flag.state)},
    )
    return follow_up


def _check_when(moment: datetime.datetime, flag: RiskFlag, *, field: str, what: str) -> None:
    if moment > timezone.now() + CLOCK_SKEW:
        raise ValidationError({field: _("%(what)s cannot be in the future.") % {"what": what}})
    bounds.HISTORY.check_datetime(moment, field=field)
    if moment < flag.opened_at - CLOCK_SKEW:
        raise ValidationError(
            {field: _("%(what)s cannot be before the flag was opened.") % {"what": what}}
        )


@transaction.atomic
def risk_flag_resolve(
    *, actor: User, flag: RiskFlag, resolution: str, resolved_at: datetime.datetime | None = None
) -> RiskFlag:
    """Close a flag, saying why. Only the treating clinician resolves (the supervisor may
    follow up). At least one follow-up must be recorded first: resolving is the end of the
    follow-up path, not a way around it. Side effect: `risk.resolve`."""
    flag = _locked(flag)
    access.require_write(actor, flag.client)
    if not flag.unresolved:
        raise ValidationError(_("This flag is already resolved."))
    if flag.state != RiskFlag.State.FOLLOWED_UP:
        raise ValidationError(_("Record what was done before resolving the flag."))
    resolution = resolution.strip()
    if not resolution:
        raise ValidationError({"resolution": _("Say why the flag can be resolved.")})
    resolved_at = resolved_at or timezone.now()
    _check_when(resolved_at, flag, field="resolved_at", what=_("Resolving"))
    flag.state = RiskFlag.State.RESOLVED
    flag.resolved_at = resolved_at
    flag.resolved_by = actor
    flag.resolution = resolution
    flag.full_clean(exclude=["client", "opened_by", "resolved_by"])
    flag.save(update_fields=["state", "resolved_at", "resolved_by", "resolution"])
    _audit(
        AuditAction.RISK_FLAG_RESOLVE,
        actor,
        flag,
        {"state": (RiskFlag.State.FOLLOWED_UP, RiskFlag.State.RESOLVED)},
    )
    return flag
