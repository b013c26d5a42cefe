"""The client's page (no sign-in) and the clinician's page of links: statuses per role, the flow,
Spanish, throttling, and a token that opens nothing else."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client as WebClient
from django.urls import reverse

from assessments.models import Administration
from clients.models import Client
from hrp.accounts.models import User
from hrp.audit.models import AuditEvent
from selfreport import services, throttle
from selfreport.models import ClientLink
from tests.core.test_urls import PUBLIC_URL_NAMES, all_urls
from tests.safety.helpers import overdose_version, safety_version
from tests.selfreport.helpers import PHQ9_ALL, PHQ9_NO_RISK

pytestmark = pytest.mark.django_db


def _link(therapist: User, record: Client, language: str = "en") -> tuple[ClientLink, str]:
    return services.link_send(
        actor=therapist, client=record, measure_code="PHQ9", language=language
    )


def test_the_client_opens_answers_and_sees_a_plain_thank_you(
    therapist: User, record: Client
) -> None:
    link, token = _link(therapist, record)
    web = WebClient()

    page = web.get(f"/r/{token}/")
    assert page.status_code == 200
    html = page.content.decode()
    # Nothing of the record: no name, no chart number, no measure name.
    for private in ("Robin", record.chart_number, "PHQ", "<script"):
        assert private not in html
    assert html.count('type="radio"') == 9 * 4

    done = web.post(f"/r/{token}/", PHQ9_NO_RISK)
    assert done.status_code == 200
    assert "Your answers reached your therapist." in done.content.decode()
    assert "988" not in done.content.decode()
    assert Administration.objects.get().source == "client"
    assert list(
        AuditEvent.objects.filter(object_type=link._meta.label_lower, object_id=str(link.pk))
        .order_by("id")
        .values_list("action", "path")
    ) == [
        ("self_report.link_send", ""),
        ("self_report.link_open", "/r/(link)/"),
        ("self_report.link_submit", "/r/(link)/"),
    ]

    again = web.post(f"/r/{token}/", PHQ9_NO_RISK)
    assert again.status_code == 410
    assert "You have already sent your answers" in again.content.decode()
    assert Administration.objects.count() == 1


def test_a_missing_answer_keeps_the_others(therapist: User, record: Client) -> None:
    _link_row, token = _link(therapist, record)
    answers = dict(PHQ9_NO_RISK)
    del answers["q3"]

    page = WebClient().post(f"/r/{token}/", answers)

    assert page.status_code == 200
    html = page.content.decode()
    assert "1 question is not answered yet. Nothing was sent" in html
    assert html.count("checked") == 8
    assert Administration.objects.count() == 0


def test_question_9_shows_the_crisis_lines_right_after_sending(
    therapist: User, record: Client
) -> None:
    _link_row, token = _link(therapist, record)

    page = WebClient().post(f"/r/{token}/", PHQ9_ALL)

    assert page.status_code == 200
    assert "988 Suicide &amp; Crisis Lifeline: call or text 988, any time" in page.content.decode()


def test_the_spanish_page_says_the_questions_are_in_english_only(
    therapist: User, record: Client
) -> None:
    _link_row, token = _link(therapist, record, language="es")

    page = WebClient().get(f"/r/{token}/")

    html = page.content.decode()
    assert '<html lang="es">' in html
    assert "Por ahora, estas preguntas solo están disponibles en inglés." in html
    assert "Enviar mis respuestas" in html
    # The questions keep their official English wording, marked as English.
    assert '<legend lang="en">1. Little interest or pleasure in doing things</legend>' in html

    done = WebClient().post(f"/r/{token}/", PHQ9_ALL)
    assert "Sus respuestas llegaron a su terapeuta." in done.content.decode()


@pytest.mark.parametrize("state", ["unknown", "withdrawn", "expired"])
def test_a_link_that_does_not_work_says_so_in_both_languages(
    therapist: User, record: Client, state: str
) -> None:
    link, token = _link(therapist, record)
    if state == "unknown":
        token = "x" * 43
    elif state == "withdrawn":
        services.link_revoke(actor=therapist, link=link)
    else:
        ClientLink.objects.filter(pk=link.pk).update(expires_at=link.created_at)

    page = WebClient().get(f"/r/{token}/")

    assert page.status_code == (404 if state == "unknown" else 410)
    html = page.content.decode()
    assert "This link does not work any more" in html
    assert "Este enlace ya no funciona" in html


def test_throttled_per_token(therapist: User, record: Client) -> None:
    _link_row, token = _link(therapist, record)
    web = WebClient()

    statuses = [web.get(f"/r/{token}/").status_code for _ in range(throttle.PER_TOKEN + 1)]

    assert statuses == [200] * throttle.PER_TOKEN + [429]


def test_throttled_per_address_whatever_the_token(therapist: User, record: Client) -> None:
    web = WebClient()

    statuses = [web.get(f"/r/guess{i}/").status_code for i in range(throttle.PER_ADDRESS + 1)]

    assert statuses == [404] * throttle.PER_ADDRESS + [429]
    # Another address is counted apart.
    assert WebClient(REMOTE_ADDR="10.0.0.9").get("/r/guess/").status_code == 404


# --- The clinician's page ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "get_status", "post_status"),
    [
        ("therapist", 200, 302),
        ("supervisor", 200, 403),
        ("other_therapist", 404, 404),
        ("other_supervisor", 404, 404),
        ("clinic_admin", 404, 404),
    ],
)
def test_links_page_per_role(
    request: pytest.FixtureRequest,
    client_for: Callable[[User | None], WebClient],
    record: Client,
    role: str,
    get_status: int,
    post_status: int,
) -> None:
    web = client_for(request.getfixturevalue(role))
    url = reverse("selfreport:links", args=[record.pk])

    assert web.get(url).status_code == get_status
    response = web.post(url, {"measure_code": "GAD7", "language": "es"})

    assert response.status_code == post_status
    assert ClientLink.objects.count() == (1 if post_status == 302 else 0)


def test_anonymous_is_sent_to_sign_in_from_the_links_page(record: Client) -> None:
    url = reverse("selfreport:links", args=[record.pk])
    response = WebClient().get(url)
    assert (response.status_code, response["Location"]) == (302, f"/account/sign-in/?next={url}")


def test_caseload_says_new_from_the_client_until_the_therapist_looks(
    client_for: Callable[[User | None], WebClient],
    therapist: User,
    supervisor: User,
    record: Client,
) -> None:
    _link_row, token = _link(therapist, record)
    services.link_submit(token=token, answers=PHQ9_NO_RISK)
    web = client_for(therapist)
    caseload = reverse("clients:caseload")

    assert "New from the client" in web.get(caseload).content.decode()
    client_for(supervisor).get(reverse("selfreport:links", args=[record.pk]))
    assert "New from the client" in web.get(caseload).content.decode()  # the supervisor's look
    page = web.get(reverse("selfreport:links", args=[record.pk]))
    assert "Answered " in page.content.decode()
    assert "New from the client" not in web.get(caseload).content.decode()


def test_withdraw(
    client_for: Callable[[User | None], WebClient],
    therapist: User,
    supervisor: User,
    record: Client,
) -> None:
    link, _token = _link(therapist, record)
    url = reverse("selfreport:revoke", args=[record.pk, link.pk])

    assert client_for(supervisor).post(url).status_code == 403
    link.refresh_from_db()
    assert link.revoked_at is None
    assert client_for(therapist).post(url).status_code == 302
    link.refresh_from_db()
    assert link.state() == "withdrawn"


# --- A token opens nothing else ----------------------------------------------------------------


@pytest.mark.parametrize("kind", ["measure link", "shared plan"])
def test_a_token_in_hand_opens_no_other_page(therapist: User, record: Client, kind: str) -> None:
    """Every other URL of the project, asked with the token (of a measure link, or of a plan
    shared to read) as a cookie, a query parameter and after the client's page has been opened
    in the same browser (session), answers as it does to anybody without sign-in: sent to sign
    in, or the public sign-in pages themselves."""
    if kind == "measure link":
        _link_row, token = _link(therapist, record)
        page = f"/r/{token}/"
    else:
        safety_version(therapist, record)
        _share, token = services.plan_share(
            actor=therapist, client=record, kind="safety", language="en"
        )
        page = f"/p/{token}/"
    web = WebClient()
    assert web.get(page).status_code == 200  # the session, if any, has seen the token
    web.cookies["token"] = token
    web.cookies["sessionid_token"] = token
    # The pages anyone may open (tests/core/test_urls.py keeps that list): a calendar feed or a
    # self-report link with a made-up token answers 404 there, which gives nothing either.
    public = PUBLIC_URL_NAMES
    walked = 0
    for name, url in all_urls().items():
        if name in public:
            continue
        for asked in (url, f"{url}?token={token}"):
            response = web.get(asked, HTTP_AUTHORIZATION=f"Bearer {token}")
            assert response.status_code == 302, (name, response.status_code)
            assert response["Location"].startswith("/account/sign-in/"), name
            walked += 1
    assert walked > 200


def test_sending_without_the_client_s_agreement_says_why_and_stores_nothing(
    client_for: Callable[[User | None], WebClient], therapist: User, record: Client
) -> None:
    Client.objects.filter(pk=record.pk).update(may_contact=False)

    page = client_for(therapist).post(
        reverse("selfreport:links", args=[record.pk]), {"measure_code": "PHQ9", "language": "en"}
    )

    assert page.status_code == 200
    assert "The client has not agreed to be contacted." in page.content.decode()
    assert ClientLink.objects.count() == 0


def test_a_tampered_measure_is_refused_on_the_page(
    client_for: Callable[[User | None], WebClient], therapist: User, record: Client
) -> None:
    page = client_for(therapist).post(
        reverse("selfreport:links", args=[record.pk]), {"measure_code": "X", "language": "fr"}
    )

    assert page.status_code == 200
    assert page.context["form"].errors == {
        "measure_code": ["Select a valid choice. X is not one of the available choices."],
        "language": ["Select a valid choice. fr is not one of the available choices."],
    }
    assert ClientLink.objects.count() == 0


def test_a_tampered_answer_is_refused(therapist: User, record: Client) -> None:
    _link_row, token = _link(therapist, record)

    unknown_item = WebClient().post(f"/r/{token}/", {**PHQ9_NO_RISK, "q10": "1"})
    unknown_answer = WebClient().post(f"/r/{token}/", {**PHQ9_NO_RISK, "q1": "7"})

    assert (unknown_item.status_code, unknown_answer.status_code) == (400, 400)
    assert Administration.objects.count() == 0


# Sign-in, access, marking seen, the links (every kind's record joined), the attended sessions
# offered for a session rating, the schedules, the current version of each of the three plans
# and the plans shared: the same whatever the number of links and shares.
LINKS_PAGE_QUERIES = 14


@pytest.mark.parametrize("rows", [1, 8])
def test_links_page_queries(
    client_for: Callable[[User | None], WebClient],
    django_assert_num_queries: Callable,
    therapist: User,
    record: Client,
    rows: int,
) -> None:
    for number in range(rows):
        _link_row, token = _link(therapist, record)
        if number % 2:
            services.link_submit(token=token, answers=PHQ9_NO_RISK)
        safety_version(therapist, record, reason=f"Change {number}", coping_alone=f"{number}")
        overdose_version(therapist, record, reason=f"Change {number}", spacing=f"{number}")
        services.plan_share(actor=therapist, client=record, kind="safety", language="en")
        services.plan_share(actor=therapist, client=record, kind="overdose", language="es")
    web = client_for(therapist)
    url = reverse("selfreport:links", args=[record.pk])

    with django_assert_num_queries(LINKS_PAGE_QUERIES):
        response = web.get(url)

    assert response.status_code == 200
    assert len(response.context["links"]) == rows
    assert len(response.context["shares"]) == 2 * rows


@pytest.mark.parametrize("rows", [1, 8])
def test_the_client_page_queries(
    django_assert_num_queries: Callable, therapist: User, record: Client, rows: int
) -> None:
    # The client's page costs the same whatever the client's history.
    for _number in range(rows):
        _link_row, token = _link(therapist, record)
        services.link_submit(token=token, answers=PHQ9_NO_RISK)
    _link_row, token = _link(therapist, record)

    # The link (locked), the first-open update, the audit row, inside a transaction.
    with django_assert_num_queries(5):
        response = WebClient().get(f"/r/{token}/")

    assert response.status_code == 200


def test_the_chart_says_reported_by_the_client_and_offers_links(
    client_for: Callable[[User | None], WebClient], therapist: User, record: Client
) -> None:
    _link_row, token = _link(therapist, record)
    _done, administration = services.link_submit(token=token, answers=PHQ9_NO_RISK)
    web = client_for(therapist)

    detail = web.get(reverse("assessments:administration", args=[record.pk, administration.pk]))
    section = web.get(reverse("assessments:section", args=[record.pk]))

    assert (
        "Score 8 (Mild), reported by the client through a link sent by Tess Therapist."
        in detail.content.decode()
    )
    assert f'href="/clients/{record.pk}/client-links/"' in section.content.decode()
