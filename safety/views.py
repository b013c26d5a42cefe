"""Safety pages: the chart's Safety section (both plans and the periods of lower tolerance),
writing a plan with the client (each save a new version), the history of versions, one version,
its printable copy for the client, and recording a period of lower tolerance.

Every page gets the client through `access.client_for` (404 for anyone who may not read the
record, 403 when a reader asks to write: a supervisor or an emergency grant) and records an
access event. Versions are looked up through the client's plan, so another client's version
number is a 404 here.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from clients import selectors as client_selectors
from clients import services as client_services
from clients.models import Client
from clients.views import render_chart_section
from hrp import access
from hrp.clinic import clinic_setting
from safety import selectors, services
from safety.forms import OverdosePlanForm, SafetyPlanForm, ToleranceWindowForm, review_initial
from safety.models import (
    OVERDOSE_CHOICE_FIELDS,
    OVERDOSE_TEXT_FIELDS,
    SAFETY_STEP_FIELDS,
)


def chart_section(request: HttpRequest, pk: int) -> HttpResponse:
    """The chart's Safety section: the current version of each plan and every period of lower
    tolerance, the open one first. Fixed number of queries."""
    client, can = client_selectors.chart_client(user=request.user, pk=pk)
    today = timezone.localdate()
    windows = list(selectors.windows_for(client))
    context = {
        "safety": selectors.latest_safety_version(client),
        "overdose": selectors.latest_overdose_version(client),
        "open_windows": [w for w in windows if w.is_open(today)],
        "other_windows": [w for w in windows if not w.is_open(today)],
        "today": today,
    }
    return render_chart_section(request, pk, "safety", client=client, can=can, **context)


# --- Plans ---------------------------------------------------------------------------------------

# What differs between the two plans, for the shared views below.
KINDS: dict[str, dict[str, Any]] = {
    "safety": {
        "form": SafetyPlanForm,
        "fields": [*SAFETY_STEP_FIELDS, "crisis_lines"],
        "save": services.safety_plan_save,
        "versions": selectors.safety_versions_for,
        "title": _("Safety plan"),
    },
    "overdose": {
        "form": OverdosePlanForm,
        "fields": [*OVERDOSE_CHOICE_FIELDS, *OVERDOSE_TEXT_FIELDS],
        "save": services.overdose_plan_save,
        "versions": selectors.overdose_versions_for,
        "title": _("Overdose prevention plan"),
    },
}


def _initial(kind: str, latest: Any) -> dict[str, Any]:
    fields = KINDS[kind]["fields"]
    if latest is None:
        initial: dict[str, Any] = {"review_date": review_initial(), "based_on": 0}
        if kind == "safety":
            initial["crisis_lines"] = services.default_crisis_lines()
        return initial
    return {
        **{field: getattr(latest, field) for field in fields},
        "review_date": latest.review_date,
        "based_on": latest.number,
    }


def _edit(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    """Write the plan with the client. A change saves a new version; earlier ones stay."""
    client, can = access.client_for(request.user, pk, write=True)
    client_services.access_record(actor=request.user, client=client, what="safety")
    spec = KINDS[kind]
    latest = spec["versions"](client).order_by("-number").first()
    posted = request.method == "POST"
    form = spec["form"](request.POST if posted else None, initial=_initial(kind, latest))
    status = 200
    if posted:
        if form.is_valid():
            response, status = _save(request, client, kind, form)
            if response is not None:
                return response
        else:
            status = 400
        messages.error(request, _("Nothing was saved yet. Please look at the notes marked below."))
    context = {
        "client": client,
        "form": form,
        "latest": latest,
        "kind": kind,
        "title": spec["title"],
        "can": can,
        "nav": "caseload",
    }
    return render(request, "safety/plan_form.html", context, status=status)


def _save(
    request: HttpRequest, client: Client, kind: str, form: Any
) -> tuple[HttpResponse | None, int]:
    spec = KINDS[kind]
    data = form.cleaned_data
    try:
        version, created = spec["save"](
            actor=request.user,
            client=client,
            values={field: data.get(field) for field in spec["fields"]},
            review_date=data["review_date"],
            reason=data.get("reason") or "",
            based_on=data.get("based_on"),
        )
    except services.PlanConflict as conflict:
        form.data = form.data.copy()
        form.data["based_on"] = str(conflict.current)
        form.add_error(
            None,
            _(
                "The plan was saved as version %(n)d while this page was open. What you typed "
                "is still here: check version %(n)d in the history, then save again to "
                "replace it with this."
            )
            % {"n": conflict.current},
        )
        return None, 409
    except ValidationError as error:
        if hasattr(error, "error_dict"):
            for field, problems in error.message_dict.items():
                form.add_error(field if field in form.fields else None, problems)
        else:
            form.add_error(None, error.messages)
        return None, 400
    if not created:
        messages.info(
            request, _("No changes: the plan stays at version %(n)d.") % {"n": version.number}
        )
    else:
        messages.success(request, _("Plan saved as version %(n)d.") % {"n": version.number})
    return redirect("safety:section", pk=client.pk), 302


def safety_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _edit(request, pk, "safety")


def overdose_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _edit(request, pk, "overdose")


def _history(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    """Every version, newest first: number, date, who, review date, what changed and why."""
    client, can = access.client_for(request.user, pk)
    client_services.access_record(actor=request.user, client=client, what=f"{kind}_history")
    versions = list(KINDS[kind]["versions"](client).order_by("-number"))
    context = {
        "client": client,
        "versions": versions,
        "kind": kind,
        "title": KINDS[kind]["title"],
        "can": can,
        "nav": "caseload",
    }
    return render(request, "safety/plan_history.html", context)


def safety_history(request: HttpRequest, pk: int) -> HttpResponse:
    return _history(request, pk, "safety")


def overdose_history(request: HttpRequest, pk: int) -> HttpResponse:
    return _history(request, pk, "overdose")


def _version(request: HttpRequest, pk: int, number: int, kind: str) -> HttpResponse:
    """One version, read-only (supervisors and emergency grants included)."""
    client, can = access.client_for(request.user, pk)
    version = get_object_or_404(KINDS[kind]["versions"](client), number=number)
    client_services.access_record(actor=request.user, client=client, what=f"{kind}_version")
    latest = KINDS[kind]["versions"](client).order_by("-number").values_list("number", flat=True)
    context = {
        "client": client,
        "version": version,
        "kind": kind,
        "title": KINDS[kind]["title"],
        "is_latest": latest.first() == version.number,
        "can": can,
        "nav": "caseload",
    }
    return render(request, "safety/plan_version.html", context)


def safety_version(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    return _version(request, pk, number, "safety")


def overdose_version(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    return _version(request, pk, number, "overdose")


def _print(request: HttpRequest, pk: int, number: int, kind: str) -> HttpResponse:
    """The client's own copy of a version as a PDF, to print and hand over. Anyone who may read
    the chart may print it (a clinician on call under an emergency grant may need to hand a
    client in crisis their plan); each print is audited."""
    client, _can = access.client_for(request.user, pk)
    version = get_object_or_404(KINDS[kind]["versions"](client), number=number)
    pdf = services.plan_pdf(actor=request.user, client=client, version=version)
    response = HttpResponse(pdf, content_type="application/pdf")
    name = "my-safety-plan" if kind == "safety" else "my-overdose-prevention-plan"
    response["Content-Disposition"] = f'inline; filename="{name}-v{version.number}.pdf"'
    # The client's plan must not linger in a shared browser's or proxy's cache.
    response["Cache-Control"] = "no-store"
    return response


def safety_print(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    return _print(request, pk, number, "safety")


def overdose_print(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    return _print(request, pk, number, "overdose")


# --- Tolerance windows ---------------------------------------------------------------------------


def tolerance_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Record a period of lower tolerance (release, residential treatment, hospital, a break)."""
    client, can = access.client_for(request.user, pk, write=True)
    days = int(clinic_setting("TOLERANCE_WINDOW_DAYS"))
    posted = request.method == "POST"
    form = ToleranceWindowForm(
        request.POST if posted else None,
        default_days=days,
        initial={"start_date": timezone.localdate()},
    )
    status = 200
    if posted:
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                window = services.tolerance_window_record(
                    actor=request.user,
                    client=client,
                    reason=data["reason"],
                    start_date=data["start_date"],
                    end_date=data.get("end_date"),
                    note=data.get("note") or "",
                )
            except ValidationError as error:
                for field, problems in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, problems)
            else:
                messages.success(
                    request,
                    _("Recorded: lower tolerance from %(start)s until %(end)s.")
                    % {
                        "start": selectors.show_date(window.start_date),
                        "end": selectors.show_date(window.end_date),
                    },
                )
                return redirect("safety:section", pk=client.pk)
        messages.error(request, _("Nothing was saved yet. Please look at the notes marked below."))
    context = {"client": client, "form": form, "can": can, "nav": "caseload"}
    return render(request, "safety/tolerance_form.html", context, status=status)
