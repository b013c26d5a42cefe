"""The chart's Record copies tab: the client's requests for their record with the legal
deadline (therapist and supervisor read it), and for the client's therapist the actions:
record a request, extend it once, release the copy, send the record to a consented recipient.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from clients import selectors as client_selectors
from clients.models import Client
from clients.views import render_chart_section
from disclosures import selectors as disclosure_selectors
from hrp import access, formats
from records import selectors, services
from records.forms import ExportForm, ExtendForm, RecordRequestForm
from records.models import RecordRequest


def _export_form(client: Client, data: Any = None) -> ExportForm | None:
    consents = list(disclosure_selectors.valid_consents_for_summary(client, timezone.localdate()))
    return ExportForm(data, consents=consents) if consents else None


def _tab(
    request: HttpRequest,
    client: Client,
    can: access.ClientAccess,
    *,
    status: int = 200,
    chart: bool = False,
    **extra: Any,
) -> HttpResponse:
    """The tab. `chart` says `client` came from the chart's selector (with what the chart
    shell shows); the actions' refusals load the chart client afresh instead."""
    context: dict[str, Any] = {
        "requests": list(selectors.requests_for(client)),
        "today": timezone.localdate(),
    }
    if can.write:
        context.setdefault("export_form", _export_form(client))
        context.setdefault("request_form", RecordRequestForm())
        context.setdefault("extend_form", ExtendForm())
    context.update(extra)
    response = render_chart_section(
        request,
        client.pk,
        "records",
        client=client if chart else None,
        can=can if chart else None,
        **context,
    )
    response.status_code = status
    return response


@require_GET
def chart(request: HttpRequest, pk: int) -> HttpResponse:
    client, can = client_selectors.chart_client(user=request.user, pk=pk)
    return _tab(request, client, can, chart=True)


def _write(request: HttpRequest, pk: int) -> tuple[Client, access.ClientAccess]:
    return access.client_for(request.user, pk, write=True)


@require_POST
def export(request: HttpRequest, pk: int) -> HttpResponse:
    """Send the record as FHIR JSON to a consented recipient, recording the disclosure."""
    client, can = _write(request, pk)
    form = _export_form(client, request.POST)
    if form is None:
        try:
            services.check_export_consent(client=client, consent=None, today=timezone.localdate())
        except ValidationError as error:
            return _tab(request, client, can, status=400, export_errors=error.messages)
    if not form.is_valid():
        return _tab(request, client, can, status=400, export_form=form)
    try:
        disclosure, document = services.fhir_export_disclose(
            actor=request.user, client=client, consent=form.cleaned_data["consent"]
        )
    except ValidationError as error:
        return _tab(
            request, client, can, status=400, export_form=form, export_errors=error.messages
        )
    response = HttpResponse(document, content_type="application/fhir+json")
    response["Content-Disposition"] = (
        f'attachment; filename="record-{client.chart_number}-'
        f'{formats.date_stamp(disclosure.period_end)}.json"'
    )
    # A disclosed document must not linger in a shared browser's or proxy's cache.
    response["Cache-Control"] = "no-store"
    return response


@require_POST
def request_create(request: HttpRequest, pk: int) -> HttpResponse:
    client, can = _write(request, pk)
    form = RecordRequestForm(request.POST)
    if form.is_valid():
        try:
            services.record_request_record(
                actor=request.user,
                client=client,
                requested_on=form.cleaned_data["requested_on"],
                format=form.cleaned_data["format"],
            )
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            return redirect("records:chart", pk=client.pk)
    return _tab(request, client, can, status=400, request_form=form)


@require_POST
def extend(request: HttpRequest, pk: int, request_pk: int) -> HttpResponse:
    client, can = _write(request, pk)
    record_request = get_object_or_404(RecordRequest, pk=request_pk, client=client)
    form = ExtendForm(request.POST)
    if form.is_valid():
        try:
            services.record_request_extend(
                actor=request.user, request=record_request, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            return _tab(
                request, client, can, status=409, extend_errors=error.messages, extend_form=form
            )
        return redirect("records:chart", pk=client.pk)
    return _tab(request, client, can, status=400, extend_form=form, extending=record_request.pk)


@require_POST
def release(request: HttpRequest, pk: int, request_pk: int) -> HttpResponse:
    """Give the client their record (ZIP of the PDF and the FHIR JSON) and record it."""
    client, can = _write(request, pk)
    record_request = get_object_or_404(RecordRequest, pk=request_pk, client=client)
    try:
        released, archive = services.record_release(actor=request.user, request=record_request)
    except ValidationError as error:
        return _tab(request, client, can, status=409, release_errors=error.messages)
    response = HttpResponse(archive, content_type="application/zip")
    response["Content-Disposition"] = (
        f'attachment; filename="my-record-{formats.date_stamp(released.released_on)}.zip"'
    )
    response["Cache-Control"] = "no-store"
    return response
