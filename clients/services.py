"""Writes to the client record. Every function audits what it changed (old and new values)."""

from __future__ import annotations

import datetime
import secrets
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clients import extensions, identity
from clients.models import (
    Client,
    Consent,
    IdentityDecision,
    Intake,
    MedicalEvaluation,
    Referral,
    SubstanceUse,
    TherapistAssignment,
)
from hrp import access, bounds, crypto
from hrp.accounts.models import User
from hrp.audit.actions import AuditAction
from hrp.audit.models import AuditEvent
from hrp.audit.services import audit_record, diff_fields

# Unambiguous characters only (no 0/O, 1/I/L), so a chart number read aloud is understood.
CHART_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CHART_LENGTH = 6


def _new_chart_number() -> str:
    # Random rather than sequential: a chart number reveals neither how many clients a clinic
    # has nor when someone came.
    return "C-" + "".join(secrets.choice(CHART_ALPHABET) for _i in range(CHART_LENGTH))


def _audit_change(
    *,
    action: AuditAction,
    actor: User,
    client: Client,
    obj: models.Model | None = None,
    changes: Mapping[str, tuple[Any, Any]],
    detail: str = "",
) -> None:
    obj = obj if obj is not None else client
    audit_record(
        category=AuditEvent.Category.CHANGE,
        action=action,
        actor=actor,
        obj=obj,
        chart_number=client.chart_number,
        changes=_without_ciphertext_values(obj, changes),
        detail=detail,
    )


ENCRYPTED_VALUE = "(encrypted, not copied to the audit trail)"


def _without_ciphertext_values(
    obj: models.Model, changes: Mapping[str, tuple[Any, Any]]
) -> dict[str, tuple[Any, Any]]:
    """The audit trail records that an encrypted field changed, never its words: a plain copy
    there would undo the encryption at rest (hrp/crypto.py)."""
    encrypted = {field.name for field in crypto.encrypted_fields(type(obj))}
    return {
        name: (ENCRYPTED_VALUE, ENCRYPTED_VALUE) if name in encrypted else values
        for name, values in changes.items()
    }


def _apply(instance: models.Model, values: Mapping[str, Any]) -> dict[str, tuple[Any, Any]]:
    """Set `values` on `instance`, validate, save the changed fields; return the diff."""
    fields = list(values)
    # Only the dates being written: a row stored before the date policy can still change
    # elsewhere, and is refused here only until its date is corrected.
    bounds.check_dates(values, getattr(type(instance), "DATE_RANGES", {}))
    # The old values come from the stored row, not from `instance`: a ModelForm validated on
    # the same instance has already copied the new values onto it, which would hide every
    # change (and skip both the save and the audit event).
    stored = type(instance)._default_manager.filter(pk=instance.pk).first() if instance.pk else None
    before = {f: getattr(stored if stored is not None else instance, f) for f in fields}
    for field, value in values.items():
        setattr(instance, field, value)
    changes = diff_fields(instance, before, fields)
    instance.full_clean()
    if changes:
        instance.save()
    return changes


def access_record(*, actor: User, client: Client, what: str) -> None:
    """Audit a read of a client's record (a chart page, a list row opened, an export).
    `what` names the page: "client.view.<what>" must be an AuditAction."""
    audit_record(
        category=AuditEvent.Category.ACCESS,
        action=f"client.view.{what}",
        actor=actor,
        obj=client,
        chart_number=client.chart_number,
    )


