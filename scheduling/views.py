"""The calendars (a clinician's day, week and month; the clinic view), working hours and time
off, rooms, booking a free slot and the private calendar feed. Who may open what is decided in
hrp/access.py (`calendar_owner_for`, `clinic_calendar_clinicians`, the scheduling.* rules)."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET, require_POST

from hrp import access, bounds, formats
from scheduling import ical, selectors, services
from scheduling.forms import (
    ClientSearchForm,
    RoomForm,
    SlotBookForm,
    TimeOffForm,
    WorkingHoursForm,
)
from sessions import selectors as session_selectors
from sessions.models import Modality, Room


def _day(request: HttpRequest) -> datetime.date:
    # ?date=YYYY-MM-DD (a date, never a name); anything else is today.
    return bounds.parse_date(
        request.GET.get("date"), within=bounds.CALENDAR, default=timezone.localdate()
    )


SPAN_LABELS = {"day": _lazy("Day"), "week": _lazy("Week"), "month": _lazy("Month")}
STEP_LABELS = {
    "day": (_lazy("Previous day"), _lazy("Today"), _lazy("Next day")),
    "week": (_lazy("Previous week"), _lazy("This week"), _lazy("Next week")),
    "month": (_lazy("Previous month"), _lazy("This month"), _lazy("Next month")),
}


def _nav(span: str, day: datetime.date, names: dict[str, str], args: list[int]) -> dict:
    """Links to the other views of the same day and to the previous / current / next one;
    only dates go in the address."""
    today = timezone.localdate()

    def url(name: str, date: datetime.date) -> str:
        return f"{reverse(name, args=args)}?date={formats.iso_date(date)}"

    previous, current, following = STEP_LABELS[span]
    return {
        "today": today,
        "span_links": [(SPAN_LABELS[key], url(names[key], day), key == span) for key in names],
        "step_links": [
            (previous, url(names[span], selectors.step(span, day, -1))),
            (current, url(names[span], today)),
            (following, url(names[span], selectors.step(span, day, 1))),
        ],
    }


CLINICIAN_VIEWS = {"day": "scheduling:day", "week": "scheduling:week", "month": "scheduling:month"}
CLINIC_VIEWS = {
    "day": "scheduling:clinic_day",
    "week": "scheduling:clinic_week",
    "month": "scheduling:clinic_month",
}


def slot_param(moment: datetime.datetime) -> str:
    return formats.utc_stamp(moment)


def _parse_slot(raw: object) -> datetime.datetime | None:
    if not isinstance(raw, str) or not raw.isascii() or len(raw) != 16:
        return None
    try:
        moment = datetime.datetime.strptime(raw, formats.UTC_STAMP).replace(tzinfo=datetime.UTC)
    except ValueError:
        return None
    return moment if bounds.APPOINTMENT.contains(timezone.localtime(moment).date()) else None


@require_GET
def start(request: HttpRequest) -> HttpResponse:
    """The Calendar menu: a therapist's own week, else the clinic view."""
    if access.is_therapist(request.user):
        return redirect("scheduling:week", pk=request.user.pk)
    access.require(request.user, "scheduling.clinic_view")
    return redirect("scheduling:clinic_week")


@require_GET
def clinician_calendar(request: HttpRequest, pk: int, span: str) -> HttpResponse:
    """A clinician's day, week or month with their clients' names, free slots (clickable to
    book on their own calendar) and the overlap marks."""
    clinician, own = access.calendar_owner_for(request.user, pk)
    day = _day(request)
    dates = selectors.span_dates(span, day)
    (calendar,) = selectors.calendars(clinicians=[clinician], dates=dates, with_clients=True)
    for entry in calendar.days:
        for appointment in entry.appointments:
            appointment.double_booked = appointment.status in selectors.ACTIVE and any(
                other is not appointment
                and other.status in selectors.ACTIVE
                and other.starts_at < appointment.ends_at
                and other.ends_at > appointment.starts_at
                for other in entry.appointments
            )
        entry.slot_links = [(slot, slot_param(slot.starts_at)) for slot in entry.slots]
    context = {
        "clinician": clinician,
        "own": own,
        "double_booked": sum(
            1 for entry in calendar.days for a in entry.appointments if a.double_booked
        ),
        # Rows stored before the date policy (hrp/bounds.py), which no view reaches.
        "out_of_range": session_selectors.out_of_range_appointments(therapist=clinician),
        "span": span,
        "day": day,
        "days": calendar.days,
        "leading_blanks": range(dates[0].weekday()) if span == "month" else range(0),
        "nav": "calendar",
        **_nav(span, day, CLINICIAN_VIEWS, [clinician.pk]),
    }
    return render(request, "scheduling/calendar.html", context)


