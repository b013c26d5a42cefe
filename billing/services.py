"""Writes for billing: the problem list (add a diagnosis, change its status or dates, each
change kept), coding an encounter, and the exports that leave the clinic (superbill PDF, CSV of
encounters), each recorded as a disclosure under a consent in force.

Only the client's treating clinician writes and exports (hrp.access.require_write). Refusals are
ValidationErrors with a message a clinician understands; nothing is stored on refusal.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from billing import codes, selectors
from billing.models import (
    MAX_DIAGNOSES_PER_ENCOUNTER,
    ClinicServiceCode,
    Diagnosis,
    DiagnosisChange,
    Encounter,
    Fee,
)
from billing.selectors import POINTERS, Line, Superbill
from clients.identity import require_identity
from clients.models import Client, Consent
from disclosures import services as disclosure_services
from disclosures.models import Disclosure
from disclosures.report import REDISCLOSURE_NOTICE
from groups.models import Attendance, Facilitator, GroupNote, Meeting
from hrp import access, bounds, formats, pdf
from hrp.accounts.models import Supervision, User
from hrp.audit.actions import AuditAction
from hrp.audit.models import AuditEvent
from hrp.audit.services import audit_record
from hrp.spreadsheet import safe_row
from sessions.models import Appointment, OutsideContact, SessionNote

# The longest period one export covers.
MAX_PERIOD_DAYS = 366


def _date(value: datetime.date) -> str:
    return formats.date(value)


# --- Problem list ----------------------------------------------------------------------------


def _check_diagnosis_dates(onset_on: Any, resolved_on: Any) -> None:
    bounds.check_dates({"onset_on": onset_on, "resolved_on": resolved_on}, Diagnosis.DATE_RANGES)
    if onset_on and resolved_on and resolved_on < onset_on:
        raise ValidationError(
            {"resolved_on": _("The resolution date must be on or after the onset.")}
        )


@transaction.atomic
def diagnosis_add(
    *,
    actor: User,
    client: Client,
    code: str,
    onset_on: datetime.date | None = None,
    reason: str = "",
) -> Diagnosis:
    """Add an ICD-10-CM code to the client's problem list, active from `onset_on`.

    Side effects: a Diagnosis, its first DiagnosisChange, a change event `diagnosis.add`
    (the code, not the reason). Refuses a code we do not ship, a date outside the record's
    range, and a code already active on the list."""
    access.require_write(actor, client)
    codes.diagnosis_code(code)
    _check_diagnosis_dates(onset_on, None)
    if Diagnosis.objects.filter(client=client, code=code, status=Diagnosis.Status.ACTIVE).exists():
        raise ValidationError({"code": _("This diagnosis is already on the problem list.")})
    now = timezone.now()
    diagnosis = Diagnosis.objects.create(
        client=client,
        code=code,
        status=Diagnosis.Status.ACTIVE,
        onset_on=onset_on,
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    DiagnosisChange.objects.create(
        diagnosis=diagnosis,
        status=diagnosis.status,
        onset_on=onset_on,
        reason=reason.strip(),
        changed_by=actor,
        changed_at=now,
    )
    audit_record(
        category=AuditEvent.Category.CHANGE,
        action=AuditAction.DIAGNOSIS_ADD,
        actor=actor,
        obj=diagnosis,
        chart_number=client.chart_number,
        changes={"code": (None, code), "status": (None, diagnosis.status)},
    )
    return diagnosis


@transaction.atomic
def diagnosis_change(
    *,
    actor: User,
    client: Client,
    diagnosis: Diagnosis,
    status: str,
    onset_on: datetime.date | None,
    resolved_on: datetime.date | None,
    reason: str = "",
) -> Diagnosis:
    """Record a new state of a diagnosis: resolved (with its date), active again, corrected
    dates, or entered in error (a correction: the row stays, with what it said before).

    Side effects: a DiagnosisChange row and a change event `diagnosis.change` (status and
    dates, not the reason). Refuses with nothing changed when nothing would change."""
    access.require_write(actor, client)
    locked = Diagnosis.objects.select_for_update().filter(pk=diagnosis.pk, client=client).first()
    if locked is None:
        raise ValidationError(_("This diagnosis belongs to another client's record."))
    if status not in Diagnosis.Status.values:
        raise ValidationError({"status": _("Choose a status from the list.")})
    if status == Diagnosis.Status.RESOLVED and resolved_on is None:
        raise ValidationError({"resolved_on": _("Enter the date the diagnosis was resolved.")})
    if status == Diagnosis.Status.ACTIVE:
        resolved_on = None
    _check_diagnosis_dates(onset_on, resolved_on)
    before = (locked.status, locked.onset_on, locked.resolved_on)
    if before == (status, onset_on, resolved_on):
        raise ValidationError(_("Nothing to record: change the status or a date."))
    if (
        status == Diagnosis.Status.ACTIVE
        and locked.status != status
        and Diagnosis.objects.filter(client=client, code=locked.code, status=status).exists()
    ):
        raise ValidationError({"status": _("This diagnosis is already active on the list.")})
    now = timezone.now()
    locked.status, locked.onset_on, locked.resolved_on = status, onset_on, resolved_on
    locked.updated_at = now
    locked.save(update_fields=["status", "onset_on", "resolved_on", "updated_at"])
    DiagnosisChange.objects.create(
        diagnosis=locked,
        status=status,
        onset_on=onset_on,
        resolved_on=resolved_on,
        reason=reason.strip(),
        changed_by=actor,
        changed_at=now,
    )

    def iso(day: datetime.date | None) -> str | None:
        return day.isoformat() if day else None

    audit_record(
        category=AuditEvent.Category.CHANGE,
        action=AuditAction.DIAGNOSIS_CHANGE,
        actor=actor,
        obj=locked,
        chart_number=client.chart_number,
        changes={
            "status": (before[0], status),
            "onset_on": (iso(before[1]), iso(onset_on)),
            "resolved_on": (iso(before[2]), iso(resolved_on)),
        },
    )
    return locked


# --- Encounters ------------------------------------------------------------------------------


def default_place_of_service(modality: str) -> str:
    """The place a coding page proposes for a session's modality or a contact's kind
    (codes.DEFAULT_PLACE; the office otherwise)."""
    return codes.DEFAULT_PLACE.get(modality, codes.OFFICE)


def supervising_for(rendering: User) -> User | None:
    """The supervising clinician of a service: a trainee's (notes co-signed) current
    supervisor; nobody for a licensed clinician. ValidationError for a trainee without one."""
    if not rendering.requires_cosign:
        return None
    supervision = (
        Supervision.objects.current().filter(supervisee=rendering).select_related("supervisor")
    ).first()
    if supervision is None:
        raise ValidationError(
            _(
                "%(name)s is a trainee: their services are billed with their supervisor, and "
                "they have none. Ask a clinic admin to assign one."
            )
            % {"name": rendering.full_name}
        )
    return supervision.supervisor


def _locked_message() -> str:
    return str(
        _(
            "The note for this encounter is signed, so its billing codes are locked with it "
            "(as the note is). If the note is returned for changes, the codes open again."
        )
    )


def encounter_is_locked(
    *,
    appointment: Appointment | None = None,
    contact: OutsideContact | None = None,
    attendance: Attendance | None = None,
) -> bool:
    """Whether the note this encounter bills is signed (the rule of the EncounterLock trigger):
    the session's note, the contact, or the group note of the meeting the member attended."""
    if appointment is not None:
        return SessionNote.objects.filter(appointment=appointment, signed_at__isnull=False).exists()
    if attendance is not None:
        return GroupNote.objects.filter(
            meeting_id=attendance.meeting_id, signed_at__isnull=False
        ).exists()
    assert contact is not None
    return OutsideContact.objects.filter(pk=contact.pk, signed_at__isnull=False).exists()