@transaction.atomic
def intake_start(
    *,
    actor: User,
    legal_name: str,
    preferred_name: str,
    pronouns: str,
    reason_for_coming: str,
    client_goals: str,
    identity_description: str = "",
) -> Client:
    """Open a new client at status "intake", assigned to `actor`, with their reason for
    coming and goals in their own words. The intake stays a draft until completed.

    Side effects: change events `client.create`, `intake.save`, `client.assign`.
    """
    if not reason_for_coming.strip():
        raise ValidationError(
            {"reason_for_coming": _("Write down the client's reason for coming, in their words.")}
        )
    for _attempt in range(5):
        try:
            with transaction.atomic():
                client = Client(
                    chart_number=_new_chart_number(),
                    legal_name=legal_name,
                    preferred_name=preferred_name,
                    identity_description=identity_description,
                    pronouns=pronouns,
                    therapist=actor,
                    created_by=actor,
                )
                client.full_clean(exclude=["chart_number"])
                client.save()
            break
        except IntegrityError:  # a chart number collision: draw again
            continue
    else:  # pragma: no cover - 31**6 numbers make five collisions in a row implausible
        raise RuntimeError("Could not allocate a chart number.")
    intake = Intake(
        client=client,
        reason_for_coming=reason_for_coming,
        client_goals=client_goals,
        current_step=Intake.Step.DETAILS,
    )
    intake.full_clean()
    intake.save()
    Referral.objects.create(client=client)
    TherapistAssignment.objects.create(
        client=client, therapist=actor, assigned_by=actor, reason="Intake"
    )
    _audit_change(
        action=AuditAction.CLIENT_CREATE,
        actor=actor,
        client=client,
        changes={
            "legal_name": (None, legal_name),
            "preferred_name": (None, preferred_name),
            "pronouns": (None, pronouns),
            "status": (None, client.status),
        },
    )
    _audit_change(
        action=AuditAction.INTAKE_SAVE,
        actor=actor,
        client=client,
        obj=intake,
        changes={
            "reason_for_coming": (None, reason_for_coming),
            "client_goals": (None, client_goals),
        },
    )
    _audit_change(
        action=AuditAction.CLIENT_ASSIGN,
        actor=actor,
        client=client,
        changes={"therapist": (None, actor.pk)},
    )
    return client


@transaction.atomic
def client_update(
    *, actor: User, client: Client, values: Mapping[str, Any]
) -> dict[str, tuple[Any, Any]]:
    """Change the client's identifying and contact details, and keep the identity key that
    finds duplicates in step with the legal name and date of birth.

    Side effects: `client.update` with the changed values; when this change completes a legal
    identity that was missing (the client chose to share it), also `client.identity_share`
    carrying only which parts were added (their values are in `client.update`, as ever)."""
    access.require_write(actor, client)
    # From the stored row: a ModelForm validated on `client` has already copied the new values.
    stored = Client.objects.filter(pk=client.pk).only("legal_name", "date_of_birth").first()
    missing_before = identity.identity_missing(stored) if stored is not None else []
    allowed = {
        "legal_name",
        "preferred_name",
        "identity_description",
        "pronouns",
        "date_of_birth",
        "phone",
        "email",
        "may_contact",
        "safe_to_leave_message",
        "preferred_language",
        "emergency_contact_name",
        "emergency_contact_relationship",
        "emergency_contact_phone",
    }
    changes = _apply(client, {k: v for k, v in values.items() if k in allowed})
    if changes:
        _audit_change(action=AuditAction.CLIENT_UPDATE, actor=actor, client=client, changes=changes)
    key = identity.identity_key(client.legal_name, client.date_of_birth)
    if key != client.identity_key:
        client.identity_key = key
        client.save(update_fields=["identity_key"])
    if missing_before and not identity.identity_missing(client):
        _audit_change(
            action=AuditAction.CLIENT_IDENTITY_SHARE,
            actor=actor,
            client=client,
            changes={"identity": ("not recorded", "recorded")},
        )
    return changes


def identity_keys_refresh(*, queryset: Iterable[Client]) -> int:
    """Recompute the identity key of each client (after a SECRET_KEY change); the number
    changed. No audit event: the key is derived, not what anyone wrote."""
    changed = 0
    for client in queryset:
        key = identity.identity_key(client.legal_name, client.date_of_birth)
        if key != client.identity_key:
            Client.objects.filter(pk=client.pk).update(identity_key=key)
            changed += 1
    return changed


