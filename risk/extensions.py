"""The sources of risk flags, registered by the apps that hold them.

`risk` sits below the clinical apps (assessments, sessions, safety...), so it cannot name
them. Each source app registers, from its AppConfig.ready(), a RiskSource under the key it
passes to `risk.services.risk_flag_raise(source_key=...)`: a label for the chart, and how to
link from a flag to the record that raised it. `risk_flag_raise` refuses an unregistered key.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RiskSource:
    key: str  # "assessments.phq9", "sessions.note", "assessments.harm", "safety.tolerance"
    label: Any  # a lazy translation: "PHQ-9 question 9"
    # (client pk, source id) -> the URL of the record, or "" when there is no page for it.
    url: Callable[[int, int], str] | None = None


RISK_SOURCES: dict[str, RiskSource] = {}


def register_risk_source(source: RiskSource) -> None:
    RISK_SOURCES[source.key] = source


def risk_source(key: str) -> RiskSource | None:
    return RISK_SOURCES.get(key)


def source_url(key: str, client_id: int, source_id: int) -> str:
    source = RISK_SOURCES.get(key)
    if source is None or source.url is None:
        return ""
    return source.url(client_id, source_id)


def source_label(key: str) -> str:
    source = RISK_SOURCES.get(key)
    return str(source.label) if source is not None else key


@dataclass(frozen=True)
class FlagAction:
    """A next step offered on a flag's page to the client's therapist, registered by the app
    that owns it (e.g. safety: "Safety plan" on a suicide-risk flag), so the follow-up path
    leads to the work itself without risk naming the apps above it."""

    kind: str  # a RiskFlag.Kind value
    label: Any  # a lazy translation
    url_name: str  # reversed with the client's pk


FLAG_ACTIONS: list[FlagAction] = []


def register_flag_action(action: FlagAction) -> None:
    if action not in FLAG_ACTIONS:
        FLAG_ACTIONS.append(action)


def flag_actions(kind: str) -> list[FlagAction]:
    return [action for action in FLAG_ACTIONS if action.kind == kind]
