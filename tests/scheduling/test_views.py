"""The scheduling pages: who may open each (the access matrix), what the clinic view leaves
out, working hours, rooms and booking a free slot through sessions' booking."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from hrp.accounts.models import User
from scheduling.models import TimeOff, WorkingHours
from scheduling.views import slot_param
from sessions.models import Appointment, Room
from tests.clients.factories import ClientFactory
from tests.clients.helpers import text
from tests.sessions.factories import AppointmentFactory

ClientFor = Callable[[User | None], HttpClient]
# A Monday well ahead of today (4 Dec 2026), so every slot on it is still to come.
MONDAY = datetime.date(2027, 3, 8)
TZ = timezone.get_current_timezone


def _at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ())


@pytest.fixture
def monday_hours(therapist: User) -> WorkingHours:
    return WorkingHours.objects.create(
        clinician=therapist, weekday=0, starts=datetime.time(9), ends=datetime.time(12)
    )


@pytest.fixture
def robin(therapist: User):
    return ClientFactory(therapist=therapist, preferred_name="Robin", chart_number="C-4242")


CLINICIAN_VIEWS = ["scheduling:day", "scheduling:week", "scheduling:month"]
CLINICIAN_STATUS = {
    "therapist": 200,
    "other_therapist": 404,
    "supervisor": 200,
    "other_supervisor": 404,
    "clinic_admin": 404,
}


@pytest.mark.parametrize("name", CLINICIAN_VIEWS)
@pytest.mark.parametrize("role", [*CLINICIAN_STATUS, "anonymous"])
def test_a_clinicians_calendar_access(
    request: pytest.FixtureRequest, client_for: ClientFor, therapist: User, name: str, role: str
) -> None:
    url = reverse(name, args=[therapist.pk])
    response = client_for(request.getfixturevalue(role)).get(url, {"date": "2027-03-08"})
    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))
    else:
        assert response.status_code == CLINICIAN_STATUS[role]


CLINIC_VIEWS = ["scheduling:clinic_day", "scheduling:clinic_week", "scheduling:clinic_month"]
CLINIC_STATUS = {
    "therapist": 404,
    "other_therapist": 404,
    "supervisor": 200,
    "other_supervisor": 200,
    "clinic_admin": 200,
}


@pytest.mark.parametrize("name", CLINIC_VIEWS)
@pytest.mark.parametrize("role", [*CLINIC_STATUS, "anonymous"])
def test_the_clinic_view_access(
    request: pytest.FixtureRequest, client_for: ClientFor, name: str, role: str
) -> None:
    response = client_for(request.getfixturevalue(role)).get(reverse(name))
    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))
    else:
        assert response.status_code == CLINIC_STATUS[role]


OWN_PAGES = ["scheduling:hours", "scheduling:feed"]
OWN_STATUS = {
    "therapist": 200,
    "other_therapist": 200,  # their own hours and feed, never the therapist's
    "supervisor": 404,
    "other_supervisor": 404,
    "clinic_admin": 404,
}


@pytest.mark.parametrize("name", OWN_PAGES)
@pytest.mark.parametrize("role", list(OWN_STATUS))
def test_own_pages_access(
    request: pytest.FixtureRequest, client_for: ClientFor, name: str, role: str
) -> None:
    response = client_for(request.getfixturevalue(role)).get(reverse(name))
    assert response.status_code == OWN_STATUS[role]


@pytest.mark.parametrize("role", list(OWN_STATUS))
def test_rooms_page_is_the_clinic_admins(
    request: pytest.FixtureRequest, client_for: ClientFor, role: str
) -> None:
    response = client_for(request.getfixturevalue(role)).get(reverse("scheduling:rooms"))
    assert response.status_code == (200 if role == "clinic_admin" else 404)


def test_clinic_view_shows_times_and_rooms_never_a_client(
    client_for: ClientFor,
    therapist: User,
    other_therapist: User,
    supervisor: User,
    clinic_admin: User,
    robin,
) -> None:
    room = Room.objects.create(name="Garden room")
    AppointmentFactory(client=robin, starts_at=_at(MONDAY, 10), room=room, location="Robin's usual")
    AppointmentFactory(
        client=ClientFactory(therapist=other_therapist, preferred_name="Kim"),
        starts_at=_at(MONDAY, 11),
    )
    url = reverse("scheduling:clinic_day")

    admin_page = text(client_for(clinic_admin).get(url, {"date": "2027-03-08"}))
    supervisor_page = text(client_for(supervisor).get(url, {"date": "2027-03-08"}))

    assert "10:00–10:50 Client session · Garden room" in admin_page
    assert "11:00–11:50 Client session" in admin_page
    assert "Tess Therapist" in admin_page and "Omar Other" in admin_page
    for page in (admin_page, supervisor_page):
        for private in ("Robin", "C-4242", "Kim", robin.legal_name, "usual"):
            assert private not in page
    # A supervisor sees their supervisees only.
    assert "Tess Therapist" in supervisor_page
    assert "Omar Other" not in supervisor_page


def test_own_week_shows_clients_free_slots_and_links_to_book(
    client_for: ClientFor, therapist: User, monday_hours: WorkingHours, robin
) -> None:
    AppointmentFactory(client=robin, starts_at=_at(MONDAY, 10))
    response = client_for(therapist).get(
        reverse("scheduling:week", args=[therapist.pk]), {"date": "2027-03-10"}
    )

    monday = response.context["days"][0]
    assert [a.client.display_name for a in monday.appointments] == ["Robin"]
    # 10:00-10:50 is booked: the 10:00 slot overlaps it, 09:00 and 11:00 stay free.
    assert [f"{timezone.localtime(s.starts_at):%H:%M}" for s in monday.slots] == ["09:00", "11:00"]
    page = text(response)
    assert f'href="/schedule/book/?slot={slot_param(_at(MONDAY, 9))}"' in page
    assert slot_param(_at(MONDAY, 9)) == "20270308T140000Z"


def test_supervisor_sees_the_slots_but_no_booking_link(
    client_for: ClientFor, therapist: User, supervisor: User, monday_hours: WorkingHours
) -> None:
    response = client_for(supervisor).get(
        reverse("scheduling:day", args=[therapist.pk]), {"date": "2027-03-08"}
    )
    assert len(response.context["days"][0].slots) == 3
    assert "/schedule/book/" not in text(response)


def test_bad_dates_fall_back_to_today(client_for: ClientFor, therapist: User) -> None:
    for raw in ["2027-02-30", "٢٠٢٧-٠٣-٠٨", "99999-01-01", "x" * 500]:
        response = client_for(therapist).get(
            reverse("scheduling:month", args=[therapist.pk]), {"date": raw}
        )
        assert response.status_code == 200
        assert response.context["day"] == timezone.localdate()


def _book_page(therapist: User) -> str:
    return f"{reverse('scheduling:book')}?slot={slot_param(_at(MONDAY, 9))}"


def test_booking_a_free_slot_searches_by_post_and_books_through_sessions(
    client_for: ClientFor, therapist: User, other_therapist: User, monday_hours: WorkingHours, robin
) -> None:
    ClientFactory(therapist=other_therapist, preferred_name="Robbie")
    web = client_for(therapist)
    url = _book_page(therapist)

    found = web.post(url, {"action": "search", "search-query": "rob"})
    assert [c.display_name for c in found.context["matches"]] == ["Robin"]
    by_chart = web.post(url, {"action": "search", "search-query": "4242"})
    assert [c.pk for c in by_chart.context["matches"]] == [robin.pk]
    chosen = web.post(url, {"action": "choose", "client": robin.pk})
    assert chosen.context["chosen"] == robin
    room = Room.objects.create(name="Blue")
    response = web.post(
        url,
        {
            "action": "book",
            "client": robin.pk,
            "modality": "video",
            "room": room.pk,
            "video": "paste",
            "video_link": "https://meet.example.org/abc",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == f"/schedule/clinicians/{therapist.pk}/day/?date=2027-03-08"
    booked = Appointment.objects.get()
    assert (booked.client, booked.therapist, booked.starts_at, booked.ends_at) == (
        robin,
        therapist,
        _at(MONDAY, 9),
        _at(MONDAY, 10),
    )
    assert (booked.modality, booked.room, booked.video_link) == (
        "video",
        room,
        "https://meet.example.org/abc",
    )
    # The same slot again (a double submission) is no longer free: nothing more is booked.
    again = web.post(
        url, {"action": "book", "client": robin.pk, "modality": "video", "video": "none"}
    )
    assert again.status_code == 302
    assert Appointment.objects.count() == 1


def test_search_stays_in_the_clinicians_own_caseload(
    client_for: ClientFor, therapist: User, other_therapist: User, monday_hours: WorkingHours, robin
) -> None:
    WorkingHours.objects.create(
        clinician=other_therapist, weekday=0, starts=datetime.time(9), ends=datetime.time(12)
    )
    web = client_for(other_therapist)
    found = web.post(_book_page(other_therapist), {"action": "search", "search-query": "Robin"})
    assert found.context["matches"] == []
    assert "None of your clients matches" in text(found)
    refused = web.post(
        _book_page(other_therapist),
        {"action": "book", "client": robin.pk, "modality": "in_person", "video": "none"},
    )
    assert refused.status_code == 404
    assert Appointment.objects.count() == 0


def test_a_bad_video_link_is_refused_and_the_choice_kept(
    client_for: ClientFor, therapist: User, monday_hours: WorkingHours, robin
) -> None:
    response = client_for(therapist).post(
        _book_page(therapist),
        {
            "action": "book",
            "client": robin.pk,
            "modality": "video",
            "video": "paste",
            "video_link": "http://meet.example.org/abc",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "video_link": ["Enter a video link starting with https://."]
    }
    assert response.context["chosen"] == robin
    assert Appointment.objects.count() == 0


def test_a_taken_room_is_refused(
    client_for: ClientFor, therapist: User, other_therapist: User, monday_hours: WorkingHours, robin
) -> None:
    room = Room.objects.create(name="Blue")
    AppointmentFactory(
        client=ClientFactory(therapist=other_therapist), starts_at=_at(MONDAY, 9, 30), room=room
    )
    response = client_for(therapist).post(
        _book_page(therapist),
        {
            "action": "book",
            "client": robin.pk,
            "modality": "in_person",
            "room": room.pk,
            "video": "none",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "room": ["This room is already booked at that time."]
    }
    assert Appointment.objects.filter(client=robin).count() == 0


def test_provider_pattern_makes_a_link(
    client_for: ClientFor, therapist: User, monday_hours: WorkingHours, robin, settings
) -> None:
    settings.VIDEO_LINK_PATTERN = "https://meet.example.org/hrp-{code}"
    response = client_for(therapist).post(
        _book_page(therapist),
        {"action": "book", "client": robin.pk, "modality": "video", "video": "provider"},
    )
    assert response.status_code == 302
    link = Appointment.objects.get().video_link
    assert link.startswith("https://meet.example.org/hrp-")
    assert len(link) == len("https://meet.example.org/hrp-") + 16


def test_a_slot_that_is_not_free_sends_back_to_the_calendar(
    client_for: ClientFor, therapist: User
) -> None:
    for raw in ["20270308T140000Z", "garbage", "2027-03-08T14:00Z", "٢٠٢٧٠٣٠٨T140000Z"]:
        response = client_for(therapist).get(reverse("scheduling:book"), {"slot": raw})
        assert response.status_code == 302
        assert response["Location"] == reverse("scheduling:week", args=[therapist.pk])


def test_working_hours_and_days_off(client_for: ClientFor, therapist: User) -> None:
    web = client_for(therapist)
    url = reverse("scheduling:hours")
    added = web.post(
        url,
        {"action": "hours", "hours-weekday": "2", "hours-starts": "13:00", "hours-ends": "17:00"},
    )
    assert added.status_code == 302
    overlapping = web.post(
        url,
        {"action": "hours", "hours-weekday": "2", "hours-starts": "16:00", "hours-ends": "18:00"},
    )
    assert overlapping.context["hours_form"].non_field_errors() == [
        "These hours overlap hours you already have on that day."
    ]
    backwards = web.post(
        url,
        {"action": "hours", "hours-weekday": "2", "hours-starts": "18:00", "hours-ends": "17:00"},
    )
    assert backwards.context["hours_form"].errors == {"ends": ["The end must be after the start."]}
    assert list(WorkingHours.objects.values_list("weekday", "starts", "ends")) == [
        (2, datetime.time(13), datetime.time(17))
    ]
    off = web.post(
        url,
        {
            "action": "off",
            "off-first_day": "2027-07-01",
            "off-last_day": "2027-07-14",
            "off-kind": "leave",
        },
    )
    assert off.status_code == 302
    assert list(TimeOff.objects.values_list("first_day", "last_day", "kind")) == [
        (datetime.date(2027, 7, 1), datetime.date(2027, 7, 14), "leave")
    ]


def test_another_therapist_cannot_remove_my_hours(
    client_for: ClientFor, therapist: User, other_therapist: User, monday_hours: WorkingHours
) -> None:
    response = client_for(other_therapist).post(
        reverse("scheduling:hours_remove", args=[monday_hours.pk])
    )
    assert response.status_code == 404
    assert WorkingHours.objects.filter(pk=monday_hours.pk).exists()
    mine = client_for(therapist).post(reverse("scheduling:hours_remove", args=[monday_hours.pk]))
    assert mine.status_code == 302
    assert not WorkingHours.objects.exists()


def test_rooms_are_added_and_taken_out_of_use_by_clinic_admins(
    client_for: ClientFor, clinic_admin: User, therapist: User
) -> None:
    web = client_for(clinic_admin)
    assert web.post(reverse("scheduling:rooms"), {"name": "  Garden   room "}).status_code == 302
    duplicate = web.post(reverse("scheduling:rooms"), {"name": "garden room"})
    assert duplicate.context["form"].errors == {"name": ["There is already a room with this name."]}
    room = Room.objects.get()
    assert (room.name, room.active) == ("Garden room", True)
    refused = client_for(therapist).post(
        reverse("scheduling:room_toggle", args=[room.pk]), {"active": "0"}
    )
    assert refused.status_code == 404
    assert Room.objects.get().active is True
    web.post(reverse("scheduling:room_toggle", args=[room.pk]), {"active": "0"})
    assert Room.objects.get().active is False


def test_the_calendar_menu_goes_to_the_right_view(
    client_for: ClientFor, therapist: User, clinic_admin: User
) -> None:
    mine = client_for(therapist).get(reverse("scheduling:start"))
    assert mine["Location"] == reverse("scheduling:week", args=[therapist.pk])
    admin = client_for(clinic_admin).get(reverse("scheduling:start"))
    assert admin["Location"] == reverse("scheduling:clinic_week")