def client_relations() -> list[Any]:
    """Every relation from another table to Client, read from the models: the reverse side of
    each ForeignKey / OneToOneField, including those declared with related_name="+" (which
    `_meta.related_objects` leaves out)."""
    return [
        field
        for field in Client._meta.get_fields(include_hidden=True)
        if field.auto_created and not field.concrete and (field.one_to_many or field.one_to_one)
    ]


def rows_per_relation(client: Client) -> dict[str, int]:
    """How many rows of each table point at `client`, for every relation to Client that the
    models declare (`client_relations`, never a hand-kept list): what a merge
    keeps. Keys are "<app_label>.<model>.<field>"; tables with no row are left out."""
    counts: dict[str, int] = {}
    for relation in client_relations():
        model = relation.related_model
        key = f"{model._meta.label_lower}.{relation.field.name}"
        count = model._base_manager.filter(**{relation.field.name: client}).count()
        if count:
            counts[key] = count
    return counts


def _decision_pair(client: Client, other: Client) -> tuple[Client, Client]:
    """Both records, locked in id order (two clinicians deciding at once wait for each other)
    and checked: the other record is a current possible duplicate of this one."""
    locked = {
        c.pk: c for c in Client.objects.select_for_update().filter(pk__in=[client.pk, other.pk])
    }
    client, other = locked[client.pk], locked[other.pk]
    if (
        client.pk == other.pk
        or not client.identity_key
        or client.identity_key != other.identity_key
        or client.merged_into_id
        or other.merged_into_id
    ):
        raise ValidationError(
            _(
                "These records are not a possible duplicate any more (a detail changed, or one "
                "was merged meanwhile). Nothing was changed."
            )
        )
    return client, other


@transaction.atomic
def client_merge(*, actor: User, client: Client, other: Client) -> IdentityDecision:
    """The clinician decided that `other` is the same person as `client`: `other` becomes an
    alias of `client` (Client.merged_into). No row of either record is moved or changed:
    append-only tables and signed notes refuse UPDATE, and a row's origin is the record it was
    written on. The alias is read-only and left out of lists; its chart links here.

    Only the treating clinician of both records may merge (hrp.access.require_write on each),
    and only once nothing is left open on `other` (clients.extensions.merge_blockers: notes to
    sign, sessions booked, flags open). Side effects: an IdentityDecision "merged" with the
    alias's row counts per table, and a `client.merge` change event on each record's chart
    carrying the two chart numbers only."""
    access.require_write(actor, client)
    access.require_write(actor, other)
    client, other = _decision_pair(client, other)
    # The alias is read-only from now on: what is still to do on it is done first.
    open_work = extensions.merge_blockers(other)
    if open_work:
        raise ValidationError(
            _(
                "%(chart)s still has work open that could not be finished once it is merged: "
                "%(what)s. Finish or move it on %(chart)s, then merge. Nothing was changed."
            )
            % {"chart": other.chart_number, "what": "; ".join(open_work)}
        )
    kept = rows_per_relation(other)
    Client.objects.filter(pk=other.pk).update(merged_into=client, updated_at=timezone.now())
    other.merged_into = client
    decision = IdentityDecision.objects.create(
        client=client,
        other=other,
        decision=IdentityDecision.Decision.MERGED,
        rows_kept=kept,
        decided_by=actor,
    )
    for record, partner in ((client, other), (other, client)):
        _audit_change(
            action=AuditAction.CLIENT_MERGE,
            actor=actor,
            client=record,
            obj=decision,
            changes={"merged": (other.chart_number, client.chart_number)},
            detail=partner.chart_number,
        )
    return decision


