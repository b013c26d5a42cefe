"""The chart's Disclosures tab: the accounting of disclosures (therapist and supervisor read it),
and, for the client's therapist only, the attendance report: a form, an HTML preview that
records nothing, and the PDF download that records the disclosure at the moment it is made."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from clients import selectors as client_selectors
from clients.models import Client, Consent
from clients.views import render_chart_section
from disclosures import report, selectors, services
from disclosures.forms import AttendanceReportForm
from hrp import access


def _unavailable_reason(client: Client, consents: list[Consent]) -> str:
    """Why no report can be produced now, or "" when one can."""
    if consents:
        return ""
    agency = selectors.referral_agency(client)
    if not agency:
        return _(
            "An attendance report goes only to a referring agency, and this client's referral "
            "names none."
        )
    return _(
        "No consent in force allows attendance to be disclosed to %(agency)s. Record the "
        "client's written consent (on the Consents tab) before producing a report."
    ) % {"agency": agency}


def _tab(
    request: HttpRequest,
    pk: int,
    *,
    client: Client | None = None,
    can: access.ClientAccess | None = None,
    status: int = 200,
    **extra: Any,
) -> HttpResponse:
    response = render_chart_section(request, pk, "disclosures", client=client, can=can, **extra)
    response.status_code = status
    return response


@require_GET
def chart(request: HttpRequest, pk: int) -> HttpResponse:
    client, can = client_selectors.chart_client(user=request.user, pk=pk)
    extra: dict[str, Any] = {"disclosures": selectors.disclosures_for(client)}
    if can.write:
        consents = list(selectors.valid_consents_for_report(client, timezone.localdate()))
        extra["unavailable"] = _unavailable_reason(client, consents)
        extra["form"] = AttendanceReportForm(consents=consents) if consents else None
    return _tab(request, pk, client=client, can=can, **extra)


def _form(client: Client, data: Any) -> tuple[AttendanceReportForm | None, str]:
    consents = list(selectors.valid_consents_for_report(client, timezone.localdate()))
    reason = _unavailable_reason(client, consents)
    return (AttendanceReportForm(data, consents=consents) if consents else None), reason


def _prepare(form: AttendanceReportForm, client: Client) -> report.AttendanceReport | None:
    """The report if the form and every service rule pass; else None, with the form's errors
    saying why."""
    if not form.is_valid():
        return None
    try:
        return services.attendance_report_prepare(
            client=client,
            consent=form.cleaned_data["consent"],
            start=form.cleaned_data["start"],
            end=form.cleaned_data["end"],
        )
    except ValidationError as error:
        for message in error.messages:
            form.add_error(None, message)
        return None


@require_GET
def attendance_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """The report as the agency will read it. Records nothing: nothing has left the clinic."""
    client, _can = access.client_for(
        request.user, pk, write=True, queryset=Client.objects.select_related("referral")
    )
    form, reason = _form(client, request.GET)
    if form is None:
        return _tab(request, pk, status=400, unavailable=reason, form=None, refused=True)
    prepared = _prepare(form, client)
    if prepared is None:
        return _tab(request, pk, status=400, form=form, unavailable="", refused=True)
    return _tab(
        request,
        pk,
        form=form,
        preview=report.render_html(prepared),
        counts=prepared.counts,
    )


@require_POST
def attendance_download(request: HttpRequest, pk: int) -> HttpResponse:
    """Produce the PDF, record the disclosure, and send the file."""
    client, _can = access.client_for(
        request.user, pk, write=True, queryset=Client.objects.select_related("referral")
    )
    form, reason = _form(client, request.POST)
    if form is None:
        return _tab(request, pk, status=400, unavailable=reason, form=None, refused=True)
    if not form.is_valid():
        return _tab(request, pk, status=400, form=form, unavailable="", refused=True)
    try:
        disclosure, pdf = services.attendance_report(
            actor=request.user,
            client=client,
            consent=form.cleaned_data["consent"],
            start=form.cleaned_data["start"],
            end=form.cleaned_data["end"],
        )
    except ValidationError as error:
        for message in error.messages:
            form.add_error(None, message)
        return _tab(request, pk, status=400, form=form, unavailable="", refused=True)
    filename = report.pdf_filename_for(
        chart_number=client.chart_number,
        start=disclosure.period_start,
        end=disclosure.period_end,
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    # A disclosed document must not linger in a shared browser's or proxy's cache.
    response["Cache-Control"] = "no-store"
    return response