def group_rendering(meeting: Meeting) -> User:
    """The rendering clinician of a group meeting's encounters: the facilitator who wrote its
    note, or the lead facilitator while there is no note (two queries at most)."""
    note = GroupNote.objects.filter(meeting=meeting).select_related("author").first()
    if note is not None:
        return note.author
    lead = (
        Facilitator.objects.filter(group_id=meeting.group_id)
        .select_related("clinician")
        .order_by("-lead", "id")
        .first()
    )
    assert lead is not None  # a group always has its lead (groups.services.group_create)
    return lead.clinician


def may_code_group(actor: User, client: Client, group_id: int) -> bool:
    """A member's group encounter is coded by a facilitator of the group (who ran the meeting)
    or by the member's treating clinician (from the chart), never on a merged-away record."""
    if access.merged_away(client):
        return False
    if Facilitator.objects.filter(group_id=group_id, clinician=actor).exists():
        return True
    return access.treats(actor, client)


def _group_source(
    *, actor: User, client: Client, attendance: Attendance
) -> tuple[Attendance, User, datetime.date, Encounter | None]:
    source = (
        Attendance.objects.select_for_update(of=("self",))
        .select_related("meeting")
        .filter(pk=attendance.pk)
        .first()
    )
    if source is None or source.client_id != client.pk:
        raise ValidationError(_("This group meeting belongs to another client's record."))
    if not may_code_group(actor, client, source.meeting.group_id):
        raise PermissionDenied
    if source.status != Appointment.Status.ATTENDED:
        raise ValidationError(_("Only a group meeting the member attended is billed."))
    return (
        source,
        group_rendering(source.meeting),
        timezone.localdate(source.meeting.starts_at),
        Encounter.objects.filter(attendance=source).first(),
    )


