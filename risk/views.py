"""The chart's Risk section and one flag's page: see it, record what was done, resolve it.

Who may do what (hrp.access): everyone who may open the chart sees the flags; the treating
clinician and the client's current supervisor record follow-ups (`care`); only the treating
clinician resolves (`write`). A reader under an emergency grant reads only (403 on a POST).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clients import selectors as client_selectors
from clients import services as client_services
from clients.models import Client
from clients.views import render_chart_section
from hrp import access
from risk import selectors, services
from risk.extensions import flag_actions
from risk.forms import FollowUpForm, ResolveForm
from risk.models import RiskFlag


def section(request: HttpRequest, pk: int) -> HttpResponse:
    """The chart's Risk section: unresolved flags first, then the latest resolved ones."""
    client, can = client_selectors.chart_client(user=request.user, pk=pk)
    return render_chart_section(
        request, pk, "risk", client=client, can=can, **selectors.flags_for_chart(client)
    )


def _flag(client: Client, flag_pk: int) -> RiskFlag:
    flag = selectors.flag_for(client, flag_pk)
    if flag is None:
        raise Http404
    return flag


def _now_field() -> Any:
    return timezone.localtime().replace(second=0, microsecond=0)


def _render_flag(
    request: HttpRequest,
    client: Client,
    can: access.ClientAccess,
    flag: RiskFlag,
    *,
    follow_up_form: FollowUpForm | None = None,
    resolve_form: ResolveForm | None = None,
    status: int = 200,
) -> HttpResponse:
    if follow_up_form is None and can.care and flag.unresolved:
        follow_up_form = FollowUpForm(initial={"done_at": _now_field()})
    if resolve_form is None and can.write and flag.state == RiskFlag.State.FOLLOWED_UP:
        resolve_form = ResolveForm()
    context = {
        "client": client,
        "can": can,
        "flag": flag,
        "follow_ups": list(flag.follow_ups.all()),
        "source_url": selectors.link_to_source(flag),
        # Next steps other apps offer for this kind of risk (risk.extensions.FlagAction).
        "next_steps": [
            (action.label, reverse(action.url_name, args=[client.pk]))
            for action in flag_actions(flag.kind)
        ]
        if can.write
        else [],
        "follow_up_form": follow_up_form if can.care and flag.unresolved else None,
        "resolve_form": resolve_form
        if can.write and flag.state == RiskFlag.State.FOLLOWED_UP
        else None,
        "nav": "caseload",
    }
    return render(request, "risk/flag_detail.html", context, status=status)


def flag_detail(request: HttpRequest, pk: int, flag_pk: int) -> HttpResponse:
    client, can = access.client_for(request.user, pk)
    flag = _flag(client, flag_pk)
    client_services.access_record(actor=request.user, client=client, what="risk_flag")
    return _render_flag(request, client, can, flag)


def _errors_into(form: Any, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, messages_ in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages_)
    else:
        form.add_error(None, error.messages)


@require_POST
def follow_up(request: HttpRequest, pk: int, flag_pk: int) -> HttpResponse:
    """Record what was done; an open flag becomes "followed up"."""
    client, can = access.client_for(request.user, pk, care=True)
    flag = _flag(client, flag_pk)
    form = FollowUpForm(request.POST)
    if form.is_valid():
        try:
            services.risk_flag_follow_up(actor=request.user, flag=flag, **form.cleaned_data)
        except ValidationError as error:
            _errors_into(form, error)
        else:
            messages.success(request, _("Follow-up recorded."))
            return redirect("risk:flag", pk=client.pk, flag_pk=flag.pk)
    return _render_flag(request, client, can, flag, follow_up_form=form)


@require_POST
def resolve(request: HttpRequest, pk: int, flag_pk: int) -> HttpResponse:
    """Close the flag, saying why (the treating clinician only)."""
    client, can = access.client_for(request.user, pk, write=True)
    flag = _flag(client, flag_pk)
    form = ResolveForm(request.POST)
    if form.is_valid():
        try:
            services.risk_flag_resolve(actor=request.user, flag=flag, **form.cleaned_data)
        except ValidationError as error:
            _errors_into(form, error)
        else:
            messages.success(request, _("The flag is resolved. It stays in the chart's history."))
            return redirect("risk:section", pk=client.pk)
    return _render_flag(request, client, can, flag, resolve_form=form)