@transaction.atomic
def client_keep_apart(*, actor: User, client: Client, other: Client) -> IdentityDecision:
    """The clinician decided that `other` is a different person who shares `client`'s legal
    name and date of birth: the pair is no longer shown as a possible duplicate.

    Side effects: an IdentityDecision "kept apart" and a `client.keep_apart` change event on
    `client`'s chart with the other chart number only."""
    access.require_write(actor, client)
    client, other = _decision_pair(client, other)
    decision = IdentityDecision.objects.create(
        client=client,
        other=other,
        decision=IdentityDecision.Decision.KEPT_APART,
        decided_by=actor,
    )
    _audit_change(
        action=AuditAction.CLIENT_KEEP_APART,
        actor=actor,
        client=client,
        obj=decision,
        changes={"kept_apart": (None, other.chart_number)},
    )
    return decision


@transaction.atomic
def intake_update(
    *,
    actor: User,
    client: Client,
    values: Mapping[str, Any],
    next_step: str | None = None,
) -> dict[str, tuple[Any, Any]]:
    """Save fields of the intake draft (or a completed intake) and remember where the
    therapist is. Side effect: `intake.save` with the changed values."""
    intake = client.intake
    changes = _apply(intake, values)
    if next_step and intake.is_draft and intake.current_step != next_step:
        intake.current_step = next_step
        intake.save(update_fields=["current_step", "updated_at"])
    if changes:
        _audit_change(
            action=AuditAction.INTAKE_SAVE,
            actor=actor,
            client=client,
            obj=intake,
            changes=changes,
        )
    return changes


@transaction.atomic
def medical_evaluation_record(
    *,
    actor: User,
    client: Client,
    evaluated_on: datetime.date,
    evaluated_by: str = "",
    findings: str = "",
    corrects: MedicalEvaluation | None = None,
) -> MedicalEvaluation:
    """Record a medical evaluation the client had: the first, a repeat, or (with `corrects`)
    the right version of one recorded in error, which then no longer counts. Only the
    client's treating clinician records (hrp.access.require_write). The date keeps to HISTORY.

    Side effect: `medical_evaluation.record` with the date and, for a correction, the row it
    corrects; never the findings (clinical free text stays in its encrypted column).
    """
    access.require_write(actor, client)
    bounds.check_dates({"evaluated_on": evaluated_on}, MedicalEvaluation.DATE_RANGES)
    if corrects is not None:
        # Locked, so two corrections of the same row cannot both be recorded.
        corrects = MedicalEvaluation.objects.select_for_update().get(pk=corrects.pk)
        if corrects.client_id != client.pk:
            raise ValidationError(_("That evaluation belongs to another client."))
        if MedicalEvaluation.objects.filter(corrects=corrects).exists():
            raise ValidationError(_("That evaluation was already corrected."))
    evaluation = MedicalEvaluation(
        client=client,
        evaluated_on=evaluated_on,
        evaluated_by=evaluated_by.strip(),
        findings=findings.strip(),
        corrects=corrects,
        recorded_by=actor,
    )
    evaluation.full_clean()
    evaluation.save()
    changes: dict[str, tuple[Any, Any]] = {"evaluated_on": (None, evaluated_on)}
    if corrects is not None:
        changes["corrects"] = (None, corrects.pk)
    _audit_change(
        action=AuditAction.MEDICAL_EVALUATION_RECORD,
        actor=actor,
        client=client,
        obj=evaluation,
        changes=changes,
    )
    return evaluation


@transaction.atomic
def referral_update(
    *, actor: User, client: Client, values: Mapping[str, Any]
) -> dict[str, tuple[Any, Any]]:
    """Record how the client was referred. A self-referral keeps no agency details.
    Side effect: `referral.save`."""
    values = dict(values)
    if values.get("source") == Referral.Source.SELF:
        values.update(mandate_kind="", agency="", agency_contact="", agency_contact_details="")
    elif values.get("source") == Referral.Source.MANDATED:
        errors = {}
        if not values.get("mandate_kind"):
            errors["mandate_kind"] = _("Choose the kind of mandate.")
        if not str(values.get("agency", "")).strip():
            errors["agency"] = _("Name the referring agency.")
        if errors:
            raise ValidationError(errors)
    referral, _created = Referral.objects.get_or_create(client=client)
    changes = _apply(referral, values)
    if changes:
        _audit_change(
            action=AuditAction.REFERRAL_SAVE,
            actor=actor,
            client=client,
            obj=referral,
            changes=changes,
        )
    return changes