@transaction.atomic
def encounter_code(
    *,
    actor: User,
    client: Client,
    appointment: Appointment | None = None,
    contact: OutsideContact | None = None,
    attendance: Attendance | None = None,
    code: str,
    minutes: int,
    place_of_service: str,
    diagnosis_codes: Iterable[str],
    offered: dict[str, codes.ServiceCode] | None = None,
) -> Encounter:
    """Code an attended session (`appointment`), a signed contact outside sessions
    (`contact`) or a member's attendance at a group meeting (`attendance`) for billing: the
    service code, the units its rule gives for `minutes` (the real duration), the place of
    service and the diagnoses addressed (from the problem list, in force on the date of
    service). The rendering clinician is the session's therapist, the contact's author or the
    group's facilitator (`group_rendering`); the supervising one, a trainee's current
    supervisor. A group attendance takes a group code (`selectors.group_service_codes`) and
    may be coded by a facilitator of the group as well as by the treating clinician.

    A first coding is always allowed; changing one is refused while the note is signed (the
    EncounterLock trigger refuses it too). `offered` saves the service-code query when a page
    codes several members at once. Side effects: an Encounter created or updated and a change
    event `encounter.code` (codes and units only)."""
    if sum(source is not None for source in (appointment, contact, attendance)) != 1:
        raise ValidationError(_("Code one session, one contact or one group attendance."))
    if attendance is None:
        access.require_write(actor, client)
    if appointment is not None:
        source: Any = Appointment.objects.select_for_update().filter(pk=appointment.pk).first()
        if source is None or source.client_id != client.pk:
            raise ValidationError(_("This session belongs to another client's record."))
        if source.status != Appointment.Status.ATTENDED:
            raise ValidationError(_("Only a session the client attended is billed."))
        rendering = source.therapist
        service_date = timezone.localdate(source.starts_at)
        existing = Encounter.objects.filter(appointment=source).first()
    elif attendance is not None:
        source, rendering, service_date, existing = _group_source(
            actor=actor, client=client, attendance=attendance
        )
    else:
        assert contact is not None
        source = OutsideContact.objects.select_for_update().filter(pk=contact.pk).first()
        if source is None or source.client_id != client.pk:
            raise ValidationError(_("This contact belongs to another client's record."))
        if source.signed_at is None:
            raise ValidationError(_("Sign the contact's note before coding it for billing."))
        rendering = source.author
        service_date = timezone.localdate(source.occurred_at)
        existing = Encounter.objects.filter(contact=source).first()
    if existing is not None:
        # The note's row is locked too (the contact's already is): a signing at the same moment
        # lands wholly before (and this refuses, with words) or after this change.
        if appointment is not None:
            signed = SessionNote.objects.select_for_update().filter(appointment=source)
            locked = any(signed.values_list("signed_at", flat=True))
        elif attendance is not None:
            signed_group = GroupNote.objects.select_for_update().filter(
                meeting_id=source.meeting_id
            )
            locked = any(signed_group.values_list("signed_at", flat=True))
        else:
            locked = source.signed_at is not None
        if locked:
            raise ValidationError(_locked_message())
    if offered is None:
        offered = (
            selectors.group_service_codes() if attendance is not None else selectors.service_codes()
        )
    service = offered.get(code)
    if service is None:
        if attendance is not None:
            raise ValidationError(
                {"code": _("Choose a group service code from the list (e.g. 90853).")}
            )
        raise ValidationError({"code": _("Choose a service code from the list.")})
    if place_of_service not in codes.PLACE_OF_SERVICE:
        raise ValidationError({"place_of_service": _("Choose a place of service from the list.")})
    units = codes.units_for(service, minutes)
    chosen = list(dict.fromkeys(c for c in diagnosis_codes if c))
    if not chosen:
        raise ValidationError(
            {"diagnosis_codes": _("Choose at least one diagnosis the encounter addressed.")}
        )
    if len(chosen) > MAX_DIAGNOSES_PER_ENCOUNTER:
        raise ValidationError(
            {
                "diagnosis_codes": _("Choose at most %(n)s diagnoses for one encounter.")
                % {"n": MAX_DIAGNOSES_PER_ENCOUNTER}
            }
        )
    in_force = set(
        selectors.diagnoses_in_force(client, service_date).values_list("code", flat=True)
    )
    outside = [c for c in chosen if c not in in_force]
    if outside:
        raise ValidationError(
            {
                "diagnosis_codes": _(
                    "%(codes)s is not on the problem list on %(date)s (check its onset and "
                    "resolution dates)."
                )
                % {"codes": ", ".join(outside), "date": _date(service_date)}
            }
        )
    supervising = supervising_for(rendering)
    values = {
        "client": client,
        "service_date": service_date,
        "minutes": minutes,
        "code": service.code,
        "code_system": service.system,
        "description": service.description,
        "units": units.units,
        "addon_code": units.addon_code,
        "addon_units": units.addon_units,
        "place_of_service": place_of_service,
        "diagnosis_codes": chosen,
        "rendering": rendering,
        "supervising": supervising,
        "coded_by": actor,
        "updated_at": timezone.now(),
    }
    before = None
    if existing is None:
        encounter = Encounter.objects.create(
            appointment=appointment, contact=contact, attendance=attendance, **values
        )
    else:
        before = (existing.code, existing.units, existing.addon_units)
        for field, value in values.items():
            setattr(existing, field, value)
        existing.save()
        encounter = existing
    audit_record(
        category=AuditEvent.Category.CHANGE,
        action=AuditAction.ENCOUNTER_CODE,
        actor=actor,
        obj=encounter,
        chart_number=client.chart_number,
        changes={
            "code": (before[0] if before else None, encounter.code),
            "units": (before[1] if before else None, encounter.units),
            "addon_units": (before[2] if before else None, encounter.addon_units),
        },
    )
    return encounter


