"""Ideal substance use plan pages: edit the plan with the client, its history of versions, one
version read-only, and two versions side by side.

Every page gets the client through `access.client_for` (404 for anyone who may not read the
record, 403 when a reader asks to write) and records an access event. Versions are looked up
through the client's plan, so another client's version number is a 404 here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from assessments import selectors as assessment_selectors
from assessments.models import FUNCTIONS
from clients import services as client_services
from clients.models import Client
from goals import selectors, services
from goals.forms import PlanReviewForm
from goals.models import SAFER_USE_PRACTICES, SECTION_FIELDS, PlanReview, PlanVersion, UseCheckIn
from goals.plan_forms import PlanReasonForm, plan_forms
from goals.selectors import FieldDiff, SectionDiff
from hrp import access, bounds, formats

# Fields shown as someone's words rather than as settings of the plan: the page marks whose.
WORDS_CLASSES = {"client_words": "client-words", "clinician_notes": "clinician-notes"}


# --- Edit --------------------------------------------------------------------------------------


def plan_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Build or change the plan with the client. A change saves a new version; the earlier
    ones stay exactly as they were."""
    client, can = access.client_for(request.user, pk, write=True)
    client_services.access_record(actor=request.user, client=client, what="plan")
    posted = request.method == "POST"
    formset, reason_form, initial, latest = plan_forms(client, request.POST if posted else None)
    status = 200
    if posted:
        # Both are validated so that every problem is shown at once.
        formset_valid = formset.is_valid()
        reason_valid = reason_form.is_valid()
        if formset_valid and reason_valid:
            try:
                response = _save(request, client, formset.section_values(), reason_form)
            except services.PlanConflict as conflict:
                # Saved elsewhere meanwhile (another tab, or a second click that got there
                # first): the page's own conflict answer, with what was typed kept.
                reason_form = _stale(request, conflict.current)
                status = 409
            else:
                if response is not None:
                    return response
        messages.error(request, _("Nothing was saved yet. Please look at the notes marked below."))
    context = {
        "client": client,
        "formset": formset,
        "reason_form": reason_form,
        "initial": initial,
        "latest": latest,
        # Built beside what the client brings (issue 16).
        "strengths": assessment_selectors.current_strengths(client),
        "can": can,
        "nav": "caseload",
    }
    return render(request, "goals/plan_form.html", context, status=status)


def _save(
    request: HttpRequest, client: Client, sections: list[dict[str, Any]], form: PlanReasonForm
) -> HttpResponse | None:
    """Save and redirect, or add the service's refusal to `form` and return None."""
    try:
        version, created = services.plan_save(
            actor=request.user,
            client=client,
            sections=sections,
            reason=form.cleaned_data["reason"],
            based_on=form.cleaned_data["based_on"],
            review_date=form.cleaned_data.get("review_date"),
        )
    except ValidationError as error:
        form.add_error(None, error)
        return None
    if not created:
        messages.info(
            request,
            _("No changes: the plan stays at version %(n)d.") % {"n": version.number},
        )
        return redirect("goals:plan_edit", pk=client.pk)
    messages.success(request, _("Plan saved as version %(n)d.") % {"n": version.number})
    return redirect("goals:section", pk=client.pk)


def _stale(request: HttpRequest, current: int) -> PlanReasonForm:
    """The reason form, refused because a newer version was saved while the page was open.
    It now carries that version's number, so saving again is a deliberate choice."""
    data = request.POST.copy()
    data["based_on"] = str(current)
    form = PlanReasonForm(data)
    form.is_valid()
    form.add_error(
        None,
        _(
            "The plan was saved as version %(n)d while this page was open. What you typed is "
            "still here: check version %(n)d in the history, then save again to replace it "
            "with this."
        )
        % {"n": current},
    )
    return form


# --- Reading one version -----------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One field of a plan section as a page shows it."""

    key: str
    label: Any
    value: str
    items: list[tuple[Any, str]]  # alternatives: (function, the other way to meet it)

    @property
    def words_class(self) -> str:
        return WORDS_CLASSES.get(self.key, "")


def section_rows(section: dict[str, Any]) -> list[Row]:
    """Every field of a stored section but its name, labelled, in display order."""
    function_labels = dict(FUNCTIONS)
    rows = []
    for key, label in SECTION_FIELDS:
        if key == "name":
            continue
        value = section.get(key)
        items: list[tuple[Any, str]] = []
        if key == "alternatives":
            items = [
                (function_labels.get(function, function), text)
                for function, text in _in_function_order(value or {})
            ]
        elif key == "safer_use":
            labels = dict(SAFER_USE_PRACTICES)
            items = [(labels.get(practice, practice), "") for practice in value or []]
        rows.append(Row(key, label, selectors.display_value(key, value), items))
    return rows


def _in_function_order(alternatives: dict[str, str]) -> list[tuple[str, str]]:
    order = {key: index for index, (key, _label) in enumerate(FUNCTIONS)}
    return sorted(alternatives.items(), key=lambda item: order.get(item[0], len(order)))