@transaction.atomic
def substances_save(
    *,
    actor: User,
    client: Client,
    rows: Iterable[tuple[SubstanceUse | None, Mapping[str, Any]]],
) -> int:
    """Create or update the substances described at intake; returns how many changed.

    `rows` pairs an existing row (or None for a new one) with its values. Rows are never
    deleted. Side effect: one `substance.save` change event per changed row.
    """
    changed = 0
    for existing, values in rows:
        if existing is None:
            row = SubstanceUse(client=client, **values)
            row.full_clean()
            row.save()
            changes = {k: (None, v) for k, v in values.items() if v not in ("", None)}
        else:
            row = existing
            changes = _apply(row, values)
        if changes:
            changed += 1
            _audit_change(
                action=AuditAction.SUBSTANCE_SAVE,
                actor=actor,
                client=client,
                obj=row,
                changes=changes,
            )
    return changed


@transaction.atomic
def intake_complete(*, actor: User, client: Client) -> Client:
    """Finish the intake: the draft becomes the intake record and the client becomes active.

    Side effects: `intake.complete`, `client.status`.
    """
    # Locked, so a second click of "Complete" waits and then finds it done, instead of
    # completing (and auditing) it twice.
    intake = Intake.objects.select_for_update().get(pk=client.intake.pk)
    client.intake = intake
    if not intake.is_draft:
        return client
    if not intake.reason_for_coming.strip():
        raise ValidationError(_("The client's reason for coming is still empty."))
    intake.completed_at = timezone.now()
    intake.completed_by = actor
    intake.current_step = Intake.Step.REVIEW
    intake.save(update_fields=["completed_at", "completed_by", "current_step", "updated_at"])
    _audit_change(
        action=AuditAction.INTAKE_COMPLETE,
        actor=actor,
        client=client,
        obj=intake,
        changes={"completed_at": (None, intake.completed_at)},
    )
    if client.status == Client.Status.INTAKE:
        client_set_status(actor=actor, client=client, status=Client.Status.ACTIVE)
    return client


@transaction.atomic
def client_set_status(
    *,
    actor: User,
    client: Client,
    status: str,
    discharged_on: datetime.date | None = None,
    discharge_reason: str = "",
) -> Client:
    """Change a client's status. Discharge needs a date and keeps everything: nothing is
    ever deleted. Side effect: `client.status` with old and new values."""
    if status not in Client.Status.values:
        raise ValidationError({"status": _("Choose a status from the list.")})
    values: dict[str, Any] = {"status": status}
    if status == Client.Status.DISCHARGED:
        if discharged_on is None:
            raise ValidationError({"discharged_on": _("Enter the date of discharge.")})
        values.update(discharged_on=discharged_on, discharge_reason=discharge_reason)
    else:
        values.update(discharged_on=None, discharge_reason="")
    if status != client.status:
        values["status_changed_at"] = timezone.now()
    changes = _apply(client, values)
    changes.pop("status_changed_at", None)
    if changes:
        _audit_change(action=AuditAction.CLIENT_STATUS, actor=actor, client=client, changes=changes)
    return client


