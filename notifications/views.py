"""The reminders inbox (the bell), the staff member's email choice, and a client's appointment
reminder preferences."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from hrp import access, redirects
from notifications import selectors, services
from notifications.models import Reminder

PAGE_SIZE = 50


def _staff(request: HttpRequest) -> None:
    access.require(request.user, "clinical.any")


def inbox(request: HttpRequest) -> HttpResponse:
    _staff(request)
    page = Paginator(selectors.inbox(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "rows": selectors.collapse(list(page)), "nav": "reminders"}
    return render(request, "notifications/inbox.html", context)


@require_GET
def badge(request: HttpRequest) -> HttpResponse:
    """The bell's count, fetched once when a page loads (not polled: polling would keep an idle
    session alive past the automatic logoff)."""
    if not access.has_clinical_role(request.user):
        return HttpResponse("")
    unread = services.inbox_queryset(request.user).filter(read_at__isnull=True).count()
    return render(request, "notifications/_badge.html", {"unread": unread})


def _own(request: HttpRequest, pk: int) -> Reminder:
    _staff(request)
    return get_object_or_404(services.inbox_queryset(request.user), pk=pk)


@require_POST
def open_reminder(request: HttpRequest, pk: int) -> HttpResponse:
    url = services.reminder_open(user=request.user, reminder=_own(request, pk))
    return redirect(redirects.local_path(request, url) or "notifications:inbox")


@require_POST
def dismiss(request: HttpRequest, pk: int) -> HttpResponse:
    services.reminder_dismiss(user=request.user, reminder=_own(request, pk))
    messages.success(request, _("Reminder dismissed."))
    return redirect("notifications:inbox")


@require_POST
def read_all(request: HttpRequest) -> HttpResponse:
    _staff(request)
    services.reminders_mark_all_read(user=request.user)
    return redirect("notifications:inbox")


@require_POST
def email_choice(request: HttpRequest) -> HttpResponse:
    _staff(request)
    enabled = request.POST.get("email_reminders") == "on"
    services.email_reminders_set(user=request.user, enabled=enabled)
    messages.success(
        request,
        _("Reminders will also come by email.")
        if enabled
        else _("Reminders will only show here, not by email."),
    )
    return redirect("notifications:inbox")


class ClientRemindersForm(forms.Form):
    reminder_channel = forms.ChoiceField(
        label=gettext_lazy("Appointment reminders"),
        choices=[
            ("", gettext_lazy("None")),
            ("email", gettext_lazy("By email")),
            ("sms", gettext_lazy("By text message")),
        ],
        required=False,
        widget=forms.RadioSelect,
    )
    reminder_hide_clinic_name = forms.BooleanField(
        label=gettext_lazy("Leave the clinic's name out of reminders"),
        required=False,
        help_text=gettext_lazy(
            "Reminders only ever say the date and time. Some clients prefer that the clinic's "
            "name does not appear either."
        ),
    )


def client_reminders(request: HttpRequest, pk: int) -> HttpResponse:
    """The client's appointment-reminder choices (their therapist records them)."""
    client, can = access.client_for(request.user, pk, write=request.method == "POST")
    form = ClientRemindersForm(
        request.POST or None,
        initial={
            "reminder_channel": client.reminder_channel,
            "reminder_hide_clinic_name": client.reminder_hide_clinic_name,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.client_reminders_set(
                actor=request.user,
                client=client,
                channel=form.cleaned_data["reminder_channel"],
                hide_clinic_name=form.cleaned_data["reminder_hide_clinic_name"],
            )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("Reminder choices saved."))
            return redirect("sessions:section", pk=client.pk)
    context = {
        "client": client,
        "form": form,
        "can": can,
        "nav": "caseload",
    }
    return render(
        request, "notifications/client_reminders.html", context, status=400 if form.errors else 200
    )
