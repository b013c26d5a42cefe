"""Writes from the oversight pages: recording an export of the trail, unlocking an account.

Both are audited; neither writes anything clinical.
"""

from __future__ import annotations

from axes.utils import reset as axes_reset
from django.db import transaction

from hrp.accounts.identity import canonical_email
from hrp.accounts.models import User
from hrp.audit.actions import AuditAction
from hrp.audit.models import AuditEvent
from hrp.audit.services import audit_record
from oversight import selectors
from oversight.filters import AuditFilters


def audit_export_record(*, actor: User, filters: AuditFilters) -> AuditEvent:
    """Audit that `actor` exported the trail with `filters`.

    Recorded before the first row is sent: an export that breaks off half way still happened.
    The filter summary (identifiers and dates only) goes in `changes`; a chart-number filter
    also sets the event's chart number, so the export appears in that client's access report.
    Side effect: audit event `audit.export` (returned).
    """
    return audit_record(
        category=AuditEvent.Category.ACCESS,
        action=AuditAction.AUDIT_EXPORT,
        actor=actor,
        chart_number=filters.chart_number,
        changes={f"filter.{k}": (None, v) for k, v in filters.summary().items()},
    )


def access_report_view_record(*, actor: User, chart_number: str) -> None:
    """Audit that `actor` opened a client's access report (it names the client).

    Side effect: audit event `oversight.access_report`.
    """
    audit_record(
        category=AuditEvent.Category.ACCESS,
        action=AuditAction.OVERSIGHT_ACCESS_REPORT,
        actor=actor,
        chart_number=chart_number,
    )


@transaction.atomic
def account_unlock(*, actor: User, user: User) -> bool:
    """Lift a sign-in lockout on `user` before its cool-off ends; True if they were locked.

    Clears every failed-attempt record axes holds for the account (all addresses), so the next
    sign-in starts a fresh count. Nothing happens, and nothing is audited, when the account was
    not locked. Side effect: audit event `account.unlock`.
    """
    username = canonical_email(user.email)
    if username not in selectors.locked_usernames():
        return False
    cleared = axes_reset(username=username)
    audit_record(
        category=AuditEvent.Category.SECURITY,
        action=AuditAction.ACCOUNT_UNLOCK,
        actor=actor,
        obj=user,
        changes={"locked": (True, False)},
        detail=f"failed-attempt records cleared: {cleared}",
    )
    return True
