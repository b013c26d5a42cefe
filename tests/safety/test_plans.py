"""The safety plan and the overdose prevention plan: written with the client on a page, each
change a new version (earlier ones never change), the client's words encrypted at rest, the
clinic's crisis lines filled in, refusal with nothing stored, and the client's printed copy
(PDF) with their words and the crisis lines but no chart number, its printing audited.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.urls import reverse

from clients.models import Client
from hrp import clinic, formats
from hrp.accounts.models import User
from hrp.audit.models import AuditEvent
from safety import services
from safety.models import (
    SAFETY_STEPS,
    ImmutableError,
    OverdosePlanVersion,
    SafetyPlanVersion,
)
from tests.htmltext import parse, words
from tests.pdftext import pdf_text
from tests.safety.helpers import (
    OVERDOSE,
    STEPS,
    days,
    overdose_version,
    safety_version,
    window,
)

ClientFor = Callable[[User | None], HttpClient]
CRISIS = "988 Suicide & Crisis Lifeline: call or text 988, any time"


def edit_url(record: Client, kind: str = "safety") -> str:
    return reverse(f"safety:{kind}_edit", kwargs={"pk": record.pk})


def form_post(**changes: str) -> dict[str, str]:
    return {
        **STEPS,
        "crisis_lines": CRISIS,
        "review_date": days(28).isoformat(),
        "reason": "",
        "based_on": "0",
        **changes,
    }


# --- Writing and versions -------------------------------------------------------------------------


def test_a_new_plan_starts_with_the_clinics_crisis_lines(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    clinic.store({"SAFETY_CRISIS_LINES": "Samaritans: call 116 123"})

    response = client_for(therapist).get(edit_url(record))

    field = parse(response).xpath("//*[@id='id_crisis_lines']")[0]
    assert field.get("value") == "Samaritans: call 116 123"
    labels = [words(e.text_content()) for e in parse(response).xpath("//label")]
    assert labels[:6] == [str(title) for _f, title, _p in SAFETY_STEPS]


def test_the_page_saves_the_first_version_in_the_clients_words(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    response = client_for(therapist).post(edit_url(record), form_post())

    version = SafetyPlanVersion.objects.get()
    assert response.status_code == 302
    assert (version.plan.client, version.number, version.created_by, version.reason) == (
        record,
        1,
        therapist,
        "",
    )
    assert {f: getattr(version, f) for f in STEPS} == STEPS
    assert (version.crisis_lines, version.review_date) == (CRISIS, days(28))
    event = AuditEvent.objects.get(action="safety_plan.version")
    assert (event.actor, event.chart_number, event.changes) == (
        therapist,
        record.chart_number,
        {"version": [None, 1]},
    )


def test_the_clients_words_are_encrypted_at_rest(therapist: User, record: Client) -> None:
    version = safety_version(therapist, record)
    overdose = overdose_version(therapist, record)

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT warning_signs, people_to_ask FROM safety_safetyplanversion WHERE id = %s",
            [version.pk],
        )
        safety_raw = cursor.fetchone()
        cursor.execute(
            "SELECT naloxone_where, client_words FROM safety_overdoseplanversion WHERE id = %s",
            [overdose.pk],
        )
        overdose_raw = cursor.fetchone()

    for raw in (*safety_raw, *overdose_raw):
        assert raw.startswith("enc1:")
    assert "Ana" not in "".join(safety_raw)


def test_a_change_is_a_new_version_and_the_earlier_one_stays(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    first = safety_version(therapist, record)

    response = client_for(therapist).post(
        edit_url(record),
        form_post(coping_alone="Call the warmline", reason="Added the warmline", based_on="1"),
    )

    assert response.status_code == 302
    v1, v2 = SafetyPlanVersion.objects.order_by("number")
    assert v1.pk == first.pk
    assert (v1.coping_alone, v2.coping_alone) == (STEPS["coping_alone"], "Call the warmline")
    assert (v2.number, v2.reason) == (2, "Added the warmline")


def test_the_same_content_adds_no_version(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    safety_version(therapist, record, crisis_lines=CRISIS)

    response = client_for(therapist).post(edit_url(record), form_post(based_on="1"))

    assert response.status_code == 302
    assert SafetyPlanVersion.objects.count() == 1


def test_a_second_version_needs_a_reason(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    safety_version(therapist, record)

    response = client_for(therapist).post(
        edit_url(record), form_post(coping_alone="Something new", based_on="1")
    )

    assert response.status_code == 400
    assert SafetyPlanVersion.objects.count() == 1
    errors = parse(response).xpath("//*[starts-with(@id, 'error_') and contains(@id, 'reason')]")
    assert [words(e.text_content()) for e in errors] == ["Say briefly what changed and why."]


def test_a_save_on_top_of_a_newer_version_is_refused_and_keeps_what_was_typed(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    safety_version(therapist, record)
    safety_version(therapist, record, coping_alone="Music", reason="Music helps")

    response = client_for(therapist).post(
        edit_url(record),
        form_post(coping_alone="Typed on the old page", reason="Late", based_on="1"),
    )

    assert response.status_code == 409
    assert SafetyPlanVersion.objects.count() == 2
    page = parse(response)
    assert page.xpath("//*[@id='id_coping_alone']")[0].text_content().strip() == (
        "Typed on the old page"
    )
    assert page.xpath("//*[@id='id_based_on']")[0].get("value") == "2"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({k: "" for k in STEPS}, "Write at least one part of the plan, in the client's words."),
        ({"review_date": "2026-02-30"}, "Enter a date such as 2026-06-01."),
        ({"warning_signs": "x" * 10_001}, "Please keep this under 10,000 characters"),
    ],
    ids=["empty", "bad-date", "too-long"],
)
def test_a_refused_plan_stores_nothing(
    client_for: ClientFor, therapist: User, record: Client, changes: dict[str, str], message: str
) -> None:
    response = client_for(therapist).post(edit_url(record), form_post(**changes))

    assert response.status_code == 400
    assert SafetyPlanVersion.objects.count() == 0
    assert AuditEvent.objects.filter(action="safety_plan.version").count() == 0
    assert message in words(parse(response).text_content())


def test_versions_are_append_only(therapist: User, record: Client) -> None:
    version = safety_version(therapist, record)
    version.warning_signs = "Rewritten"

    with pytest.raises(ImmutableError):
        version.save()
    with pytest.raises(ImmutableError):
        version.delete()
    assert SafetyPlanVersion.objects.get().warning_signs == STEPS["warning_signs"]


def test_the_overdose_plan_is_versioned_the_same_way(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    overdose_version(therapist, record)

    response = client_for(therapist).post(
        edit_url(record, "overdose"),
        {
            **{k: v for k, v in OVERDOSE.items() if not isinstance(v, bool)},
            "has_naloxone": "on",
            "knows_naloxone": "on",
            "fentanyl_strips": "on",
            "xylazine_strips": "on",
            "review_date": days(10).isoformat(),
            "reason": "Xylazine strips now from the van",
            "based_on": "1",
        },
    )

    assert response.status_code == 302
    v1, v2 = OverdosePlanVersion.objects.order_by("number")
    assert (v1.xylazine_strips, v2.xylazine_strips) == (False, True)
    assert (v2.number, v2.review_date, v2.reason) == (
        2,
        days(10),
        "Xylazine strips now from the van",
    )


# --- Pages ----------------------------------------------------------------------------------------


def test_the_section_shows_the_current_versions(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    safety_version(therapist, record)
    safety_version(therapist, record, coping_alone="Music", reason="Music helps")
    overdose_version(therapist, record)

    page = parse(client_for(therapist).get(reverse("safety:section", kwargs={"pk": record.pk})))

    steps = page.xpath("//li[@data-step]")
    assert [s.get("data-step") for s in steps] == [f for f, _t, _p in SAFETY_STEPS]
    assert words(steps[1].text_content()) == "Things I can do on my own to get through it Music"
    assert (
        words(page.xpath("//*[@data-part='naloxone_where']")[0].text_content())
        == (OVERDOSE["naloxone_where"])
    )


def test_the_history_lists_every_version_newest_first(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    safety_version(therapist, record)
    safety_version(therapist, record, coping_alone="Music", reason="Music helps")

    page = parse(
        client_for(therapist).get(reverse("safety:safety_history", kwargs={"pk": record.pk}))
    )

    rows = [[words(td.text_content()) for td in tr.xpath("td")] for tr in page.xpath("//tbody/tr")]
    assert [(r[0], r[2], r[4]) for r in rows] == [
        ("Version 2 current", "Tess Therapist", "Music helps"),
        ("Version 1", "Tess Therapist", "First version"),
    ]


def test_another_clients_version_number_is_404(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    response = client_for(therapist).get(
        reverse("safety:safety_version", kwargs={"pk": record.pk, "number": 1})
    )

    assert response.status_code == 404


# --- The client's printed copy --------------------------------------------------------------------


def test_the_printed_safety_plan_has_the_clients_words_and_the_crisis_lines(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    safety_version(therapist, record)

    response = client_for(therapist).get(
        reverse("safety:safety_print", kwargs={"pk": record.pk, "number": 1})
    )

    text = words(pdf_text(response.content))
    assert response["Content-Disposition"] == 'inline; filename="my-safety-plan-v1.pdf"'
    assert response["Cache-Control"] == "no-store, private"
    assert text.startswith("My safety plan")
    for _field, title, _prompt in SAFETY_STEPS:
        assert str(title) in text
    for value in STEPS.values():
        assert value in text
    assert CRISIS in text
    assert "In an emergency, call 911." in text
    # The client's own copy: no chart number, no name.
    assert record.chart_number not in text
    assert record.preferred_name not in text
    event = AuditEvent.objects.get(action="safety_plan.print")
    assert (event.category, event.actor, event.chart_number, event.changes) == (
        AuditEvent.Category.ACCESS,
        therapist,
        record.chart_number,
        {"version": [None, 1]},
    )


def test_the_printed_overdose_plan_has_the_clients_answers(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    overdose_version(therapist, record)
    window(therapist, record, start=-3, end=24)

    response = client_for(therapist).get(
        reverse("safety:overdose_print", kwargs={"pk": record.pk, "number": 1})
    )

    text = words(pdf_text(response.content))
    assert text.startswith(
        f"My overdose prevention plan Ways I keep myself and the people around me safer when "
        f"I use. My tolerance is lower until {formats.date(days(24))}: the amount "
        "I used to take can be too much now. I start with much less and go slow."
    )
    assert "☑ I have naloxone" in text
    assert "☐ I use xylazine test strips" in text
    assert OVERDOSE["naloxone_where"] in text
    assert "call 911, give naloxone" in text
    assert record.chart_number not in text
    assert AuditEvent.objects.filter(action="overdose_plan.print").count() == 1


def test_the_service_refuses_a_reader(supervisor: User, record: Client) -> None:
    with pytest.raises(Exception) as refused:
        services.safety_plan_save(
            actor=supervisor, client=record, values=STEPS, review_date=days(5)
        )

    assert type(refused.value).__name__ == "PermissionDenied"
    assert SafetyPlanVersion.objects.count() == 0
