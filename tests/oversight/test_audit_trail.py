"""The audit viewer: exact filters, keyset pages without gaps or repeats, refused filters,
no clinical content, and a query count that does not grow with the trail."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from typing import Any

import lxml.html
import pytest
from django.test import Client as HttpClient
from django.urls import reverse
from pytest_django import DjangoAssertNumQueries

from hrp.accounts.models import User
from hrp.audit.models import AuditEvent
from oversight.filters import SESSION_KEY, Cursor
from tests.clients.factories import ClientFactory
from tests.factories import TherapistFactory
from tests.oversight.factories import CLINICAL_MARKERS, audit_event, clinical_change, utc

ClientFor = Callable[[User | None], HttpClient]
URL = reverse("oversight:audit_trail")


def apply_filters(http: HttpClient, **values: Any) -> Any:
    data = {"actor": "", "chart_number": "", "action": "", "date_from": "", "date_to": ""}
    data.update({k: str(v) for k, v in values.items()})
    return http.post(URL, data)


def shown_ids(response: Any) -> list[int]:
    return [row["id"] for row in response.context["page"].rows]


@pytest.fixture
def admin_http(client_for: ClientFor, clinic_admin: User) -> HttpClient:
    return client_for(clinic_admin)


@pytest.fixture
def seeded(
    admin_http: HttpClient, clinic_admin: User, therapist: User, other_therapist: User
) -> dict[str, AuditEvent]:
    """Six events across two people, two charts, three actions and a day boundary in the
    clinic's time zone (America/New_York, UTC-5 in January), after the admin's own sign-in
    (now, so the newest)."""
    return {
        "admin_login": AuditEvent.objects.get(actor=clinic_admin, action="auth.login"),
        "tess_view_a": audit_event(
            at=utc(2026, 1, 14, 15), actor=therapist, chart_number="C-AAAAAA"
        ),
        "tess_save_a": audit_event(
            at=utc(2026, 1, 15, 15),
            actor=therapist,
            chart_number="C-AAAAAA",
            action="note.save",
            category=AuditEvent.Category.CHANGE,
        ),
        # 04:59 UTC on the 16th is 23:59 on the 15th in New York: still the 15th.
        "omar_view_b_late": audit_event(
            at=utc(2026, 1, 16, 4, 59), actor=other_therapist, chart_number="C-BBBBBB"
        ),
        # 05:00 UTC on the 16th is midnight in New York: the 16th.
        "omar_view_b_midnight": audit_event(
            at=utc(2026, 1, 16, 5, 0), actor=other_therapist, chart_number="C-BBBBBB"
        ),
        "failed_sign_in": audit_event(
            at=utc(2026, 1, 16, 9),
            action="auth.login_failed",
            category=AuditEvent.Category.SECURITY,
        ),
        "tess_login": audit_event(
            at=utc(2026, 1, 17, 9),
            actor=therapist,
            action="auth.login",
            category=AuditEvent.Category.SECURITY,
        ),
    }


def ids(seeded: dict[str, AuditEvent], *names: str) -> list[int]:
    return [seeded[n].pk for n in names]


def test_first_page_shows_every_event_newest_first(
    admin_http: HttpClient, seeded: dict[str, AuditEvent]
) -> None:
    response = admin_http.get(URL)
    assert response.status_code == 200
    assert shown_ids(response) == ids(
        seeded,
        "admin_login",
        "tess_login",
        "failed_sign_in",
        "omar_view_b_midnight",
        "omar_view_b_late",
        "tess_save_a",
        "tess_view_a",
    )
    assert response.context["page"].older is None
    assert response.context["page"].newer is None


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"actor": "THERAPIST"}, ["tess_login", "tess_save_a", "tess_view_a"]),
        ({"nobody": "on"}, ["failed_sign_in"]),
        ({"chart_number": "C-BBBBBB"}, ["omar_view_b_midnight", "omar_view_b_late"]),
        # Typed in lower case with spaces: chart numbers are stored upper case.
        ({"chart_number": "  c-aaaaaa "}, ["tess_save_a", "tess_view_a"]),
        ({"action": "note.save"}, ["tess_save_a"]),
        (
            {"action": "client.view.overview"},
            ["omar_view_b_midnight", "omar_view_b_late", "tess_view_a"],
        ),
        # One day in the clinic's time zone: 00:00 to 23:59:59 New York time.
        ({"date_from": "2026-01-15", "date_to": "2026-01-15"}, ["omar_view_b_late", "tess_save_a"]),
        (
            {"date_from": "2026-01-16"},
            ["admin_login", "tess_login", "failed_sign_in", "omar_view_b_midnight"],
        ),
        ({"date_to": "2026-01-14"}, ["tess_view_a"]),
        (
            {"actor": "THERAPIST", "chart_number": "C-AAAAAA", "date_from": "2026-01-15"},
            ["tess_save_a"],
        ),
        ({"chart_number": "C-ZZZZZZ"}, []),
    ],
)
def test_filters_show_exactly_the_matching_events(
    admin_http: HttpClient,
    therapist: User,
    seeded: dict[str, AuditEvent],
    filters: dict[str, str],
    expected: list[str],
) -> None:
    if filters.get("actor") == "THERAPIST":
        # Typed as it comes: upper case, spaces around it.
        filters = {**filters, "actor": f"  {therapist.email.upper()} "}
    posted = apply_filters(admin_http, **filters)
    assert (posted.status_code, posted["Location"]) == (302, URL)

    response = admin_http.get(URL)

    assert shown_ids(response) == ids(seeded, *expected)


def test_filters_are_kept_in_the_session_not_the_url(
    admin_http: HttpClient, therapist: User, seeded: dict[str, AuditEvent]
) -> None:
    apply_filters(admin_http, chart_number="C-AAAAAA", actor=therapist.email)

    assert admin_http.session[SESSION_KEY] == {
        "actor": str(therapist.pk),
        "chart_number": "C-AAAAAA",
        "action": "",
        "date_from": "",
        "date_to": "",
    }
    response = admin_http.get(URL)
    # The form shows them again, and no link on the page carries them.
    assert response.context["form"]["chart_number"].value() == "C-AAAAAA"
    assert "C-AAAAAA" not in " ".join(re.findall(r'href="([^"]*)"', response.text))

    cleared = admin_http.post(URL, {"clear": "1"})
    assert cleared.status_code == 302
    assert SESSION_KEY not in admin_http.session
    assert len(shown_ids(admin_http.get(URL))) == 7


def test_action_select_offers_the_recorded_actions_grouped_by_category(
    admin_http: HttpClient, seeded: dict[str, AuditEvent]
) -> None:
    response = admin_http.get(URL)

    assert response.context["form"].fields["action"].choices == [
        ("", "Any action"),
        ("Access", [("client.view.overview", "Viewed record: overview")]),
        ("Change", [("note.save", "Session note saved")]),
        (
            "Security",
            [("auth.login", "Signed in"), ("auth.login_failed", "Sign-in refused")],
        ),
    ]


def test_each_row_names_its_action_in_words_not_its_code(
    admin_http: HttpClient, seeded: dict[str, AuditEvent]
) -> None:
    response = admin_http.get(URL)

    rows = lxml.html.fromstring(response.text).xpath("//table/tbody/tr")
    assert [row.xpath("string(td[4])") for row in rows] == [
        "Signed in",
        "Signed in",
        "Sign-in refused",
        "Viewed record: overview",
        "Viewed record: overview",
        "Session note saved",
        "Viewed record: overview",
    ]


def test_the_user_filter_takes_an_email_and_lists_no_accounts(
    admin_http: HttpClient, therapist: User, other_therapist: User
) -> None:
    """A deactivated account is found by its email (its past actions stay in the trail); the
    form shows the email back, and the page lists no staff account."""
    gone = TherapistFactory(full_name="Gina Gone", email="gina@clinic.test")
    gone.is_active = False
    gone.deactivated_at = utc(2026, 1, 1)
    gone.save()
    audit_event(at=utc(2026, 1, 2), actor=gone)
    audit_event(at=utc(2026, 1, 3), actor=therapist)

    apply_filters(admin_http, actor="Gina@Clinic.test")
    response = admin_http.get(URL)

    assert admin_http.session[SESSION_KEY]["actor"] == str(gone.pk)
    assert response.context["form"]["actor"].value() == "gina@clinic.test"
    assert [row["actor_id"] for row in response.context["page"].rows] == [gone.pk]
    assert other_therapist.email not in response.text
    assert "<option" not in response.text.split('name="action"')[0]

    apply_filters(admin_http, nobody="on")
    response = admin_http.get(URL)
    assert admin_http.session[SESSION_KEY]["actor"] == "none"
    assert (
        response.context["form"]["actor"].value(),
        response.context["form"]["nobody"].value(),
    ) == ("", True)


# --- Refused filters --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        (
            {"date_from": "2026-02-10", "date_to": "2026-02-09"},
            "date_to",
            "The end date is before the start date. Choose an end on or after it.",
        ),
        (
            {"actor": "nobody@elsewhere.test"},
            "actor",
            "No staff account has this email. Check the spelling: the Staff accounts page "
            "lists every account.",
        ),
        (
            {"actor": "THERAPIST", "nobody": "on"},
            "nobody",
            "Choose a user or “nobody signed in”, not both. Empty one of them.",
        ),
        (
            {"action": "client.view.everything"},
            "action",
            "That action does not appear in the audit trail. Choose one from the list.",
        ),
        ({"date_from": "2026-13-45"}, "date_from", "Enter the start date as YYYY-MM-DD."),
        ({"chart_number": "C-" + "X" * 40}, "chart_number", None),
    ],
)
def test_bad_filters_are_refused_with_a_message_and_nothing_is_kept(
    admin_http: HttpClient,
    seeded: dict[str, AuditEvent],
    values: dict[str, str],
    field: str,
    message: str | None,
) -> None:
    apply_filters(admin_http, action="note.save")  # filters already in force
    if values.get("actor") == "THERAPIST":
        values = {**values, "actor": seeded["tess_login"].actor.email}

    response = apply_filters(admin_http, **values)

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == [field]
    if message is not None:
        assert errors[field] == [message]
        assert message in response.text
    assert response.context["page"] is None
    # The filters in force are unchanged.
    assert admin_http.session[SESSION_KEY]["action"] == "note.save"


# --- Keyset pages -----------------------------------------------------------------------------


def test_keyset_pages_cover_every_event_once_in_both_directions(
    admin_http: HttpClient, therapist: User
) -> None:
    # 130 events, seven to a timestamp, so that pages break inside runs of equal times.
    start = utc(2026, 1, 1)
    for n in range(130):
        audit_event(at=start + datetime.timedelta(minutes=n // 7), actor=therapist)
    audit_event(at=start, actor=None)  # filtered out
    expected = list(
        AuditEvent.objects.filter(actor=therapist)
        .order_by("-at", "-id")
        .values_list("id", flat=True)
    )
    apply_filters(admin_http, actor=therapist.email)

    pages = [admin_http.get(URL)]
    while pages[-1].context["page"].older is not None:
        pages.append(admin_http.get(URL, {"older": pages[-1].context["page"].older.encode()}))

    assert [len(shown_ids(p)) for p in pages] == [50, 50, 30]
    assert [i for p in pages for i in shown_ids(p)] == expected
    assert [p.context["page"].is_first for p in pages] == [True, False, False]

    # Back towards the newest from the last page.
    back = [pages[-1]]
    while back[-1].context["page"].newer is not None:
        back.append(admin_http.get(URL, {"newer": back[-1].context["page"].newer.encode()}))
    assert [shown_ids(p) for p in back] == [shown_ids(p) for p in reversed(pages)]
    assert back[-1].context["page"].is_first is True


def test_a_cursor_that_is_not_ours_shows_the_first_page(
    admin_http: HttpClient, seeded: dict[str, AuditEvent]
) -> None:
    first = shown_ids(admin_http.get(URL))
    for token in ["", "abc", "12-x", "-5", "9" * 60 + "-1", "1-2-3"]:
        assert shown_ids(admin_http.get(URL, {"older": token})) == first


@pytest.mark.parametrize(
    "token",
    [
        "²-1",  # issue 13: str.isdigit() accepts superscripts, int() does not: a 500
        "1-²",
        "١٢-٣",  # Arabic-Indic digits: int() reads them, the policy does not
        "253402300800000000-1",  # microseconds past year 9999
        "1-99999999999999999999",  # an id past bigint
    ],
)
def test_a_cursor_in_other_digits_or_out_of_range_shows_the_first_page(
    admin_http: HttpClient, seeded: dict[str, AuditEvent], token: str
) -> None:
    first = shown_ids(admin_http.get(URL))
    for direction in ("older", "newer"):
        response = admin_http.get(URL, {direction: token})
        assert response.status_code == 200
        assert shown_ids(response) == first


def test_cursor_round_trips_to_the_microsecond() -> None:
    cursor = Cursor(at=datetime.datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=datetime.UTC), id=42)
    assert cursor.encode() == "1767323045678901-42"
    assert Cursor.decode(cursor.encode()) == cursor


# --- No clinical content ----------------------------------------------------------------------


def test_changed_field_names_are_shown_and_values_and_detail_never_are(
    admin_http: HttpClient, therapist: User
) -> None:
    event = clinical_change(at=utc(2026, 1, 20), actor=therapist, chart_number="C-AAAAAA")
    apply_filters(admin_http, chart_number="C-AAAAAA")

    response = admin_http.get(URL)

    assert response.context["page"].rows[0]["id"] == event.pk
    assert response.context["page"].rows[0]["changed_fields"] == "client_goals, reason_for_coming"
    assert "changes" not in response.context["page"].rows[0]
    assert "detail" not in response.context["page"].rows[0]
    assert "client_goals, reason_for_coming" in response.text
    for marker in [*CLINICAL_MARKERS, "go out again"]:
        assert marker not in response.text


def test_chart_numbers_link_to_the_clients_access_report(
    admin_http: HttpClient, therapist: User
) -> None:
    chart = ClientFactory(therapist=therapist)
    audit_event(at=utc(2026, 1, 20), actor=therapist, chart_number=chart.chart_number)

    response = admin_http.get(URL)

    link = reverse("oversight:client_access", args=[chart.pk])
    assert f'<a href="{link}">{chart.chart_number}</a>' in response.text


# --- Query counts -----------------------------------------------------------------------------

# session, user, authenticator, actions (one recursive query), the page of events, the chart
# numbers' clients; + the email of the account the user filter names, when it names one.
AUDIT_PAGE_QUERIES = 6


def _seed(count: int, actors: list[User], charts: list[str]) -> None:
    AuditEvent.objects.bulk_create(
        AuditEvent(
            at=utc(2026, 1, 1) + datetime.timedelta(minutes=n),
            actor=actors[n % len(actors)],
            category=AuditEvent.Category.ACCESS,
            action=f"client.view.section{n % 9}",
            chart_number=charts[n % len(charts)],
            changes={"field": ["old", "new"]},
        )
        for n in range(count)
    )


@pytest.mark.parametrize("filtered", ["", "chart", "actor"])
def test_query_count_is_the_same_for_a_small_and_a_larger_trail(
    admin_http: HttpClient,
    therapist: User,
    django_assert_num_queries: DjangoAssertNumQueries,
    filtered: str,
) -> None:
    _seed(1, [therapist], ["C-AAAAAA"])
    if filtered == "chart":
        apply_filters(admin_http, chart_number="C-AAAAAA")
    elif filtered == "actor":
        apply_filters(admin_http, actor=therapist.email)
    queries = AUDIT_PAGE_QUERIES + (1 if filtered == "actor" else 0)
    admin_http.get(URL)  # settles the session's last-seen stamp
    with django_assert_num_queries(queries):
        small = admin_http.get(URL)
    # Unfiltered, the admin's own sign-in is the other row.
    assert len(small.context["page"].rows) == (1 if filtered else 2)

    # However many staff accounts there are: the page lists none of them.
    staff = [therapist, *(TherapistFactory() for _n in range(12))]
    # (one event in 13 is the therapist's: enough for two full pages of theirs)
    _seed(1400 if filtered == "actor" else 400, staff, ["C-AAAAAA", "C-BBBBBB", "C-CCCCCC"])
    admin_http.get(URL)
    with django_assert_num_queries(queries):
        larger = admin_http.get(URL)
    assert len(larger.context["page"].rows) == 50
    older = larger.context["page"].older.encode()
    admin_http.get(URL)
    with django_assert_num_queries(queries):
        deeper = admin_http.get(URL, {"older": older})
    assert len(deeper.context["page"].rows) == 50