@dataclass(frozen=True)
class MemberCoding:
    """One attending member's coding on the meeting's page: the group's code, minutes and
    place unless overridden, and the member's own diagnoses (from their problem list)."""

    attendance: Attendance
    diagnosis_codes: list[str]
    code: str = ""
    minutes: int | None = None


@transaction.atomic
def meeting_encounters_code(
    *,
    actor: User,
    meeting: Meeting,
    code: str,
    minutes: int,
    place_of_service: str,
    members: list[MemberCoding],
) -> list[Encounter]:
    """Code the chosen attending members of a group meeting at once (`encounter_code` for
    each): the meeting's `code`, `minutes` and `place_of_service`, with each member's
    override of code and minutes, and their own diagnoses. All or nothing: any member's
    refusal stores nothing and is raised keyed "member-<attendance pk>", with the reason.
    Only a facilitator of the group. Side effects: those of `encounter_code`, per member."""
    if not Facilitator.objects.filter(group_id=meeting.group_id, clinician=actor).exists():
        raise PermissionDenied
    if not members:
        raise ValidationError(_("Choose at least one member to code."))
    offered = selectors.group_service_codes()
    problems: dict[str, list[str]] = {}
    coded = []
    for row in members:
        if row.attendance.meeting_id != meeting.pk:
            raise PermissionDenied
        try:
            with transaction.atomic():
                coded.append(
                    encounter_code(
                        actor=actor,
                        client=row.attendance.client,
                        attendance=row.attendance,
                        code=row.code or code,
                        minutes=row.minutes or minutes,
                        place_of_service=place_of_service,
                        diagnosis_codes=row.diagnosis_codes,
                        offered=offered,
                    )
                )
        except ValidationError as error:
            problems[f"member-{row.attendance.pk}"] = list(error.messages)
    if problems:
        raise ValidationError(problems)
    return coded


