"""Who may see what: the one place access rules live.

Role predicates are `rules` predicates so that templates and later apps share one definition.
Helpers here raise Http404 when a user may not see an object at all (its existence is itself
private) and PermissionDenied only when they may see it but not change it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import rules
from django.http import Http404

if TYPE_CHECKING:
    from hrp.accounts.models import User


@rules.predicate
def is_active_staff(user: Any) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


@rules.predicate
def is_therapist(user: Any) -> bool:
    return bool(is_active_staff(user) and user.is_therapist)


@rules.predicate
def is_supervisor(user: Any) -> bool:
    return bool(is_active_staff(user) and user.is_supervisor)


@rules.predicate
def is_clinic_admin(user: Any) -> bool:
    return bool(is_active_staff(user) and user.is_clinic_admin)


has_clinical_role = is_therapist | is_supervisor

rules.add_rule("accounts.manage_staff", is_clinic_admin)
rules.add_rule("clinical.any", has_clinical_role)


def require(user: Any, rule: str) -> None:
    """404 unless `user` passes `rule`: pages of a role a user lacks do not exist for them."""
    if not rules.test_rule(rule, user):
        raise Http404


def staff_account_for(user: Any, pk: int) -> User:
    """A staff account as seen by someone managing accounts (clinic admins only)."""
    from hrp.accounts.models import User

    require(user, "accounts.manage_staff")
    try:
        return User.objects.get(pk=pk)
    except User.DoesNotExist:
        raise Http404 from None
