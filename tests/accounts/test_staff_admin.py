"""Account management by a clinic admin: list, create, edit, supervise, deactivate, reset."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlsafe_base64_decode
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from pytest_django import DjangoAssertNumQueries, DjangoCaptureOnCommitCallbacks

from hrp.accounts import services
from hrp.accounts.models import Supervision, User
from hrp.audit.models import AuditEvent
from tests.factories import (
    ClinicAdminFactory,
    SupervisionFactory,
    SupervisorFactory,
    TherapistFactory,
    TOTPDeviceFactory,
)

ClientFor = Callable[[User | None], Client]
NON_ADMIN_ROLES = ["therapist", "other_therapist", "supervisor", "other_supervisor"]
STAFF_LIST = reverse("accounts:staff_list")
STAFF_CREATE = reverse("accounts:staff_create")
# (path, uidb64, token) of a set-password link in an email.
SET_PASSWORD_LINK = r"http://testserver(/account/set-password/([^/\s]+)/([^/\s]+)/)"


def detail_url(user: User) -> str:
    return reverse("accounts:staff_detail", kwargs={"pk": user.pk})


def action_url(user: User, action: str) -> str:
    return reverse("accounts:staff_action", kwargs={"pk": user.pk, "action": action})


def messages_of(response: Any) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def db_state() -> dict[str, Any]:
    """Everything an account-management write could touch."""
    return {
        "users": list(User.objects.order_by("pk").values()),
        "supervisions": list(Supervision.objects.order_by("pk").values()),
        "authenticators": list(TOTPDevice.objects.order_by("pk").values("pk", "confirmed")),
        "recovery_codes": list(StaticToken.objects.order_by("pk").values_list("token", flat=True)),
        "sessions": Session.objects.count(),
        "audit_events": AuditEvent.objects.count(),
    }


def create_form(**overrides: Any) -> dict[str, Any]:
    data = {
        "email": "jamie.new@clinic.test",
        "full_name": "Jamie Newcomer",
        "credentials": "LMHC",
        "is_therapist": "on",
        "supervisor": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def edit_form(user: User, **overrides: Any) -> dict[str, Any]:
    """The edit form as the page shows it for `user`, with `overrides` typed over it."""
    supervision = Supervision.objects.filter(supervisee=user, ended_at__isnull=True).first()
    data: dict[str, Any] = {
        "full_name": user.full_name,
        "credentials": user.credentials,
        "is_therapist": "on" if user.is_therapist else None,
        "is_supervisor": "on" if user.is_supervisor else None,
        "is_clinic_admin": "on" if user.is_clinic_admin else None,
        "requires_cosign": "on" if user.requires_cosign else None,
        "supervisor": supervision.supervisor_id if supervision else "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def former(db: None) -> User:
    return TherapistFactory(full_name="Fran Former", is_active=False, deactivated_at=timezone.now())


@pytest.fixture
def enrolled_therapist(therapist: User) -> User:
    """The therapist, with an authenticator and recovery codes."""
    TOTPDeviceFactory(user=therapist)
    recovery = StaticDevice.objects.create(user=therapist, name="Recovery codes", confirmed=True)
    StaticToken.objects.create(device=recovery, token="11111-22222")
    return therapist


# --- Who may manage accounts ------------------------------------------------------------------


def staff_requests(target: User, former: User) -> list[tuple[str, str, dict[str, Any]]]:
    """Every page and write of account management: (method, url, data)."""
    return [
        ("get", STAFF_LIST, {}),
        ("get", f"{STAFF_LIST}?show=all", {}),
        ("get", STAFF_CREATE, {}),
        ("get", detail_url(target), {}),
        ("post", STAFF_CREATE, create_form()),
        ("post", detail_url(target), edit_form(target, full_name="Renamed", is_supervisor="on")),
        ("post", action_url(target, "deactivate"), {}),
        ("post", action_url(former, "reactivate"), {}),
        ("post", action_url(target, "reset-two-factor"), {}),
        ("post", action_url(target, "send-link"), {}),
    ]


@pytest.mark.parametrize("role", NON_ADMIN_ROLES)
def test_account_management_does_not_exist_for_clinical_staff(
    request: pytest.FixtureRequest,
    role: str,
    client_for: ClientFor,
    enrolled_therapist: User,
    former: User,
    supervisor: User,
    other_supervisor: User,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    client = client_for(request.getfixturevalue(role))
    before = db_state()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        results = [
            (method, url, getattr(client, method)(url, data).status_code)
            for method, url, data in staff_requests(enrolled_therapist, former)
        ]

    assert results == [(m, u, 404) for m, u, _data in staff_requests(enrolled_therapist, former)]
    assert db_state() == before
    assert callbacks == []
    assert mail.outbox == []


def test_account_management_sends_anonymous_people_to_sign_in(
    enrolled_therapist: User, former: User
) -> None:
    client = Client()
    before = db_state()

    redirects = []
    for method, url, data in staff_requests(enrolled_therapist, former):
        response = getattr(client, method)(url, data)
        location = urlsplit(response["Location"])
        redirects.append((response.status_code, location.path, parse_qs(location.query)))

    assert redirects == [
        (302, "/account/sign-in/", {"next": [url]})
        for _method, url, _data in staff_requests(enrolled_therapist, former)
    ]
    assert db_state() == before
    assert mail.outbox == []


def test_clinic_admin_reaches_every_page_and_action(
    client_for: ClientFor,
    clinic_admin: User,
    enrolled_therapist: User,
    former: User,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    client = client_for(clinic_admin)

    with django_capture_on_commit_callbacks(execute=True):
        statuses = [
            getattr(client, method)(url, data).status_code
            for method, url, data in staff_requests(enrolled_therapist, former)
        ]

    assert statuses == [200, 200, 200, 200, 302, 302, 302, 302, 302, 302]


def test_unknown_action_and_unknown_account_are_not_found(
    client_for: ClientFor, clinic_admin: User, therapist: User
) -> None:
    client = client_for(clinic_admin)
    before = db_state()

    assert client.post(action_url(therapist, "delete")).status_code == 404
    assert client.get(reverse("accounts:staff_detail", kwargs={"pk": 999_999})).status_code == 404
    assert (
        client.post(
            reverse("accounts:staff_action", kwargs={"pk": 999_999, "action": "deactivate"})
        ).status_code
        == 404
    )
    assert db_state() == before


def test_actions_refuse_get(client_for: ClientFor, clinic_admin: User, therapist: User) -> None:
    client = client_for(clinic_admin)
    before = db_state()

    assert client.get(action_url(therapist, "reset-two-factor")).status_code == 405
    # Deactivation answers a GET with its confirmation page (it lists the clients to hand
    # over) and changes nothing until the form is sent.
    assert client.get(action_url(therapist, "deactivate")).status_code == 200
    assert db_state() == before


# --- List ---------------------------------------------------------------------------------------


def test_list_shows_25_accounts_a_page_in_name_order(
    client_for: ClientFor, clinic_admin: User
) -> None:
    for n in range(29):
        TherapistFactory(full_name=f"Staff {n:02d}")
    client = client_for(clinic_admin)
    everyone = ["Ada Admin", *[f"Staff {n:02d}" for n in range(29)]]

    first = client.get(STAFF_LIST)
    second = client.get(f"{STAFF_LIST}?page=2")

    assert [u.full_name for u in first.context["page"]] == everyone[:25]
    assert [u.full_name for u in second.context["page"]] == everyone[25:]
    assert (first.context["page"].paginator.num_pages, second.context["page"].number) == (2, 2)
    assert second.content.decode().count("Page 2 of 2") == 1


def test_list_filters_active_deactivated_and_all(
    client_for: ClientFor, clinic_admin: User, therapist: User, former: User
) -> None:
    client = client_for(clinic_admin)

    def names(query: str) -> list[str]:
        return [u.full_name for u in client.get(f"{STAFF_LIST}{query}").context["page"]]

    assert names("") == ["Ada Admin", "Tess Therapist"]
    assert names("?show=active") == ["Ada Admin", "Tess Therapist"]
    assert names("?show=inactive") == ["Fran Former"]
    assert names("?show=all") == ["Ada Admin", "Fran Former", "Tess Therapist"]


def test_list_shows_supervisor_and_two_factor_status(
    client_for: ClientFor, clinic_admin: User, enrolled_therapist: User, supervisor: User
) -> None:
    response = client_for(clinic_admin).get(STAFF_LIST)

    rows = {
        u.full_name: (u.supervisor_name, u.two_factor_enrolled) for u in response.context["page"]
    }
    # client_for enrols the admin's own authenticator to sign them in.
    assert rows == {
        "Ada Admin": (None, True),
        "Sue Supervisor": (None, False),
        "Tess Therapist": ("Sue Supervisor", True),
    }


STAFF_LIST_QUERIES = 5  # session, user, authenticator, count, page of accounts


def test_list_query_count_does_not_grow_with_accounts(
    client_for: ClientFor, clinic_admin: User, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    client = client_for(clinic_admin)
    client.get(STAFF_LIST)  # settles the session's last-seen stamp
    with django_assert_num_queries(STAFF_LIST_QUERIES):
        response = client.get(STAFF_LIST)
    assert len(response.context["page"]) == 1

    sup = SupervisorFactory()
    for n in range(28):
        therapist = TherapistFactory(full_name=f"Staff {n:02d}", requires_cosign=n % 2 == 0)
        SupervisionFactory(supervisor=sup, supervisee=therapist)
        TOTPDeviceFactory(user=therapist)
    assert User.objects.count() == 30

    client.get(STAFF_LIST)  # settles the session's last-seen stamp
    with django_assert_num_queries(STAFF_LIST_QUERIES):
        response = client.get(STAFF_LIST)
    assert len(response.context["page"]) == 25


# --- Create ---------------------------------------------------------------------------------


def test_create_account_emails_a_set_password_link_that_works_once(
    client_for: ClientFor,
    clinic_admin: User,
    supervisor: User,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    admin = client_for(clinic_admin)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(
            STAFF_CREATE,
            create_form(email="  Jamie.New@Clinic.TEST ", supervisor=supervisor.pk),
        )

    user = User.objects.get(email="jamie.new@clinic.test")
    assert response.status_code == 302
    assert response["Location"] == detail_url(user)
    assert (user.full_name, user.credentials, user.role_labels) == (
        "Jamie Newcomer",
        "LMHC",
        ["Therapist"],
    )
    assert user.has_usable_password() is False
    assert Supervision.objects.get(supervisee=user, ended_at__isnull=True).supervisor == supervisor
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert (email.to, email.subject) == (
        ["jamie.new@clinic.test"],
        "Set your password for HRP Clinic",
    )
    links = [link for link, _uid, _token in re.findall(SET_PASSWORD_LINK, email.body)]
    assert len(links) == 1
    assert email.body.startswith("Hello Jamie,\n")
    assert audit_changes("account.create") == {
        "email": [None, "jamie.new@clinic.test"],
        "full_name": [None, "Jamie Newcomer"],
        "credentials": [None, "LMHC"],
        "is_therapist": [None, True],
        "is_supervisor": [None, False],
        "is_clinic_admin": [None, False],
        "requires_cosign": [None, False],
        "email_reminders": [None, False],
        "licence": [None, ""],
        "npi": [None, ""],
    }
    assert audit_changes("supervision.assign") == {"supervisor": [None, supervisor.pk]}
    assert AuditEvent.objects.filter(action="account.set_password_link").count() == 1

    # The newcomer follows the link: Django swaps the token into the session first.
    newcomer = Client()
    opened = newcomer.get(links[0], follow=True)
    assert opened.context["validlink"] is True
    new_password = "a-newcomer-passphrase-of-words"
    done = newcomer.post(
        opened.redirect_chain[-1][0],
        {"new_password1": new_password, "new_password2": new_password},
    )
    assert done["Location"] == reverse("accounts:set_password_done")
    user.refresh_from_db()
    assert user.check_password(new_password) is True

    reused = Client().get(links[0], follow=True)
    assert reused.status_code == 200
    assert reused.context["validlink"] is False
    assert reused.content.decode().count("This link has already been used or has expired.") == 1


def audit_changes(action: str) -> dict[str, Any]:
    return AuditEvent.objects.get(action=action).changes


def test_create_without_commit_sends_no_email(
    client_for: ClientFor,
    clinic_admin: User,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    # The email goes out only after the account is really stored.
    admin = client_for(clinic_admin)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        admin.post(STAFF_CREATE, create_form())

    assert len(callbacks) == 1
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("overrides", "expected_errors"),
    [
        (
            {"email": "TESS@clinic.test"},
            {"email": ["An account with this email address already exists."]},
        ),
        ({"is_therapist": None}, {"is_therapist": ["Choose at least one role."]}),
        (
            {"is_therapist": None, "is_supervisor": "on", "requires_cosign": "on"},
            {"__all__": ["Only a therapist can need co-signature."]},
        ),
        ({"full_name": ""}, {"full_name": ["This field is required."]}),
        ({"email": "not-an-address"}, {"email": ["Enter a valid email address."]}),
    ],
    ids=["duplicate-email", "no-role", "cosign-without-therapist", "no-name", "bad-email"],
)
def test_create_refuses_invalid_accounts_and_keeps_what_was_typed(
    client_for: ClientFor,
    clinic_admin: User,
    overrides: dict[str, Any],
    expected_errors: dict[str, list[str]],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    TherapistFactory(email="tess@clinic.test")
    admin = client_for(clinic_admin)
    before = db_state()
    data = create_form(credentials="Typed credentials", **overrides)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(STAFF_CREATE, data)

    assert response.status_code == 200
    assert response.context["form"].errors == expected_errors
    form = response.context["form"]
    assert (form["email"].value(), form["full_name"].value(), form["credentials"].value()) == (
        data["email"],
        data["full_name"],
        "Typed credentials",
    )
    html = response.content.decode()
    assert html.count('value="Typed credentials"') == 1
    assert html.count(f'value="{data["email"]}"') == 1
    assert db_state() == before
    assert mail.outbox == []


def test_create_lists_only_active_supervisors_to_choose_from(
    client_for: ClientFor, clinic_admin: User, supervisor: User, other_supervisor: User
) -> None:
    SupervisorFactory(full_name="Gone Supervisor", is_active=False, deactivated_at=timezone.now())

    response = client_for(clinic_admin).get(STAFF_CREATE)

    choices = list(response.context["form"].fields["supervisor"].queryset)
    assert choices == [other_supervisor, supervisor]


# --- Edit -----------------------------------------------------------------------------------


def test_edit_roles_saves_and_records_old_and_new_values(
    client_for: ClientFor, clinic_admin: User, therapist: User, supervisor: User
) -> None:
    admin = client_for(clinic_admin)

    response = admin.post(
        detail_url(therapist),
        edit_form(therapist, credentials="MSW trainee", requires_cosign="on", is_supervisor="on"),
        follow=True,
    )

    assert response.redirect_chain == [(detail_url(therapist), 302)]
    assert messages_of(response) == ["Changes saved."]
    therapist.refresh_from_db()
    assert (therapist.credentials, therapist.requires_cosign, therapist.role_labels) == (
        "MSW trainee",
        True,
        ["Therapist", "Supervisor"],
    )
    event = AuditEvent.objects.get(action="account.update")
    assert (event.actor, event.object_id) == (clinic_admin, str(therapist.pk))
    assert event.changes == {
        "credentials": ["", "MSW trainee"],
        "is_supervisor": [False, True],
        "requires_cosign": [False, True],
    }
    # The supervisor did not change, so no supervision event.
    assert AuditEvent.objects.filter(action="supervision.assign").count() == 0


def test_saving_without_changes_records_nothing(
    client_for: ClientFor, clinic_admin: User, therapist: User, supervisor: User
) -> None:
    admin = client_for(clinic_admin)
    before = db_state()

    response = admin.post(detail_url(therapist), edit_form(therapist))

    assert response.status_code == 302
    assert db_state() == before


def test_assigning_a_new_supervisor_keeps_the_history(
    client_for: ClientFor,
    clinic_admin: User,
    therapist: User,
    supervisor: User,
    other_supervisor: User,
) -> None:
    admin = client_for(clinic_admin)
    old = Supervision.objects.get(supervisee=therapist)

    response = admin.post(
        detail_url(therapist), edit_form(therapist, supervisor=other_supervisor.pk)
    )

    assert response.status_code == 302
    old.refresh_from_db()
    new = Supervision.objects.get(supervisee=therapist, ended_at__isnull=True)
    assert old.ended_at is not None
    assert (new.supervisor, new.created_by, new.started_at) == (
        other_supervisor,
        clinic_admin,
        old.ended_at,
    )
    assert list(Supervision.objects.filter(supervisee=therapist).order_by("pk")) == [old, new]
    assert audit_changes("supervision.assign") == {
        "supervisor": [supervisor.pk, other_supervisor.pk]
    }
    assert AuditEvent.objects.filter(action="account.update").count() == 0
    page = admin.get(detail_url(therapist))
    assert [s.supervisor for s in page.context["supervision_history"]] == [
        other_supervisor,
        supervisor,
    ]


def test_removing_the_therapist_role_ends_the_supervision(
    client_for: ClientFor, clinic_admin: User, therapist: User, supervisor: User
) -> None:
    admin = client_for(clinic_admin)

    response = admin.post(
        detail_url(therapist),
        edit_form(therapist, is_therapist=None, is_supervisor="on", supervisor=""),
    )

    assert response.status_code == 302
    therapist.refresh_from_db()
    assert therapist.role_labels == ["Supervisor"]
    assert Supervision.objects.filter(supervisee=therapist, ended_at__isnull=True).count() == 0
    assert audit_changes("account.update") == {
        "is_therapist": [True, False],
        "is_supervisor": [False, True],
    }
    assert audit_changes("supervision.assign") == {"supervisor": [supervisor.pk, None]}


SELF = object()  # stands for the edited account's own id


def edit_refusal_cases() -> list[Any]:
    return [
        pytest.param(
            "clinic_admin",
            {"is_clinic_admin": None, "is_therapist": "on"},
            {"is_clinic_admin": ["You cannot remove your own clinic admin role."]},
            id="own-admin-role",
        ),
        pytest.param(
            "supervisor",
            {"is_supervisor": None, "is_therapist": "on"},
            {
                "is_supervisor": [
                    "Sue Supervisor still supervises 1 therapist. "
                    "Assign them another supervisor first."
                ]
            },
            id="supervisor-still-supervising",
        ),
        pytest.param(
            "therapist",
            {"is_therapist": None},
            {"is_therapist": ["Choose at least one role."]},
            id="no-role",
        ),
        pytest.param(
            "supervisor",
            {"requires_cosign": "on"},
            {"__all__": ["Only a therapist can need co-signature."]},
            id="cosign-without-therapist",
        ),
        pytest.param(
            "supervisor",
            {"is_therapist": "on", "supervisor": SELF},
            {
                "supervisor": [
                    "Select a valid choice. That choice is not one of the available choices."
                ]
            },
            id="own-supervisor",
        ),
    ]


@pytest.mark.parametrize(("account_fixture", "overrides", "expected_errors"), edit_refusal_cases())
def test_edit_refuses_and_changes_nothing_but_keeps_what_was_typed(
    request: pytest.FixtureRequest,
    client_for: ClientFor,
    clinic_admin: User,
    supervisor: User,
    account_fixture: str,
    overrides: dict[str, Any],
    expected_errors: dict[str, list[str]],
) -> None:
    account = request.getfixturevalue(account_fixture)
    stored_name = account.full_name
    if overrides.get("supervisor") is SELF:
        overrides = {**overrides, "supervisor": account.pk}
    admin = client_for(clinic_admin)
    before = db_state()

    response = admin.post(
        detail_url(account), edit_form(account, full_name="Typed New Name", **overrides)
    )

    assert response.status_code == 200
    assert response.context["form"].errors == expected_errors
    assert response.context["form"]["full_name"].value() == "Typed New Name"
    html = response.content.decode()
    assert html.count('value="Typed New Name"') == 1
    # The page header shows the stored name: the refused change was not made.
    assert response.context["account"].full_name == stored_name
    assert (
        html.count(f'<li class="breadcrumb-item active" aria-current="page">{stored_name}</li>')
        == 1
    )
    assert db_state() == before


# --- Deactivate, reactivate ---------------------------------------------------------------------


def test_deactivate_and_reactivate(
    client_for: ClientFor, clinic_admin: User, therapist: User
) -> None:
    admin = client_for(clinic_admin)

    deactivated = admin.post(action_url(therapist, "deactivate"), follow=True)

    assert deactivated.redirect_chain == [(detail_url(therapist), 302)]
    assert messages_of(deactivated) == ["Account deactivated; its sessions ended."]
    therapist.refresh_from_db()
    assert therapist.is_active is False
    assert therapist.deactivated_at is not None

    reactivated = admin.post(action_url(therapist, "reactivate"), follow=True)

    assert messages_of(reactivated) == ["Account reactivated."]
    therapist.refresh_from_db()
    assert (therapist.is_active, therapist.deactivated_at) == (True, None)
    events = AuditEvent.objects.filter(action__startswith="account.").order_by("id")
    assert [(e.action, e.changes, e.actor) for e in events] == [
        ("account.deactivate", {"is_active": [True, False]}, clinic_admin),
        ("account.reactivate", {"is_active": [False, True]}, clinic_admin),
    ]


def test_admin_cannot_deactivate_themself(client_for: ClientFor, clinic_admin: User) -> None:
    admin = client_for(clinic_admin)
    before = db_state()

    response = admin.post(action_url(clinic_admin, "deactivate"), follow=True)

    assert response.redirect_chain == [(detail_url(clinic_admin), 302)]
    assert messages_of(response) == ["You cannot deactivate your own account."]
    assert db_state() == before


def test_another_admin_can_be_deactivated_while_one_remains(
    client_for: ClientFor, clinic_admin: User
) -> None:
    second_admin = ClinicAdminFactory(full_name="Bo Backup")

    response = client_for(clinic_admin).post(action_url(second_admin, "deactivate"))

    assert response.status_code == 302
    second_admin.refresh_from_db()
    assert second_admin.is_active is False


def test_last_active_clinic_admin_is_protected(db: None) -> None:
    # Through the pages the acting admin is always another active admin, so the service is
    # called as it would be by a script or a later feature acting for somebody else.
    only_admin = ClinicAdminFactory(full_name="Only Admin")
    actor = TherapistFactory(full_name="Script Runner")

    with pytest.raises(ValidationError) as deactivate_error:
        services.account_deactivate(actor=actor, user=only_admin)
    with pytest.raises(ValidationError) as role_error:
        services.account_update(
            actor=actor, user=only_admin, is_clinic_admin=False, is_therapist=True
        )

    assert deactivate_error.value.messages == ["The clinic needs at least one active clinic admin."]
    assert role_error.value.message_dict == {
        "is_clinic_admin": ["The clinic needs at least one active clinic admin."]
    }
    only_admin.refresh_from_db()
    assert (only_admin.is_active, only_admin.is_clinic_admin, only_admin.is_therapist) == (
        True,
        True,
        False,
    )
    assert AuditEvent.objects.count() == 0


def test_deactivating_twice_changes_nothing_the_second_time(
    client_for: ClientFor, clinic_admin: User, former: User
) -> None:
    admin = client_for(clinic_admin)
    before = db_state()

    response = admin.post(action_url(former, "deactivate"))

    assert response.status_code == 302
    assert db_state() == before


# --- Two-factor reset and set-password links ----------------------------------------------------


def test_reset_two_factor_removes_authenticators_and_ends_sessions(
    client_for: ClientFor, clinic_admin: User, enrolled_therapist: User
) -> None:
    therapist_client = client_for(enrolled_therapist)
    admin = client_for(clinic_admin)

    response = admin.post(action_url(enrolled_therapist, "reset-two-factor"), follow=True)

    assert messages_of(response) == [
        "Two-factor reset. They will set up a new authenticator at their next sign-in."
    ]
    assert TOTPDevice.objects.filter(user=enrolled_therapist).count() == 0
    assert StaticDevice.objects.filter(user=enrolled_therapist).count() == 0
    assert StaticToken.objects.count() == 0
    assert TOTPDevice.objects.filter(user=clinic_admin).count() == 1
    assert therapist_client.get(reverse("home:home"))["Location"] == "/account/sign-in/?next=/"
    assert AuditEvent.objects.get(action="two_factor.reset").detail == (
        "authenticators removed: 1; sessions ended: 1"
    )


def test_send_link_emails_a_new_set_password_link(
    client_for: ClientFor,
    clinic_admin: User,
    therapist: User,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    admin = client_for(clinic_admin)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(action_url(therapist, "send-link"), follow=True)

    assert messages_of(response) == ["A link to set a password was sent."]
    assert [m.to for m in mail.outbox] == [[therapist.email]]
    links = re.findall(SET_PASSWORD_LINK, mail.outbox[0].body)
    assert len(links) == 1
    uidb64, token = links[0][1:]
    # The token embeds the time it was made, so check it rather than rebuild it.
    assert urlsafe_base64_decode(uidb64).decode() == str(therapist.pk)
    assert default_token_generator.check_token(therapist, token) is True
    assert AuditEvent.objects.get(action="account.set_password_link").object_id == str(therapist.pk)


def test_send_link_is_refused_for_a_deactivated_account(
    client_for: ClientFor,
    clinic_admin: User,
    former: User,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    admin = client_for(clinic_admin)
    before = db_state()

    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(action_url(former, "send-link"), follow=True)

    assert messages_of(response) == ["Reactivate the account before sending a link."]
    assert mail.outbox == []
    assert db_state() == before


def test_detail_page_shows_the_account(
    client_for: ClientFor, clinic_admin: User, enrolled_therapist: User, supervisor: User
) -> None:
    response = client_for(clinic_admin).get(detail_url(enrolled_therapist))

    assert response.status_code == 200
    context = response.context
    assert (context["account"], context["current_supervisor"]) == (enrolled_therapist, supervisor)
    assert context["two_factor_enrolled"] is True
    assert context["form"]["supervisor"].value() == supervisor.pk
    assert list(context["supervisees"]) == []


def test_licence_and_npi_are_kept_for_billing(
    client_for: ClientFor, clinic_admin: User, therapist: User
) -> None:
    admin = client_for(clinic_admin)

    wrong = admin.post(detail_url(therapist), edit_form(therapist, npi="1234567890"))
    assert wrong.status_code == 200
    assert wrong.context["form"].errors["npi"] == [
        "This NPI's check digit is wrong: please check the number."
    ]
    assert User.objects.get(pk=therapist.pk).npi == ""

    saved = admin.post(
        detail_url(therapist), edit_form(therapist, npi="1234567893", licence="LCSW 012345 (NY)")
    )
    assert saved.status_code == 302
    therapist.refresh_from_db()
    assert (therapist.npi, therapist.licence) == ("1234567893", "LCSW 012345 (NY)")
    assert AuditEvent.objects.get(action="account.update").changes == {
        "licence": ["", "LCSW 012345 (NY)"],
        "npi": ["", "1234567893"],
    }
