"""The language hint on every clinician free-text box (hrp/language.py), found by walking every
form class in the project rather than by a list: a form added tomorrow is walked too."""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import pytest
from django import forms
from django.apps import apps
from django.conf import settings

from hrp.language import (
    HINT_ATTR,
    HintedBoundField,
    HintingRenderer,
    client_words,
    hint_applies,
    is_client_words,
)

ROOT = Path(settings.BASE_DIR).resolve()
# Wording that says a box holds the client's own words. A field whose label or help says so but
# that is not declared `client_words` would be "corrected": the walk refuses it.
SAYS_CLIENT_WORDS = re.compile(
    r"in (?:the client's|their|my)(?: own)? words|as they said it", re.IGNORECASE
)


def _project_form_classes() -> list[type[forms.BaseForm]]:
    for config in apps.get_app_configs():
        path = Path(config.path).resolve()
        if ROOT not in path.parents or ".venv" in path.parts:
            continue
        for info in pkgutil.walk_packages([str(path)], prefix=f"{config.name}."):
            leaf = info.name.rsplit(".", 1)[-1]
            if "forms" in leaf or "views" in leaf:
                importlib.import_module(info.name)
    seen: list[type[forms.BaseForm]] = []
    stack = list(forms.BaseForm.__subclasses__())
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if cls.__module__.split(".")[0] in {"django", "crispy_forms", "tests"}:
            continue
        if cls not in seen:
            seen.append(cls)
    return seen


FORMS = _project_form_classes()


def _textareas() -> list[tuple[type[forms.BaseForm], str, forms.Field]]:
    return [
        (cls, name, field)
        for cls in FORMS
        for name, field in cls.base_fields.items()
        if isinstance(field.widget, forms.Textarea)
    ]


def test_the_walk_finds_the_forms_named_in_the_issue() -> None:
    names = {f"{cls.__module__}.{cls.__name__}" for cls in FORMS}
    expected = {
        "goals.forms.ReviewForm",  # goal reviews
        "assessments.harm_forms.HarmAssessmentForm",  # harm assessment
        "goals.plan_forms.PlanSectionForm",  # the ideal use plan
        "clients.forms.ReasonForm",  # intake
        "clients.forms.ConcernsForm",
        "clients.forms.MedicalForm",
        "sessions.forms.AddendumForm",  # addenda
        "clients.forms.StatusForm",  # discharge reason
        "supervision.forms.MeetingForm",  # supervision text
        "supervision.forms.CommentForm",
        "sessions.forms.NoteForm",
    }
    assert expected <= names
    assert len(_textareas()) > 40


def test_every_form_renders_through_the_hinting_bound_field() -> None:
    assert settings.FORM_RENDERER == "hrp.language.HintingRenderer"
    assert forms.Form().bound_field_class is HintedBoundField
    overriding = [
        cls.__qualname__
        for cls in FORMS
        if cls.bound_field_class not in (None, HintedBoundField)
        or cls.default_renderer not in (None, HintingRenderer)
        or any(
            f.bound_field_class not in (None, HintedBoundField) for f in cls.base_fields.values()
        )
    ]
    assert overriding == []


@pytest.mark.parametrize(
    ("cls", "name", "field"),
    _textareas(),
    ids=[f"{c.__module__}.{c.__name__}.{n}" for c, n, _f in _textareas()],
)
def test_each_textarea_is_hinted_unless_it_holds_the_clients_words(
    cls: type[forms.BaseForm], name: str, field: forms.Field
) -> None:
    says = bool(SAYS_CLIENT_WORDS.search(f"{field.label or ''} {field.help_text or ''}"))
    declared = is_client_words(cls, name, field)
    if says:
        assert declared, "says it holds the client's words but is not declared client_words"
    assert hint_applies(cls, name, field) is (not declared)


def test_the_clients_words_are_never_hinted_and_clinician_text_always_is() -> None:
    hinted = {(c.__module__, c.__name__, n) for c, n, f in _textareas() if hint_applies(c, n, f)}
    for place in [
        ("goals.forms", "ReviewForm", "what_happened"),
        ("goals.forms", "ReviewForm", "learned"),
        ("assessments.harm_forms", "HarmAssessmentForm", "notes"),
        ("goals.plan_forms", "PlanSectionForm", "clinician_notes"),
        ("clients.forms", "ConcernsForm", "concerns_notes"),
        ("clients.forms", "MedicalEvaluationForm", "findings"),
        ("sessions.forms", "AddendumForm", "text"),
        ("clients.forms", "StatusForm", "discharge_reason"),
        ("supervision.forms", "MeetingForm", "guidance"),
        ("supervision.forms", "MeetingForm", "countertransference"),
        ("supervision.forms", "CommentForm", "text"),
        ("supervision.forms", "FidelityReviewForm", "comment"),
        ("sessions.forms", "NoteForm", "plan"),
        ("sessions.forms", "NoteForm", "narrative"),
    ]:
        assert place in hinted, place
    for place in [
        ("goals.forms", "GoalForm", "client_words"),
        ("assessments.harm_forms", "HarmAssessmentForm", "physical_words"),
        ("assessments.harm_forms", "HarmAssessmentForm", "benefits_of_use"),
        ("goals.plan_forms", "PlanSectionForm", "client_words"),
        ("clients.forms", "ReasonForm", "reason_for_coming"),
        ("clients.forms", "ReasonForm", "client_goals"),
        ("sessions.forms", "NoteForm", "agenda"),
        ("safety.forms", "SafetyPlanForm", "warning_signs"),
    ]:
        assert place not in hinted, place


class _Plain(forms.Form):
    mine = forms.CharField(widget=forms.Textarea)
    theirs = client_words(forms.CharField(widget=forms.Textarea))
    line = forms.CharField()


def test_the_attribute_is_on_the_rendered_textarea_only() -> None:
    html = {name: str(_Plain()[name]) for name in ("mine", "theirs", "line")}
    assert f" {HINT_ATTR}" in html["mine"] and "<textarea" in html["mine"]
    assert HINT_ATTR not in html["theirs"]
    assert HINT_ATTR not in html["line"]
    # Shown as a hidden input (e.g. carried through a step), a textarea field is not hinted.
    assert HINT_ATTR not in _Plain()["mine"].as_hidden()
