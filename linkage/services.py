"""Writes for referrals: offer one, and record each step after (status, note, follow-up date,
information shared).

Only the client's treating clinician writes (hrp.access.require_write). Sharing information
about the client with the provider is a disclosure under 42 CFR Part 2: it needs a consent in
force naming the provider, and it is recorded in the accounting of disclosures
(disclosures.services.referral_disclosure_record), in the same transaction as the step, so a
step that shares is never stored without its disclosure, nor the disclosure without its step.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clients.models import Client, Consent
from disclosures import services as disclosure_services
from disclosures.models import Disclosure
from hrp import access, bounds
from hrp.accounts.models import User
from hrp.audit.actions import AuditAction
from hrp.audit.models import AuditEvent
from hrp.audit.services import audit_record
from linkage.models import ReferralStatusChange, Service, ServiceReferral, Status

_UNCHANGED: Any = object()


def _audit(action: AuditAction, *, actor: User, client: Client, obj: Any, **changes: Any) -> None:
    audit_record(
        category=AuditEvent.Category.CHANGE,
        action=action,
        actor=actor,
        obj=obj,
        chart_number=client.chart_number,
        changes=changes,
    )


def _check_status(status: str) -> None:
    if status not in Status.values:
        raise ValidationError({"status": _("Choose a status from the list.")})


def _share(
    *,
    actor: User,
    client: Client,
    provider: str,
    share: bool,
    consent: Consent | None,
    shared: str,
    at: datetime.datetime,
) -> Disclosure | None:
    if not share:
        return None
    return disclosure_services.referral_disclosure_record(
        actor=actor, client=client, consent=consent, recipient=provider, shared=shared, at=at
    )


@transaction.atomic
def referral_offer(
    *,
    actor: User,
    client: Client,
    service: str,
    service_other: str = "",
    provider: str = "",
    status: str = Status.SUGGESTED,
    follow_up_on: datetime.date | None = None,
    note: str = "",
    share: bool = False,
    consent: Consent | None = None,
    shared: str = "",
    at: datetime.datetime | None = None,
) -> ServiceReferral:
    """Offer the client a referral (usually "suggested"; a referral already made may start
    further on). With `share`, information about the client goes to the provider: a consent
    in force naming them is required and a Disclosure is recorded.

    Side effects: a ServiceReferral, its first ReferralStatusChange, a change event
    `referral.create` (service and status, not the note), and with `share` a Disclosure and
    its `disclosure.referral` event. `at` backdates the step (the demo clinic); pages never
    pass it. Refuses with ValidationError, storing nothing."""
    access.require_write(actor, client)
    at = at or timezone.now()
    problems: dict[str, str] = {}
    if service not in Service.values:
        problems["service"] = _("Choose a service from the list.")
    elif service == Service.OTHER and not service_other.strip():
        problems["service_other"] = _("Describe the other service.")
    if status not in Status.values:
        problems["status"] = _("Choose a status from the list.")
    if problems:
        raise ValidationError(problems)
    bounds.check_dates({"follow_up_on": follow_up_on}, ServiceReferral.DATE_RANGES)
    referral = ServiceReferral.objects.create(
        client=client,
        service=service,
        service_other=service_other.strip() if service == Service.OTHER else "",
        provider=provider.strip(),
        status=status,
        follow_up_on=follow_up_on,
        created_by=actor,
        created_at=at,
        updated_at=at,
    )
    disclosure = _share(
        actor=actor,
        client=client,
        provider=referral.provider,
        share=share,
        consent=consent,
        shared=shared,
        at=at,
    )
    ReferralStatusChange.objects.create(
        referral=referral,
        status=status,
        note=note.strip(),
        disclosure=disclosure,
        changed_by=actor,
        changed_at=at,
    )
    _audit(
        AuditAction.REFERRAL_CREATE,
        actor=actor,
        client=client,
        obj=referral,
        service=(None, service),
        status=(None, status),
        shared=(None, disclosure is not None),
    )
    return referral


@transaction.atomic
def referral_update(
    *,
    actor: User,
    client: Client,
    referral: ServiceReferral,
    status: str,
    note: str = "",
    follow_up_on: Any = _UNCHANGED,
    share: bool = False,
    consent: Consent | None = None,
    shared: str = "",
    at: datetime.datetime | None = None,
) -> ServiceReferral:
    """Record the next step of a referral: a new status (any: a client may decline at any
    point, and a declined offer may be made again), a note, a new follow-up date, information
    shared with the provider (consent required, Disclosure recorded).

    A step with a new status, a note or information shared is a ReferralStatusChange row; a
    new follow-up date alone changes only the date. Side effects: change events
    `referral.status` and/or `referral.follow_up` (never the note), and with `share` a
    Disclosure and its event. Refuses with ValidationError, storing nothing, when nothing
    would change or sharing is not allowed."""
    access.require_write(actor, client)
    at = at or timezone.now()
    _check_status(status)
    locked = (
        ServiceReferral.objects.select_for_update().filter(pk=referral.pk, client=client).first()
    )
    if locked is None:
        raise ValidationError(_("This referral belongs to another client's chart."))
    if follow_up_on is _UNCHANGED:
        follow_up_on = locked.follow_up_on
    bounds.check_dates({"follow_up_on": follow_up_on}, ServiceReferral.DATE_RANGES)
    note = note.strip()
    moved = status != locked.status
    new_date = follow_up_on != locked.follow_up_on
    if not (moved or note or share or new_date):
        raise ValidationError(
            _("Nothing to record: choose a new status, add a note, or change the follow-up date.")
        )
    disclosure = _share(
        actor=actor,
        client=client,
        provider=locked.provider,
        share=share,
        consent=consent,
        shared=shared,
        at=at,
    )
    if moved or note or disclosure is not None:
        ReferralStatusChange.objects.create(
            referral=locked,
            status=status,
            note=note,
            disclosure=disclosure,
            changed_by=actor,
            changed_at=at,
        )
    old_status, old_date = locked.status, locked.follow_up_on
    locked.status = status
    locked.follow_up_on = follow_up_on
    locked.updated_at = at
    locked.save(update_fields=["status", "follow_up_on", "updated_at"])
    if moved or note or disclosure is not None:
        _audit(
            AuditAction.REFERRAL_STATUS,
            actor=actor,
            client=client,
            obj=locked,
            status=(old_status, status),
            shared=(None, disclosure is not None),
        )
    if new_date:
        _audit(
            AuditAction.REFERRAL_FOLLOW_UP,
            actor=actor,
            client=client,
            obj=locked,
            follow_up_on=(
                old_date.isoformat() if old_date else None,
                follow_up_on.isoformat() if follow_up_on else None,
            ),
        )
    return locked
