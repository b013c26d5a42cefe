"""Reads for the technique records: the note page's parts (prefetched with the note), the
chart section (each kind over time, a page at a time) and the Timeline (records of signed
notes). Every read is scoped by a client or note the caller got through `hrp.access`."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

from django.db.models import F, Prefetch, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from clients.extensions import TimelineEntry
from clients.models import Client
from hrp import formats
from sessions.models import SessionNote
from techniques.kinds import KINDS, Kind
from techniques.models import NoteTechnique

# Records of one kind per page of the chart section.
SECTION_PAGE = 20
TIMELINE_EXCERPT = 80


# --- The note page -----------------------------------------------------------------------------


def prefetch_note(kind: Kind) -> Any:
    """For sessions.extensions.NoteSection.prefetch: the note's records of `kind` (one query)."""

    def prefetch(qs: QuerySet[SessionNote]) -> QuerySet[SessionNote]:
        return qs.prefetch_related(
            Prefetch(kind.related, queryset=kind.model.objects.order_by("created_at", "id"))
        )

    return prefetch


def note_records(kind: Kind) -> Any:
    """For sessions.extensions.NoteSection.records: read back what `prefetch_note` loaded."""

    def records(note: SessionNote) -> list[NoteTechnique]:
        return list(getattr(note, kind.related).all())

    return records


def record_for(note: SessionNote, kind: Kind, record_pk: int) -> NoteTechnique | None:
    """A record of `kind` on `note` (whose client the caller has checked), or None."""
    return kind.model.objects.filter(note=note, pk=record_pk).first()


# --- The chart section ---------------------------------------------------------------------------


@dataclass(frozen=True)
class KindPage:
    kind: Kind
    records: list[NoteTechnique]
    number: int
    has_next: bool
    # The query strings of the previous and next page, keeping the other kinds' pages.
    previous_query: str = ""
    next_query: str = ""

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def param(self) -> str:
        return self.kind.slug


def kind_page(client: Client, kind: Kind, number: int) -> KindPage:
    """One page of the client's records of `kind`, latest session first: one query reading a
    page of rows through the index (client, session_at), one row more to know if there is a
    next page (no count of the whole history)."""
    start = (number - 1) * SECTION_PAGE
    rows = list(
        kind.model.objects.filter(client=client)
        .select_related("note", "author")
        .only(
            *kind.model.TEXT_FIELDS,
            *kind.model.CHOICE_FIELDS,
            "pk",
            "client_id",
            "note_id",
            "author_id",
            "session_at",
            "created_at",
            "content_hash",
            "note__status",
            "note__client_id",
            "author__full_name",
        )
        .order_by("-session_at", "-id")[start : start + SECTION_PAGE + 1]
    )
    return KindPage(
        kind=kind,
        records=rows[:SECTION_PAGE],
        number=number,
        has_next=len(rows) > SECTION_PAGE,
    )


def section_pages(client: Client, numbers: dict[str, int]) -> list[KindPage]:
    """Each kind's page for the chart section: one query per kind."""
    pages = []
    for slug, kind in _kinds():
        page = kind_page(client, kind, numbers.get(slug, 1))
        pages.append(
            replace(
                page,
                previous_query=_query(numbers, slug, page.number - 1),
                next_query=_query(numbers, slug, page.number + 1),
            )
        )
    return pages


def _query(numbers: dict[str, int], slug: str, number: int) -> str:
    wanted = {**numbers, slug: number}
    return "?" + urlencode({key: value for key, value in sorted(wanted.items()) if value > 1})


def _kinds() -> list[tuple[str, Kind]]:
    return sorted(KINDS.items(), key=lambda item: (item[1].order, item[0]))


# --- The Timeline ---------------------------------------------------------------------------------


def timeline_rows(kind: Kind) -> Any:
    """The client's records of `kind` on signed notes (a draft is not yet part of the record,
    as on the Timeline's notes), at the session's time."""

    def rows(client: Client) -> QuerySet[NoteTechnique]:
        return kind.model.objects.filter(client=client, note__signed_at__isnull=False).annotate(
            timeline_at=F("session_at")
        )

    return rows


def summary(record: NoteTechnique) -> str:
    """A line for the Timeline: the record's first words in the client's words."""
    first = next(
        (getattr(record, name) for name in record.TEXT_FIELDS if getattr(record, name)), ""
    )
    return Truncator(" ".join(str(first).split())).chars(TIMELINE_EXCERPT)


def timeline_load(kind: Kind) -> Any:
    def load(pks: list[int]) -> dict[int, TimelineEntry]:
        entries = {}
        for record in kind.model.objects.filter(pk__in=pks).select_related("author"):
            day = timezone.localtime(record.session_at)
            entries[record.pk] = TimelineEntry(
                at=record.session_at,
                title=str(kind.singular),
                detail=_("Session of %(day)s: %(summary)s")
                % {"day": formats.date(day), "summary": summary(record)},
                url=reverse("sessions:note", args=[record.client_id, record.note_id])
                + f"#note-section-{kind.slug}",
                who=record.author.full_name,
            )
        return entries

    return load
