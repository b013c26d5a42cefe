"""The chart's sections come from one registry (clients.extensions.CHART_SECTIONS) that each
app fills from its AppConfig.ready(): the tabs, their order, who sees them, and a URL that
resolves to the owning app's view whatever order hrp/urls.py includes the apps in."""

from __future__ import annotations

import sys
import types
from collections.abc import Callable

import pytest
from django.test import Client as HttpClient
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from lxml import html

import hrp.urls
from clients import extensions
from clients.models import Client
from hrp.accounts.models import User
from tests.clients.factories import ClientFactory

ClientFor = Callable[[User | None], HttpClient]

# key: (label, URL name, template, access), in tab order.
REGISTERED = {
    "overview": ("Overview", "clients:chart", "clients/chart_overview.html", "read"),
    "intake": ("Intake", "clients:intake", "clients/chart_intake.html", "read"),
    "medical": ("Medical evaluation", "clients:medical", "clients/chart_medical.html", "read"),
    "risk": ("Risk", "risk:section", "risk/chart_section.html", "read"),
    "assessments": (
        "Assessments",
        "assessments:section",
        "assessments/chart_section.html",
        "read",
    ),
    "plan": ("Plan and goals", "goals:section", "goals/chart_section.html", "read"),
    "safety": ("Safety", "safety:section", "safety/chart_section.html", "read"),
    "sessions": ("Sessions", "sessions:section", "sessions/chart_section.html", "read"),
    "techniques": ("Techniques", "techniques:section", "techniques/chart_section.html", "read"),
    "contacts": ("Contacts", "sessions:contacts", "sessions/contacts_section.html", "read"),
    "supplies": ("Supplies", "supplies:section", "supplies/chart_section.html", "read"),
    "groups": ("Groups", "groups:section", "groups/chart_section.html", "read"),
    "referrals": ("Referrals", "linkage:section", "linkage/chart_section.html", "read"),
    "billing": (
        "Diagnoses and billing",
        "billing:section",
        "billing/chart_section.html",
        "read",
    ),
    "summaries": ("Summaries", "summaries:section", "summaries/chart_section.html", "read"),
    "consents": ("Consents", "clients:consents", "clients/chart_consents.html", "read"),
    "disclosures": (
        "Disclosures",
        "disclosures:chart",
        "disclosures/chart_section.html",
        "read",
    ),
    "records": ("Record copies", "records:chart", "records/chart_section.html", "read"),
    "timeline": ("Timeline", "clients:timeline", "clients/chart_timeline.html", "read"),
    "access": (
        "Who accessed this record",
        "clients:access_log",
        "clients/chart_access.html",
        "treating",
    ),
}
# The view module of each section's owning app.
OWNER_MODULE = {
    "overview": "clients.views",
    "intake": "clients.views",
    "medical": "clients.views",
    "risk": "risk.views",
    "assessments": "assessments.views",
    "plan": "goals.views",
    "safety": "safety.views",
    "sessions": "sessions.views",
    "techniques": "techniques.views",
    "contacts": "sessions.contact_views",
    "supplies": "supplies.views",
    "groups": "groups.views",
    "referrals": "linkage.views",
    "billing": "billing.views",
    "summaries": "summaries.views",
    "consents": "clients.views",
    "disclosures": "disclosures.views",
    "records": "records.views",
    "timeline": "clients.views",
    "access": "clients.views",
}


def test_the_registry_holds_each_apps_sections_in_tab_order() -> None:
    assert {
        s.key: (str(s.label), s.url_name, s.template, s.access) for s in extensions.chart_sections()
    } == REGISTERED
    assert [s.key for s in extensions.chart_sections()] == list(REGISTERED)


def test_section_templates_live_with_their_app() -> None:
    for section in extensions.chart_sections():
        assert section.template.split("/")[0] == section.url_name.split(":")[0]


@pytest.mark.parametrize("key", list(REGISTERED))
def test_each_section_url_resolves_to_its_apps_view(key: str) -> None:
    section = extensions.chart_section(key)
    url = reverse(section.url_name, kwargs={"pk": 7})
    match = resolve(url)

    assert f"{match.namespace}:{match.url_name}" == section.url_name
    assert match.func.__module__ == OWNER_MODULE[key]


def _reachable(resolver: URLResolver, prefix: str = "") -> list[tuple[str, str]]:
    """(example path, "namespace:name") for every named pattern, with 7 for each int and a word
    for each slug or str."""
    found = []
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        for converter, sample in (("<int:", "7"), ("<slug:", "word"), ("<str:", "word")):
            while converter in route:
                start = route.index(converter)
                route = route[:start] + sample + route[route.index(">", start) + 1 :]
        if isinstance(pattern, URLResolver):
            found += [
                (path, f"{pattern.namespace}:{name}" if pattern.namespace else name)
                for path, name in _reachable(pattern, route)
            ]
        elif isinstance(pattern, URLPattern) and pattern.name:
            found.append((route, pattern.name))
    return found


