"""The break-glass pages: ask for emergency access, see and end one's grants."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from emergency import services
from emergency.forms import EmergencyForm
from hrp import access, formats
from hrp.accounts.authn import privilege_step
from hrp.accounts.models import EmergencyGrant


def emergency_view(request: HttpRequest) -> HttpResponse:
    access.require(request.user, "clinical.any")
    form = EmergencyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            grant = services.emergency_grant(
                actor=request.user,
                chart_number=form.cleaned_data["chart_number"],
                reason=form.cleaned_data["reason"],
                password=form.cleaned_data["password"],
            )
        except ValidationError as error:
            for field, field_errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, field_errors)
        else:
            # Reading a record that is not one's own is a privilege step: new session key.
            privilege_step(request)
            messages.warning(
                request,
                _(
                    "Emergency access granted until %(time)s. Every page you open is recorded, "
                    "and the client's therapist and supervisor have been told."
                )
                % {"time": formats.time(grant.expires_at)},
            )
            return redirect("clients:chart", pk=grant.client_id)
    grants = list(access.active_grants(request.user).select_related("client"))
    context = {
        "form": form,
        "grants": grants,
        "hours": settings.EMERGENCY_ACCESS_HOURS,
        "nav": "emergency",
    }
    return render(request, "emergency/emergency.html", context, status=400 if form.errors else 200)


@require_POST
def emergency_end_view(request: HttpRequest, pk: int) -> HttpResponse:
    access.require(request.user, "clinical.any")
    grant = get_object_or_404(
        EmergencyGrant.objects.select_related("client"), pk=pk, user=request.user
    )
    services.emergency_end(actor=request.user, grant=grant)
    messages.success(request, _("Emergency access ended."))
    return redirect("emergency:start")
