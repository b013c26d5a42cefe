"""Writes for supplies: record what was given (or referred elsewhere), void a record recorded in
error, correct one (void it and record the right one, in one transaction).

Only the client's treating clinician writes (hrp.access.require_write). Records are never
edited (supplies/models.py); every write leaves an audit event with the item, quantity and
date, never the note or the reason (free text may be clinical).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from clients.models import Client
from hrp import access, bounds, formats
from hrp.accounts.models import User
from hrp.audit.actions import AuditAction
from hrp.audit.models import AuditEvent
from hrp.audit.services import audit_record
from supplies.models import QUANTITY_MAX, SupplyRecord, SupplyVoid


def _check(*, item: str, item_other: str, quantity: int, given_on: datetime.date, how: str) -> None:
    problems: dict[str, str] = {}
    if item not in SupplyRecord.Item.values:
        problems["item"] = _("Choose an item from the list.")
    elif item == SupplyRecord.Item.OTHER and not item_other.strip():
        problems["item_other"] = _("Describe the other item.")
    if how not in SupplyRecord.How.values:
        problems["how"] = _("Say whether it was given here or the client was referred elsewhere.")
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        problems["quantity"] = _("Enter a whole number, such as 3.")
    elif not 1 <= quantity <= QUANTITY_MAX:
        problems["quantity"] = _("The quantity must be from 1 to %(max)d.") % {"max": QUANTITY_MAX}
    if problems:
        raise ValidationError(problems)
    bounds.check_dates({"given_on": given_on}, SupplyRecord.DATE_RANGES)


def _audit(action: AuditAction, *, actor: User, client: Client, obj: Any, **changes: Any) -> None:
    audit_record(
        category=AuditEvent.Category.CHANGE,
        action=action,
        actor=actor,
        obj=obj,
        chart_number=client.chart_number,
        changes=changes,
    )


def _create(
    *,
    actor: User,
    client: Client,
    item: str,
    quantity: int,
    given_on: datetime.date,
    how: str,
    item_other: str,
    note: str,
    corrects: SupplyRecord | None,
) -> SupplyRecord:
    item_other = item_other.strip() if item == SupplyRecord.Item.OTHER else ""
    _check(item=item, item_other=item_other, quantity=quantity, given_on=given_on, how=how)
    return SupplyRecord.objects.create(
        client=client,
        item=item,
        item_other=item_other,
        quantity=quantity,
        given_on=given_on,
        how=how,
        note=note.strip(),
        corrects=corrects,
        recorded_by=actor,
    )


@transaction.atomic
def supply_record(
    *,
    actor: User,
    client: Client,
    item: str,
    quantity: int,
    given_on: datetime.date,
    how: str = SupplyRecord.How.GIVEN,
    item_other: str = "",
    note: str = "",
) -> SupplyRecord:
    """Record supplies given to the client (or the client referred elsewhere for them).

    Side effects: a SupplyRecord row and a change event `supply.record` (item, quantity, date,
    given or referred; not the note). Refuses with ValidationError (nothing stored) for an
    unknown item, an undescribed "other", a quantity outside 1..QUANTITY_MAX or a date
    outside bounds.HISTORY; PermissionDenied for anyone but the treating clinician."""
    access.require_write(actor, client)
    record = _create(
        actor=actor,
        client=client,
        item=item,
        quantity=quantity,
        given_on=given_on,
        how=how,
        item_other=item_other,
        note=note,
        corrects=None,
    )
    _audit(
        AuditAction.SUPPLY_RECORD,
        actor=actor,
        client=client,
        obj=record,
        item=(None, item),
        quantity=(None, quantity),
        given_on=(None, given_on.isoformat()),
        how=(None, how),
    )
    return record


def _lock_open(record: SupplyRecord, client: Client) -> SupplyRecord:
    """The record, locked, if it is this client's and still counts; else ValidationError."""
    locked = SupplyRecord.objects.select_for_update().filter(pk=record.pk, client=client).first()
    if locked is None:
        raise ValidationError(_("This record belongs to another client's chart."))
    if SupplyVoid.objects.filter(record=locked).exists():
        raise ValidationError(_("This record was already set aside."))
    return locked


def _void(*, actor: User, record: SupplyRecord, reason: str) -> SupplyVoid:
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Say why this record is set aside.")})
    return SupplyVoid.objects.create(record=record, reason=reason, voided_by=actor)


@transaction.atomic
def supply_void(*, actor: User, client: Client, record: SupplyRecord, reason: str) -> SupplyVoid:
    """Set a record aside as recorded in error. It stays on the chart, marked, and leaves
    every total. Side effects: a SupplyVoid row and a change event `supply.void` (not the
    reason). Refuses a record of another client, one already set aside, or an empty reason."""
    access.require_write(actor, client)
    locked = _lock_open(record, client)
    void = _void(actor=actor, record=locked, reason=reason)
    _audit(AuditAction.SUPPLY_VOID, actor=actor, client=client, obj=locked)
    return void


@transaction.atomic
def supply_correct(
    *,
    actor: User,
    client: Client,
    record: SupplyRecord,
    reason: str,
    item: str,
    quantity: int,
    given_on: datetime.date,
    how: str = SupplyRecord.How.GIVEN,
    item_other: str = "",
    note: str = "",
) -> SupplyRecord:
    """Correct a record: set it aside with `reason` and record the right values in a new row
    that points at it (`corrects`). Side effects: a SupplyVoid, a SupplyRecord and a change
    event `supply.correct` with old and new item, quantity and date. Nothing is stored when
    any part is refused."""
    access.require_write(actor, client)
    locked = _lock_open(record, client)
    _void(actor=actor, record=locked, reason=reason)
    new = _create(
        actor=actor,
        client=client,
        item=item,
        quantity=quantity,
        given_on=given_on,
        how=how,
        item_other=item_other,
        note=note,
        corrects=locked,
    )
    _audit(
        AuditAction.SUPPLY_CORRECT,
        actor=actor,
        client=client,
        obj=new,
        corrects=(None, locked.pk),
        item=(locked.item, new.item),
        quantity=(locked.quantity, new.quantity),
        given_on=(locked.given_on.isoformat(), new.given_on.isoformat()),
        how=(locked.how, new.how),
    )
    return new


def supply_report_viewed(*, actor: User, first: datetime.date, last: datetime.date) -> None:
    """Audit a view or export of the funders' report (aggregate counts only)."""
    audit_record(
        category=AuditEvent.Category.ACCESS,
        action=AuditAction.SUPPLY_REPORT,
        actor=actor,
        changes={"months": (None, f"{formats.iso_month(first)}..{formats.iso_month(last)}")},
    )
