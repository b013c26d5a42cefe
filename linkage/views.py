"""The chart's Referrals section (the treating clinician offers referrals and records each step;
the supervisor and a reader under an emergency grant read), and the page for the next step."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clients import selectors as client_selectors
from clients.models import Client
from clients.views import render_chart_section
from disclosures.report import REDISCLOSURE_NOTICE
from hrp import access
from linkage import selectors, services
from linkage.forms import OfferForm, UpdateForm


def _section(
    request: HttpRequest,
    client: Client,
    can: access.ClientAccess,
    *,
    form: OfferForm | None = None,
    status: int = 200,
) -> HttpResponse:
    if form is None and can.write:
        form = OfferForm(consents=selectors.consents_in_force(client))
    response = render_chart_section(
        request,
        client.pk,
        "referrals",
        client=client,
        can=can,
        referrals=selectors.referrals_for(client),
        form=form,
        notice=REDISCLOSURE_NOTICE,
    )
    response.status_code = status
    return response


def _service_errors(form: Any, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, field_messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, field_messages)
    else:
        for message in error.messages:
            form.add_error(None, message)


@require_GET
def section(request: HttpRequest, pk: int) -> HttpResponse:
    client, can = client_selectors.chart_client(user=request.user, pk=pk)
    return _section(request, client, can)


@require_POST
def offer(request: HttpRequest, pk: int) -> HttpResponse:
    client, can = client_selectors.chart_client(user=request.user, pk=pk)
    if not can.write:
        raise PermissionDenied
    form = OfferForm(request.POST, consents=selectors.consents_in_force(client))
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.referral_offer(
                actor=request.user,
                client=client,
                service=data["service"],
                service_other=data["service_other"],
                provider=data["provider"],
                status=data["status"],
                follow_up_on=data["follow_up_on"],
                note=data["note"],
                share=data["share"],
                consent=data["consent"],
                shared=data["shared"],
            )
        except ValidationError as error:
            _service_errors(form, error)
        else:
            messages.success(request, _("Referral recorded."))
            return redirect("linkage:section", pk=client.pk)
    return _section(request, client, can, form=form, status=400)


@require_http_methods(["GET", "POST"])
def update(request: HttpRequest, pk: int, referral_pk: int) -> HttpResponse:
    client, _can = access.client_for(request.user, pk, write=True)
    referral = selectors.referral_for(client, referral_pk)
    if referral is None:
        raise Http404
    form = UpdateForm(
        request.POST or None, referral=referral, consents=selectors.consents_in_force(client)
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.referral_update(
                    actor=request.user,
                    client=client,
                    referral=referral,
                    status=data["status"],
                    note=data["note"],
                    follow_up_on=data["follow_up_on"],
                    share=data["share"],
                    consent=data["consent"],
                    shared=data["shared"],
                )
            except ValidationError as error:
                _service_errors(form, error)
            else:
                messages.success(request, _("Referral updated."))
                return redirect("linkage:section", pk=client.pk)
        status = 400
    context = {
        "client": client,
        "referral": referral,
        "changes": referral.changes.select_related("changed_by", "disclosure"),
        "form": form,
        "notice": REDISCLOSURE_NOTICE,
        "nav": "caseload",
    }
    return render(request, "linkage/update.html", context, status=status)
