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

from hrp import access, bounds, redirects
from hrp.accounts import selectors as account_selectors
from supervision import selectors, services
from supervision.forms import CommentForm, MeetingForm


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
