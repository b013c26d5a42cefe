"""Covers: the list (who covers whom, when), arranging one, ending one early. Arranging and
ending are for clinic admins and the absent therapist's current supervisor (hrp.access);
a therapist sees the covers they give or receive. Everyone else gets 404."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from covers import selectors, services
from covers.forms import CoverForm
from hrp import access


def _may_arrange_any(user: object) -> bool:
    return bool(access.is_clinic_admin(user) or access.is_supervisor(user))


def cover_list(request: HttpRequest) -> HttpResponse:
    if not (access.is_clinic_admin(request.user) or access.has_clinical_role(request.user)):
        raise Http404
    covers = list(selectors.covers_for(request.user))
    context = {
        "covers": covers,
        "today": timezone.localdate(),
        "may_arrange": _may_arrange_any(request.user),
        "nav": "covers",
    }
    return render(request, "covers/cover_list.html", context)


def cover_arrange(request: HttpRequest) -> HttpResponse:
    if not _may_arrange_any(request.user):
        raise Http404
    form = CoverForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            cover = services.cover_arrange(
                actor=request.user,
                absent=form.cleaned_data["absent"],
                cover=form.cleaned_data["cover"],
                starts_on=form.cleaned_data["starts_on"],
                ends_on=form.cleaned_data["ends_on"],
            )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(
                request,
                _("%(cover)s will cover %(absent)s's caseload.")
                % {"cover": cover.cover.full_name, "absent": cover.absent.full_name},
            )
            return redirect("covers:list")
    context = {"form": form, "nav": "covers"}
    return render(request, "covers/cover_form.html", context, status=400 if form.errors else 200)


@require_POST
def cover_end(request: HttpRequest, pk: int) -> HttpResponse:
    cover = selectors.cover_for(request.user, pk)
    if not access.cover_arrangeable_by(request.user, cover.absent):
        raise PermissionDenied
    services.cover_end(actor=request.user, cover=cover)
    messages.success(request, _("The cover has ended."))
    return redirect("covers:list")


def home_notices(request: HttpRequest) -> HttpResponse:
    """Who covers the signed-in therapist's caseload, or whose caseload they cover: a fragment
    the caseload page loads after itself (clients.extensions.register_deferred_home_notice).
    Empty for anyone else. One query after sign-in."""
    notices = selectors.home_notices(request.user)
    return render(request, "covers/_home_notices.html", {"notices": notices})
