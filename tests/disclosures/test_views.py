"""The Disclosures tab, the preview and the PDF download: who may open what, what the tab shows,
and refusals (400, with the reason, recording nothing).

The client's therapist produces reports; their supervisor reads the tab (403 on the preview and
the download); everyone else gets 404, because a client's existence is itself private; an
anonymous visitor is sent to sign in.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.http import HttpResponse
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from clients import extensions
from clients.models import Client, Consent
from disclosures.models import Disclosure
from hrp import formats
from hrp.accounts.models import User
from hrp.audit.models import AuditEvent
from tests.disclosures.conftest import PERIOD_END, PERIOD_START
from tests.disclosures.factories import AgencyConsentFactory, DisclosureFactory
from tests.disclosures.helpers import page_text, table_rows
from tests.sessions.factories import AppointmentFactory, at

ClientFor = Callable[[User | None], HttpClient]

TODAY = timezone.localdate()
ROLE_STATUS = {
    # role: (tab, preview, download)
    "therapist": (200, 200, 200),
    "other_therapist": (404, 404, 404),
    "supervisor": (200, 403, 403),
    "other_supervisor": (404, 404, 404),
    "clinic_admin": (404, 404, 404),
}
NO_CONSENT = (
    "No consent in force allows attendance to be disclosed to County Probation. Record the "
    "client's written consent (on the Consents tab) before producing a report."
)


def _params(consent: Consent, **changes: str) -> dict[str, str]:
    return {
        "consent": str(consent.pk),
        "start": PERIOD_START.isoformat(),
        "end": PERIOD_END.isoformat(),
        **changes,
    }


def _urls(record: Client) -> dict[str, str]:
    return {
        "tab": reverse("disclosures:chart", args=[record.pk]),
        "preview": reverse("disclosures:attendance_preview", args=[record.pk]),
        "download": reverse("disclosures:attendance_download", args=[record.pk]),
    }


def _disclosure_events() -> int:
    return AuditEvent.objects.filter(action__startswith="disclosure.").count()


def test_tab_url_is_the_charts() -> None:
    assert extensions.chart_section("disclosures").url_name == "disclosures:chart"
    assert reverse("disclosures:chart", args=[7]) == "/clients/7/disclosures/"


@pytest.mark.parametrize("role", list(ROLE_STATUS))
def test_access_matrix(
    request: pytest.FixtureRequest,
    client_for: ClientFor,
    record: Client,
    consent: Consent,
    role: str,
) -> None:
    web = client_for(request.getfixturevalue(role))
    urls = _urls(record)

    tab = web.get(urls["tab"])
    preview = web.get(urls["preview"], _params(consent))
    download = web.post(urls["download"], _params(consent))

    assert (tab.status_code, preview.status_code, download.status_code) == ROLE_STATUS[role]
    assert Disclosure.objects.count() == (1 if role == "therapist" else 0)
    assert _disclosure_events() == (1 if role == "therapist" else 0)


def test_anonymous_is_sent_to_sign_in(
    client_for: ClientFor, anonymous: None, record: Client, consent: Consent
) -> None:
    web = client_for(anonymous)
    urls = _urls(record)
    login = reverse("accounts:login")

    responses = [
        web.get(urls["tab"]),
        web.get(urls["preview"], _params(consent)),
        web.post(urls["download"], _params(consent)),
    ]

    assert [(r.status_code, r["Location"]) for r in responses] == [
        (302, f"{login}?next={urls['tab']}"),
        (
            302,
            f"{login}?next={urls['preview']}%3Fconsent%3D{consent.pk}%26start%3D"
            f"{PERIOD_START.isoformat()}%26end%3D{PERIOD_END.isoformat()}",
        ),
        (302, f"{login}?next={urls['download']}"),
    ]
    assert Disclosure.objects.count() == 0


def test_download_only_by_post(
    client_for: ClientFor, therapist: User, record: Client, consent: Consent
) -> None:
    response = client_for(therapist).get(_urls(record)["download"], _params(consent))

    assert response.status_code == 405
    assert Disclosure.objects.count() == 0


def test_download_sends_the_pdf_named_by_chart_and_period(
    client_for: ClientFor, therapist: User, record: Client, consent: Consent
) -> None:
    response = client_for(therapist).post(_urls(record)["download"], _params(consent))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'attachment; filename="attendance-report_{record.chart_number}_'
        f'{PERIOD_START.isoformat()}_to_{PERIOD_END.isoformat()}.pdf"'
    )
    assert response["Cache-Control"] == "no-store, private"
    assert response.content.startswith(b"%PDF-")


def test_therapist_tab_offers_the_form_with_valid_consents_only(
    client_for: ClientFor, therapist: User, record: Client, consent: Consent
) -> None:
    AgencyConsentFactory(client=record, expires_on=TODAY - datetime.timedelta(days=1))
    AgencyConsentFactory(client=record, recipient="State Parole Board")

    response = client_for(therapist).get(_urls(record)["tab"])

    form = response.context["form"]
    assert list(form.fields["consent"].choices) == [
        (
            consent.pk,
            f"Kings County Probation Department, Officer Lee (signed "
            f"{formats.date(consent.signed_on)}, in force until "
            f"{formats.date(consent.expires_on)})",
        )
    ]
    assert response.context["unavailable"] == ""
    assert 'action="{}"'.format(_urls(record)["preview"]) in response.content.decode()


def test_supervisor_reads_the_list_without_the_form(
    client_for: ClientFor, supervisor: User, record: Client, consent: Consent
) -> None:
    DisclosureFactory(consent=consent)

    response = client_for(supervisor).get(_urls(record)["tab"])

    page = response.content.decode()
    assert "form" not in response.context
    assert _urls(record)["preview"] not in page
    assert len(table_rows(page, "disclosures")) == 1


def test_without_a_valid_consent_the_form_is_not_offered_and_nothing_is_recorded(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    expired = AgencyConsentFactory(client=record, expires_on=TODAY - datetime.timedelta(days=1))
    web = client_for(therapist)
    urls = _urls(record)

    tab = web.get(urls["tab"])
    preview = web.get(urls["preview"], _params(expired))
    download = web.post(urls["download"], _params(expired))

    assert tab.status_code == 200
    assert tab.context["form"] is None
    assert tab.context["unavailable"] == NO_CONSENT
    assert urls["preview"] not in tab.content.decode()
    for refused in (preview, download):
        assert refused.status_code == 400
        assert refused.context["unavailable"] == NO_CONSENT
        assert NO_CONSENT in page_text(refused.content.decode())
    assert Disclosure.objects.count() == 0
    assert _disclosure_events() == 0


def test_a_consent_that_is_not_valid_is_refused_even_when_another_is(
    client_for: ClientFor, therapist: User, record: Client, consent: Consent
) -> None:
    revoked = AgencyConsentFactory(
        client=record, revoked_on=TODAY - datetime.timedelta(days=1), revoked_by="The client"
    )

    response = client_for(therapist).post(_urls(record)["download"], _params(revoked))

    assert response.status_code == 400
    assert response.context["form"].errors == {
        "consent": [
            "Choose a consent that is in force, allows attendance and names the referring agency."
        ]
    }
    assert Disclosure.objects.count() == 0
    assert _disclosure_events() == 0


@pytest.mark.parametrize("url", ["preview", "download"])
def test_a_wrong_period_is_refused_with_the_reason(
    client_for: ClientFor, therapist: User, record: Client, consent: Consent, url: str
) -> None:
    web = client_for(therapist)
    data = _params(consent, end=(TODAY + datetime.timedelta(days=1)).isoformat())

    response = (
        web.get(_urls(record)[url], data)
        if url == "preview"
        else web.post(_urls(record)[url], data)
    )

    assert response.status_code == 400
    assert response.context["form"].non_field_errors() == [
        "The period cannot end after today: a report covers only what has happened."
    ]
    assert "The period cannot end after today" in page_text(response.content.decode())
    assert Disclosure.objects.count() == 0


def test_preview_records_nothing_and_offers_the_download(
    client_for: ClientFor, therapist: User, record: Client, consent: Consent
) -> None:
    AppointmentFactory(client=record, starts_at=at(PERIOD_START, "09:30"), status="attended")

    response = client_for(therapist).get(_urls(record)["preview"], _params(consent))

    page = response.content.decode()
    assert response.status_code == 200
    assert Disclosure.objects.count() == 0
    assert _disclosure_events() == 0
    assert table_rows(page, "sessions") == [
        [f"{PERIOD_START:%a} {PERIOD_START.day} {PERIOD_START:%b %Y}", "09:30", "Attended"]
    ]
    assert table_rows(page, "counts") == [
        ["Sessions scheduled", "1"],
        ["Attended", "1"],
        ["Cancelled by the client", "0"],
        ["Cancelled by the clinic", "0"],
        ["Did not attend", "0"],
    ]
    assert f'action="{_urls(record)["download"]}"' in page
    for name, value in _params(consent).items():
        assert f'<input type="hidden" name="{name}" value="{value}">' in page


def test_download_is_listed_on_the_tab(
    client_for: ClientFor, therapist: User, record: Client, consent: Consent
) -> None:
    AppointmentFactory(client=record, starts_at=at(PERIOD_START, "09:30"), status="attended")
    AppointmentFactory(client=record, starts_at=at(PERIOD_END, "09:30"), status="no_show")
    web = client_for(therapist)
    web.post(_urls(record)["download"], _params(consent))
    disclosure = Disclosure.objects.get()

    response = web.get(_urls(record)["tab"])

    local = timezone.localtime(disclosure.disclosed_at)
    assert table_rows(response.content.decode(), "disclosures") == [
        [
            f"{local.day} {local:%b %Y, %H:%M}",
            "Tess Therapist",
            "Kings County Probation Department, Officer Lee",
            f"Attendance report, {PERIOD_START.day} {PERIOD_START:%b %Y} – "
            f"{PERIOD_END.day} {PERIOD_END:%b %Y} 2 scheduled, 1 attended, 1 did not attend",
            f"Kings County Probation Department, Officer Lee, signed "
            f"{consent.signed_on.day} {consent.signed_on:%b %Y}",
            disclosure.sha256[:12] + "…",
        ]
    ]


def test_empty_list_says_so(
    client_for: ClientFor, therapist: User, record: Client, consent: Consent
) -> None:
    response: HttpResponse = client_for(therapist).get(_urls(record)["tab"])

    assert table_rows(response.content.decode(), "disclosures") == [
        ["Nothing has been disclosed from this record."]
    ]


def test_download_appears_in_who_accessed_this_record(
    client_for: ClientFor, therapist: User, record: Client, consent: Consent
) -> None:
    web = client_for(therapist)
    web.post(_urls(record)["download"], _params(consent))

    response = web.get(reverse("clients:access_log", args=[record.pk]))

    events = [row[1:3] for row in table_rows(response.content.decode(), "table-sm")]
    assert events[:2] == [
        ["Tess Therapist", "Access: Viewed record: who accessed it"],
        ["Tess Therapist", "Access: Attendance report disclosed"],
    ]
