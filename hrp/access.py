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


# --- Clients -----------------------------------------------------------------------------------
# A therapist sees and edits their assigned clients; a supervisor reads the clients of their
# current supervisees; a clinic admin sees only name, chart number, status and assignment (for
# reassignment and discharge) through `client_for_admin`; everyone else gets 404.

rules.add_rule("clients.create", is_therapist)
rules.add_rule("clients.supervise", is_supervisor)


def clients_visible_q(user: Any, *, emergency: bool = False) -> Any:
    """The Q object selecting the clients whose clinical record `user` may read: for lists,
    their caseload and their supervisees'; with `emergency`, for opening one record, also
    the clients they hold an active emergency grant for."""
    from django.db.models import Q

    if not has_clinical_role(user):
        return Q(pk__in=[])
    q = _own_q(user)
    if emergency:
        # Read-only, time-limited, audited page by page (see client_for).
        q |= Q(pk__in=_active_grants(user).values("client_id"))
    return q


def _own_q(user: Any) -> Any:
    """Clients the user reads by role: their own caseload, and their supervisees' clients."""
    from django.db.models import Q

    from hrp.accounts.models import Supervision

    q = Q(pk__in=[])
    if user.is_therapist:
        q |= Q(therapist_id=user.pk)
    if user.is_supervisor:
        supervisees = Supervision.objects.filter(supervisor=user, ended_at__isnull=True)
        q |= Q(therapist_id__in=supervisees.values("supervisee_id"))
    return q


def _active_grants(user: Any) -> Any:
    from django.utils import timezone

    from hrp.accounts.models import EmergencyGrant

    return EmergencyGrant.objects.filter(
        user_id=user.pk, ended_at__isnull=True, expires_at__gt=timezone.now()
    )


def supervises(supervisor: Any, therapist_id: int | None) -> bool:
    """Whether `supervisor` is the therapist's current supervisor (one query)."""
    from hrp.accounts.models import Supervision

    if therapist_id is None:
        return False
    return Supervision.objects.filter(
        supervisor=supervisor, supervisee_id=therapist_id, ended_at__isnull=True
    ).exists()


def client_for(user: Any, pk: int, *, write: bool = False, queryset: Any = None) -> Any:
    """The client `pk` as seen by `user` for clinical work.

    404 if the user may not read the record; 403 if they may read but `write` is asked and
    they are not the assigned therapist (supervisors read only).
    """
    from django.core.exceptions import PermissionDenied
    from django.db.models import BigIntegerField, Case, OuterRef, Subquery, Value, When

    from clients.models import Client

    qs = queryset if queryset is not None else Client.objects.all()
    if not has_clinical_role(user):
        raise Http404
    # Whether the record is open only through an emergency grant, in the same query.
    grant = _active_grants(user).filter(client_id=OuterRef("pk")).values("pk")[:1]
    qs = qs.annotate(
        emergency_grant_id=Case(
            When(_own_q(user), then=Value(None, output_field=BigIntegerField())),
            default=Subquery(grant),
            output_field=BigIntegerField(),
        )
    )
    try:
        client = qs.filter(clients_visible_q(user, emergency=True)).get(pk=pk)
    except Client.DoesNotExist:
        raise Http404 from None
    if client.emergency_grant_id is not None:
        _audit_emergency_view(user, client)
    if write and client.therapist_id != user.pk:
        raise PermissionDenied
    return client


def _audit_emergency_view(user: Any, client: Any) -> None:
    """Every page opened under an emergency grant is an audited security event."""
    from hrp.accounts.middleware import current_request
    from hrp.audit.models import AuditEvent
    from hrp.audit.services import audit_record

    request = current_request()
    audit_record(
        category=AuditEvent.Category.SECURITY,
        action="emergency.view",
        actor=user,
        request=request,
        obj=client,
        chart_number=client.chart_number,
        changes={"grant": (None, client.emergency_grant_id)},
        detail=request.path if request is not None else "",
    )


def client_for_admin(user: Any, pk: int) -> Any:
    """The client `pk` for a clinic admin's reassign/discharge page; 404 for anyone else."""
    from clients.models import Client

    require(user, "accounts.manage_staff")
    try:
        return Client.objects.select_related("therapist").only(*ADMIN_CLIENT_FIELDS).get(pk=pk)
    except Client.DoesNotExist:
        raise Http404 from None


def caseload_owner_for(user: Any, therapist_pk: int) -> Any:
    """The therapist whose caseload `user` may review: themself, or a current supervisee."""
    from hrp.accounts.models import User

    if not has_clinical_role(user):
        raise Http404
    if therapist_pk == user.pk and user.is_therapist:
        return user
    owner = None
    if user.is_supervisor:
        owner = User.objects.filter(
            pk=therapist_pk,
            supervisions_received__supervisor=user,
            supervisions_received__ended_at__isnull=True,
        ).first()
    if owner is None:
        raise Http404
    return owner


# The only client fields a clinic admin's pages load: no clinical content can reach them.
ADMIN_CLIENT_FIELDS = [
    "id",
    "chart_number",
    "legal_name",
    "preferred_name",
    "status",
    "status_changed_at",
    "discharged_on",
    "therapist__id",
    "therapist__full_name",
    "therapist__credentials",
]
