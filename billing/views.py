"""The chart's Billing section (problem list, sessions and contacts to code, exports), the page
to change a diagnosis and the page to code an encounter. The treating clinician writes and
exports; the supervisor and a reader under an emergency grant read the section."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from billing import codes, selectors, services
from billing.forms import (
    ClinicCodeForm,
    DiagnosisAddForm,
    DiagnosisChangeForm,
    EncounterForm,
    ExportForm,
    FeeForm,
    MeetingCodingForm,
)
from clients import selectors as client_selectors
from clients.models import Client
from clients.views import render_chart_section
from disclosures.models import Disclosure
from disclosures.report import REDISCLOSURE_NOTICE
from groups import selectors as group_selectors
from hrp import access, formats


def _service_errors(form: Any, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, field_messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, field_messages)
    else:
        for message in error.messages:
            form.add_error(None, message)


def _section(
    request: HttpRequest,
    client: Client,
    can: access.ClientAccess,
    *,
    add_form: DiagnosisAddForm | None = None,
    export_form: ExportForm | None = None,
    status: int = 200,
) -> HttpResponse:
    if can.write:
        add_form = add_form or DiagnosisAddForm()
        export_form = export_form or ExportForm(consents=selectors.consents_for_billing(client))
    response = render_chart_section(
        request,
        client.pk,
        "billing",
        client=client,
        can=can,
        diagnoses=selectors.diagnoses_for_client(client),
        sessions=selectors.recent_sessions(client),
        contacts=selectors.recent_contacts(client),
        group_meetings=selectors.recent_group_meetings(client),
        add_form=add_form,
        export_form=export_form,
        notice=REDISCLOSURE_NOTICE,
    )
    response.status_code = status
    return response


@require_GET
def section(request: HttpRequest, pk: int) -> HttpResponse:
    client, can = client_selectors.chart_client(user=request.user, pk=pk)
    return _section(request, client, can)


@require_POST
def diagnosis_add(request: HttpRequest, pk: int) -> HttpResponse:
    client, can = client_selectors.chart_client(user=request.user, pk=pk)
    if not can.write:
        raise PermissionDenied
    form = DiagnosisAddForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.diagnosis_add(
                actor=request.user,
                client=client,
                code=data["code"],
                onset_on=data["onset_on"],
                reason=data["reason"],
            )
        except ValidationError as error:
            _service_errors(form, error)
        else:
            messages.success(request, _("Diagnosis added to the problem list."))
            return redirect("billing:section", pk=client.pk)
    return _section(request, client, can, add_form=form, status=400)


@require_http_methods(["GET", "POST"])
def diagnosis_change(request: HttpRequest, pk: int, diagnosis_pk: int) -> HttpResponse:
    client, _can = access.client_for(request.user, pk, write=True)
    diagnosis = selectors.diagnoses_for_client(client).filter(pk=diagnosis_pk).first()
    if diagnosis is None:
        raise Http404
    form = DiagnosisChangeForm(request.POST or None, diagnosis=diagnosis)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.diagnosis_change(
                    actor=request.user,
                    client=client,
                    diagnosis=diagnosis,
                    status=data["status"],
                    onset_on=data["onset_on"],
                    resolved_on=data["resolved_on"],
                    reason=data["reason"],
                )
            except ValidationError as error:
                _service_errors(form, error)
            else:
                messages.success(request, _("Diagnosis updated."))
                return redirect("billing:section", pk=client.pk)
        status = 400
    context = {"client": client, "diagnosis": diagnosis, "form": form, "nav": "caseload"}
    return render(request, "billing/diagnosis.html", context, status=status)


def _encounter_page(
    request: HttpRequest,
    client: Client,
    *,
    appointment: Any = None,
    contact: Any = None,
    attendance: Any = None,
) -> HttpResponse:
    source = appointment or contact or attendance
    offered = selectors.service_codes()
    if appointment is not None:
        date = appointment.starts_at
        minutes = appointment.duration_minutes
        place = services.default_place_of_service(appointment.modality)
    elif attendance is not None:
        meeting = attendance.meeting
        date = meeting.starts_at
        minutes = meeting_minutes(meeting)
        place = codes.OFFICE
        offered = selectors.group_service_codes()
    else:
        date = contact.occurred_at
        minutes = contact.duration_minutes
        place = services.default_place_of_service(contact.kind)
    encounter = getattr(source, "encounter", None)
    locked = encounter is not None and services.encounter_is_locked(
        appointment=appointment, contact=contact, attendance=attendance
    )
    initial: dict[str, Any] = {"minutes": minutes, "place_of_service": place}
    if attendance is not None:
        initial["code"] = GROUP_DEFAULT_CODE
    if encounter is not None:
        initial = {
            "code": encounter.code,
            "minutes": encounter.minutes,
            "place_of_service": encounter.place_of_service,
            "diagnosis_codes": encounter.diagnosis_codes,
        }
    form = EncounterForm(
        request.POST or None,
        initial=initial,
        service_codes=offered.values(),
        diagnoses=selectors.diagnoses_in_force(client, timezone.localdate(date)),
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.encounter_code(
                    actor=request.user,
                    client=client,
                    appointment=appointment,
                    contact=contact,
                    attendance=attendance,
                    code=data["code"],
                    minutes=data["minutes"],
                    place_of_service=data["place_of_service"],
                    diagnosis_codes=data["diagnosis_codes"],
                )
            except ValidationError as error:
                _service_errors(form, error)
            else:
                messages.success(request, _("Encounter coded."))
                return redirect("billing:section", pk=client.pk)
        status = 409 if locked else 400
    context = {
        "client": client,
        "when": date,
        "appointment": appointment,
        "contact": contact,
        "attendance": attendance,
        "encounter": encounter,
        "locked": locked,
        "form": form,
        "nav": "caseload",
    }
    return render(request, "billing/encounter.html", context, status=status)


@require_http_methods(["GET", "POST"])
def encounter_session(request: HttpRequest, pk: int, appointment_pk: int) -> HttpResponse:
    client, _can = access.client_for(request.user, pk, write=True)
    appointment = selectors.appointment_for(client, appointment_pk)
    if appointment is None:
        raise Http404
    return _encounter_page(request, client, appointment=appointment)


@require_http_methods(["GET", "POST"])
def encounter_contact(request: HttpRequest, pk: int, contact_pk: int) -> HttpResponse:
    client, _can = access.client_for(request.user, pk, write=True)
    contact = selectors.contact_for(client, contact_pk)
    if contact is None:
        raise Http404
    return _encounter_page(request, client, contact=contact)


@require_http_methods(["GET", "POST"])
def encounter_group(request: HttpRequest, pk: int, attendance_pk: int) -> HttpResponse:
    """A member's attendance at a group meeting, coded from their chart (the treating
    clinician)."""
    client, _can = access.client_for(request.user, pk, write=True)
    attendance = selectors.attendance_for(client, attendance_pk)
    if attendance is None:
        raise Http404
    return _encounter_page(request, client, attendance=attendance)


# The code a group meeting's coding proposes: group psychotherapy.
GROUP_DEFAULT_CODE = "90853"


def meeting_minutes(meeting: Any) -> int:
    """The meeting's length as scheduled, the real duration a coding proposes."""
    return int((meeting.ends_at - meeting.starts_at).total_seconds() // 60)


def _meeting_coding_page(
    request: HttpRequest, meeting: Any, form: MeetingCodingForm, *, status: int = 200
) -> HttpResponse:
    context = {
        "meeting": meeting,
        "group": meeting.group,
        "form": form,
        "rows": form.rows,
        "nav": "groups",
    }
    return render(request, "billing/meeting_coding.html", context, status=status)


@require_http_methods(["GET", "POST"])
def meeting_coding(request: HttpRequest, meeting_pk: int) -> HttpResponse:
    """Code every attending member of a group meeting at once, with a per-member override
    (the group's facilitators; 404 for everyone else, supervisors included: they read the
    coding on each member's chart)."""
    meeting, can = group_selectors.meeting_for(request.user, meeting_pk)
    if not can.write:
        raise Http404
    note_signed = bool(getattr(getattr(meeting, "note", None), "signed_at", None))
    rows = selectors.meeting_coding_rows(meeting, note_signed=note_signed)
    form = MeetingCodingForm(
        request.POST or None,
        rows=rows,
        service_codes=selectors.group_service_codes().values(),
        initial={
            "code": GROUP_DEFAULT_CODE,
            "minutes": meeting_minutes(meeting),
            "place_of_service": codes.OFFICE,
        },
    )
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                coded = services.meeting_encounters_code(
                    actor=request.user,
                    meeting=meeting,
                    code=data["code"],
                    minutes=data["minutes"],
                    place_of_service=data["place_of_service"],
                    members=form.member_codings(),
                )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(
                    request,
                    ngettext(
                        "%(n)d member's attendance coded.",
                        "%(n)d members' attendance coded.",
                        len(coded),
                    )
                    % {"n": len(coded)},
                )
                return redirect("billing:meeting_coding", meeting_pk=meeting.pk)
        return _meeting_coding_page(request, meeting, form, status=400)
    return _meeting_coding_page(request, meeting, form)


@require_POST
def export(request: HttpRequest, pk: int) -> HttpResponse:
    client, can = client_selectors.chart_client(user=request.user, pk=pk)
    if not can.write:
        raise PermissionDenied
    form = ExportForm(request.POST, consents=selectors.consents_for_billing(client))
    if form.is_valid():
        data = form.cleaned_data
        try:
            disclosure, document = services.billing_export(
                actor=request.user,
                client=client,
                consent=data["consent"],
                start=data["start"],
                end=data["end"],
                what=data["what"],
            )
        except ValidationError as error:
            _service_errors(form, error)
        else:
            superbill = disclosure.what == Disclosure.What.SUPERBILL
            # The file name carries the chart number and period, never the client's name.
            name = f"{'superbill' if superbill else 'encounters'}-{client.chart_number}-"
            period = (disclosure.period_start, disclosure.period_end)
            name += "-".join(formats.date_stamp(day) for day in period)
            response = HttpResponse(
                document,
                content_type="application/pdf" if superbill else "text/csv; charset=utf-8",
            )
            extension = "pdf" if superbill else "csv"
            response["Content-Disposition"] = f'attachment; filename="{name}.{extension}"'
            response["Cache-Control"] = "no-store"
            return response
    return _section(request, client, can, export_form=form, status=400)


@require_http_methods(["GET", "POST"])
def fees(request: HttpRequest) -> HttpResponse:
    """The clinic's fee schedule and its own service codes (clinic admins; 404 for others)."""
    access.require(request.user, "accounts.manage_staff")
    offered = selectors.service_codes(include_addons=True).values()
    posted = request.POST.get("form") if request.method == "POST" else None
    fee_form = FeeForm(request.POST if posted == "fee" else None, service_codes=offered)
    code_form = ClinicCodeForm(request.POST if posted == "code" else None)
    status = 200
    if posted in ("fee", "code"):
        form: Any = fee_form if posted == "fee" else code_form
        if form.is_valid():
            data = form.cleaned_data
            try:
                if posted == "fee":
                    services.fee_set(actor=request.user, **data)
                else:
                    services.clinic_code_add(actor=request.user, **data)
            except ValidationError as error:
                _service_errors(form, error)
            else:
                messages.success(request, _("Fee schedule saved."))
                return redirect("billing:fees")
        status = 400
    elif request.method == "POST":
        status = 400
    context = {
        "fees": selectors.fee_schedule(),
        "clinic_codes": selectors.clinic_codes(),
        "fee_form": fee_form,
        "code_form": code_form,
        "nav": "clinic_settings",
    }
    return render(request, "billing/fees.html", context, status=status)
