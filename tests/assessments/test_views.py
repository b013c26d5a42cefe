"""Standard-measure pages: who may open and change what, bad and tampered input, corrections,
the suicide-risk follow-up, trends and the due list.

The assigned therapist gives measures and records follow-ups; their supervisor reads (403 on
writes); everyone else gets 404, because a client's existence is itself private. The due list
is a therapist's own page: any therapist has one, nobody else does.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.forms.models import model_to_dict
from django.http import HttpResponse
from django.test import Client as HttpClient
from django.urls import URLPattern, reverse
from django.utils import timezone

from assessments import urls as assessment_urls
from assessments.measures import GAD7, MEASURES, PHQ9
from assessments.models import Administration, ImmutableError
from clients.models import Client
from hrp import formats
from hrp.accounts.models import User
from hrp.audit.models import AuditEvent
from risk.models import RiskFlag
from tests.assessments.factories import AdministrationFactory, answers_for, local_noon
from tests.clients.factories import ClientFactory
from tests.clients.helpers import text
from tests.conftest import STAFF_ROLES
from tests.htmltext import cell_text, parse, table
from tests.risk.factories import resolve

ClientFor = Callable[[User | None], HttpClient]

SUICIDE_FLAG = "Suicide risk: follow-up needed"
ACUTE_SUICIDE_FLAG = "Acute suicide risk: follow-up needed"
PHQ9_Q9_ABOVE_0 = {**answers_for(PHQ9, 6), "q9": "2"}  # 8 points (mild), question 9 at 2


@pytest.fixture
def flagged(record: Client) -> Administration:
    """A PHQ-9 given yesterday with question 9 answered above 0: the flag is open."""
    return AdministrationFactory(client=record, answers=PHQ9_Q9_ABOVE_0)


def _state() -> tuple[list[dict[str, Any]], list[dict[str, Any]], int]:
    """Everything a measure write could change: administrations, risk flags, change events."""
    return (
        [model_to_dict(a) for a in Administration.objects.order_by("pk")],
        [model_to_dict(f) for f in RiskFlag.objects.order_by("pk")],
        AuditEvent.objects.filter(category=AuditEvent.Category.CHANGE).count(),
    )


def _local_input(moment: datetime.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def _short_date(moment: datetime.datetime) -> str:
    return formats.date(moment)


# --- Access matrix -----------------------------------------------------------------------------


def _statuses(therapist: int, supervisor: int) -> dict[str, int]:
    return {
        "therapist": therapist,
        "other_therapist": 404,
        "supervisor": supervisor,
        "other_supervisor": 404,
        "clinic_admin": 404,
    }


EXPECTED_GET: dict[str, dict[str, int]] = {
    "section": _statuses(200, 200),
    "administer": _statuses(200, 403),
    "trend": _statuses(200, 200),
    "administration": _statuses(200, 200),
    # A therapist's own page: another therapist has theirs (without this client on it).
    "due": {**_statuses(200, 404), "other_therapist": 200},
}


def page_url(name: str, *, record: Client, administration: Administration) -> str:
    kwargs: dict[str, Any] = {"pk": record.pk}
    if name in ("administer", "trend"):
        kwargs["code"] = "PHQ9"
    elif name == "administration":
        kwargs["administration_pk"] = administration.pk
    elif name == "due":
        kwargs = {}
    return reverse(f"assessments:{name}", kwargs=kwargs)


def test_the_matrix_covers_every_measure_url() -> None:
    names = {
        p.name
        for p in assessment_urls.urlpatterns
        if isinstance(p, URLPattern) and not p.name.startswith("harm_")
    }
    assert names == set(EXPECTED_GET)


@pytest.mark.parametrize("role", STAFF_ROLES)
@pytest.mark.parametrize("name", list(EXPECTED_GET))
def test_get_status_by_role(
    request: pytest.FixtureRequest,
    client_for: ClientFor,
    record: Client,
    flagged: Administration,
    name: str,
    role: str,
) -> None:
    user = request.getfixturevalue(role)
    url = page_url(name, record=record, administration=flagged)

    response = client_for(user).get(url)

    assert response.status_code == EXPECTED_GET[name][role]


@pytest.mark.parametrize("name", list(EXPECTED_GET))
@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_is_sent_to_sign_in(
    client_for: ClientFor, record: Client, flagged: Administration, name: str, method: str
) -> None:
    url = page_url(name, record=record, administration=flagged)
    before = _state()

    response = getattr(client_for(None), method)(url)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?next={url}"
    assert _state() == before


def test_the_due_list_of_another_therapist_does_not_show_this_client(
    client_for: ClientFor, record: Client, other_therapist: User
) -> None:
    AdministrationFactory(client=record, administered_at=local_noon(60))

    response = client_for(other_therapist).get(reverse("assessments:due"))

    assert response.context["rows"] == []
    assert record.display_name not in text(response)


POST_EXPECTED = _statuses(302, 403)


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_administer_post_by_role(
    request: pytest.FixtureRequest, client_for: ClientFor, record: Client, role: str
) -> None:
    user = request.getfixturevalue(role)
    url = reverse("assessments:administer", kwargs={"pk": record.pk, "code": "GAD7"})
    before = _state()

    response = client_for(user).post(url, answers_for(GAD7, 10))

    assert response.status_code == POST_EXPECTED[role]
    if role == "therapist":
        administration = Administration.objects.get()
        assert response["Location"] == reverse(
            "assessments:trend", kwargs={"pk": record.pk, "code": "GAD7"}
        )
        assert (administration.client, administration.score, administration.band) == (
            record,
            10,
            "moderate",
        )
        assert administration.administered_by == user
    else:
        assert _state() == before


def test_an_administration_of_another_client_is_not_found_through_this_one(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    elsewhere = AdministrationFactory(client=ClientFactory(), answers=PHQ9_Q9_ABOVE_0)
    web = client_for(therapist)
    before = _state()

    detail = web.get(page_url("administration", record=record, administration=elsewhere))
    correction = web.post(
        reverse("assessments:administer", kwargs={"pk": record.pk, "code": "PHQ9"}),
        {**answers_for(PHQ9, 3), "corrects": elsewhere.pk, "correction_reason": "Typo"},
    )

    assert (detail.status_code, correction.status_code) == (404, 404)
    assert _state() == before


@pytest.mark.parametrize("code", ["XYZ", "phq9", "PHQ-9"])
def test_an_unknown_measure_page_is_not_found(
    client_for: ClientFor, therapist: User, record: Client, code: str
) -> None:
    web = client_for(therapist)

    administer = web.get(reverse("assessments:administer", kwargs={"pk": record.pk, "code": code}))
    trend = web.get(reverse("assessments:trend", kwargs={"pk": record.pk, "code": code}))

    assert (administer.status_code, trend.status_code) == (404, 404)


# --- Administering: bad and tampered input -----------------------------------------------------


def _administer_url(record: Client, code: str = "PHQ9") -> str:
    return reverse("assessments:administer", kwargs={"pk": record.pk, "code": code})


CHECKED = re.compile(r'name="(q\d+)" id="q\d+-[^"]+" value="([^"]+)" checked')


def test_the_form_offers_every_item_with_its_choices(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    response = client_for(therapist).get(_administer_url(record, "DAST10"))

    radios = re.findall(r'type="radio" name="(q\d+)" id="[^"]+" value="([^"]+)"', text(response))
    assert radios == [(f"q{i}", value) for i in range(1, 11) for value in ("yes", "no")]
    assert CHECKED.findall(text(response)) == []


@pytest.mark.parametrize("code", list(MEASURES))
def test_every_shipped_measure_can_be_given(
    client_for: ClientFor, therapist: User, record: Client, code: str
) -> None:
    measure = MEASURES[code]

    response = client_for(therapist).get(_administer_url(record, code))

    assert response.status_code == 200
    legends = re.findall(r'<legend class="h6">(.*?)</legend>', text(response))
    assert legends == [f"{n}. {item.text}" for n, item in enumerate(measure.items, start=1)]


def test_missing_answers_re_render_with_a_message_per_item_and_keep_the_answers(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    answered = {"q1": "2", "q2": "1", "q3": "3", "q4": "0", "q5": "1", "q6": "2"}
    before = _state()

    response = client_for(therapist).post(_administer_url(record), {**answered, "q8": ""})

    assert response.status_code == 200
    page = text(response)
    assert page.count("Please answer this question.") == 3
    assert re.findall(r'id="err-(q\d+)">Please answer this question.', page) == ["q7", "q8", "q9"]
    assert (
        "3 questions are not answered yet. Nothing was saved; your answers are kept below." in page
    )
    assert CHECKED.findall(page) == list(answered.items())
    assert _state() == before


def test_one_missing_answer_is_counted_in_the_singular(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    answers = answers_for(GAD7, 9)
    del answers["q7"]
    before = _state()

    response = client_for(therapist).post(_administer_url(record, "GAD7"), answers)

    page = text(response)
    assert response.status_code == 200
    assert page.count("Please answer this question.") == 1
    assert "1 question is not answered yet. Nothing was saved" in page
    assert CHECKED.findall(page) == list(answers.items())
    assert _state() == before


@pytest.mark.parametrize(
    "code, data",
    [
        ("XYZ", answers_for(PHQ9, 5)),
        ("PHQ9", {**answers_for(PHQ9, 5), "q10": "1"}),
        ("PHQ9", {**answers_for(PHQ9, 5), "q3": "7"}),
        ("PHQ9", {**answers_for(PHQ9, 5), "score": "0"}),
        ("AUDIT", {**answers_for(MEASURES["AUDIT"], 5), "q9": "3"}),
        ("DAST10", {**answers_for(MEASURES["DAST10"], 5), "q3": "maybe"}),
        # Tampering wins over missing answers: the submission is not from our form at all.
        ("PHQ9", {"q1": "7"}),
    ],
    ids=[
        "unknown-measure",
        "extra-item",
        "value-7",
        "posted-score",
        "audit-q9-3",
        "dast-maybe",
        "mixed",
    ],
)
def test_tampered_posts_are_400_and_store_nothing(
    client_for: ClientFor, therapist: User, record: Client, code: str, data: dict[str, str]
) -> None:
    before = _state()

    response = client_for(therapist).post(_administer_url(record, code), data)

    assert response.status_code == 400
    assert _state() == before


# --- Corrections -------------------------------------------------------------------------------


def _trend_scores(response: HttpResponse) -> list[tuple[int, int]]:
    return [(p.administration.pk, p.score) for p in response.context["trend"].points]


@pytest.mark.parametrize("raw", ["²", "٣", "-1", "99999999999999999999", "1.0"])
def test_a_corrects_parameter_that_is_not_an_id_is_not_found(
    client_for: ClientFor, therapist: User, record: Client, raw: str
) -> None:
    """Issue 13: ?corrects=² answered 500 (str.isdigit() accepts superscripts; int() does
    not). Ids are read by hrp.bounds.parse_pk."""
    response = client_for(therapist).get(_administer_url(record), {"corrects": raw})

    assert response.status_code == 404


def test_a_correction_is_a_new_administration_and_the_trend_uses_it(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    first = AdministrationFactory(client=record, raw_total=12, administered_at=local_noon(60))
    second = AdministrationFactory(client=record, raw_total=9, administered_at=local_noon(30))
    third = AdministrationFactory(client=record, raw_total=6, administered_at=local_noon(2))
    first_before = model_to_dict(first)
    web = client_for(therapist)
    form = web.get(f"{_administer_url(record)}?corrects={first.pk}")
    assert "This corrects the administration of" in text(form)
    assert f'name="corrects" value="{first.pk}"' in text(form)

    response = web.post(
        _administer_url(record),
        {
            **answers_for(PHQ9, 17),
            "corrects": first.pk,
            "correction_reason": "Question 2 was entered on the wrong line.",
        },
    )

    assert response.status_code == 302
    correction = Administration.objects.get(corrects=first)
    assert (correction.score, correction.band, correction.correction_reason) == (
        17,
        "moderately_severe",
        "Question 2 was entered on the wrong line.",
    )
    # The correction stands where the corrected one stood: same moment with the client.
    assert correction.administered_at == first.administered_at
    assert model_to_dict(Administration.objects.get(pk=first.pk)) == first_before
    assert AuditEvent.objects.get(action="measure.administer").changes["corrects"] == [
        None,
        first.pk,
    ]
    trend = web.get(reverse("assessments:trend", kwargs={"pk": record.pk, "code": "PHQ9"}))
    assert _trend_scores(trend) == [(correction.pk, 17), (second.pk, 9), (third.pk, 6)]
    assert trend.context["trend"].change_since_first == -11
    detail = web.get(page_url("administration", record=record, administration=first))
    assert "Corrected by a later administration:" in text(detail)
    assert "Correct this administration" not in text(detail)


def test_correcting_twice_is_refused_and_stores_nothing(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    original = AdministrationFactory(client=record, raw_total=12)
    AdministrationFactory(
        client=record, raw_total=13, corrects=original, correction_reason="First fix"
    )
    before = _state()

    response = client_for(therapist).post(
        _administer_url(record),
        {**answers_for(PHQ9, 14), "corrects": original.pk, "correction_reason": "Second fix"},
    )

    assert response.status_code == 200
    page = text(response)
    assert "Nothing was saved; your answers are kept below." in page
    assert "This administration has already been corrected." in page
    # Every question was answered: the page must not claim otherwise.
    assert "not answered yet" not in page
    assert _state() == before


def test_a_correction_needs_a_reason(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    original = AdministrationFactory(client=record, raw_total=12)
    answers = answers_for(PHQ9, 14)
    before = _state()

    response = client_for(therapist).post(
        _administer_url(record), {**answers, "corrects": original.pk, "correction_reason": "  "}
    )

    assert response.status_code == 200
    page = text(response)
    assert "Say what the correction fixes." in page
    assert "not answered yet" not in page
    assert CHECKED.findall(page) == list(answers.items())
    assert _state() == before


def test_a_correction_of_another_measure_is_not_found(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    gad7 = AdministrationFactory(client=record, measure_code="GAD7", raw_total=8)
    before = _state()

    response = client_for(therapist).post(
        _administer_url(record),
        {**answers_for(PHQ9, 8), "corrects": gad7.pk, "correction_reason": "Wrong form"},
    )

    assert response.status_code == 404
    assert _state() == before


def test_a_submitted_administration_is_never_edited_or_deleted(record: Client) -> None:
    administration = AdministrationFactory(client=record, raw_total=12)
    administration.score = 3

    with pytest.raises(ImmutableError):
        administration.save()
    with pytest.raises(ImmutableError):
        administration.delete()

    assert Administration.objects.get(pk=administration.pk).score == 12


# --- Suicide-risk follow-up --------------------------------------------------------------------


def _header_flags(web: HttpClient, record: Client) -> list[str]:
    response = web.get(reverse("clients:chart", kwargs={"pk": record.pk}))
    return [flag.label for flag in response.context["flags"]]


def _caseload_flags(web: HttpClient) -> tuple[list[list[str]], str]:
    response = web.get(reverse("clients:caseload"))
    return [[f.label for f in flags] for _c, flags, _s in response.context["rows"]], text(response)


def test_the_flag_shows_on_the_chart_and_caseload_until_resolved(
    client_for: ClientFor, therapist: User, record: Client, flagged: Administration
) -> None:
    """The follow-up itself is the risk app's (tests/risk); here: the PHQ-9's flag is shown
    and the administration's page links to it."""
    web = client_for(therapist)
    assert _header_flags(web, record) == [ACUTE_SUICIDE_FLAG]
    rows, page = _caseload_flags(web)
    assert rows == [[ACUTE_SUICIDE_FLAG]]
    assert ACUTE_SUICIDE_FLAG in page
    flag = RiskFlag.objects.get()
    detail = web.get(page_url("administration", record=record, administration=flagged))
    assert parse(detail).xpath('//section[@aria-labelledby="fu-h"]//a/@href') == [
        reverse("risk:flag", args=[record.pk, flag.pk])
    ]

    resolve(flag)

    assert _header_flags(web, record) == []
    rows, _page = _caseload_flags(web)
    assert rows == [[]]