@transaction.atomic
def client_reassign(*, actor: User, client: Client, therapist: User, reason: str = "") -> Client:
    """Assign the client to another therapist. Access moves with the assignment: the previous
    therapist can no longer open the record. Side effect: `client.assign`."""
    if not (therapist.is_active and therapist.is_therapist):
        raise ValidationError({"therapist": _("Choose an active therapist.")})
    if therapist.pk == client.therapist_id:
        raise ValidationError({"therapist": _("This therapist is already assigned.")})
    now = timezone.now()
    TherapistAssignment.objects.filter(client=client, ended_at__isnull=True).update(ended_at=now)
    TherapistAssignment.objects.create(
        client=client, therapist=therapist, assigned_by=actor, reason=reason, started_at=now
    )
    old = client.therapist_id
    Client.objects.filter(pk=client.pk).update(therapist=therapist, updated_at=now)
    client.therapist = therapist
    _audit_change(
        action=AuditAction.CLIENT_ASSIGN,
        actor=actor,
        client=client,
        changes={"therapist": (old, therapist.pk)},
        detail=reason[:200],
    )
    return client


@transaction.atomic
def client_unassign(*, actor: User, client: Client, reason: str = "") -> Client:
    """Move the client to the unassigned queue: the therapist no longer has access, and clinic
    admins and supervisors see the client in the queue until someone is assigned (with
    `client_reassign`). Side effect: `client.assign` with the new therapist empty."""
    if client.therapist_id is None:
        raise ValidationError({"therapist": _("This client is already in the unassigned queue.")})
    now = timezone.now()
    TherapistAssignment.objects.filter(client=client, ended_at__isnull=True).update(ended_at=now)
    old = client.therapist_id
    Client.objects.filter(pk=client.pk).update(therapist=None, updated_at=now)
    client.therapist = None
    _audit_change(
        action=AuditAction.CLIENT_ASSIGN,
        actor=actor,
        client=client,
        changes={"therapist": (old, None)},
        detail=reason[:200],
    )
    return client


@transaction.atomic
def client_hand_over(*, actor: User, client_pk: int, therapist: User | None, reason: str) -> None:
    """Move one client of a therapist being deactivated: to `therapist`, or to the unassigned
    queue when None. Registered with hrp.accounts.caseload for
    hrp.accounts.services.therapist_deactivate. Side effect: one `client.assign` event."""
    client = Client.objects.select_for_update().get(pk=client_pk)
    if therapist is None:
        client_unassign(actor=actor, client=client, reason=reason)
    else:
        client_reassign(actor=actor, client=client, therapist=therapist, reason=reason)


@transaction.atomic
def consent_create(*, actor: User, client: Client, values: Mapping[str, Any]) -> Consent:
    """Record a signed consent to disclose. Side effect: `consent.create`."""
    access.require_write(actor, client)
    bounds.check_dates(values, Consent.DATE_RANGES)
    consent = Consent(client=client, created_by=actor, **values)
    consent.full_clean()
    consent.save()
    _audit_change(
        action=AuditAction.CONSENT_CREATE,
        actor=actor,
        client=client,
        obj=consent,
        changes={k: (None, v) for k, v in values.items()},
    )
    return consent


@transaction.atomic
def consent_revoke(
    *,
    actor: User,
    client: Client,
    consent: Consent,
    revoked_on: datetime.date,
    revoked_by: str,
) -> Consent:
    """Record that a consent was revoked (on a date, by whom). The consent stays on the chart,
    visibly revoked. Side effect: `consent.revoke`."""
    if consent.revoked_on:
        raise ValidationError(_("This consent was already revoked."))
    bounds.HISTORY.check(revoked_on, field="revoked_on")
    if revoked_on < consent.signed_on:
        raise ValidationError(
            {"revoked_on": _("A consent cannot be revoked before it was signed.")}
        )
    if not revoked_by.strip():
        raise ValidationError({"revoked_by": _("Say who revoked the consent.")})
    changes = _apply(
        consent,
        {"revoked_on": revoked_on, "revoked_by": revoked_by, "revocation_recorded_by": actor},
    )
    _audit_change(
        action=AuditAction.CONSENT_REVOKE,
        actor=actor,
        client=client,
        obj=consent,
        changes=changes,
    )
    return consent
