"""Plans shared with the client to read on their phone (selfreport.PlanShare): the message, the
token (expiry to the second, withdrawal, a wrong one, many openings, throttling), the page
(only the version shared, nothing else of the record, the newer-version notice, Spanish) and
the clinician's side (who may share and withdraw, the list and its query count)."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client as WebClient
from django.urls import reverse
from django.utils import timezone, translation

from clients.models import Client
from hrp import formats
from hrp.accounts.models import User
from hrp.audit.models import AuditEvent
from notifications.sms import LocmemSmsBackend
from selfreport import services, throttle
from selfreport.models import PlanShare
from selfreport.services import LinkUnavailable
from tests.clients.factories import ClientFactory
from tests.goals.factories_plan import PlanFactory, PlanVersionFactory, plan_section
from tests.htmltext import cell_text, page_text, parse
from tests.safety.helpers import OVERDOSE, STEPS, overdose_version, safety_version

pytestmark = pytest.mark.django_db

CRISIS = "988 Suicide &amp; Crisis Lifeline: call or text 988, any time"


def _share(
    therapist: User, record: Client, kind: str = "safety", language: str = "en"
) -> tuple[PlanShare, str]:
    return services.plan_share(actor=therapist, client=record, kind=kind, language=language)


def _page(token: str, web: WebClient | None = None) -> tuple[int, str]:
    response = (web or WebClient()).get(f"/p/{token}/")
    return response.status_code, response.content.decode()


# --- Sharing -----------------------------------------------------------------------------------


def test_sharing_sends_a_message_with_no_name_and_no_clinical_word(
    therapist: User, record: Client
) -> None:
    version = safety_version(therapist, record)

    share, token = _share(therapist, record)

    assert LocmemSmsBackend.outbox == [
        (
            "555-0100",
            f"Your therapist sent you something to keep on your phone: /p/{token}/ (HRP Clinic)",
        )
    ]
    # Only the hash is kept; the share points at the version current when it was sent.
    assert token not in str(PlanShare.objects.values().get())
    assert (share.kind, share.safety_version, share.state()) == ("safety", version, "open")
    event = AuditEvent.objects.get(action="self_report.plan_share")
    assert event.changes == {
        "plan": [None, "safety"],
        "version": [None, 1],
        "channel": [None, "sms"],
        "language": [None, "en"],
    }
    assert token not in str(event.changes)


def test_an_email_share_in_spanish_has_a_neutral_subject(therapist: User) -> None:
    record = ClientFactory(
        therapist=therapist, may_contact=True, reminder_channel="email", email="r@example.org"
    )
    overdose_version(therapist, record)

    _share_row, token = _share(therapist, record, kind="overdose", language="es")

    (message,) = mail.outbox
    assert (message.subject, message.body) == (
        "Algo para guardar en su teléfono",
        f"Su terapeuta le envió algo para guardar en su teléfono: /p/{token}/ (HRP Clinic)",
    )


@pytest.mark.parametrize(
    ("change", "kind", "message"),
    [
        ({"may_contact": False}, "safety", "The client has not agreed to be contacted."),
        ({"reminder_channel": ""}, "safety", "The client has no way to receive messages"),
        ({}, "overdose", "This plan has no saved version yet"),
        ({}, "use_plan", "This plan has no saved version yet"),
        ({}, "goals", "Choose one of the listed plans."),
    ],
)
def test_a_share_that_cannot_go_stores_and_sends_nothing(
    therapist: User, record: Client, change: dict, kind: str, message: str
) -> None:
    safety_version(therapist, record)
    Client.objects.filter(pk=record.pk).update(**change)
    record.refresh_from_db()

    with pytest.raises(ValidationError) as refused:
        _share(therapist, record, kind=kind)

    assert message in " ".join(refused.value.messages)
    assert (PlanShare.objects.count(), len(LocmemSmsBackend.outbox)) == (0, 0)


def test_only_the_treating_clinician_shares(
    supervisor: User, therapist: User, record: Client
) -> None:
    safety_version(therapist, record)

    with pytest.raises(PermissionDenied):
        _share(supervisor, record)

    assert PlanShare.objects.count() == 0


# --- The token ---------------------------------------------------------------------------------


def test_the_link_works_until_the_second_it_expires(therapist: User, record: Client) -> None:
    safety_version(therapist, record)
    share, token = _share(therapist, record)
    assert share.expires_at - share.created_at == datetime.timedelta(days=7)

    assert share.state(now=share.expires_at - datetime.timedelta(microseconds=1)) == "open"
    assert share.state(now=share.expires_at) == "expired"
    PlanShare.objects.filter(pk=share.pk).update(
        expires_at=timezone.now() + datetime.timedelta(seconds=30)
    )
    assert _page(token)[0] == 200
    PlanShare.objects.filter(pk=share.pk).update(expires_at=timezone.now())
    status, html = _page(token)
    assert status == 410
    assert "This link does not work any more" in html
    assert "Este enlace ya no funciona" in html
    assert STEPS["warning_signs"] not in html


def test_a_withdrawn_link_opens_nothing(therapist: User, record: Client) -> None:
    safety_version(therapist, record)
    share, token = _share(therapist, record)
    assert _page(token)[0] == 200

    services.plan_share_revoke(actor=therapist, share=share)
    services.plan_share_revoke(actor=therapist, share=share)  # twice: no second event

    status, html = _page(token)
    assert status == 410
    assert STEPS["warning_signs"] not in html
    assert AuditEvent.objects.filter(action="self_report.plan_share_revoke").count() == 1
    with pytest.raises(LinkUnavailable) as refused:
        services.plan_share_open(token=token)
    assert refused.value.state == "withdrawn"


def test_a_wrong_token_and_the_other_kind_of_token_open_nothing(
    therapist: User, record: Client
) -> None:
    safety_version(therapist, record)
    _share_row, token = _share(therapist, record)
    _link, link_token = services.link_send(
        actor=therapist, client=record, measure_code="PHQ9", language="en"
    )

    wrong = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert _page(wrong)[0] == 404
    assert _page("x" * 43)[0] == 404
    # A measure link is not a plan link, nor the other way round.
    assert _page(link_token)[0] == 404
    assert WebClient().get(f"/r/{token}/").status_code == 404
    assert PlanShare.objects.get().open_count == 0


def test_each_opening_is_counted_and_audited(therapist: User, record: Client) -> None:
    safety_version(therapist, record)
    share, token = _share(therapist, record)
    web = WebClient()

    for _time in range(3):
        assert _page(token, web)[0] == 200

    share.refresh_from_db()
    assert share.open_count == 3
    assert share.first_opened_at < share.last_opened_at
    opened = AuditEvent.objects.filter(action="self_report.plan_open").order_by("id")
    assert (
        list(opened.values_list("path", "object_id", "chart_number", "actor_id"))
        == [("/p/(link)/", str(share.pk), record.chart_number, None)] * 3
    )
    assert all(token not in str(event.changes) for event in opened)


def test_throttled_per_token(therapist: User, record: Client) -> None:
    safety_version(therapist, record)
    _share_row, token = _share(therapist, record)
    web = WebClient()

    statuses = [web.get(f"/p/{token}/").status_code for _ in range(throttle.PER_TOKEN + 1)]

    assert statuses == [200] * throttle.PER_TOKEN + [429]
    assert PlanShare.objects.get().open_count == throttle.PER_TOKEN


def test_throttled_per_address_whatever_the_token() -> None:
    web = WebClient()

    statuses = [web.get(f"/p/guess{i}/").status_code for i in range(throttle.PER_ADDRESS + 1)]

    assert statuses == [404] * throttle.PER_ADDRESS + [429]


# --- The page ----------------------------------------------------------------------------------


def test_the_page_shows_the_shared_plan_and_nothing_else_of_the_record(
    therapist: User, record: Client
) -> None:
    safety_version(therapist, record)
    overdose_version(therapist, record)
    someone_else = ClientFactory(therapist=therapist, preferred_name="Quinn")
    safety_version(therapist, someone_else, warning_signs="Quinn's own warning signs")
    _share_row, token = _share(therapist, record)

    status, html = _page(token)

    assert status == 200
    for step_words in STEPS.values():
        assert step_words in html
    assert CRISIS in html
    assert "In an emergency, call 911." in html
    # Not the other plan, not another client's, no name, no chart number, no script.
    for private in (
        OVERDOSE["naloxone_where"],
        "Quinn",
        "Robin",
        record.chart_number,
        "Reviewed together",  # the clinician's reason for the version
        "<script",
    ):
        assert private not in html
    assert '<html lang="en">' in html


def test_the_page_shows_the_version_shared_and_says_when_a_newer_one_exists(
    therapist: User, record: Client
) -> None:
    first = safety_version(therapist, record)
    _share_row, token = _share(therapist, record)
    date = formats.date(first.created_at)
    assert f"Written together on {date}." in _page(token)[1]
    assert "Your therapist has updated this plan" not in _page(token)[1]

    safety_version(therapist, record, reason="New number", people_to_ask="My brother Leo")

    html = _page(token)[1]
    assert STEPS["people_to_ask"] in html
    assert "My brother Leo" not in html
    assert (
        "Your therapist has updated this plan since sending this link. Ask them for a new link "
        "to see the latest version."
    ) in html


def test_the_overdose_plan_page(therapist: User, record: Client) -> None:
    overdose_version(therapist, record)
    _share_row, token = _share(therapist, record, kind="overdose")

    html = page_text(_page(token)[1])

    assert "My overdose prevention plan" in html
    assert "Kitchen drawer by the door" in html
    assert "If someone will not wake up or is not breathing: call 911" in html
    assert STEPS["warning_signs"] not in html


def test_the_use_plan_page_shows_the_clients_copy_only(therapist: User, record: Client) -> None:
    PlanVersionFactory(
        plan=PlanFactory(client=record),
        sections=[plan_section(clinician_notes="Clinician thinks the limit is optimistic")],
    )
    _share_row, token = _share(therapist, record, kind="use_plan", language="es")

    html = page_text(_page(token)[1])

    assert "Su plan" in html
    assert "Lo máximo que toma de una vez" in html
    assert "3 pints" in html  # the client's words stay as written
    assert "Comida y agua, Sin conducir" in html
    assert "optimistic" not in html


def test_the_spanish_page(therapist: User, record: Client) -> None:
    version = safety_version(therapist, record)
    _share_row, token = _share(therapist, record, language="es")

    raw = _page(token)[1]
    html = page_text(raw)

    with translation.override("es"):
        date = formats.date(version.created_at)
    assert "de 20" in date  # "4 de diciembre de 2026"
    assert '<html lang="es">' in raw
    assert "Mi plan de seguridad" in html
    assert "Si necesito ayuda ahora" in html
    assert f"Lo escribimos juntos el {date}." in html
    assert "1. Señales de que empieza un momento difícil" not in html  # numbered by the list
    assert "Señales de que empieza un momento difícil" in html
    assert STEPS["warning_signs"] in html  # the client's words stay as written
    assert CRISIS in raw


@pytest.mark.parametrize("versions", [1, 6])
def test_the_page_queries(
    django_assert_num_queries: Callable, therapist: User, record: Client, versions: int
) -> None:
    for number in range(versions):
        safety_version(therapist, record, reason=f"Change {number}", coping_alone=f"Walk {number}")
        _share(therapist, record)
    _share_row, token = _share(therapist, record)

    # The share with its version, the count, the audit row, a newer version?, in a transaction.
    with django_assert_num_queries(6):
        status, _html = _page(token)

    assert status == 200


# --- The clinician's side ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("therapist", 302),
        ("supervisor", 403),
        ("other_therapist", 404),
        ("other_supervisor", 404),
        ("clinic_admin", 404),
    ],
)
def test_share_and_withdraw_per_role(
    request: pytest.FixtureRequest,
    client_for: Callable[[User | None], WebClient],
    therapist: User,
    record: Client,
    role: str,
    status: int,
) -> None:
    safety_version(therapist, record)
    existing, _token = _share(therapist, record)
    web = client_for(request.getfixturevalue(role))

    shared = web.post(
        reverse("selfreport:plan_share", args=[record.pk]),
        {"share-kind": "safety", "share-language": "es"},
    )
    withdrawn = web.post(reverse("selfreport:plan_share_revoke", args=[record.pk, existing.pk]))

    assert (shared.status_code, withdrawn.status_code) == (status, status)
    existing.refresh_from_db()
    if status == 302:
        assert PlanShare.objects.count() == 2
        assert existing.state() == "withdrawn"
    else:
        assert PlanShare.objects.count() == 1
        assert existing.revoked_at is None


def test_anonymous_is_sent_to_sign_in(therapist: User, record: Client) -> None:
    safety_version(therapist, record)
    share, _token = _share(therapist, record)
    for url in (
        reverse("selfreport:plan_share", args=[record.pk]),
        reverse("selfreport:plan_share_revoke", args=[record.pk, share.pk]),
    ):
        response = WebClient().post(url)
        assert (response.status_code, response["Location"]) == (
            302,
            f"/account/sign-in/?next={url}",
        )
    assert share.revoked_at is None


def test_another_clients_share_is_404(
    client_for: Callable[[User | None], WebClient], therapist: User, record: Client
) -> None:
    other = ClientFactory(therapist=therapist, may_contact=True, reminder_channel="sms", phone="1")
    safety_version(therapist, other)
    share, _token = _share(therapist, other)

    response = client_for(therapist).post(
        reverse("selfreport:plan_share_revoke", args=[record.pk, share.pk])
    )

    assert response.status_code == 404
    share.refresh_from_db()
    assert share.revoked_at is None


def test_sharing_a_plan_not_written_yet_says_why(
    client_for: Callable[[User | None], WebClient], therapist: User, record: Client
) -> None:
    response = client_for(therapist).post(
        reverse("selfreport:plan_share", args=[record.pk]),
        {"share-kind": "overdose", "share-language": "en"},
    )

    assert response.status_code == 400
    assert response.context["share_form"].errors == {
        "kind": ["This plan has no saved version yet: write it with the client first."]
    }
    assert PlanShare.objects.count() == 0


def test_the_links_page_lists_shares_with_their_state_in_the_clients_language(
    client_for: Callable[[User | None], WebClient], therapist: User, record: Client
) -> None:
    Client.objects.filter(pk=record.pk).update(preferred_language="es")
    safety_version(therapist, record)
    overdose_version(therapist, record)
    _opened, token = _share(therapist, record)
    _page(token)
    _page(token)
    withdrawn, _token = _share(therapist, record, kind="overdose", language="es")
    services.plan_share_revoke(actor=therapist, share=withdrawn)
    safety_version(therapist, record, reason="Changed", coping_alone="Music")

    response = client_for(therapist).get(reverse("selfreport:links", args=[record.pk]))

    rows = [
        [cell_text(cell) for cell in row.xpath("./td")]
        for row in parse(response).xpath('//table[caption="Plans shared, newest first"]/tbody/tr')
    ]
    assert [row[1:3] for row in rows] == [
        ["Overdose prevention plan, version 1", "Spanish"],
        ["Safety plan, version 1 changed since", "English"],
    ]
    assert rows[0][3:] == ["Withdrawn · not opened yet", ""]
    assert rows[1][3].startswith("Open until ")
    assert ", opened 2 times, last " not in rows[1][3]
    assert " · opened 2 times, last " in rows[1][3]
    assert rows[1][4] == "Withdraw"
    # The forms start in the client's language; only plans with a version are offered.
    assert response.context["share_form"]["language"].value() == "es"
    assert response.context["form"]["language"].value() == "es"
    assert [value for value, _label in response.context["share_form"].fields["kind"].choices] == [
        "safety",
        "overdose",
    ]


def test_the_safety_section_offers_sharing_to_the_treating_clinician_only(
    client_for: Callable[[User | None], WebClient],
    therapist: User,
    supervisor: User,
    record: Client,
) -> None:
    section = reverse("safety:section", args=[record.pk])
    share_link = f'href="/clients/{record.pk}/client-links/#shares-h"'
    assert share_link not in client_for(therapist).get(section).content.decode()  # no plan yet

    safety_version(therapist, record)

    assert client_for(therapist).get(section).content.decode().count(share_link) == 1
    assert share_link not in client_for(supervisor).get(section).content.decode()