# --- Exports ---------------------------------------------------------------------------------


def check_export_period(*, start: datetime.date, end: datetime.date) -> None:
    bounds.PERIOD.check(start, field="start")
    bounds.PERIOD.check(end, field="end")
    if end < start:
        raise ValidationError({"end": _("The end of the period must be on or after its start.")})
    if (end - start).days >= MAX_PERIOD_DAYS:
        raise ValidationError({"end": _("An export covers at most one year.")})


def check_billing_consent(*, client: Client, consent: Consent | None) -> None:
    """Refuse sending billing information under `consent` today, saying why."""
    if consent is None:
        raise ValidationError(
            _(
                "A billing export leaves the clinic: it needs the client's written consent to "
                "disclose to the payer or billing service. Record it on the Consents tab first."
            )
        )
    if consent.client_id != client.pk:
        raise ValidationError(_("This consent belongs to another client's record."))
    disclosure_services.check_in_force(consent=consent, today=timezone.localdate())
    if consent.scope not in selectors.BILLING_SCOPES:
        raise ValidationError(
            _(
                "This consent allows “%(scope)s”: billing information needs a consent to "
                "disclose a treatment summary or described information (diagnoses and services)."
            )
            % {"scope": consent.get_scope_display()}
        )
    refusal = consent.scope_refusal()
    if refusal:
        raise ValidationError(refusal)


def superbill_build(*, client: Client, start: datetime.date, end: datetime.date) -> Superbill:
    """What a superbill for [start, end] shows, without recording anything. Refuses a period
    without coded encounters, a service without a fee in the schedule on its date, and a
    client whose legal identity is not recorded. One query for the encounters."""
    # A superbill and a claim name the insured person: the one identity rule (issue 21).
    require_identity(client, purpose="billing")
    check_export_period(start=start, end=end)
    encounters = list(selectors.encounters_in_period(client, start, end))
    if not encounters:
        raise ValidationError(_("No coded encounters in this period."))
    pointers: dict[str, str] = {}
    for encounter in encounters:
        for code in encounter.diagnosis_codes:
            if code not in pointers:
                if len(pointers) == len(POINTERS):
                    raise ValidationError(
                        _("More than 12 diagnoses in this period: choose a shorter period.")
                    )
                pointers[code] = POINTERS[len(pointers)]
    lines: list[Line] = []
    clinicians: dict[int, User] = {}
    missing: list[str] = []
    addon_codes = selectors.service_codes(include_addons=True)
    for encounter in encounters:
        clinicians.setdefault(encounter.rendering_id, encounter.rendering)
        if encounter.supervising_id:
            clinicians.setdefault(encounter.supervising_id, encounter.supervising)
        pointer = "".join(pointers[c] for c in encounter.diagnosis_codes)
        billed = [(encounter.code, encounter.description, encounter.units, encounter.fee)]
        if encounter.addon_code:
            addon = addon_codes.get(encounter.addon_code)
            billed.append(
                (
                    encounter.addon_code,
                    addon.description if addon else encounter.addon_code,
                    encounter.addon_units,
                    encounter.addon_fee,
                )
            )
        for code, description, units, fee in billed:
            if fee is None:
                missing.append(f"{code} ({_date(encounter.service_date)})")
                continue
            lines.append(Line(encounter, code, description, units, Decimal(fee), pointer))
    if missing:
        raise ValidationError(
            _(
                "The fee schedule has no fee for %(missing)s: a clinic admin adds it in the "
                "fee schedule first."
            )
            % {"missing": ", ".join(missing)}
        )
    return Superbill(
        client=client,
        start=start,
        end=end,
        diagnoses=[(letter, codes.ICD10[code]) for code, letter in pointers.items()],
        lines=lines,
        clinicians=list(clinicians.values()),
    )


