"""Arranging and ending covers. Both are security events in the audit trail: a cover moves
who may read and write a caseload."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hrp import access, bounds
from hrp.accounts.models import Cover, User
from hrp.audit.actions import AuditAction
from hrp.audit.models import AuditEvent
from hrp.audit.services import audit_record

# A cover is for leave and holidays; a longer absence is a reassignment.
LONGEST_COVER_DAYS = 92


@transaction.atomic
def cover_arrange(
    *,
    actor: User,
    absent: User,
    cover: User,
    starts_on: datetime.date,
    ends_on: datetime.date,
) -> Cover:
    """Arrange for `cover` to cover `absent`'s caseload from `starts_on` to `ends_on` (the
    clinic's dates, both included). Refused (PermissionDenied) unless `actor` is a clinic admin
    or `absent`'s current supervisor; refused (ValidationError, nothing stored) for dates in the
    wrong order or in the past, a range over LONGEST_COVER_DAYS, someone covering themself, a
    cover who is not an active therapist, or a range overlapping another cover of `absent`.
    Side effect: security event `cover.arrange`."""
    if not access.cover_arrangeable_by(actor, absent):
        raise PermissionDenied
    today = timezone.localdate()
    errors: dict[str, Any] = {}
    if not access.is_therapist(absent):
        errors["absent"] = _("Choose an active therapist whose caseload needs cover.")
    if not access.is_therapist(cover):
        errors["cover"] = _("Choose an active therapist to cover.")
    elif cover.pk == absent.pk:
        errors["cover"] = _("Choose someone other than the therapist who will be away.")
    if starts_on < today:
        errors["starts_on"] = _("The first day cannot be in the past.")
    elif problem := bounds.PLANNING.message(starts_on, today=today):
        errors["starts_on"] = problem
    if ends_on < starts_on:
        errors["ends_on"] = _("The last day cannot be before the first day.")
    elif (ends_on - starts_on).days + 1 > LONGEST_COVER_DAYS:
        errors["ends_on"] = _(
            "A cover lasts at most %(days)d days; for a longer absence, reassign the clients."
        ) % {"days": LONGEST_COVER_DAYS}
    if not errors and (
        Cover.objects.select_for_update()
        .filter(absent=absent, ended_at__isnull=True)
        .filter(starts_on__lte=ends_on, ends_on__gte=starts_on)
        .exists()
    ):
        errors["starts_on"] = _(
            "%(name)s already has cover arranged for some of these days. End it first."
        ) % {"name": absent.full_name}
    if errors:
        raise ValidationError(errors)
    arranged = Cover.objects.create(
        absent=absent, cover=cover, starts_on=starts_on, ends_on=ends_on, arranged_by=actor
    )
    audit_record(
        category=AuditEvent.Category.SECURITY,
        action=AuditAction.COVER_ARRANGE,
        actor=actor,
        obj=arranged,
        changes={
            "absent": (None, absent.pk),
            "cover": (None, cover.pk),
            "starts_on": (None, starts_on),
            "ends_on": (None, ends_on),
        },
    )
    return arranged


@transaction.atomic
def cover_end(*, actor: User, cover: Cover) -> Cover:
    """End a cover now (the cover loses access at once). Refused (PermissionDenied) unless
    `actor` may arrange covers for the absent therapist. Idempotent. Side effect: security
    event `cover.end`."""
    locked = Cover.objects.select_for_update().select_related("absent").get(pk=cover.pk)
    if not access.cover_arrangeable_by(actor, locked.absent):
        raise PermissionDenied
    if locked.ended_at is not None:
        return locked
    locked.ended_at = timezone.now()
    locked.ended_by = actor
    locked.save(update_fields=["ended_at", "ended_by"])
    audit_record(
        category=AuditEvent.Category.SECURITY,
        action=AuditAction.COVER_END,
        actor=actor,
        obj=locked,
    )
    return locked
