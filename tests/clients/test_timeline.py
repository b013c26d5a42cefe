"""The chart's Timeline: every clinical event any app registers (clients.extensions
.TimelineSource) in one list, newest first, filterable by kind, a page at a time, in a fixed
number of queries whatever the client's history."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from django.db.models import F
from django.test import Client as HttpClient
from django.urls import reverse

from clients import extensions, selectors
from clients.models import Client, SubstanceUse
from hrp import formats
from hrp.access import ClientAccess
from hrp.accounts.models import User
from tests.clients.chart_records import ALL_KINDS, add_care_records, day, record_with_events
from tests.clients.factories import ClientFactory, SubstanceUseFactory
from tests.conftest import ROLE_FIXTURES
from tests.htmltext import parse, words

ClientFor = Callable[[User | None], HttpClient]

# + client with header data, 3 flag prefetches (2 assessment, 1 goals), access event, the
# page of rows (one UNION ALL over every source), then one load per kind on the page.
TIMELINE_BASE_QUERIES = 9
TIMELINE_ALL_KINDS_QUERIES = TIMELINE_BASE_QUERIES + len(ALL_KINDS)
TIMELINE_ONE_KIND_QUERIES = TIMELINE_BASE_QUERIES + 1

TREATING = ClientAccess(read=True, write=True, supervise=False)
SUPERVISING = ClientAccess(read=True, write=False, supervise=True)


def url(client: Client, **query: str) -> str:
    base = reverse("clients:timeline", kwargs={"pk": client.pk})
    if not query:
        return base
    return base + "?" + "&".join(f"{k}={v}" for k, v in query.items())


def kinds_on(response) -> list[str]:
    return [li.get("data-kind") for li in parse(response).xpath("//li[@data-kind]")]


def events_in(n: int) -> int:
    return 3 + 11 * n  # chart_records.record_with_events


@pytest.mark.parametrize("events", [1, 55])
def test_timeline_queries_do_not_grow_with_the_history(
    client_for: ClientFor, therapist: User, events: int, django_assert_num_queries
) -> None:
    record = record_with_events(therapist, events)
    web = client_for(therapist)

    with django_assert_num_queries(TIMELINE_ALL_KINDS_QUERIES):
        response = web.get(url(record))

    assert response.status_code == 200
    page = response.context["page"]
    assert sorted({item.kind for item in page.items}) == sorted(ALL_KINDS)
    assert len(page.items) == min(events_in(events), selectors.TIMELINE_PAGE_SIZE)
    assert page.has_next is (events > 1)


@pytest.mark.parametrize("events", [1, 55])
def test_filtered_timeline_queries(
    client_for: ClientFor, therapist: User, events: int, django_assert_num_queries
) -> None:
    record = record_with_events(therapist, events)
    web = client_for(therapist)

    with django_assert_num_queries(TIMELINE_ONE_KIND_QUERIES):
        response = web.get(url(record, kind="measures"))

    assert response.status_code == 200
    assert set(kinds_on(response)) == {"measures"}
    assert len(kinds_on(response)) == min(events, selectors.TIMELINE_PAGE_SIZE)


def test_the_first_page_is_newest_first_with_the_events_of_today_on_top(
    client_for: ClientFor, therapist: User
) -> None:
    record = record_with_events(therapist, 1)

    response = client_for(therapist).get(url(record))

    # Today: discharged (noon), intake started and completed, assigned. Then yesterday's
    # events: the date-only ones at noon (ties in kind order), the others at their time.
    assert kinds_on(response)[4:] == [
        "measures",
        "goals",
        "consent_revoked",
        "consent_signed",
        "goal_reviews",
        "harm_assessments",
        "plan_versions",
        "notes",
        "appointments",
        "appointments",
    ]
    assert sorted(kinds_on(response)[:4]) == [
        "assignment",
        "discharge",
        "intake_completed",
        "intake_started",
    ]


def test_page_two_holds_exactly_the_next_entries(client_for: ClientFor, therapist: User) -> None:
    record = record_with_events(therapist, 55)
    web = client_for(therapist)

    second = web.get(url(record, kind="measures", page="2"))

    page = second.context["page"]
    assert page.number == 2
    assert page.has_previous is True
    assert page.has_next is False
    # 55 PHQ-9s, one a day from yesterday back: page 2 holds days 51 to 55.
    assert [item.entry.at.date() for item in page.items] == [day(n) for n in range(51, 56)]
    nav = words(parse(second).xpath("//nav[@aria-label='Timeline pages']")[0].text_content())
    assert nav == "Newer Page 2"
    newer = parse(second).xpath("//a[@rel='prev']/@href")
    assert newer == ["?kind=measures&page=1"]


def test_pages_of_every_kind_cover_each_event_once(client_for: ClientFor, therapist: User) -> None:
    record = record_with_events(therapist, 55)
    web = client_for(therapist)
    seen: list[tuple[str, object]] = []
    number = 1
    while True:
        page = web.get(url(record, page=str(number))).context["page"]
        seen.extend((item.kind, item.entry) for item in page.items)
        if not page.has_next:
            break
        number += 1

    assert len(seen) == events_in(55) == 608
    assert len(set(seen)) == len(seen)
    assert number == 13


def test_the_kind_filter_lists_every_kind_in_order(client_for: ClientFor, therapist: User) -> None:
    record = record_with_events(therapist, 1)

    response = client_for(therapist).get(url(record, kind="goal_reviews"))

    select = parse(response).xpath("//select[@name='kind']")[0]
    options = [(o.get("value"), words(o.text_content())) for o in select.xpath("option")]
    assert options == [
        ("", "Every kind of event"),
        ("intake_started", "Intake started"),
        ("intake_completed", "Intake completed"),
        ("assignment", "Therapist assignments"),
        ("consent_signed", "Consents signed"),
        ("consent_revoked", "Consents revoked"),
        ("discharge", "Discharge"),
        ("medical", "Medical evaluations"),
        ("contacts", "Contacts outside sessions"),
        ("notes", "Session notes"),
        ("appointments", "Appointments"),
        ("technique_chains", "Use-episode chains"),
        ("technique_parts", "Voice-dialogue parts"),
        ("technique_scripts", "Script rewrites"),
        ("plan_versions", "Plan versions"),
        ("goals", "Goals set"),
        ("goal_reviews", "Goal reviews"),
        ("safety_plan", "Safety plan versions"),
        ("overdose_plan", "Overdose prevention plan versions"),
        ("tolerance", "Periods of lower tolerance"),
        ("measures", "Measures"),
        ("harm_assessments", "Harm assessments"),
        ("referrals", "Referrals"),
        ("risk_opened", "Risk flags opened"),
        ("risk_resolved", "Risk flags resolved"),
        ("supplies", "Supplies"),
        ("groups", "Group meetings"),
    ]
    assert select.xpath("option[@selected]/@value") == ["goal_reviews"]
    assert kinds_on(response) == ["goal_reviews"]


@pytest.mark.parametrize("kind", ["nonsense", "MEASURES", "measures'", "", "%00"])
def test_an_unknown_kind_shows_every_kind_and_says_so(
    client_for: ClientFor, therapist: User, kind: str
) -> None:
    record = record_with_events(therapist, 1)

    response = client_for(therapist).get(url(record, kind=kind))

    assert response.status_code == 200
    assert len(kinds_on(response)) == events_in(1)
    alert = parse(response).xpath("//section[@aria-labelledby='timeline-h']//div[@role='status']")
    expected = [] if kind == "" else ["There is no kind of event called that; showing every kind."]
    assert [words(a.text_content()) for a in alert] == expected


@pytest.mark.parametrize("page", ["abc", "0", "-1", "1.5", "99999999999999", "²"])
def test_a_bad_page_number_shows_the_first_page(
    client_for: ClientFor, therapist: User, page: str
) -> None:
    record = record_with_events(therapist, 1)

    response = client_for(therapist).get(url(record, page=page))

    assert response.status_code == 200
    assert response.context["page"].number == 1
    assert len(kinds_on(response)) == events_in(1)


def test_a_page_past_the_end_is_empty_and_says_so(client_for: ClientFor, therapist: User) -> None:
    record = record_with_events(therapist, 1)

    response = client_for(therapist).get(url(record, page="7"))

    assert kinds_on(response) == []
    assert "No events on this page." in words(parse(response).text_content())


def test_entries_show_title_detail_who_and_link(client_for: ClientFor, therapist: User) -> None:
    record = record_with_events(therapist, 1)

    response = client_for(therapist).get(url(record, kind="consent_revoked"))

    entry = parse(response).xpath("//li[@data-kind='consent_revoked']")[0]
    assert words(entry.text_content()) == (
        "Consents revoked Consent revoked: Agency 1 Revoked by The client"
    )
    assert entry.xpath("a/@href") == [reverse("clients:consents", kwargs={"pk": record.pk})]
    heading = parse(response).xpath("//h3")[0]
    assert entry.getparent().get("aria-labelledby") == heading.get("id")


# --- Access: who sees which sources, and a source registered by another app ------------------


@pytest.fixture
def registered_sources() -> Iterator[None]:
    """A READ and a TREATING source as another app would register them."""

    def rows(client: Client):
        return SubstanceUse.objects.filter(client=client).annotate(timeline_at=F("recorded_at"))

    def load(pks: list[int]) -> dict[int, extensions.TimelineEntry]:
        return {
            s.pk: extensions.TimelineEntry(at=s.recorded_at, title=f"Recorded {s.name}", who="Test")
            for s in SubstanceUse.objects.filter(pk__in=pks)
        }

    saved = dict(extensions.TIMELINE_SOURCES)
    extensions.register_timeline_source(
        extensions.TimelineSource(key="zz_read", label="Read kind", rows=rows, load=load)
    )
    extensions.register_timeline_source(
        extensions.TimelineSource(
            key="zz_treating",
            label="Treating kind",
            rows=rows,
            load=load,
            access=extensions.ChartSection.TREATING,
        )
    )
    yield
    extensions.TIMELINE_SOURCES.clear()
    extensions.TIMELINE_SOURCES.update(saved)


@pytest.mark.usefixtures("registered_sources")
def test_a_registered_source_is_listed_for_who_may_see_it(
    client_for: ClientFor, therapist: User, supervisor: User
) -> None:
    record = ClientFactory(therapist=therapist)
    kratom = SubstanceUseFactory(client=record, substance="other", substance_other="Kratom")

    own = client_for(therapist).get(url(record))
    supervised = client_for(supervisor).get(url(record))

    assert [k for k in kinds_on(own) if k.startswith("zz")] == ["zz_read", "zz_treating"]
    assert [k for k in kinds_on(supervised) if k.startswith("zz")] == ["zz_read"]
    entry = parse(own).xpath("//li[@data-kind='zz_read']")[0]
    shown = formats.time(kratom.recorded_at)
    assert words(entry.text_content()) == f"Read kind {shown} — Recorded Kratom By Test"
    # The supervisor may not ask for the treating clinician's kind either.
    asked = client_for(supervisor).get(url(record, kind="zz_treating"))
    assert "zz_treating" not in kinds_on(asked)
    assert asked.context["kind_error"] != ""


@pytest.mark.usefixtures("registered_sources")
def test_the_selector_reads_only_the_sources_the_reader_may_see(therapist: User) -> None:
    record = ClientFactory(therapist=therapist)
    SubstanceUseFactory(client=record)

    treating = selectors.timeline(client=record, can=TREATING, kind="zz_treating")
    supervising = selectors.timeline(client=record, can=SUPERVISING, kind="zz_treating")

    assert [item.kind for item in treating.items] == ["zz_treating"]
    assert supervising.items == []


@pytest.mark.parametrize("role", ROLE_FIXTURES)
def test_who_may_open_the_timeline(
    client_for: ClientFor, therapist: User, role: str, request: pytest.FixtureRequest
) -> None:
    record = record_with_events(therapist, 1)
    user = request.getfixturevalue(role)

    response = client_for(user).get(url(record))

    expected = {"therapist": 200, "supervisor": 200, "anonymous": 302}.get(role, 404)
    assert response.status_code == expected
    if expected == 200:
        assert len(kinds_on(response)) == events_in(1)


CARE_KINDS = [
    "contacts",
    "overdose_plan",
    "referrals",
    "risk_opened",
    "safety_plan",
    "supplies",
    "tolerance",
]


@pytest.mark.parametrize("events", [1, 20])
def test_every_kind_of_issue_15_shares_the_one_page_query(
    client_for: ClientFor, therapist: User, events: int, django_assert_num_queries
) -> None:
    """Risk flags, contacts outside sessions, referrals, safety and overdose plan versions,
    periods of lower tolerance and supplies join the same UNION ALL: one more query per kind
    on the page, never per row."""
    record = add_care_records(record_with_events(therapist, events), therapist, events)
    web = client_for(therapist)

    with django_assert_num_queries(TIMELINE_ALL_KINDS_QUERIES + len(CARE_KINDS)):
        response = web.get(url(record))

    assert response.status_code == 200
    page = response.context["page"]
    assert sorted({item.kind for item in page.items}) == sorted(ALL_KINDS + CARE_KINDS)