@require_GET
def clinic_calendar(request: HttpRequest, span: str) -> HttpResponse:
    """Every clinician the user may see, with times and rooms only: never a client's name or
    anything clinical, whoever looks (clinic admins and supervisors alike)."""
    clinicians = list(access.clinic_calendar_clinicians(request.user).order_by("full_name", "pk"))
    day = _day(request)
    dates = selectors.span_dates(span, day)
    rows = (
        selectors.calendars(clinicians=clinicians, dates=dates, with_clients=False)
        if clinicians
        else []
    )
    by_day = [
        (date, [(row.clinician, row.days[i]) for row in rows]) for i, date in enumerate(dates)
    ]
    context = {"span": span, "day": day, "by_day": by_day, "nav": "clinic_calendar"}
    context |= _nav(span, day, CLINIC_VIEWS, [])
    return render(request, "scheduling/clinic.html", context)


def _typed(request: HttpRequest, form_class: type, prefix: str) -> dict[str, str]:
    """What was posted for a form of the page other than the one sent, to show it again."""
    if request.method != "POST":
        return {}
    return {
        name: request.POST[f"{prefix}-{name}"]
        for name in form_class.base_fields
        if f"{prefix}-{name}" in request.POST
    }


def _require_own(request: HttpRequest) -> None:
    access.require(request.user, "scheduling.own_calendar")


def hours(request: HttpRequest) -> HttpResponse:
    """The therapist's usual week and days off."""
    _require_own(request)
    # The form not being sent keeps what was typed in it (as initial values, without errors).
    hours_form = WorkingHoursForm(
        prefix="hours", initial=_typed(request, WorkingHoursForm, "hours")
    )
    off_form = TimeOffForm(prefix="off", initial=_typed(request, TimeOffForm, "off"))
    if request.method == "POST":
        if request.POST.get("action") == "hours":
            hours_form = WorkingHoursForm(request.POST, prefix="hours")
            if hours_form.is_valid():
                try:
                    services.working_hours_add(clinician=request.user, **hours_form.cleaned_data)
                except ValidationError as error:
                    hours_form.add_error(None, error)
                else:
                    messages.success(request, _("Working hours added."))
                    return redirect("scheduling:hours")
        elif request.POST.get("action") == "off":
            off_form = TimeOffForm(request.POST, prefix="off")
            if off_form.is_valid():
                try:
                    services.time_off_add(clinician=request.user, **off_form.cleaned_data)
                except ValidationError as error:
                    off_form.add_error(None, error)
                else:
                    messages.success(request, _("Days off added."))
                    return redirect("scheduling:hours")
    context = {
        "working_hours": selectors.working_hours_of(request.user),
        "time_off": selectors.time_off_of(request.user),
        "hours_form": hours_form,
        "off_form": off_form,
        "nav": "calendar",
    }
    return render(request, "scheduling/hours.html", context)


@require_POST
def hours_remove(request: HttpRequest, hours_pk: int) -> HttpResponse:
    _require_own(request)
    if not services.working_hours_remove(clinician=request.user, pk=hours_pk):
        raise Http404
    messages.success(request, _("Working hours removed."))
    return redirect("scheduling:hours")


@require_POST
def time_off_remove(request: HttpRequest, off_pk: int) -> HttpResponse:
    _require_own(request)
    if not services.time_off_remove(clinician=request.user, pk=off_pk):
        raise Http404
    messages.success(request, _("Days off removed."))
    return redirect("scheduling:hours")


def rooms(request: HttpRequest) -> HttpResponse:
    access.require(request.user, "scheduling.manage_rooms")
    form = RoomForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.room_create(actor=request.user, name=form.cleaned_data["name"])
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Room added."))
            return redirect("scheduling:rooms")
    context = {"rooms": Room.objects.all(), "form": form, "nav": "rooms"}
    return render(request, "scheduling/rooms.html", context)