def superbill_pdf(superbill: Superbill, *, recipient: str) -> bytes:
    return pdf.render_pdf(
        "billing/superbill_pdf.html",
        {
            "bill": superbill,
            "clinic_name": settings.CLINIC_NAME,
            "recipient": recipient,
            "notice": REDISCLOSURE_NOTICE,
            "produced_on": timezone.localdate(),
        },
    )


CSV_HEADER = [
    "date_of_service",
    "chart_number",
    "client_legal_name",
    "client_date_of_birth",
    "service_code",
    "code_system",
    "units",
    "fee_per_unit",
    "charge",
    "place_of_service",
    "diagnosis_codes",
    "rendering_clinician",
    "rendering_npi",
    "supervising_clinician",
    "supervising_npi",
]


def billing_csv(superbill: Superbill) -> bytes:
    """The encounters of a superbill as CSV for billing software: one row per billed line
    (an add-on code is its own row), diagnosis codes separated by "|", the Part 2 notice as a
    last comment row (it travels with every disclosure)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    client = superbill.client
    for line in superbill.lines:
        encounter = line.encounter
        supervising = encounter.supervising
        writer.writerow(
            safe_row(
                [
                    encounter.service_date.isoformat(),
                    client.chart_number,
                    client.legal_name,
                    client.date_of_birth.isoformat() if client.date_of_birth else "",
                    line.code,
                    encounter.code_system,
                    line.units,
                    f"{line.fee:.2f}",
                    f"{line.charge:.2f}",
                    encounter.place_of_service,
                    "|".join(encounter.diagnosis_codes),
                    encounter.rendering.full_name,
                    encounter.rendering.npi,
                    supervising.full_name if supervising else "",
                    supervising.npi if supervising else "",
                ]
            )
        )
    writer.writerow([f"# {REDISCLOSURE_NOTICE}"])
    return out.getvalue().encode()


@transaction.atomic
def billing_export(
    *,
    actor: User,
    client: Client,
    consent: Consent | None,
    start: datetime.date,
    end: datetime.date,
    what: str,
) -> tuple[Disclosure, bytes]:
    """Produce a superbill PDF (`what` "superbill") or a CSV of encounters (`what`
    "billing_csv") for [start, end] for the recipient named in `consent`, and record it as a
    disclosure.

    Checks, in order: the treating clinician; the consent (belongs to the client, in force
    today under its row lock, a billing scope, not a mandated agency); the client's legal
    identity; the period; encounters and fees. Side effects: a Disclosure (what, the consent,
    its recipient, the period, the document's SHA-256) and an access event
    `disclosure.superbill` or `disclosure.billing_csv` (consent id, period and hash only).
    Refuses with ValidationError, recording nothing."""
    access.require_write(actor, client)
    if what not in (Disclosure.What.SUPERBILL, Disclosure.What.BILLING_CSV):
        raise ValidationError(_("Choose a superbill or a CSV export."))
    if consent is not None:
        # Locked, as for the other disclosures: a revocation recorded at the same moment lands
        # wholly before (and this refuses) or after.
        consent = Consent.objects.select_for_update().get(pk=consent.pk)
    check_billing_consent(client=client, consent=consent)
    assert consent is not None
    bill = superbill_build(client=client, start=start, end=end)
    if what == Disclosure.What.SUPERBILL:
        document = superbill_pdf(bill, recipient=consent.recipient)
        action = AuditAction.DISCLOSURE_SUPERBILL
    else:
        document = billing_csv(bill)
        action = AuditAction.DISCLOSURE_BILLING_CSV
    disclosure = disclosure_services.document_disclosure_record(
        actor=actor,
        client=client,
        consent=consent,
        what=what,
        action=action,
        document=document,
        period_start=start,
        period_end=end,
    )
    return disclosure, document


# --- The clinic's fee schedule and its own codes (clinic admins) ------------------------------


@transaction.atomic
def fee_set(*, actor: User, code: str, amount: Decimal, effective_on: datetime.date) -> Fee:
    """Set the fee per unit of `code` from `effective_on` (a new row; the same day again
    corrects that day's amount). Earlier fees stay, so a superbill for an earlier date keeps
    the fee then in force. Side effect: a change event `fee.set` (code, date, old and new
    amount)."""
    access.require(actor, "accounts.manage_staff")
    if code not in selectors.service_codes(include_addons=True):
        raise ValidationError({"code": _("Choose a service code from the list.")})
    if amount < 0 or amount > Decimal("99999.99") or amount != amount.quantize(Decimal("0.01")):
        raise ValidationError(
            {"amount": _("Enter an amount from 0 to 99999.99, with at most two decimals.")}
        )
    bounds.PLANNING.check(effective_on, field="effective_on")
    fee = Fee.objects.select_for_update().filter(code=code, effective_on=effective_on).first()
    old = None
    if fee is None:
        fee = Fee.objects.create(code=code, amount=amount, effective_on=effective_on)
    else:
        old = str(fee.amount)
        fee.amount = amount
        fee.save(update_fields=["amount"])
    audit_record(
        category=AuditEvent.Category.CHANGE,
        action=AuditAction.FEE_SET,
        actor=actor,
        obj=fee,
        changes={
            "code": (None, code),
            "effective_on": (None, effective_on.isoformat()),
            "amount": (old, str(amount)),
        },
    )
    return fee


@transaction.atomic
def clinic_code_add(
    *,
    actor: User,
    code: str,
    description: str,
    rule: str,
    min_minutes: int | None = None,
    max_minutes: int | None = None,
    unit_minutes: int | None = None,
) -> ClinicServiceCode:
    """Add a service code of the clinic's own, with one of the built-in unit rules. Refuses a
    code already offered (built in or added) and a rule without the minutes it needs. Side
    effect: a change event `service_code.add`."""
    access.require(actor, "accounts.manage_staff")
    code = code.strip().upper()
    description = description.strip()
    problems: dict[str, str] = {}
    if not code or not code.isascii() or not code.replace("-", "").isalnum():
        problems["code"] = _("Enter a code of letters and digits, e.g. T1006.")
    elif (
        code in codes.BUILTIN_SERVICE_CODES or ClinicServiceCode.objects.filter(code=code).exists()
    ):
        problems["code"] = _("This code is already offered.")
    if not description:
        problems["description"] = _("Describe the service.")
    if rule not in codes.UnitRule:
        problems["rule"] = _("Choose how units are counted.")
    elif rule == codes.UnitRule.PER_UNIT and not (unit_minutes and unit_minutes >= 2):
        problems["unit_minutes"] = _("Enter the minutes per unit (at least 2).")
    elif rule == codes.UnitRule.TIME_RANGE and not min_minutes:
        problems["min_minutes"] = _("Enter where the time range starts.")
    elif (
        rule == codes.UnitRule.TIME_RANGE
        and max_minutes is not None
        and min_minutes is not None
        and max_minutes < min_minutes
    ):
        problems["max_minutes"] = _("The end of the range must be after its start.")
    if problems:
        raise ValidationError(problems)
    row = ClinicServiceCode.objects.create(
        code=code,
        description=description,
        rule=rule,
        min_minutes=min_minutes if rule == codes.UnitRule.TIME_RANGE else None,
        max_minutes=max_minutes if rule == codes.UnitRule.TIME_RANGE else None,
        unit_minutes=unit_minutes if rule == codes.UnitRule.PER_UNIT else None,
    )
    audit_record(
        category=AuditEvent.Category.CHANGE,
        action=AuditAction.SERVICE_CODE_ADD,
        actor=actor,
        obj=row,
        changes={"code": (None, code), "rule": (None, rule)},
    )
    return row
