"""The HRP fidelity checklist: the therapist behaviours the model names (DOMAIN.md; Tatarsky
2003), as data in this one place. The review form, the service's validation, the review page
and the trainee's trend all read these lists; a clinic that adds an item adds it here."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Item:
    key: str
    label: object
    # What the supervisor looks for, shown under the item.
    looks_like: object


ITEMS: tuple[Item, ...] = (
    Item(
        "client_agenda",
        _("Started from the client's agenda"),
        _("The session began with what the client wanted to talk about today."),
    ),
    Item(
        "ambivalence",
        _("Explored both sides of ambivalence"),
        _("The good things about using and the reasons to change were both given room."),
    ),
    Item(
        "no_judgement",
        _("No judgement of use"),
        _("Use, including use above the plan, was met with curiosity, not disapproval."),
    ),
    Item(
        "client_goals",
        _("Goals owned by the client"),
        _("Goals were the client's own, in their words; abstinence was not assumed."),
    ),
    Item(
        "safety",
        _("Safety addressed"),
        _("Overdose risk and suicidal thoughts were asked about and followed up."),
    ),
)
ITEM_KEYS = tuple(item.key for item in ITEMS)

# Ratings, lowest first. Stored as these numbers so the trend can average them.
NOT_OBSERVED, PARTLY, CLEARLY = 0, 1, 2
RATINGS: tuple[tuple[int, object], ...] = (
    (NOT_OBSERVED, _("Not observed")),
    (PARTLY, _("Partly")),
    (CLEARLY, _("Clearly")),
)
RATING_LABELS = dict(RATINGS)
RATING_MAX = CLEARLY
