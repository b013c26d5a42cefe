"""The fixed vocabularies of a session note: formats, interventions, the awareness and
relaxation exercise, risk levels and the client's session rating (wording from DOMAIN.md). The
language hint, used on every clinician text and not only here, lives in hrp/language.py."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class NoteFormat(models.TextChoices):
    DAP = "dap", _("DAP (data, assessment, plan)")
    SOAP = "soap", _("SOAP (subjective, objective, assessment, plan)")
    NARRATIVE = "narrative", _("Narrative")


# The body fields each format uses, with their labels, in order.
FORMAT_FIELDS: dict[str, list[tuple[str, object]]] = {
    NoteFormat.DAP: [
        ("data", _("Data")),
        ("assessment", _("Assessment")),
        ("plan", _("Plan")),
    ],
    NoteFormat.SOAP: [
        ("data", _("Subjective")),
        ("objective", _("Objective")),
        ("assessment", _("Assessment")),
        ("plan", _("Plan")),
    ],
    NoteFormat.NARRATIVE: [("narrative", _("Narrative"))],
}


class RiskLevel(models.TextChoices):
    NONE = "none", _("None noted")
    SOME = "some", _("Some")
    ACUTE = "acute", _("Acute")


class ContactKind(models.TextChoices):
    """A contact with or about the client outside a session (sessions.OutsideContact)."""

    PHONE = "phone", _("Phone call")
    TEXT = "text", _("Text message")
    VIDEO = "video", _("Video call")
    OUTREACH = "outreach", _("Outreach contact")
    CRISIS = "crisis", _("Crisis contact")
    COLLATERAL = "collateral", _("Collateral contact (with consent)")


INTERVENTIONS: list[tuple[str, object]] = [
    ("decisional_balance", _("Decisional balance / cost-benefit")),
    ("negative_script", _("Re-writing the negative script")),
    ("ideal_use_plan", _("Ideal use plan work")),
    ("voice_dialogue", _("Voice dialogue with the parts for and against using")),
    ("awareness_relaxation", _("Awareness and relaxation training")),
    ("relaxation", _("Relaxation")),
    ("assertiveness", _("Assertiveness and refusal skills")),
    ("anger_management", _("Anger management")),
    ("stress_inoculation", _("Stress inoculation")),
    ("rational_disputation", _("Rational disputation")),
    ("thinking_it_through", _("“Thinking it through”")),
    ("psychodynamic", _("Psychodynamic exploration of attachments behind the use")),
    ("overdose_prevention", _("Overdose-prevention education")),
    ("medical_referral", _("Referral to medical care")),
    ("medication", _("Medication")),
]

EXERCISE_STAGES: list[tuple[str, object]] = [
    ("awareness", _("1. Awareness")),
    ("tension_reading", _("2. Tension reading (0-10)")),
    ("breathing", _("3. Slow deep breathing")),
    ("word_phrase", _("4. A word or phrase for the wished-for feeling")),
    ("safe_place", _("5. Visualising a safe place")),
    ("review", _("6. Review and integration")),
]

# The product's own four-item session rating, asked of the client at the end of the session.
RATING_ITEMS: list[tuple[str, object]] = [
    ("rating_heard", _("I felt heard and respected")),
    ("rating_wanted", _("We worked on what I wanted to work on")),
    ("rating_approach", _("The approach fit me")),
    ("rating_overall", _("Overall, today's session was right for me")),
]
