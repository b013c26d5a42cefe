"""The supervisor's pages: the list behind each dashboard number, supervision meetings and
chart comments. The dashboard itself is the supervisor's home (home/views.py).

Every object comes through hrp/access.py (404 when the user may not see it, 403
when they may see it but not do what they asked)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from hrp import access, bounds, formats, redirects, svg
from hrp.accounts import selectors as account_selectors
from supervision import selectors, services
from supervision.fidelity import ITEMS, RATINGS
from supervision.forms import CommentForm, FidelityReviewForm, MeetingForm


def column_list(request: HttpRequest, therapist_pk: int, column: str) -> HttpResponse:
    """The records behind one dashboard number for one supervisee."""
    chosen = selectors.COLUMNS_BY_SLUG.get(column)
    if chosen is None or not chosen.template:
        raise Http404
    therapist = access.supervisee_for(request.user, therapist_pk)
    board = selectors.boards(supervisor=request.user, therapists=[therapist])[0]
    context = {
        "therapist": therapist,
        "column": chosen,
        "items": getattr(board, chosen.key),
        "no_contact_days": selectors.no_contact_days(),
        "consent_days": selectors.consent_expiry_warning_days(),
        "nav": "home",
    }
    return render(request, "supervision/column.html", context)


def meeting_list(request: HttpRequest) -> HttpResponse:
    access.require(request.user, "clinical.any")
    # ?page=N, ASCII digits only; anything else (or past the end) gives the first or last page.
    number = bounds.parse_int(request.GET.get("page"), minimum=1, default=1)
    page = Paginator(selectors.meetings_for(user=request.user), selectors.MEETINGS_PAGE_SIZE)
    page = page.get_page(number)
    context = {
        "page": page,
        "meetings": page.object_list,
        "supervisees": (
            account_selectors.current_supervisees(user=request.user)
            if request.user.is_supervisor
            else []
        ),
        "nav": "home",
    }
    return render(request, "supervision/meeting_list.html", context)


def meeting_create(request: HttpRequest, therapist_pk: int) -> HttpResponse:
    supervisee = access.supervisee_for(request.user, therapist_pk)
    form = MeetingForm(request.POST or None, supervisee=supervisee)
    if request.method == "POST" and form.is_valid():
        try:
            meeting = services.meeting_record(
                supervisor=request.user,
                supervisee=supervisee,
                **form.cleaned_data,
            )
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            messages.success(request, _("Supervision meeting recorded."))
            return redirect("supervision:meeting", pk=meeting.pk)
    context = {"form": form, "supervisee": supervisee, "nav": "home"}
    return render(request, "supervision/meeting_form.html", context)


def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = access.meeting_for(request.user, pk)
    return render(request, "supervision/meeting_detail.html", {"meeting": meeting, "nav": "home"})


def comment_list(request: HttpRequest) -> HttpResponse:
    access.require(request.user, "clinical.any")
    context = {"comments": selectors.comments_for(user=request.user), "nav": "home"}
    return render(request, "supervision/comment_list.html", context)


def comment_create(request: HttpRequest, pk: int) -> HttpResponse:
    client, _can = access.comment_client_for(request.user, pk)
    form = CommentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.comment_add(author=request.user, client=client, text=form.cleaned_data["text"])
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            messages.success(
                request,
                _("Comment left for %(name)s. They will see it at the top of the chart.")
                % {"name": client.therapist.full_name},
            )
            return redirect("clients:chart", pk=client.pk)
    context = {"form": form, "client": client, "nav": "home"}
    return render(request, "supervision/comment_form.html", context)


@require_POST
def comment_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    comment = access.comment_for(request.user, pk, acknowledge=True)
    services.comment_acknowledge(actor=request.user, comment=comment)
    messages.success(request, _("Comment acknowledged."))
    target = redirects.local_path(request, request.POST.get("next"))
    return redirect(target or reverse("clients:chart", args=[comment.client_id]))


def fidelity_review_create(request: HttpRequest, note_pk: int) -> HttpResponse:
    """The fidelity checklist for a session a supervisee signed, opened from the note or the
    co-sign queue. A supervisor who already reviewed it is taken to their review."""
    note = access.fidelity_note_for(request.user, note_pk)
    existing = selectors.fidelity_reviews_for(user=request.user).filter(
        supervisor=request.user, note=note
    )
    if (done := existing.values_list("pk", flat=True).first()) is not None:
        messages.info(request, _("You have already reviewed this session."))
        return redirect("supervision:fidelity_review", pk=done)
    form = FidelityReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            review = services.fidelity_review_record(
                supervisor=request.user,
                note=note,
                ratings=form.ratings(),
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            messages.success(request, _("Fidelity review recorded."))
            return redirect("supervision:fidelity_review", pk=review.pk)
    context = {"form": form, "note": note, "nav": "home"}
    return render(request, "supervision/fidelity_form.html", context)


def fidelity_review_detail(request: HttpRequest, pk: int) -> HttpResponse:
    review = access.fidelity_review_for(request.user, pk)
    ratings = review.ratings if isinstance(review.ratings, dict) else {}
    labels = dict(RATINGS)
    rated = [(item, labels.get(ratings.get(item.key), "—")) for item in ITEMS]
    context = {"review": review, "rated": rated, "nav": "home"}
    return render(request, "supervision/fidelity_detail.html", context)


def fidelity_trend(request: HttpRequest, therapist_pk: int) -> HttpResponse:
    """Each checklist item over a trainee's latest reviews: a table, and a small chart per item
    with the same figures (the table is the accessible alternative)."""
    trainee = access.fidelity_trainee_for(request.user, therapist_pk)
    trend = selectors.fidelity_trend(user=request.user, trainee=trainee)
    charts = [
        (
            item_trend,
            svg.line_chart(
                str(item_trend.item.label),
                [formats.day_month(day) for day, _r in item_trend.points],
                [rating for _d, rating in item_trend.points],
                y_max=trend.rating_max,
            )
            if len(item_trend.points) > 1
            else None,
        )
        for item_trend in trend.items
    ]
    context = {
        "trainee": trainee,
        "own": trainee.pk == request.user.pk,
        "trend": trend,
        "charts": charts,
        "items": ITEMS,
        "ratings": RATINGS,
        "nav": "home",
    }
    return render(request, "supervision/fidelity_trend.html", context)
