"""The demo clinic shows the techniques: Jamie has a use-episode chain and a part found in
voice dialogue in one session, a second part and a script rewrite in the next, each on the
note of that session (after the intake), with the interventions ticked."""

from __future__ import annotations

import pytest

from clients.demo import intake_at
from clients.models import Client
from techniques.models import ScriptRewrite, UseEpisodeChain, VoiceDialoguePart
from tests.conftest import DemoClinic


@pytest.fixture
def demo(demo_clinic: DemoClinic) -> None:
    """The demo clinic, seeded once for the run (tests/conftest.py)."""


def test_the_demo_client_has_a_chain_two_parts_and_a_script_over_two_sessions(
    demo: None,
) -> None:
    jamie = Client.objects.select_related("intake").get(legal_name="Jamie Alvarez")
    rows = [
        (model.__name__, record)
        for model in (UseEpisodeChain, VoiceDialoguePart, ScriptRewrite)
        for record in model.objects.filter(client=jamie).select_related("note__appointment")
    ]

    assert sorted(name for name, _record in rows) == [
        "ScriptRewrite",
        "UseEpisodeChain",
        "VoiceDialoguePart",
        "VoiceDialoguePart",
    ]
    sessions = sorted({record.session_at for _name, record in rows})
    assert len(sessions) == 2
    by_session = {
        when: sorted(name for name, record in rows if record.session_at == when)
        for when in sessions
    }
    assert by_session == {
        sessions[0]: ["UseEpisodeChain", "VoiceDialoguePart"],
        sessions[1]: ["ScriptRewrite", "VoiceDialoguePart"],
    }
    assert all(r.session_at == r.note.appointment.starts_at for _name, r in rows)
    assert all(r.session_at > intake_at(jamie) for _name, r in rows)
    assert all(r.hash_verified() for _name, r in rows)
    assert sorted(
        VoiceDialoguePart.objects.filter(client=jamie).values_list("stance", flat=True)
    ) == [
        "against",
        "for",
    ]
    ticked = {
        record.note_id: set(record.note.interventions)
        for name, record in rows
        if name != "UseEpisodeChain"
    }
    assert all(
        {"voice_dialogue"} <= ticks or {"negative_script"} <= ticks for ticks in ticked.values()
    )
