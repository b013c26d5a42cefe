"""What apps above groups add to a group meeting's page, registered from their `ready()`: groups
knows nothing of them (billing adds "Code for billing", for instance)."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise


@dataclass(frozen=True)
class MeetingAction:
    """A link on a meeting's page for the group's facilitators: `url_name` takes the meeting's
    pk."""

    key: str
    label: str | Promise
    url_name: str
    order: int = 50


_MEETING_ACTIONS: dict[str, MeetingAction] = {}


def register_meeting_action(action: MeetingAction) -> None:
    _MEETING_ACTIONS[action.key] = action


def meeting_actions() -> list[MeetingAction]:
    return sorted(_MEETING_ACTIONS.values(), key=lambda action: (action.order, action.key))