def plan_version(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    """One version of the plan, read-only (supervisors included)."""
    client, can = access.client_for(request.user, pk)
    version = get_object_or_404(selectors.versions_for(client), number=number)
    client_services.access_record(actor=request.user, client=client, what="plan_version")
    newest = selectors.versions_for(client).order_by("-number").values_list("number", flat=True)
    latest_number = newest.first()
    context = {
        "client": client,
        "version": version,
        "sections": [(s.get("name", ""), section_rows(s)) for s in version.sections],
        "latest_number": latest_number,
        "is_latest": latest_number == version.number,
        "can": can,
        "nav": "caseload",
    }
    return render(request, "goals/plan_version.html", context)


# --- History -----------------------------------------------------------------------------------


def _version_list(client: Client) -> list[PlanVersion]:
    """The client's versions, newest first, with who saved them; the sections are not loaded."""
    return list(selectors.versions_for(client).defer("sections").order_by("-number"))


def plan_history(request: HttpRequest, pk: int) -> HttpResponse:
    """Every version of the plan, newest first: number, date, who, and what changed and why."""
    client, can = access.client_for(request.user, pk)
    client_services.access_record(actor=request.user, client=client, what="plan_history")
    versions = _version_list(client)
    context = {
        "client": client,
        "versions": versions,
        "selected_a": versions[1].number if len(versions) > 1 else None,
        "selected_b": versions[0].number if versions else None,
        "can": can,
        "nav": "caseload",
    }
    return render(request, "goals/plan_history.html", context)


# --- Compare -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldRow:
    diff: FieldDiff

    @property
    def state(self) -> str:
        """ "same", or how it differs: "added", "removed" or "changed"."""
        if not self.diff.changed:
            return "same"
        if not self.diff.old:
            return "added"
        if not self.diff.new:
            return "removed"
        return "changed"

    @property
    def words_class(self) -> str:
        return WORDS_CLASSES.get(self.diff.key, "")


@dataclass(frozen=True)
class SectionRows:
    diff: SectionDiff

    @property
    def rows(self) -> list[FieldRow]:
        # The name heads the section; it is a row only when it was re-spelt ("alcohol").
        respelt = self.diff.state == "changed"
        return [FieldRow(f) for f in self.diff.fields if f.key != "name" or (respelt and f.changed)]

    @property
    def changed_count(self) -> int:
        return sum(1 for row in self.rows if row.state != "same")


def _number_param(request: HttpRequest, name: str) -> int | None:
    raw = request.GET.get(name, "").strip()
    if not raw:
        return None
    # ASCII digits only: version numbers, never anything else, travel in the query string.
    number = bounds.parse_int(raw)
    if number is None:
        raise Http404
    return number


def plan_compare(request: HttpRequest, pk: int) -> HttpResponse:
    """Two versions side by side (?a=<number>&b=<number>), by default the latest two. Whatever
    order they are given in, the earlier one is on the left."""
    client, can = access.client_for(request.user, pk)
    versions = _version_list(client)
    known = [v.number for v in versions]
    a, b = _number_param(request, "a"), _number_param(request, "b")
    if a is None and b is None:
        if len(known) > 1:
            a, b = known[1], known[0]
        elif known:
            a = b = known[0]
    elif a is None or b is None:
        raise Http404
    if a is not None and (a not in known or b not in known):
        raise Http404
    client_services.access_record(actor=request.user, client=client, what="plan_compare")
    pair: list[PlanVersion] = []
    if a is not None:
        # One query whether the two are different or not, so the page's cost is fixed.
        pair = list(selectors.versions_for(client).filter(number__in={a, b}).order_by("number"))
    same = a is not None and a == b
    diffs = None
    if len(pair) == 2:
        diffs = [SectionRows(d) for d in selectors.compare_versions(pair[0], pair[1])]
    context = {
        "client": client,
        "versions": versions,
        "selected_a": a,
        "selected_b": b,
        "same": same,
        "earlier": pair[0] if len(pair) == 2 else None,
        "later": pair[1] if len(pair) == 2 else None,
        "diffs": diffs,
        "can": can,
        "nav": "caseload",
    }
    return render(request, "goals/plan_compare.html", context)


# --- Review: the plan tested as a hypothesis ---------------------------------------------------

# How many weeks of check-ins the review page shows (the weeks since the version, at most).
REVIEW_WEEKS = 12


def plan_review(request: HttpRequest, pk: int) -> HttpResponse:
    """Review the plan in force with the client: the weeks of check-ins since it was saved,
    measured against its own limits, then what happened, was it realistic, did the harms
    change, what was learned, and what next. "Adjust" goes straight on to a new version."""
    client, can = access.client_for(request.user, pk, write=True)
    version = selectors.latest_version(client)
    if version is None:
        messages.info(request, _("There is no plan to review yet: start one with the client."))
        return redirect("goals:plan_edit", pk=client.pk)
    client_services.access_record(actor=request.user, client=client, what="plan_review")
    form = PlanReviewForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            review = services.plan_review_record(
                actor=request.user, version=version, values=form.cleaned_data
            )
        except ValidationError as error:
            form.add_error(None, error)
            status = 409 if selectors.latest_version(client) != version else 200
        else:
            if review.outcome == PlanReview.Outcome.ADJUST:
                messages.success(
                    request,
                    _("Review recorded. Now adjust the plan: saving makes version %(n)d.")
                    % {"n": version.number + 1},
                )
                return redirect("goals:plan_edit", pk=client.pk)
            messages.success(
                request,
                _("Review recorded. The plan stays as it is; next review on %(date)s.")
                % {"date": formats.date(review.next_review_date)},
            )
            return redirect("goals:section", pk=client.pk)
    since = services.week_start(timezone.localdate(version.created_at))
    checkins = list(
        UseCheckIn.objects.filter(client=client, week_start__gte=since)
        .select_related("substance")
        .order_by("-week_start", "substance_id")[: REVIEW_WEEKS * 4]
    )
    context = {
        "client": client,
        "version": version,
        "sections": [(s.get("name", ""), section_rows(s)) for s in version.sections],
        "reviews": selectors.plan_reviews(version),
        "checkins": checkins,
        "review_state": selectors.plan_review_state(version),
        "form": form,
        "can": can,
        "nav": "caseload",
    }
    return render(request, "goals/plan_review.html", context, status=status)
