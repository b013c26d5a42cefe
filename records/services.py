"""The client's record leaving the clinic whole.

- To a recipient (`fhir_export_disclose`): only under a consent in force naming them, of a
  scope allowing a treatment summary, and only with the client's legal identity on record; a
  `Disclosure` (what "fhir_record") with the redisclosure notice inside the document.
- To the client (`record_request_record`, `record_request_extend`, `record_release`): their
  right of access (45 CFR 164.524). A request is recorded with its date, the legal deadline
  follows from it, and the release gives the readable PDF and the FHIR file together, keeping
  their SHA-256. The client's own copy is not a disclosure to a third party (as the plan's
  copy in goals), but it carries the same Part 2 notice.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import json
import zipfile

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clients.identity import require_identity
from clients.models import Client, Consent
from disclosures import selectors as disclosure_selectors
from disclosures.models import Disclosure
from disclosures.report import REDISCLOSURE_NOTICE
from disclosures.services import check_in_force, document_disclosure_record
from goals import selectors as goal_selectors
from hrp import bounds
from hrp.accounts.models import User
from hrp.audit.actions import AuditAction
from hrp.audit.models import AuditEvent
from hrp.audit.services import audit_record
from hrp.pdf import render_pdf
from records import fhir, selectors
from records.models import RecordRequest

# A record for a third party is "treatment summary" content: the plan, goals, measures and
# consents, never counseling notes (their own consent) and never to a mandated referrer's
# agency (attendance only: Consent.scope_refusal).
EXPORT_SCOPES = disclosure_selectors.SUMMARY_SCOPES


def check_export_consent(*, client: Client, consent: Consent | None, today: datetime.date) -> None:
    """Refuse sending the client's record under `consent` today, saying why."""
    if consent is None:
        raise ValidationError(
            _(
                "No consent in force allows the record to leave the clinic. Record the client's "
                "written consent to disclose a treatment summary (on the Consents tab) first."
            )
        )
    if consent.client_id != client.pk:
        raise ValidationError(_("This consent belongs to another client's record."))
    check_in_force(consent=consent, today=today)
    if consent.scope not in EXPORT_SCOPES:
        raise ValidationError(
            _(
                "This consent allows “%(scope)s”: the record needs a consent to disclose a "
                "treatment summary."
            )
            % {"scope": consent.get_scope_display()}
        )
    refusal = consent.scope_refusal()
    if refusal:
        raise ValidationError(refusal)
    # The recipient must be able to tell whose record it is: the one identity rule (issue 21).
    require_identity(client, purpose="fhir_export")


def bundle_json(bundle: dict) -> bytes:
    return json.dumps(bundle, ensure_ascii=False, indent=2).encode()


@transaction.atomic
def fhir_export_disclose(
    *, actor: User, client: Client, consent: Consent | None
) -> tuple[Disclosure, bytes]:
    """The client's record as a FHIR document Bundle for the recipient of `consent`.

    Checks (check_export_consent) run under the consent's row lock, so a revocation recorded
    at the same moment lands wholly before (and this refuses) or after. Side effects: a
    `Disclosure` (what "fhir_record", the consent, its recipient, the period from the record's
    opening to today, the JSON's SHA-256) and the audit event `disclosure.fhir_record` with
    only the consent id and the hash. Refuses with ValidationError, recording nothing."""
    today = timezone.localdate()
    if consent is not None:
        consent = Consent.objects.select_for_update().get(pk=consent.pk)
    check_export_consent(client=client, consent=consent, today=today)
    assert consent is not None  # checked above
    document = bundle_json(
        fhir.build_bundle(
            client=client, clinic_name=settings.CLINIC_NAME, recipient=consent.recipient
        )
    )
    disclosure = document_disclosure_record(
        actor=actor,
        client=client,
        consent=consent,
        what=Disclosure.What.FHIR_RECORD,
        action=AuditAction.DISCLOSURE_FHIR_RECORD,
        document=document,
        period_start=min(timezone.localdate(client.created_at), today),
        period_end=today,
        audit_period=False,
    )
    return disclosure, document


@transaction.atomic
def record_request_record(
    *, actor: User, client: Client, requested_on: datetime.date, format: str
) -> RecordRequest:
    """Record the client's request for a copy of their record, dated the day they asked
    (the deadline runs from it). A second submission of the same open request (a double
    click, a resend) returns the first: under the client's row lock, so two at once make one.
    Side effect: change event `record.request`."""
    bounds.check_dates({"requested_on": requested_on}, RecordRequest.DATE_RANGES)
    Client.objects.select_for_update().only("pk").get(pk=client.pk)
    existing = RecordRequest.objects.filter(
        client=client, requested_on=requested_on, format=format, released_on__isnull=True
    ).first()
    if existing is not None:
        return existing
    request = RecordRequest(
        client=client, requested_on=requested_on, format=format, recorded_by=actor
    )
    request.full_clean()
    request.save()
    audit_record(
        category=AuditEvent.Category.CHANGE,
        action=AuditAction.RECORD_REQUEST,
        actor=actor,
        obj=request,
        chart_number=client.chart_number,
        changes={"requested_on": (None, requested_on.isoformat()), "format": (None, format)},
    )
    return request


