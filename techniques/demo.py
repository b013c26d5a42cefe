"""The demo clinic's technique records: one client (Jamie, who wants to keep going out with
friends without losing whole nights) worked with a use-episode chain and a part found in
voice dialogue in one session, and with a second part and a script rewrite the next. The
records are added to the notes while they are drafts (through sessions.demo's `with_draft`),
so they are dated by those sessions and locked when the notes are signed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from clients.models import Client
from sessions import services as session_services
from sessions.models import Appointment, SessionNote
from techniques import services
from techniques.kinds import KINDS

DEMO_CLIENT = "Jamie Alvarez"

# (kind, values) per session: the earlier, then the later of the two.
FIRST_SESSION: list[tuple[str, dict[str, str]]] = [
    (
        "chains",
        {
            "event": "Friday after a long week. The group chat said drinks at Lucky's at 8.",
            "thought": "I deserve to let go. Everyone else can handle it, why can't I.",
            "feeling": "Wound up from work, and a bit lonely under the excitement.",
            "impulse": "Catch up fast: shots first so I'm at everyone's level.",
            "action": "Six drinks in the first two hours; I don't remember getting home.",
            "other_ways": "The need was to unwind and feel part of the group. Eating first, a "
            "pint of water between rounds, and leaving with Sam at midnight could meet it.",
        },
    ),
    (
        "parts",
        {
            "name": "The Party Host",
            "stance": "for",
            "wants": "Wants me to feel free and liked; protects me from feeling left out.",
            "notes": "Loud, warm, gets scared when the night might end early.",
        },
    ),
]
SECOND_SESSION: list[tuple[str, dict[str, str]]] = [
    (
        "parts",
        {
            "name": "The Night-Watcher",
            "stance": "against",
            "wants": "Wants me to remember the whole night; protects things with Sam.",
            "notes": "Quieter; shows up on Sunday mornings. Jamie said it is not a killjoy.",
        },
    ),
    (
        "scripts",
        {
            "negative_script": "Once I start I can't stop, so I might as well go all out.",
            "rewrite": "I've stopped at three before. Starting is not the same as losing the "
            "night; I can plan the first drink and the last one.",
        },
    ),
]


@dataclass
class DemoTechniques:
    """`add` is sessions.demo's `with_draft`: it records the planned techniques on the notes
    of the chosen sessions and ticks the interventions they belong to."""

    plan: dict[int, list[tuple[str, dict[str, str]]]] = field(default_factory=dict)
    count: int = 0

    def add(self, note: SessionNote) -> SessionNote:
        planned = self.plan.get(note.appointment_id, [])
        if not planned:
            return note
        for slug, values in planned:
            services.technique_add(actor=note.author, note=note, kind=KINDS[slug], values=values)
            self.count += 1
        wanted = [KINDS[slug].intervention for slug, _values in planned if KINDS[slug].intervention]
        interventions = list(dict.fromkeys([*(note.interventions or []), *wanted]))
        return session_services.note_save(
            actor=note.author,
            note=note,
            expected_version=note.version,
            values={"interventions": interventions},
        ).note


def demo_techniques(*, clients: list[Client]) -> DemoTechniques:
    """The plan for the demo client: the two attended sessions before the latest one (the
    latest may be left without a note, as a late one). Nothing when the client is not among
    `clients`, has fewer sessions, or already has notes (seed_demo runs again)."""
    demo = DemoTechniques()
    client: Any = next((c for c in clients if c.legal_name == DEMO_CLIENT), None)
    if client is None or client.session_notes.exists():
        return demo
    attended = list(
        client.appointments.filter(status=Appointment.Status.ATTENDED)
        .order_by("-starts_at")
        .values_list("pk", flat=True)[1:3]
    )
    if len(attended) == 2:
        later, earlier = attended
        demo.plan = {earlier: FIRST_SESSION, later: SECOND_SESSION}
    return demo