def test_no_pattern_shadows_another_whatever_the_include_order(settings) -> None:
    """Every named URL resolves to itself with the includes in their order and reversed: no
    pattern answers a path meant for another app's."""
    forward = get_resolver()
    paths = _reachable(forward)
    assert len(paths) > 80  # guards the walk itself
    assert {name for _path, name in paths} >= {s.url_name for s in extensions.chart_sections()}

    reversed_urls = types.ModuleType("tests_reversed_urls")
    reversed_urls.urlpatterns = list(reversed(hrp.urls.urlpatterns))  # type: ignore[attr-defined]
    sys.modules["tests_reversed_urls"] = reversed_urls
    try:
        backward = get_resolver("tests_reversed_urls")
        for path, name in paths:
            for resolver in (forward, backward):
                match = resolver.resolve("/" + path)
                assert match.view_name == name, (path, match.view_name)
    finally:
        del sys.modules["tests_reversed_urls"]


def tab_links(response) -> list[tuple[str, str]]:
    """Every tab (label, href), in registered order, whether in the row or in "More"."""
    tree = html.fromstring(response.content)
    links = [
        (a.text_content().strip(), a.get("href"))
        for a in tree.xpath('//nav[@aria-label="Chart sections"]//a')
    ]
    order = [s.label for s in extensions.chart_sections()]
    return sorted(links, key=lambda link: order.index(link[0]))


@pytest.fixture
def record(therapist: User) -> Client:
    return ClientFactory(therapist=therapist)


def test_every_registered_section_shows_as_a_tab_for_the_treating_clinician(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    response = client_for(therapist).get(reverse("clients:chart", args=[record.pk]))

    assert tab_links(response) == [
        (label, reverse(url_name, args=[record.pk]))
        for label, url_name, _template, _access in REGISTERED.values()
    ]


def test_a_section_for_the_treating_clinician_is_no_tab_for_the_supervisor(
    client_for: ClientFor, supervisor: User, record: Client
) -> None:
    response = client_for(supervisor).get(reverse("clients:chart", args=[record.pk]))

    assert tab_links(response) == [
        (label, reverse(url_name, args=[record.pk]))
        for label, url_name, _template, access in REGISTERED.values()
        if access == "read"
    ]


def test_a_newly_registered_section_shows_as_a_tab_and_renders_its_template(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    """A section registered by an app appears in the shell without any change to clients."""
    extra = extensions.ChartSection(
        key="plan_again",
        label="Plan, again",
        url_name="goals:section",
        template="goals/chart_section.html",
        order=45,
    )
    extensions.register_chart_section(extra)
    try:
        response = client_for(therapist).get(reverse("goals:section", args=[record.pk]))
        labels = [label for label, _href in tab_links(response)]
    finally:
        del extensions.CHART_SECTIONS["plan_again"]

    assert response.status_code == 200
    # Order 45 ties with "safety" and sorts before it by key ("plan_again" < "safety").
    expected = [label for label, *_rest in REGISTERED.values()]
    expected.insert(expected.index("Plan and goals") + 1, "Plan, again")
    assert labels == expected
    assert resolve(reverse("goals:section", args=[record.pk])).func.__module__ == "goals.views"


def test_a_section_with_an_unknown_access_level_is_refused() -> None:
    with pytest.raises(ValueError):
        extensions.register_chart_section(
            extensions.ChartSection("x", "X", "clients:chart", "clients/x.html", 1, access="all")
        )
    assert "x" not in extensions.CHART_SECTIONS


# The tab row: the sections registered with primary=True, in order; the rest in "More".
PRIMARY = ["Overview", "Risk", "Assessments", "Plan and goals", "Safety", "Sessions"]


def row_and_more(response) -> tuple[list[tuple[str, str | None]], list[str]]:
    """(label, aria-current) of each tab in the row, and the labels in the "More" menu."""
    tree = html.fromstring(response.content)
    nav = tree.xpath('//nav[@aria-label="Chart sections"]')[0]
    row = [
        (a.text_content().strip(), a.get("aria-current"))
        for a in nav.xpath("./ul/li[contains(@class, 'nav-item')]/a")
    ]
    more = [a.text_content().strip() for a in nav.xpath(".//details//a")]
    return row, more


def test_primary_sections_are_declared_in_the_registry() -> None:
    assert [s.label for s in extensions.chart_sections() if s.primary] == PRIMARY


def test_the_tab_row_holds_the_primary_tabs_and_more_holds_the_rest(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    response = client_for(therapist).get(reverse("clients:chart", args=[record.pk]))

    row, more = row_and_more(response)
    assert row == [(label, "page" if label == "Overview" else None) for label in PRIMARY]
    assert more == [label for label, *_rest in REGISTERED.values() if label not in PRIMARY]
    tree = html.fromstring(response.content)
    assert [s.text_content() for s in tree.xpath("//nav//details/summary")] == [
        "More chart sections"
    ]


def test_a_section_from_more_names_the_more_menu_while_it_is_read(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    response = client_for(therapist).get(reverse("clients:timeline", args=[record.pk]))

    row, more = row_and_more(response)
    assert row == [(label, None) for label in PRIMARY]
    assert more == [label for label, *_rest in REGISTERED.values() if label not in PRIMARY]
    tree = html.fromstring(response.content)
    # "More" takes the current section's name, so the tab being read is always in sight.
    summary = tree.xpath("//nav//details/summary")[0]
    assert summary.get("class") == "nav-link active"
    assert summary.text_content() == "Timeline (current section), more chart sections"
    assert [a.text_content() for a in tree.xpath('//nav//details//a[@aria-current="page"]')] == [
        "Timeline"
    ]
    assert tree.findtext(".//title") == f"Timeline · {record.display_name} · HRP Clinic"
