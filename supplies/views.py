"""The chart's Supplies section (the treating clinician records, voids and corrects; the
supervisor and a reader under an emergency grant read), and the funders' report."""

from __future__ import annotations

import csv
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from clients import selectors as client_selectors
from clients.models import Client
from clients.views import render_chart_section
from hrp import access, bounds, formats
from supplies import selectors, services
from supplies.forms import CorrectionForm, ReportForm, SupplyForm, VoidForm, default_months
from supplies.models import SupplyRecord


def _section(
    request: HttpRequest,
    client: Client,
    can: access.ClientAccess,
    *,
    form: SupplyForm | None = None,
    status: int = 200,
) -> HttpResponse:
    if form is None and can.write:
        form = SupplyForm()
    response = render_chart_section(
        request,
        client.pk,
        "supplies",
        client=client,
        can=can,
        records=selectors.supplies_for(client),
        form=form,
    )
    response.status_code = status
    return response


@require_GET
def section(request: HttpRequest, pk: int) -> HttpResponse:
    client, can = client_selectors.chart_client(user=request.user, pk=pk)
    return _section(request, client, can)


def _service_errors(form: Any, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, messages_ in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages_)
    else:
        for message in error.messages:
            form.add_error(None, message)


@require_http_methods(["POST"])
def record(request: HttpRequest, pk: int) -> HttpResponse:
    client, can = client_selectors.chart_client(user=request.user, pk=pk)
    if not can.write:
        raise PermissionDenied
    form = SupplyForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.supply_record(
                actor=request.user,
                client=client,
                item=data["item"],
                item_other=data["item_other"],
                quantity=data["quantity"],
                given_on=data["given_on"],
                how=data["how"],
                note=data["note"],
            )
        except ValidationError as error:
            _service_errors(form, error)
        else:
            messages.success(request, _("Supplies recorded."))
            return redirect("supplies:section", pk=client.pk)
    return _section(request, client, can, form=form, status=400)


def _record(client: Client, record_pk: int) -> SupplyRecord:
    record = selectors.record_for(client, record_pk)
    if record is None:
        raise Http404
    return record


def _page(
    request: HttpRequest,
    client: Client,
    record: SupplyRecord,
    form: Any,
    *,
    correcting: bool,
    status: int = 200,
) -> HttpResponse:
    context = {
        "client": client,
        "record": record,
        "form": form,
        "correcting": correcting,
        "nav": "caseload",
    }
    return render(request, "supplies/change.html", context, status=status)


@require_http_methods(["GET", "POST"])
def void(request: HttpRequest, pk: int, record_pk: int) -> HttpResponse:
    client, _can = access.client_for(request.user, pk, write=True)
    record = _record(client, bounds.parse_pk(str(record_pk)) or 0)
    if hasattr(record, "void"):
        messages.info(request, _("This record was already set aside."))
        return redirect("supplies:section", pk=client.pk)
    form = VoidForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                services.supply_void(
                    actor=request.user,
                    client=client,
                    record=record,
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as error:
                _service_errors(form, error)
            else:
                messages.success(request, _("Record set aside. It stays on the chart, marked."))
                return redirect("supplies:section", pk=client.pk)
        return _page(request, client, record, form, correcting=False, status=400)
    return _page(request, client, record, form, correcting=False)


@require_http_methods(["GET", "POST"])
def correct(request: HttpRequest, pk: int, record_pk: int) -> HttpResponse:
    client, _can = access.client_for(request.user, pk, write=True)
    record = _record(client, bounds.parse_pk(str(record_pk)) or 0)
    if hasattr(record, "void"):
        messages.info(request, _("This record was already set aside."))
        return redirect("supplies:section", pk=client.pk)
    initial = {
        "item": record.item,
        "item_other": record.item_other,
        "quantity": record.quantity,
        "given_on": record.given_on,
        "how": record.how,
        "note": record.note,
    }
    form = CorrectionForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.supply_correct(
                    actor=request.user,
                    client=client,
                    record=record,
                    reason=data["reason"],
                    item=data["item"],
                    item_other=data["item_other"],
                    quantity=data["quantity"],
                    given_on=data["given_on"],
                    how=data["how"],
                    note=data["note"],
                )
            except ValidationError as error:
                _service_errors(form, error)
            else:
                messages.success(request, _("Record corrected. The earlier one stays, marked."))
                return redirect("supplies:section", pk=client.pk)
        return _page(request, client, record, form, correcting=True, status=400)
    return _page(request, client, record, form, correcting=True)


# --- The funders' report -----------------------------------------------------------------------


def _report_form(request: HttpRequest) -> ReportForm:
    access.require(request.user, "reports.funders")
    data = request.GET if {"first", "last"} & set(request.GET) else default_months()
    return ReportForm(data)


@require_GET
def report(request: HttpRequest) -> HttpResponse:
    form = _report_form(request)
    context: dict[str, Any] = {"form": form, "nav": "reports"}
    if not form.is_valid():
        return render(request, "supplies/report.html", context, status=400)
    first, last = form.cleaned_data["first"], form.cleaned_data["last"]
    context["report"] = selectors.funders_report(first, last)
    services.supply_report_viewed(actor=request.user, first=first, last=last)
    return render(request, "supplies/report.html", context)


@require_GET
def report_csv(request: HttpRequest) -> HttpResponse:
    form = _report_form(request)
    if not form.is_valid():
        return render(request, "supplies/report.html", {"form": form}, status=400)
    first, last = form.cleaned_data["first"], form.cleaned_data["last"]
    report_ = selectors.funders_report(first, last)
    services.supply_report_viewed(actor=request.user, first=first, last=last)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    period = f"{formats.iso_month(first)}-to-{formats.iso_month(last)}"
    response["Content-Disposition"] = f'attachment; filename="supplies-{period}.csv"'
    writer = csv.writer(response)
    writer.writerow(
        [_("Month"), *report_.items, _("Referred elsewhere (times)"), _("Clients served")]
    )
    for row in report_.months:
        writer.writerow(
            [formats.iso_month(row.month), *row.given_in_order(), row.referred, row.clients]
        )
    writer.writerow([_("Total"), *report_.totals, report_.referred, report_.clients])
    return response
