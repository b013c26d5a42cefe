"""Appointments: the old week page (now a redirect to scheduling's calendars), the chart's
Sessions section, booking, moving and recording attendance."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from clients import selectors as client_selectors
from clients.models import Client
from clients.views import render_chart_section
from hrp import access, bounds, formats
from hrp.clinic import clinic_setting
from sessions import selectors, services
from sessions.forms import AttendanceForm, BookForm, RescheduleForm
from sessions.models import Appointment


def calendar(request: HttpRequest) -> HttpResponse:
    """The old week page, superseded by the scheduling app's calendars: it sends the therapist
    to their week there, keeping the week asked for (?week= becomes ?date=). Bookmarks and
    reminders that link here keep working."""
    access.require(request.user, "clients.create")
    week = bounds.parse_date(request.GET.get("week"), within=bounds.CALENDAR)
    # By name, not by import: sessions sits below scheduling (pyproject's layers).
    target = reverse("scheduling:week", args=[request.user.pk])
    return redirect(f"{target}?date={formats.iso_date(week)}" if week else target)


def chart_section(request: HttpRequest, pk: int) -> HttpResponse:
    client, can = client_selectors.chart_client(user=request.user, pk=pk)
    # ?page=N (ASCII digits only; anything else is the first page).
    number = bounds.parse_int(request.GET.get("page"), minimum=1, maximum=100_000, default=1)
    page = selectors.appointments_page(client, page=number)
    ratings = selectors.rating_trend(client)
    context = {
        "page": page,
        "upcoming": page.upcoming,
        "past": page.past,
        "ratings": ratings,
        "ratings_shown": selectors.RATINGS_SHOWN,
        "ratings_chart": {
            "labels": [formats.date(p.date) for p in ratings],
            "totals": [p.total for p in ratings],
            "threshold": clinic_setting("RATING_ALERT_THRESHOLD"),
        },
    }
    return render_chart_section(request, pk, "sessions", client=client, can=can, **context)


def book(request: HttpRequest, pk: int) -> HttpResponse:
    client, _can = access.client_for(request.user, pk, write=True)
    form = BookForm(request.POST or None, initial={"modality": "in_person"})
    overlaps: list[Appointment] = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        # Every appointment of a series is checked, not only the first.
        overlaps = services.overlapping_any(
            therapist=client.therapist,
            times=services.series_times(
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                frequency=data["frequency"],
                occurrences=data["occurrences"] or 1,
            ),
        )
        if overlaps and not data["confirm_overlap"]:
            form.add_error(
                None,
                _(
                    "This overlaps another appointment on the calendar. "
                    "Tick “Book anyway” to keep it."
                ),
            )
        else:
            try:
                booked = services.appointment_book(
                    actor=request.user,
                    client=client,
                    starts_at=data["starts_at"],
                    ends_at=data["ends_at"],
                    modality=data["modality"],
                    location=data["location"],
                    frequency=data["frequency"],
                    occurrences=data["occurrences"] or 1,
                    room=data["room"],
                    video_link=data["video_link"],
                )
            except ValidationError as error:
                # The service names model fields (ends_at), which this form does not have.
                form.add_error(None, error.messages)
            else:
                messages.success(
                    request,
                    ngettext("%(n)d appointment booked.", "%(n)d appointments booked.", len(booked))
                    % {"n": len(booked)},
                )
                return redirect("sessions:section", pk=client.pk)
    context = {"client": client, "form": form, "overlaps": overlaps, "nav": "caseload"}
    return render(request, "sessions/book.html", context)


def reschedule(request: HttpRequest, pk: int, appointment_pk: int) -> HttpResponse:
    client, _can = access.client_for(request.user, pk, write=True)
    appointment = get_object_or_404(client.appointments, pk=appointment_pk)
    local = timezone.localtime(appointment.starts_at)
    form = RescheduleForm(
        request.POST or None,
        initial={
            "date": local.date(),
            "start": local.time(),
            "end": timezone.localtime(appointment.ends_at).time(),
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.appointment_reschedule(
                actor=request.user,
                appointment=appointment,
                starts_at=form.cleaned_data["starts_at"],
                ends_at=form.cleaned_data["ends_at"],
            )
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            messages.success(
                request, _("Appointment moved. The earlier time stays in the history.")
            )
            return redirect("sessions:section", pk=client.pk)
    context = {"client": client, "appointment": appointment, "form": form, "nav": "caseload"}
    return render(request, "sessions/reschedule.html", context)


@require_http_methods(["GET", "POST"])
def attendance(request: HttpRequest, pk: int, appointment_pk: int) -> HttpResponse:
    """The outcome of one appointment (attended, did not attend, cancelled with the notice
    given, or back to scheduled), on its own page: the Sessions section links here from each
    row instead of carrying a form per appointment."""
    client, _can = access.client_for(request.user, pk, write=True)
    appointment = get_object_or_404(client.appointments, pk=appointment_pk)
    if request.method == "GET":
        form = AttendanceForm(
            initial={"status": appointment.status, "notice_hours": appointment.notice_hours}
        )
        return _attendance_page(request, client, appointment, form)
    form = AttendanceForm(request.POST)
    if form.is_valid():
        try:
            services.appointment_record_attendance(
                actor=request.user,
                appointment=appointment,
                status=form.cleaned_data["status"],
                notice_hours=form.cleaned_data["notice_hours"],
            )
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Attendance recorded."))
            return redirect("sessions:section", pk=client.pk)
    else:
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
    # Refused: back to this appointment's outcome page, which shows why.
    return redirect("sessions:attendance", pk=client.pk, appointment_pk=appointment.pk)


def _attendance_page(
    request: HttpRequest, client: Client, appointment: Appointment, form: AttendanceForm
) -> HttpResponse:
    context = {"client": client, "appointment": appointment, "form": form, "nav": "caseload"}
    return render(request, "sessions/attendance.html", context)
