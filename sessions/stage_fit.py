"""Interventions that fit each stage of change, offered on the session note as suggestions.

The one place this mapping lives (issue 16). It is data, read by the note page: per substance,
the client's current stage (assessments.selectors.current_stages) and what tends to fit it.
Suggestions only: nothing is ticked, required or checked from here, and the clinician and the
client choose what to do (DOMAIN.md: start where the client is). Intervention keys are those of
sessions.vocab.INTERVENTIONS, so a suggestion names an intervention the note can record.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from sessions.vocab import INTERVENTIONS


@dataclass(frozen=True)
class StageFit:
    approach: Any  # what tends to help at this stage, in a sentence
    interventions: tuple[str, ...]  # keys of sessions.vocab.INTERVENTIONS


STAGE_FIT: dict[str, StageFit] = {
    "precontemplation": StageFit(
        _(
            "Build the relationship and stay curious about what using does for them; offer "
            "safer-use information without asking for change."
        ),
        ("overdose_prevention", "psychodynamic"),
    ),
    "contemplation": StageFit(
        _("Explore both sides of the ambivalence, with their reasons in their words."),
        ("decisional_balance", "voice_dialogue", "thinking_it_through"),
    ),
    "preparation": StageFit(
        _("Build the plan together: small, concrete steps the client chooses."),
        ("ideal_use_plan", "thinking_it_through"),
    ),
    "action": StageFit(
        _("Review the plan against what happened and practise ways of coping."),
        ("ideal_use_plan", "assertiveness", "awareness_relaxation", "stress_inoculation"),
    ),
    "maintenance": StageFit(
        _("Notice what is working and plan for lapses as information to learn from, not failure."),
        ("negative_script", "stress_inoculation", "awareness_relaxation"),
    ),
}


@dataclass(frozen=True)
class Suggestion:
    substance: str
    stage_label: Any
    on: Any  # the date the stage was recorded
    source: str  # "assessment" or "intake"
    approach: Any
    interventions: list[Any]  # labels


def suggestions(stages: Iterable[Any]) -> list[Suggestion]:
    """Per substance with a current stage (objects with name, stage, label, on, source), what
    fits that stage. No query."""
    labels = dict(INTERVENTIONS)
    found = []
    for current in stages:
        fit = STAGE_FIT.get(current.stage)
        if fit is None:
            continue
        found.append(
            Suggestion(
                substance=current.name,
                stage_label=current.label,
                on=current.on,
                source=current.source,
                approach=fit.approach,
                interventions=[labels[key] for key in fit.interventions if key in labels],
            )
        )
    return found