@transaction.atomic
def record_request_extend(*, actor: User, request: RecordRequest, reason: str) -> RecordRequest:
    """Use the one 30-day extension the rule allows, with the reason the client is told.
    Refuses a second extension, one after release, and one after the first deadline passed
    (the extension must be given within the first 30 days). Side effect: `record.extend`."""
    request = RecordRequest.objects.select_for_update().get(pk=request.pk)
    today = timezone.localdate()
    if request.released_on:
        raise ValidationError(_("This copy was already released."))
    if request.extended_on:
        raise ValidationError(
            _("The deadline was already extended once, on %(date)s; the rule allows one.")
            % {"date": bounds.show_date(request.extended_on)}
        )
    if today > request.due_on:
        raise ValidationError(
            _("The first 30 days ended on %(date)s: an extension must be given before then.")
            % {"date": bounds.show_date(request.due_on)}
        )
    if not reason.strip():
        raise ValidationError(_("Say why the copy needs more time: the client is told."))
    request.extended_on = today
    request.extension_reason = reason.strip()
    request.full_clean()
    request.save(update_fields=["extended_on", "extension_reason"])
    audit_record(
        category=AuditEvent.Category.CHANGE,
        action=AuditAction.RECORD_EXTEND,
        actor=actor,
        obj=request,
        chart_number=request.client.chart_number,
        changes={"extended_on": (None, today.isoformat())},
    )
    return request


def record_pdf(*, client: Client, request: RecordRequest) -> bytes:
    """The record for reading: a cover letter, who the client is, their plan and goals (the
    plan's own copy, goals.selectors.client_copy), measures, signed session notes, consents,
    disclosures, and a
    summary of who accessed the record (hrp.audit), with the Part 2 notice."""
    context = {
        "client": client,
        "request": request,
        "clinic_name": settings.CLINIC_NAME,
        "today": timezone.localdate(),
        "copy": goal_selectors.client_copy(client),
        "measures": list(selectors.measures_for(client)),
        "notes": selectors.signed_notes_for(client),
        "consents": list(selectors.consents_for(client)),
        "disclosures": list(selectors.disclosures_for(client)),
        "access": selectors.access_summary(client),
        "notice": REDISCLOSURE_NOTICE,
    }
    return render_pdf("records/record_pdf.html", context)


@transaction.atomic
def record_release(*, actor: User, request: RecordRequest) -> tuple[RecordRequest, bytes]:
    """Give the client their record: one ZIP holding the readable PDF and the FHIR JSON (as
    asked), recorded as released today by `actor` with each file's SHA-256. Refuses (409 in
    the view) a request already released, under the row lock, so a double click gives one
    release. Side effect: access event `record.release` with the hashes."""
    request = RecordRequest.objects.select_for_update().select_related("client").get(pk=request.pk)
    if request.released_on:
        raise ValidationError(
            _("This copy was released on %(date)s.")
            % {"date": bounds.show_date(request.released_on)}
        )
    client = request.client
    files: dict[str, bytes] = {}
    if request.format in (RecordRequest.Format.BOTH, RecordRequest.Format.PDF):
        files["record.pdf"] = record_pdf(client=client, request=request)
    if request.format in (RecordRequest.Format.BOTH, RecordRequest.Format.FHIR):
        files["record.fhir.json"] = bundle_json(
            fhir.build_bundle(client=client, clinic_name=settings.CLINIC_NAME)
        )
    now = timezone.now()
    request.released_on = timezone.localdate(now)
    request.released_at = now
    request.released_by = actor
    request.pdf_sha256 = (
        hashlib.sha256(files["record.pdf"]).hexdigest() if "record.pdf" in files else ""
    )
    request.json_sha256 = (
        hashlib.sha256(files["record.fhir.json"]).hexdigest() if "record.fhir.json" in files else ""
    )
    request.save(
        update_fields=[
            "released_on",
            "released_at",
            "released_by",
            "pdf_sha256",
            "json_sha256",
        ]
    )
    audit_record(
        category=AuditEvent.Category.ACCESS,
        action=AuditAction.RECORD_RELEASE,
        actor=actor,
        obj=request,
        chart_number=client.chart_number,
        changes={
            "pdf_sha256": (None, request.pdf_sha256),
            "json_sha256": (None, request.json_sha256),
        },
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            # A fixed date inside the archive: the same files give the same ZIP.
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            archive.writestr(info, content)
    return request, buffer.getvalue()
