"""Goals on the chart: the Plan section, adding a goal, a goal with its progress and reviews,
recording a review, and the therapist's reviews-due list."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from assessments import selectors as assessment_selectors
from assessments.models import IdentifiedHarm
from assessments.selectors import HARM_ORDER, current_harms, harms_by_substance
from clients import selectors as client_selectors
from clients import services as client_services
from clients.views import render_chart_section
from goals import selectors, services
from goals.forms import GoalForm, ReviewForm
from goals.models import SECTION_FIELDS, Goal, GoalReview
from hrp import access, bounds, formats

GOAL_FIELDS = GoalForm.Meta.fields


def chart_section(request: HttpRequest, pk: int) -> HttpResponse:
    """The chart's Plan section: the current plan version and the goals."""
    client, can = client_selectors.chart_client(user=request.user, pk=pk)
    version = selectors.latest_version(client)
    goals = list(selectors.goals_for(client))
    # The section shows each open goal's share of days within plan over the last 4 weeks only.
    checkins = selectors.recent_checkins(client)
    context = {
        "version": version,
        "plan_sections": [
            [
                (label, selectors.display_value(key, section.get(key)))
                for key, label in SECTION_FIELDS
            ]
            for section in (version.sections if version else [])
        ],
        "open_goals": [
            (goal, selectors.goal_progress(goal, checkins)) for goal in goals if goal.is_open
        ],
        "closed_goals": [goal for goal in goals if not goal.is_open],
        "unanswered_harm_groups": harms_by_substance(selectors.unanswered_harms(client)),
        "plan_review_state": selectors.plan_review_state(version),
        "latest_plan_review": version.reviews.order_by("-reviewed_on", "-id").first()
        if version
        else None,
        "today": timezone.localdate(),
        # What the client brings, shown beside the plan (issue 16).
        "strengths": assessment_selectors.current_strengths(client),
    }
    return render_chart_section(request, pk, "plan", client=client, can=can, **context)


