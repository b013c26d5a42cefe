"""How apps above sessions add a part to the session note's page without sessions depending on
them (the techniques recorded with a note: use-episode chains, voice-dialogue parts, script
rewrites). Each registers a `NoteSection` from its AppConfig.ready()."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet

if TYPE_CHECKING:
    from sessions.models import SessionNote


@dataclass(frozen=True)
class NoteSection:
    """A part of the note page, owned by the app that registers it.

    `prefetch` adds what the part shows to the one query that loads the note
    (`sessions.selectors.note_for`), so the page costs a fixed number of queries whatever the
    note holds; `records(note)` reads it back from the prefetched rows. `template` is rendered
    below the note (outside its form) with the note page's context plus `section` and
    `records`. `intervention` names the intervention of `sessions.vocab.INTERVENTIONS` whose
    records this part holds (or ""): the note's list of interventions links to the part rather
    than repeating it."""

    key: str
    label: Any  # a lazy translation, plural
    template: str
    prefetch: Callable[[QuerySet[SessionNote]], QuerySet[SessionNote]]
    records: Callable[[SessionNote], list[Any]]
    order: int = 100
    intervention: str = ""


NOTE_SECTIONS: dict[str, NoteSection] = {}


def register_note_section(section: NoteSection) -> None:
    NOTE_SECTIONS[section.key] = section


def note_sections() -> list[NoteSection]:
    return sorted(NOTE_SECTIONS.values(), key=lambda s: (s.order, s.key))


def prefetch_for_note(qs: QuerySet[SessionNote]) -> QuerySet[SessionNote]:
    for section in note_sections():
        qs = section.prefetch(qs)
    return qs
