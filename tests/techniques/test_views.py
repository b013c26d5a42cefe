"""The technique records' pages per role, the note page's parts, the chart section and the
Timeline. The note's author treating the client adds, changes and removes records while the
note is a draft; a supervisor and a reader under an emergency grant read (403 on writes);
everyone else gets 404; a signed note answers 409 and nothing changes. Query counts are pinned
at one and at many records."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from clients.models import Client
from hrp import formats
from hrp.accounts.models import User
from sessions.models import SessionNote
from techniques.models import UseEpisodeChain, VoiceDialoguePart
from tests.emergency.factories import EmergencyGrantFactory
from tests.htmltext import page_text, parse, words
from tests.sessions.factories import (
    AttendedAppointmentFactory,
    SessionNoteFactory,
    at,
    days_from_today,
    sign_note,
)
from tests.sessions.test_note_queries import DRAFT_NOTE_QUERIES, STAGE_SUGGESTION_QUERIES
from tests.techniques.factories import (
    ScriptRewriteFactory,
    UseEpisodeChainFactory,
    VoiceDialoguePartFactory,
)

pytestmark = pytest.mark.django_db
ClientFor = Callable[[User | None], HttpClient]

PART = {"name": "The critic", "stance": "against", "wants": "Keeps me safe.", "notes": ""}

# role: section, new (GET), new (POST), edit (GET), edit (POST), remove (GET), remove (POST)
ROLE_STATUS = {
    "therapist": (200, 200, 302, 200, 302, 200, 302),
    "other_therapist": (404,) * 7,
    "supervisor": (200, 403, 403, 403, 403, 403, 403),
    "other_supervisor": (404,) * 7,
    "clinic_admin": (404,) * 7,
}


def _text(element: object) -> str:
    return words(" ".join(element.itertext()))  # type: ignore[attr-defined]


def _draft(record: Client, days_ago: int = 2) -> SessionNote:
    return SessionNoteFactory(
        appointment=AttendedAppointmentFactory(
            client=record, starts_at=at(days_from_today(-days_ago), "10:00")
        )
    )


def _urls(record: Client, note: SessionNote, part: VoiceDialoguePart) -> dict[str, str]:
    args = [record.pk, note.pk, "parts"]
    return {
        "section": reverse("techniques:section", args=[record.pk]),
        "new": reverse("techniques:new", args=args),
        "edit": reverse("techniques:edit", args=[*args, part.pk]),
        "remove": reverse("techniques:remove", args=[*args, part.pk]),
    }


def _statuses(web: HttpClient, urls: dict[str, str]) -> tuple[int, ...]:
    return (
        web.get(urls["section"]).status_code,
        web.get(urls["new"]).status_code,
        web.post(urls["new"], PART).status_code,
        web.get(urls["edit"]).status_code,
        web.post(urls["edit"], {**PART, "name": "The inner critic"}).status_code,
        web.get(urls["remove"]).status_code,
        web.post(urls["remove"]).status_code,
    )


@pytest.mark.parametrize("role", list(ROLE_STATUS))
def test_access_per_role(
    request: pytest.FixtureRequest, client_for: ClientFor, record: Client, role: str
) -> None:
    note = _draft(record)
    part = VoiceDialoguePartFactory(note=note)
    web = client_for(request.getfixturevalue(role))

    statuses = _statuses(web, _urls(record, note, part))

    assert statuses == ROLE_STATUS[role]
    if role == "therapist":
        # Added one, changed the first, then removed it: the new one stays.
        assert list(VoiceDialoguePart.objects.values_list("name", flat=True)) == ["The critic"]
    else:
        assert list(VoiceDialoguePart.objects.values_list("pk", "name")) == [
            (part.pk, VoiceDialoguePartFactory.name)
        ]


def test_anonymous_is_sent_to_sign_in(client_for: ClientFor, record: Client) -> None:
    note = _draft(record)
    part = VoiceDialoguePartFactory(note=note)
    web = client_for(None)

    for url in _urls(record, note, part).values():
        response = web.get(url)
        assert (response.status_code, response["Location"]) == (
            302,
            f"{reverse('accounts:login')}?next={url}",
        )


def test_an_emergency_reader_reads_and_may_not_write(
    client_for: ClientFor, other_therapist: User, record: Client
) -> None:
    note = _draft(record)
    part = VoiceDialoguePartFactory(note=note)
    EmergencyGrantFactory(user=other_therapist, client=record)

    statuses = _statuses(client_for(other_therapist), _urls(record, note, part))

    assert statuses == (200, 403, 403, 403, 403, 403, 403)
    assert VoiceDialoguePart.objects.count() == 1


def test_another_clinician_treating_the_client_may_not_change_the_authors_note(
    client_for: ClientFor, therapist: User, other_therapist: User, record: Client
) -> None:
    note = _draft(record)
    part = VoiceDialoguePartFactory(note=note)
    record.therapist = other_therapist
    record.save(update_fields=["therapist"])

    statuses = _statuses(client_for(other_therapist), _urls(record, note, part))

    assert statuses == (200, 403, 403, 403, 403, 403, 403)


def test_an_unknown_kind_or_another_notes_record_is_404(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    note = _draft(record)
    other = _draft(record, days_ago=9)
    part = VoiceDialoguePartFactory(note=other)
    web = client_for(therapist)

    assert [
        web.get(reverse("techniques:new", args=[record.pk, note.pk, "dreams"])).status_code,
        web.get(
            reverse("techniques:edit", args=[record.pk, note.pk, "parts", part.pk])
        ).status_code,
        web.get(
            reverse("techniques:edit", args=[record.pk, other.pk, "chains", part.pk])
        ).status_code,
    ] == [404, 404, 404]


def test_a_signed_note_answers_409_and_nothing_changes(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    note = _draft(record)
    part = VoiceDialoguePartFactory(note=note)
    sign_note(note)
    web = client_for(therapist)
    urls = _urls(record, note, part)

    responses = [
        web.get(urls["new"]),
        web.post(urls["new"], PART),
        web.post(urls["edit"], {**PART, "name": "Changed"}),
        web.post(urls["remove"]),
    ]

    assert [r.status_code for r in responses] == [409, 409, 409, 409]
    assert (
        "This note is signed, and what is recorded with it is locked with it: nothing was "
        "changed. Add an addendum to the note to correct or add to it"
    ) in page_text(responses[1])
    assert list(VoiceDialoguePart.objects.values_list("pk", "name")) == [
        (part.pk, VoiceDialoguePartFactory.name)
    ]


def test_an_empty_record_is_refused_on_the_page_keeping_what_was_typed(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    note = _draft(record)
    web = client_for(therapist)

    chain = web.post(
        reverse("techniques:new", args=[record.pk, note.pk, "chains"]),
        {"event": " ", "thought": "", "feeling": "", "impulse": "", "action": "", "other_ways": ""},
    )
    part = web.post(
        reverse("techniques:new", args=[record.pk, note.pk, "parts"]),
        {"name": "", "stance": "for", "wants": "A long rest, away from everyone.", "notes": ""},
    )

    assert (chain.status_code, part.status_code) == (400, 400)
    assert (
        "Write at least one link of the chain (what happened, the thought, the feeling, the "
        "impulse, what the client did, or what else could have met the need). An empty chain "
        "is not saved."
    ) in page_text(chain)
    assert "Write the name the client gives this part, in their words." in page_text(part)
    kept = parse(part).xpath("//textarea[@name='wants']")[0].text_content()
    assert kept.strip() == "A long rest, away from everyone."
    assert (UseEpisodeChain.objects.count(), VoiceDialoguePart.objects.count()) == (0, 0)


def test_added_through_the_page_and_shown_on_the_note(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    note = _draft(record)
    web = client_for(therapist)

    response = web.post(
        reverse("techniques:new", args=[record.pk, note.pk, "scripts"]),
        {"negative_script": "I always ruin it.", "rewrite": ""},
    )
    page = web.get(reverse("sessions:note", args=[record.pk, note.pk]))

    assert response["Location"] == (
        reverse("sessions:note", args=[record.pk, note.pk]) + "#note-section-scripts"
    )
    part = parse(page).xpath("//section[@id='note-section-scripts']")[0]
    assert words(" ".join(part.itertext())) == (
        "Script rewrites The negative script, in the client's words I always ruin it. "
        "The rewrite — Change : Script rewrites 1 Remove : Script rewrites 1 "
        "Add a script rewrite"
    )


def test_the_signed_note_shows_its_records_read_only_and_links_them_from_interventions(
    client_for: ClientFor, therapist: User, supervisor: User, record: Client
) -> None:
    note = _draft(record)
    SessionNote.objects.filter(pk=note.pk).update(interventions=["voice_dialogue"])
    VoiceDialoguePartFactory(note=note, name="The party one")
    VoiceDialoguePartFactory(note=note, name="The worrier", stance="against")
    sign_note(SessionNote.objects.get(pk=note.pk))

    for user in (therapist, supervisor):
        page = client_for(user).get(reverse("sessions:note", args=[record.pk, note.pk]))
        tree = parse(page)
        part = tree.xpath("//section[@id='note-section-parts']")[0]
        assert part.xpath(".//a") == []
        assert [
            words(a.text_content())
            for a in tree.xpath("//p[contains(@class, 'note-section-links')]/a")
        ] == [
            "Voice-dialogue parts (2)",
        ]
        assert "Locked with the signed note: a correction is an addendum." in _text(part)
        assert [words(d.text_content()) for d in part.xpath(".//dt")][:4] == [
            "The name the client gives this part",
            "Where this part stands on using",
            "What it wants or protects",
            "Notes",
        ]
        assert [words(d.text_content()) for d in part.xpath(".//dd")][:2] == [
            "The party one",
            "For using",
        ]


def test_the_chart_section_lists_each_kind_latest_session_first(
    client_for: ClientFor, supervisor: User, record: Client
) -> None:
    older = _draft(record, days_ago=9)
    newer = _draft(record, days_ago=2)
    UseEpisodeChainFactory(note=older, event="Payday.")
    ScriptRewriteFactory(note=older, negative_script="I never finish anything.")
    ScriptRewriteFactory(note=newer, negative_script="Why bother.")
    sign_note(older)

    page = client_for(supervisor).get(reverse("techniques:section", args=[record.pk]))

    tree = parse(page)
    headings = {
        section.get("id"): [words(h.text_content()) for h in section.xpath(".//h3")]
        for section in tree.xpath("//section[contains(@class, 'technique-kind')]")
    }
    day = "{d:%-d %b %Y}"
    assert headings == {
        "techniques-chains": [f"Session of {day.format(d=days_from_today(-9))} · Tess Therapist"],
        "techniques-parts": [],
        "techniques-scripts": [
            f"Session of {day.format(d=days_from_today(-2))} Draft note · Tess Therapist",
            f"Session of {day.format(d=days_from_today(-9))} · Tess Therapist",
        ],
    }
    assert "None recorded yet. They are added from a session note." in _text(
        tree.xpath("//section[@id='techniques-parts']")[0]
    )


def _many(record: Client, count: int) -> None:
    for index in range(count):
        note = _draft(record, days_ago=2 + 7 * index)
        UseEpisodeChainFactory(note=note)
        VoiceDialoguePartFactory(note=note)
        ScriptRewriteFactory(note=note)


# Session, user, authenticator; the client with the header's data; 3 flag prefetches; a page
# of each kind (3, with their notes and authors); the access event.
SECTION_QUERIES = 11


@pytest.mark.parametrize("count", [1, 25])
def test_chart_section_queries(
    client_for: ClientFor, therapist: User, record: Client, count: int, django_assert_num_queries
) -> None:
    _many(record, count)
    web = client_for(therapist)
    url = reverse("techniques:section", args=[record.pk])

    with django_assert_num_queries(SECTION_QUERIES):
        first = web.get(url)
    with django_assert_num_queries(SECTION_QUERIES):
        second = web.get(url, {"parts": "2"})

    shown = [len(p.records) for p in first.context["pages"]]
    assert shown == [min(count, 20)] * 3
    assert [len(p.records) for p in second.context["pages"]] == [
        min(count, 20),
        max(count - 20, 0),
        min(count, 20),
    ]
    assert [p.has_next for p in first.context["pages"]] == [count > 20] * 3


@pytest.mark.parametrize("count", [1, 15])
def test_note_page_queries_do_not_grow_with_its_records(
    client_for: ClientFor, therapist: User, record: Client, count: int, django_assert_num_queries
) -> None:
    note = _draft(record)
    for _index in range(count):
        UseEpisodeChainFactory(note=note)
        VoiceDialoguePartFactory(note=note)
        ScriptRewriteFactory(note=note)
    web = client_for(therapist)
    url = reverse("sessions:note", args=[record.pk, note.pk])
    web.get(url)

    # The note page's own budget for its author (tests/sessions/test_note_queries.py), which
    # counts the 3 technique prefetches whatever the number of records; this client has no
    # active goal, so the query for the goals shown is not made.
    with django_assert_num_queries(DRAFT_NOTE_QUERIES - 1 + STAGE_SUGGESTION_QUERIES):
        response = web.get(url)

    assert [len(part["records"]) for part in response.context["note_sections"]] == [count] * 3


def test_the_timeline_shows_records_of_signed_notes(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    signed = _draft(record, days_ago=9)
    draft = _draft(record, days_ago=2)
    VoiceDialoguePartFactory(note=signed, name="The one who needs a break")
    VoiceDialoguePartFactory(note=draft, name="Not yet signed")
    sign_note(signed)

    response = client_for(therapist).get(
        reverse("clients:timeline", args=[record.pk]), {"kind": "technique_parts"}
    )

    items = response.context["page"].items
    assert [(item.kind, item.entry.title, item.entry.detail) for item in items] == [
        (
            "technique_parts",
            "Voice-dialogue part",
            f"Session of {formats.date(days_from_today(-9))}: The one who needs a break",
        )
    ]
    assert items[0].entry.url == (
        reverse("sessions:note", args=[record.pk, signed.pk]) + "#note-section-parts"
    )


def test_the_sign_page_shows_what_will_be_locked_with_the_note(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    note = _draft(record)
    ScriptRewriteFactory(note=note, negative_script="Why bother.", rewrite="")

    page = client_for(therapist).get(reverse("sessions:note_sign", args=[record.pk, note.pk]))

    part = parse(page).xpath("//section[@id='note-section-scripts']")[0]
    assert _text(part) == (
        "Script rewrites The negative script, in the client's words Why bother. The rewrite —"
    )
