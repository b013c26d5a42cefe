"""Standard measures on the chart: administer, trends, history, and the
chart's Assessments section (which also lists harm assessments, see harm_views.py)."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from assessments import selectors, services
from assessments.measures import MEASURES, Measure
from assessments.models import Administration
from assessments.services import PHQ9_SOURCE
from clients import selectors as client_selectors
from clients import services as client_services
from clients.models import Client
from clients.views import render_chart_section
from hrp import access, bounds, formats
from risk import selectors as risk_selectors
from risk.models import RiskFlag

# Fields an administration form posts besides the items; anything else is tampering.
FORM_FIELDS = {"csrfmiddlewaretoken", "correction_reason", "corrects"}


def _client_with_records(request: HttpRequest, pk: int) -> tuple[Any, access.ClientAccess]:
    """The client as the chart header shows it, with their measures' whole history (these
    pages show it), and what the user may do with it."""
    return client_selectors.chart_client(
        user=request.user, pk=pk, queryset=selectors.with_history(Client.objects.all())
    )


def chart_section(request: HttpRequest, pk: int) -> HttpResponse:
    """The chart's Assessments section: flags to act on, measures with their latest scores
    and what is due, and the harm assessments."""
    client, can = _client_with_records(request, pk)
    latest = selectors.latest_by_measure(client)
    context = {
        "measures": [(m, latest.get(code)) for code, m in MEASURES.items()],
        "due": selectors.due_measures(client, within_days=7),
        "harm_assessments": client.harm_assessments.order_by("-assessed_on", "-id"),
        "history": selectors.history(client)[:10],
        "stage_history": selectors.stage_history(client),
    }
    return render_chart_section(request, pk, "assessments", client=client, can=can, **context)


def _measure_or_404(code: str) -> Measure:
    try:
        return MEASURES[code]
    except KeyError:
        raise Http404 from None


def administer(request: HttpRequest, pk: int, code: str) -> HttpResponse:
    """Give a measure with the client. Every item is required; the score, band and flags are
    computed on the server."""
    client, _can = access.client_for(request.user, pk, write=True)
    measure = MEASURES.get(code)
    if measure is None:
        if request.method == "POST":
            return HttpResponseBadRequest(_("Unknown measure."))
        raise Http404
    corrects = _corrected(
        client, measure, request.POST.get("corrects") or request.GET.get("corrects")
    )
    answers: dict[str, str] = {}
    errors: dict[str, list[str]] = {}
    correction_reason = ""
    if request.method == "POST":
        unknown = set(request.POST) - FORM_FIELDS - set(measure.item_keys)
        if unknown:
            return HttpResponseBadRequest(
                _("The form contained questions this measure does not have.")
            )
        answers = {key: request.POST.get(key, "") for key in measure.item_keys}
        correction_reason = request.POST.get("correction_reason", "")
        try:
            administration = services.administration_record(
                actor=request.user,
                client=client,
                measure_code=measure.code,
                answers={k: v for k, v in answers.items() if v},
                corrects=corrects,
                correction_reason=correction_reason,
            )
        except services.TamperedSubmission:
            return HttpResponseBadRequest(
                _("The form contained answers this measure does not have.")
            )
        except ValidationError as error:
            errors = (
                error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}
            )
        else:
            messages.success(
                request,
                _("%(measure)s recorded: %(score)s.")
                % {
                    "measure": measure.name,
                    "score": formats.score(
                        administration.score,
                        unit=measure.score_unit,
                        band=administration.band_short,
                    ),
                },
            )
            if administration.suicide_risk:
                messages.warning(
                    request,
                    _(
                        "The answer to question 9 raised a suicide-risk flag. It stays on the "
                        "chart and caseload until it is followed up and resolved (the chart's "
                        "Risk tab)."
                    ),
                )
            return redirect("assessments:trend", pk=client.pk, code=measure.code)
    context = {
        "client": client,
        "measure": measure,
        "items": [
            {
                "item": item,
                "number": number,
                "answer": answers.get(item.key, ""),
                "errors": errors.get(item.key, []),
            }
            for number, item in enumerate(measure.items, start=1)
        ],
        "errors": errors,
        "general_errors": [
            message
            for key, values in errors.items()
            if key not in measure.item_keys
            for message in values
        ],
        "missing_count": sum(1 for key in measure.item_keys if key in errors),
        "corrects": corrects,
        "correction_reason": correction_reason,
        "nav": "caseload",
    }
    return render(request, "assessments/administer.html", context)


def _corrected(client: Any, measure: Measure, raw: str | None) -> Administration | None:
    if not raw:
        return None
    pk = bounds.parse_pk(raw)
    if pk is None:
        raise Http404
    return get_object_or_404(client.administrations, pk=pk, measure_code=measure.code)


def trend(request: HttpRequest, pk: int, code: str) -> HttpResponse:
    """One measure over time: a chart with the bands shaded and the same numbers as a table."""
    measure = _measure_or_404(code)
    client, can = _client_with_records(request, pk)
    measure_trend = selectors.trend(client, measure)
    client_services.access_record(actor=request.user, client=client, what=f"measure.{code}")
    context = {
        "client": client,
        "measure": measure,
        "trend": measure_trend,
        "chart": selectors.chart_data(measure_trend),
        "can": can,
        "nav": "caseload",
    }
    context["flags"], context["screening"] = client_selectors.split_flags(
        client_selectors.chart_flags(client)
    )
    return render(request, "assessments/trend.html", context)


def administration_detail(request: HttpRequest, pk: int, administration_pk: int) -> HttpResponse:
    client, can = access.client_for(request.user, pk)
    administration = get_object_or_404(
        client.administrations.select_related("administered_by", "corrects"),
        pk=administration_pk,
    )
    client_services.access_record(actor=request.user, client=client, what="measure.answers")
    measure = administration.measure
    context = {
        "client": client,
        "administration": administration,
        "measure": measure,
        "rows": [
            (
                number,
                item,
                next(c for c in item.choices if c.value == administration.answers[item.key]),
                item.points(administration.answers[item.key]),
            )
            for number, item in enumerate(measure.items, start=1)
        ],
        "corrected_by": Administration.objects.filter(corrects=administration).first(),
        "risk_flag": risk_selectors.flag_raised_by(
            PHQ9_SOURCE, _sitting(administration), RiskFlag.Kind.SUICIDE
        )
        if administration.suicide_risk
        else None,
        "can": can,
        "nav": "caseload",
    }
    return render(request, "assessments/administration_detail.html", context)


def _sitting(administration: Administration) -> int:
    """The first administration of the sitting (corrections keep its flag)."""
    sitting = administration
    while sitting.corrects_id is not None:
        sitting = sitting.corrects  # type: ignore[assignment]
    return sitting.pk


def due_list(request: HttpRequest) -> HttpResponse:
    """The therapist's measures due within 7 days or overdue, across their caseload."""
    access.require(request.user, "clients.create")
    clients = client_selectors.caseload(
        user=request.user, therapist=request.user, status="active", columns=False
    )
    # Name and chart number only: the caseload's referral and intake are not shown here.
    clients = clients.select_related(None).only(
        "id", "chart_number", "preferred_name", "legal_name", "status", "therapist_id"
    )
    rows = selectors.due_for_clients(clients, within_days=7)
    today = timezone.localdate()
    context = {
        "rows": rows,
        "today": today,
        "week": today + datetime.timedelta(days=7),
        "nav": "due",
    }
    return render(request, "assessments/due_list.html", context)