@require_POST
def room_toggle(request: HttpRequest, room_pk: int) -> HttpResponse:
    access.require(request.user, "scheduling.manage_rooms")
    room = get_object_or_404(Room, pk=room_pk)
    active = request.POST.get("active") == "1"
    services.room_set_active(actor=request.user, room=room, active=active)
    messages.success(request, _("Room back in use.") if active else _("Room taken out of use."))
    return redirect("scheduling:rooms")


def book(request: HttpRequest) -> HttpResponse:
    """Book the free slot ?slot=<UTC time> (a time, never a name) for one of the therapist's
    own clients. The client is found by a search sent by POST, inside their own caseload."""
    _require_own(request)
    starts_at = _parse_slot(request.GET.get("slot"))
    slot = (
        selectors.is_free_slot(clinician=request.user, starts_at=starts_at) if starts_at else None
    )
    week_url = reverse("scheduling:week", args=[request.user.pk])
    if slot is None:
        messages.error(request, _("This time is no longer free. Choose another slot."))
        return redirect(week_url)
    search = ClientSearchForm(prefix="search", initial=_typed(request, ClientSearchForm, "search"))
    matches: list = []
    chosen = None
    overlaps: list = []
    form = SlotBookForm(initial={"modality": Modality.IN_PERSON})
    action = request.POST.get("action") if request.method == "POST" else None
    if action == "search":
        search = ClientSearchForm(request.POST, prefix="search")
        if search.is_valid():
            matches = list(
                selectors.caseload_matches(
                    clinician=request.user, query=search.cleaned_data["query"]
                )
            )
            if not matches:
                search.add_error("query", _("None of your clients matches. Check the spelling."))
    elif action == "choose":
        chosen = selectors.own_client(
            clinician=request.user, pk=bounds.parse_pk(request.POST.get("client"))
        )
        if chosen is None:
            raise Http404
        form = SlotBookForm(initial={"modality": Modality.IN_PERSON, "client": chosen.pk})
    elif action == "book":
        form = SlotBookForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            chosen = selectors.own_client(clinician=request.user, pk=data["client"])
            if chosen is None:
                raise Http404
            try:
                booked, overlaps = services.slot_book(
                    actor=request.user,
                    client=chosen,
                    starts_at=slot.starts_at,
                    modality=data["modality"],
                    room=data["room"],
                    video_link=data["video_link"],
                    confirm_overlap=data["confirm_overlap"],
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                if booked:
                    messages.success(request, _("Appointment booked."))
                    day = timezone.localtime(slot.starts_at).date()
                    return redirect(
                        f"{reverse('scheduling:day', args=[request.user.pk])}"
                        f"?date={formats.iso_date(day)}"
                    )
                form.add_error(
                    None,
                    _(
                        "This overlaps another appointment on the calendar. "
                        "Tick “Book anyway” to keep it."
                    ),
                )
        else:
            chosen = selectors.own_client(
                clinician=request.user, pk=bounds.parse_pk(request.POST.get("client"))
            )
    context = {
        "slot": slot,
        "slot_param": slot_param(slot.starts_at),
        "search": search,
        "matches": matches,
        "chosen": chosen,
        "form": form,
        "overlaps": overlaps,
        "nav": "calendar",
    }
    return render(request, "scheduling/book.html", context)


def feed(request: HttpRequest) -> HttpResponse:
    """The therapist's private calendar feed: make a new address (shown once) or revoke it."""
    _require_own(request)
    token = None
    if request.method == "POST":
        if request.POST.get("action") == "create":
            token = services.feed_create(clinician=request.user)
            messages.success(request, _("New feed address made. Any earlier one has stopped."))
        elif request.POST.get("action") == "revoke":
            services.feed_revoke(clinician=request.user)
            messages.success(request, _("Feed address revoked."))
            return redirect("scheduling:feed")
    context = {
        "has_feed": selectors.has_feed(request.user),
        "feed_url": request.build_absolute_uri(reverse("scheduling:ical", args=[token]))
        if token
        else "",
        "nav": "calendar",
    }
    return render(request, "scheduling/feed.html", context)


@login_not_required
@require_GET
def ical_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The feed a phone's calendar fetches, without sign-in: the token in the address is the
    key. A wrong or revoked token is a plain 404 that says nothing."""
    found = selectors.feed_for_token(token) if len(token) <= 100 else None
    if found is None:
        raise Http404
    body = ical.calendar_text(
        appointments=selectors.feed_appointments(found.clinician),
        busy=selectors.feed_busy(found.clinician),
        label=_("Clinic sessions"),
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex"
    return response
