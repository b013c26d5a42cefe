"""The caseload a therapist leaves when their account is deactivated.

`hrp` uses no feature app, yet deactivating a therapist must hand over their clients. So the
clients app registers, from its AppConfig.ready(), the two things the handover needs: the
therapist's clients who are not discharged (admin-safe fields only: name, chart number,
status) and how to move one client to a colleague or to the unassigned queue.
`hrp.accounts.services.therapist_deactivate` is the only caller.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet

if TYPE_CHECKING:
    from hrp.accounts.models import User


@dataclass(frozen=True)
class CaseloadHandover:
    # (therapist) -> their clients who are not discharged, with only admin-safe fields loaded.
    open_clients: Callable[[User], QuerySet[Any]]
    # (actor=, client_pk=, therapist=, reason=) -> None; therapist None: the unassigned queue.
    # Writes one audit row per client.
    move: Callable[..., None]


_registered: list[CaseloadHandover] = []


def register(handover: CaseloadHandover) -> None:
    """Called once, by the clients app; a second registration replaces the first."""
    _registered[:] = [handover]


def handover() -> CaseloadHandover | None:
    """The registered handover, or None when no app holds caseloads (then none is left)."""
    return _registered[0] if _registered else None
