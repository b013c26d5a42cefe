"""Reads about staff accounts, shaped so each page issues a fixed number of queries."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from hrp.accounts import caseload
from hrp.accounts.models import Supervision, User


def staff_for_admin(*, show: str = "active") -> QuerySet[User]:
    """Staff accounts for the clinic admin's list, with current supervisor and two-factor
    status annotated (no query per row)."""
    current = Supervision.objects.current().filter(supervisee=OuterRef("pk"))
    qs = User.objects.annotate(
        supervisor_name=Subquery(current.values("supervisor__full_name")[:1]),
        two_factor_enrolled=Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)),
    ).order_by("full_name", "email")
    if show == "active":
        qs = qs.filter(is_active=True)
    elif show == "inactive":
        qs = qs.filter(is_active=False)
    return qs


def current_supervisor(*, user: User) -> User | None:
    supervision = (
        Supervision.objects.current().select_related("supervisor").filter(supervisee=user).first()
    )
    return supervision.supervisor if supervision else None


def current_supervisees(*, user: User) -> QuerySet[User]:
    return User.objects.filter(
        pk__in=Supervision.objects.current().filter(supervisor=user).values("supervisee_id")
    ).order_by("full_name")


def supervision_history(*, user: User) -> QuerySet[Supervision]:
    return Supervision.objects.select_related("supervisor").filter(supervisee=user)


def recovery_codes_left(*, user: User) -> int:
    return StaticToken.objects.filter(device__user=user).count()


def open_clients(*, therapist: User) -> list[Any]:
    """The therapist's clients who are not discharged (admin-safe fields only), from the
    caseload the clients app registers; what deactivation must hand over (one query)."""
    handover = caseload.handover()
    return list(handover.open_clients(therapist)) if handover is not None else []


def colleagues_for_handover(*, therapist: User) -> QuerySet[User]:
    """Who can take over a therapist's clients: every other active therapist."""
    return (
        User.objects.active()
        .filter(is_therapist=True)
        .exclude(pk=therapist.pk)
        .order_by("full_name", "pk")
    )