# --- Trends ------------------------------------------------------------------------------------


def table_rows(response: HttpResponse) -> list[list[str]]:
    """The text of each cell of each row in a page's table bodies."""
    return table(response)[1]


def trend_data(response: HttpResponse) -> dict[str, Any]:
    found = parse(response).xpath('//script[@id="trend-data"]')
    assert len(found) == 1
    return json.loads(found[0].text)


def change_summary(response: HttpResponse) -> str:
    found = parse(response).xpath('//p[@class="mt-3"]')
    assert found
    return cell_text(found[0])


def _series(record: Client, code: str, raw_totals: list[int]) -> list[Administration]:
    """Administrations of `code` at the given raw totals, 30 days apart, the last 2 days ago."""
    count = len(raw_totals)
    return [
        AdministrationFactory(
            client=record,
            measure_code=code,
            raw_total=raw,
            administered_at=local_noon(2 + 30 * (count - 1 - index)),
        )
        for index, raw in enumerate(raw_totals)
    ]


def _trend(web: HttpClient, record: Client, code: str) -> HttpResponse:
    return web.get(reverse("assessments:trend", kwargs={"pk": record.pk, "code": code}))


def test_phq_9_trend_marks_a_drop_of_5_but_not_4(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    given = _series(record, "PHQ9", [20, 15, 11, 10])
    AdministrationFactory(client=record, measure_code="GAD7", raw_total=3)  # another measure

    response = _trend(client_for(therapist), record, "PHQ9")

    assert response.status_code == 200
    assert change_summary(response) == (
        "Change since the first: -10 (a meaningful improvement). "
        "Change since the previous: -1. Lower scores mean fewer difficulties."
    )
    dates = [_short_date(a.administered_at) for a in given]
    assert table_rows(response) == [
        [dates[0], "20", "Severe", "—"],
        [dates[1], "15", "Moderately severe", "-5 (meaningful)"],
        [dates[2], "11", "Moderate", "-4"],
        [dates[3], "10", "Moderate", "-1"],
    ]
    assert trend_data(response) == {
        "label": "PHQ-9",
        "max": 27,
        "higherIsBetter": False,
        "points": [
            {"x": formats.date(a.administered_at), "y": score}
            for a, score in zip(given, [20, 15, 11, 10], strict=True)
        ],
        "bands": [
            {"low": 0, "high": 4, "label": "Minimal"},
            {"low": 5, "high": 9, "label": "Mild"},
            {"low": 10, "high": 14, "label": "Moderate"},
            {"low": 15, "high": 19, "label": "Moderately severe"},
            {"low": 20, "high": 27, "label": "Severe"},
        ],
    }
    # An access to the record is logged; nothing is changed by reading.
    assert AuditEvent.objects.filter(action="client.view.measure.PHQ9").count() == 1


def test_gad_7_trend_marks_a_change_of_4_but_not_3(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    given = _series(record, "GAD7", [6, 10, 7])

    response = _trend(client_for(therapist), record, "GAD7")

    assert change_summary(response) == (
        "Change since the first: 1. Change since the previous: -3. "
        "Lower scores mean fewer difficulties."
    )
    dates = [_short_date(a.administered_at) for a in given]
    assert table_rows(response) == [
        [dates[0], "6", "Mild", "—"],
        [dates[1], "10", "Moderate", "+4 (meaningful)"],
        [dates[2], "7", "Mild", "-3"],
    ]
    assert [p["y"] for p in trend_data(response)["points"]] == [6, 10, 7]


def test_gad_7_trend_marks_a_meaningful_worsening_as_a_change(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    _series(record, "GAD7", [5, 9])

    response = _trend(client_for(therapist), record, "GAD7")

    assert change_summary(response) == (
        "Change since the first: 4 (a meaningful change). "
        "Change since the previous: 4 (a meaningful change). "
        "Lower scores mean fewer difficulties."
    )


def test_who_5_trend_marks_10_of_100(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    given = _series(record, "WHO5", [10, 13, 15])  # 40, 52, 60 of 100

    response = _trend(client_for(therapist), record, "WHO5")

    assert change_summary(response) == (
        "Change since the first: 20 (a meaningful improvement). "
        "Change since the previous: 8. Higher scores mean more wellbeing."
    )
    dates = [_short_date(a.administered_at) for a in given]
    assert table_rows(response) == [
        [dates[0], "40%", "Poor wellbeing", "—"],
        [dates[1], "52%", "Adequate wellbeing", "+12 (meaningful)"],
        [dates[2], "60%", "Adequate wellbeing", "+8"],
    ]
    data = trend_data(response)
    assert (data["max"], data["higherIsBetter"], [p["y"] for p in data["points"]]) == (
        100,
        True,
        [40, 52, 60],
    )
    assert data["bands"] == [
        {"low": 0, "high": 48, "label": "Poor wellbeing"},
        {"low": 52, "high": 100, "label": "Adequate wellbeing"},
    ]


def test_a_trend_of_one_shows_no_change_and_none_shows_not_given(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    AdministrationFactory(client=record, measure_code="AUDIT", raw_total=21)
    web = client_for(therapist)

    one = _trend(web, record, "AUDIT")
    none = _trend(web, record, "DAST10")

    assert change_summary(one) == "Lower scores mean fewer difficulties."
    assert [row[1:] for row in table_rows(one)] == [["21", "Possible dependence", "—"]]
    assert none.status_code == 200
    assert "Not given yet." in text(none)
    assert 'id="trend-data"' not in text(none)
    # The latest AUDIT at its threshold is a screening result, shown apart from the flags.
    assert [f.label for f in one.context["screening"]] == ["AUDIT 21: possible dependence"]
    assert [f.label for f in one.context["flags"]] == []


def test_the_supervisor_reads_the_trend_without_the_give_button(
    client_for: ClientFor, supervisor: User, record: Client
) -> None:
    _series(record, "PHQ9", [12, 6])

    response = _trend(client_for(supervisor), record, "PHQ9")

    assert response.status_code == 200
    assert [p["y"] for p in trend_data(response)["points"]] == [12, 6]
    assert "Give PHQ-9" not in " ".join(text(response).split())


def test_the_detail_page_shows_each_answer_with_its_points(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    answers = {**{key: "no" for key in MEASURES["DAST10"].item_keys}, "q1": "yes", "q3": "no"}
    administration = AdministrationFactory(client=record, measure_code="DAST10", answers=answers)

    response = client_for(therapist).get(
        page_url("administration", record=record, administration=administration)
    )

    rows = table_rows(response)
    assert [(row[0], row[2], row[3]) for row in rows] == [
        ("1", "Yes", "1"),
        ("2", "No", "0"),
        ("3", "No", "1"),  # reverse-scored
        *[(str(n), "No", "0") for n in range(4, 11)],
    ]
    assert "Score 2 (Low), given by Tess Therapist." in text(response)


# --- Chart section and caseload column ---------------------------------------------------------


def test_the_chart_section_lists_each_measure_with_its_latest_score(
    client_for: ClientFor, therapist: User, record: Client, settings: Any
) -> None:
    settings.MEASURE_INTERVAL_WEEKS = {"PHQ9": 4, "GAD7": 4, "WHO5": 4, "AUDIT": 12}
    AdministrationFactory(client=record, raw_total=14, administered_at=local_noon(40))
    latest = AdministrationFactory(client=record, raw_total=8, administered_at=local_noon(29))
    AdministrationFactory(client=record, measure_code="WHO5", raw_total=14)

    response = client_for(therapist).get(reverse("assessments:section", kwargs={"pk": record.pk}))

    assert response.status_code == 200
    assert [(m.code, a.score if a else None) for m, a in response.context["measures"]] == [
        ("PHQ9", 8),
        ("GAD7", None),
        ("AUDIT", None),
        ("AUDITC", None),
        ("DAST10", None),
        ("WHO5", 56),
    ]
    due = response.context["due"]
    assert [(d.measure.code, d.last, d.due_on, d.overdue) for d in due] == [
        ("PHQ9", latest, timezone.localdate() - datetime.timedelta(days=1), True)
    ]
    assert table_rows(response)[0] == [
        "PHQ-9",
        "8 (mild)",
        _short_date(latest.administered_at),
        "Trend PHQ-9 Give PHQ-9",
    ]
    assert [f.label for f in response.context["flags"]] == ["Measures due: PHQ-9"]


def caseload_measures(response: HttpResponse) -> list[str]:
    """The "Latest measures" cell of each caseload row, as text."""
    cells = re.findall(r'<ul class="[^"]*caseload-measures">(.*?)</ul>', response.content.decode())
    return [" ".join(re.sub(r"<[^>]+>", "", cell).split()) for cell in cells]


def test_the_caseload_shows_the_latest_scores_in_order(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    AdministrationFactory(client=record, measure_code="WHO5", raw_total=12)
    AdministrationFactory(client=record, measure_code="AUDIT", raw_total=20)
    AdministrationFactory(client=record, raw_total=22, administered_at=local_noon(20))
    AdministrationFactory(client=record, raw_total=9, administered_at=local_noon(3))
    AdministrationFactory(
        client=record, measure_code="AUDITC", raw_total=4, administered_at=local_noon(9)
    )
    AdministrationFactory(client=record, measure_code="AUDITC", raw_total=10)

    response = client_for(therapist).get(reverse("clients:caseload"))

    # Every measure in the registry's order, the latest result of each, the band in a word.
    assert caseload_measures(response) == [
        "PHQ-9 9 mild · AUDIT 20 possible dependence · AUDIT-C 10 positive"
        " · WHO-5 48% poor wellbeing"
    ]
    # A screening result is in the Screening column, not among the flags beside risk.
    assert [
        ([f.label for f in flags], [f.label for f in screening])
        for _c, flags, screening in response.context["rows"]
    ] == [([], ["AUDIT 20: possible dependence"])]


@pytest.mark.parametrize(
    ("raw_total", "shown"),
    [(2, "AUDIT-C 2 negative"), (3, "AUDIT-C 3 positive for women"), (4, "AUDIT-C 4 positive")],
)
def test_the_caseload_shows_an_audit_c_alone(
    client_for: ClientFor, therapist: User, record: Client, raw_total: int, shown: str
) -> None:
    AdministrationFactory(client=record, measure_code="AUDITC", raw_total=raw_total)

    response = client_for(therapist).get(reverse("clients:caseload"))

    assert caseload_measures(response) == [shown]


def test_the_caseload_shows_every_measure_of_the_registry(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    for code in MEASURES:
        AdministrationFactory(client=record, measure_code=code, raw_total=1)

    response = client_for(therapist).get(reverse("clients:caseload"))

    [cell] = caseload_measures(response)
    assert [part.split(" ")[0] for part in cell.split(" · ")] == [m.name for m in MEASURES.values()]


def test_the_chart_section_shows_the_band_in_a_word(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    AdministrationFactory(client=record, measure_code="AUDITC", raw_total=10)

    response = client_for(therapist).get(reverse("assessments:section", kwargs={"pk": record.pk}))

    rows = re.findall(r'<th scope="row">AUDIT-C</th>\s*<td>(.*?)</td>', response.content.decode())
    assert rows == ["10 (positive)"]


# --- Due list ----------------------------------------------------------------------------------


def _due_rows(response: HttpResponse) -> list[tuple[str, list[tuple[str, datetime.date, bool]]]]:
    return [
        (client.display_name, [(d.measure.code, d.due_on, d.overdue) for d in due])
        for client, due in response.context["rows"]
    ]


def test_the_due_list_follows_the_clinic_interval(
    client_for: ClientFor, therapist: User, other_therapist: User, settings: Any
) -> None:
    settings.MEASURE_INTERVAL_WEEKS = {"PHQ9": 4, "GAD7": 4, "WHO5": 4, "AUDIT": 12}
    today = timezone.localdate()
    overdue = ClientFactory(therapist=therapist, preferred_name="Ana")
    AdministrationFactory(client=overdue, administered_at=local_noon(29))
    AdministrationFactory(client=overdue, measure_code="AUDIT", administered_at=local_noon(29))
    due_in_7 = ClientFactory(therapist=therapist, preferred_name="Ben")
    AdministrationFactory(client=due_in_7, administered_at=local_noon(21))
    due_in_8 = ClientFactory(therapist=therapist, preferred_name="Cai")
    AdministrationFactory(client=due_in_8, administered_at=local_noon(20))
    ClientFactory(therapist=therapist, preferred_name="Dee")  # never given: not due
    discharged = ClientFactory(
        therapist=therapist, preferred_name="Eli", status="discharged", discharged_on=today
    )
    AdministrationFactory(client=discharged, administered_at=local_noon(60))
    AdministrationFactory(
        client=ClientFactory(therapist=other_therapist), administered_at=local_noon(60)
    )

    response = client_for(therapist).get(reverse("assessments:due"))

    assert response.status_code == 200
    assert _due_rows(response) == [
        ("Ana", [("PHQ9", today - datetime.timedelta(days=1), True)]),
        ("Ben", [("PHQ9", today + datetime.timedelta(days=7), False)]),
    ]
    page = " ".join(re.sub(r"<[^>]+>", " ", text(response)).split())
    yesterday = formats.date(today - datetime.timedelta(days=1))
    in_a_week = formats.date(today + datetime.timedelta(days=7))
    assert f"PHQ-9 overdue since {yesterday}" in page
    assert f"PHQ-9 due {in_a_week}" in page


def test_the_due_list_uses_the_latest_and_the_settings_override(
    client_for: ClientFor, therapist: User, record: Client, settings: Any
) -> None:
    settings.MEASURE_INTERVAL_WEEKS = {"PHQ9": 2}
    AdministrationFactory(client=record, administered_at=local_noon(50))
    AdministrationFactory(client=record, administered_at=local_noon(20))
    AdministrationFactory(client=record, measure_code="GAD7", administered_at=local_noon(20))

    response = client_for(therapist).get(reverse("assessments:due"))

    today = timezone.localdate()
    # PHQ-9 every 2 weeks: the latest, 20 days ago, ran out 6 days ago. GAD-7 falls back to
    # the registry's 4 weeks: due in 8 days, past this week.
    assert _due_rows(response) == [("Robin", [("PHQ9", today - datetime.timedelta(days=6), True)])]


def test_nothing_due_says_so(client_for: ClientFor, therapist: User, record: Client) -> None:
    AdministrationFactory(client=record, administered_at=local_noon(1))

    response = client_for(therapist).get(reverse("assessments:due"))

    assert response.context["rows"] == []
    assert "Nothing due this week." in text(response)
