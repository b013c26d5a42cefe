"""What techniques add to the note page (a part per kind, sessions.extensions), the chart (the
Techniques section) and the Timeline (a source per kind), registered from
TechniquesConfig.ready()."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from clients import extensions
from sessions.extensions import NoteSection, register_note_section
from techniques import selectors
from techniques.kinds import KINDS


def register() -> None:
    extensions.register_chart_section(
        extensions.ChartSection(
            key="techniques",
            label=_("Techniques"),
            url_name="techniques:section",
            template="techniques/chart_section.html",
            # Beside the sessions whose notes they belong to.
            order=52,
        )
    )
    for kind in KINDS.values():
        register_note_section(
            NoteSection(
                key=kind.slug,
                label=kind.label,
                template="techniques/_note_part.html",
                prefetch=selectors.prefetch_note(kind),
                records=selectors.note_records(kind),
                order=kind.order,
                intervention=kind.intervention,
            )
        )
        extensions.register_timeline_source(
            extensions.TimelineSource(
                key=kind.timeline_key,
                label=kind.label,
                rows=selectors.timeline_rows(kind),
                load=selectors.timeline_load(kind),
                order=32 + kind.order // 10,
            )
        )