def goal_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a goal. `?harm=<id>` (an id only) starts it from one of the client's current harms:
    that harm ticked and its substance chosen."""
    client, _can = access.client_for(request.user, pk, write=True)
    initial: dict[str, Any] = {"review_date": timezone.localdate() + datetime.timedelta(weeks=4)}
    harm = _harm_to_answer(request, client)
    if harm is not None:
        initial.update(harms=[harm.pk], substance=harm.substance_id)
    form = GoalForm(request.POST or None, client=client, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            goal = services.goal_create(
                actor=request.user,
                client=client,
                values={f: form.cleaned_data[f] for f in GOAL_FIELDS},
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("Goal added. Its review is on %(date)s.")
                % {"date": formats.date(goal.review_date)},
            )
            return redirect("goals:goal", pk=client.pk, goal_pk=goal.pk)
    return render(
        request, "goals/goal_form.html", {"client": client, "form": form, "nav": "caseload"}
    )


def _harm_to_answer(request: HttpRequest, client: Any) -> IdentifiedHarm | None:
    raw = request.GET.get("harm", "").strip()
    if not raw:
        return None
    # Ids only travel in the query string; an id that is not one of this client's current
    # harms is a 404, as for any other record of another client.
    harm_pk = bounds.parse_pk(raw)
    harm = current_harms(client).filter(pk=harm_pk).first() if harm_pk is not None else None
    if harm is None:
        raise Http404
    return harm


def goal_detail(request: HttpRequest, pk: int, goal_pk: int) -> HttpResponse:
    client, can = access.client_for(request.user, pk)
    goal = get_object_or_404(
        Goal.objects.select_related("substance", "revised_from", "created_by").prefetch_related(
            "reviews__reviewed_by",
            "reviews__new_goal",
            Prefetch(
                "harms",
                queryset=IdentifiedHarm.objects.select_related("substance", "assessment").order_by(
                    *HARM_ORDER
                ),
            ),
        ),
        client=client,
        pk=goal_pk,
    )
    client_services.access_record(actor=request.user, client=client, what="goal")
    progress = selectors.goal_progress(goal)
    context = {
        "client": client,
        "goal": goal,
        "progress": progress,
        "chart": selectors.progress_chart(progress) if progress.chartable else None,
        "revised_into": Goal.objects.filter(revised_from=goal).first(),
        "harm_groups": harms_by_substance(goal.harms.all()),
        "can": can,
        "nav": "caseload",
    }
    return render(request, "goals/goal_detail.html", context)


def goal_review(request: HttpRequest, pk: int, goal_pk: int) -> HttpResponse:
    """Review a goal with the client: what happened, was it realistic, what was learned, and
    the decision. "Revise" describes the new goal on the same page."""
    client, _can = access.client_for(request.user, pk, write=True)
    goal = get_object_or_404(Goal, client=client, pk=goal_pk)
    if not goal.is_open and request.method != "POST":
        messages.info(request, _("This goal is no longer active."))
        return redirect("goals:goal", pk=client.pk, goal_pk=goal.pk)
    # A review posted for a goal closed meanwhile (another tab, a second click that got there
    # first) goes on to the service, which refuses it under the goal's lock: the page answers
    # 409 with what was typed, whether it arrived before or after the first one committed.
    data = request.POST or None
    form = ReviewForm(data)
    new_goal_initial = {f: getattr(goal, f) for f in GOAL_FIELDS if f != "harms"}
    # The revision answers the same harms, as the client's latest assessment names them.
    new_goal_initial.update(
        harms=selectors.current_harm_ids_of(goal) if request.method != "POST" else [],
        start_date=timezone.localdate(),
        review_date=timezone.localdate() + datetime.timedelta(weeks=4),
    )
    new_goal_form = GoalForm(data, client=client, prefix="new", initial=new_goal_initial)
    status = 200
    if request.method == "POST" and form.is_valid():
        revising = form.cleaned_data["decision"] == GoalReview.Decision.REVISE
        if revising and not new_goal_form.is_valid():
            # Say so next to the decision too: the new goal's own errors sit further down.
            form.add_error("decision", _("Describe the new version of the goal."))
        else:
            try:
                review = services.goal_review_record(
                    actor=request.user,
                    goal=goal,
                    values=form.cleaned_data,
                    new_goal_values=(
                        {f: new_goal_form.cleaned_data[f] for f in GOAL_FIELDS}
                        if revising
                        else None
                    ),
                )
            except ValidationError as error:
                form.add_error(None, error)
                # Reviewed meanwhile (another tab, or a second click that got there first).
                if not Goal.objects.get(pk=goal.pk).is_open:
                    status = 409
            else:
                messages.success(request, _review_message(review))
                target = review.new_goal or goal
                return redirect("goals:goal", pk=client.pk, goal_pk=target.pk)
    context: dict[str, Any] = {
        "client": client,
        "goal": goal,
        "form": form,
        "new_goal_form": new_goal_form,
        "nav": "caseload",
    }
    return render(request, "goals/goal_review.html", context, status=status)


def _review_message(review: GoalReview) -> str:
    return {
        GoalReview.Decision.KEEP: _("Review recorded. Next review on %(date)s."),
        GoalReview.Decision.REVISE: _("Review recorded. The revised goal starts now."),
        GoalReview.Decision.ACHIEVED: _("Review recorded. The goal is achieved."),
        GoalReview.Decision.SET_ASIDE: _("Review recorded. The goal is set aside for now."),
    }[review.decision] % {"date": formats.date(review.next_review_date)}


def reviews_due(request: HttpRequest) -> HttpResponse:
    """Goal and plan reviews overdue or due within 7 days, across the therapist's active
    caseload."""
    access.require(request.user, "clients.create")
    clients = selectors.annotate_plan_review(
        selectors.prefetch_for_clients(
            client_selectors.caseload(
                user=request.user, therapist=request.user, status="active", columns=False
            )
        )
    )
    today = timezone.localdate()
    rows = [
        (client, selectors.reviews_due(client, today), selectors.plan_review_due(client, today))
        for client in clients
    ]
    context = {
        "rows": [(c, due, plan) for c, due, plan in rows if due or plan],
        "today": today,
        "nav": "reviews",
    }
    return render(request, "goals/reviews_due.html", context)


# --- The client's own copy -----------------------------------------------------------------------


def client_copy(request: HttpRequest, pk: int) -> HttpResponse:
    """The client's own copy as a page, to go through with them before printing. Anyone who
    may read the chart may open and print it (as the safety plans' copies); opening it is an
    audited read."""
    client, can = access.client_for(request.user, pk)
    client_services.access_record(actor=request.user, client=client, what="client_copy")
    # The copy is in the client's language, as the PDF is (labels joined into its rows too).
    with translation.override(client.preferred_language):
        copy = selectors.client_copy(client)
    context = {"client": client, "can": can, "copy": copy, "nav": "caseload"}
    return render(request, "goals/client_copy.html", context)


def client_copy_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The client's own copy as a PDF (no name, no chart number); each print is audited."""
    client, _can = access.client_for(request.user, pk)
    pdf = services.client_copy_pdf(actor=request.user, client=client)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = 'inline; filename="my-plan.pdf"'
    # The client's plan must not linger in a shared browser's or proxy's cache.
    response["Cache-Control"] = "no-store"
    return response
