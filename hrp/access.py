"""Who may see what: the one place access rules live.

Every page gets its object through one helper here that returns the object together with
what this user may do with it (`client, can = access.client_for(user, pk)`, the way
healthchecks returns `(check, rw)`). Views, services and templates ask that answer, or the
same `rules` predicates declared below; nobody else compares a client's therapist with the
user.

Helpers raise Http404 when a user may not see an object at all (its existence is itself
private) and PermissionDenied only when they may see it but not do what they asked.

Every rule is evaluated when it is asked, from the current rows: a reassignment, the end of
a supervision, a deactivation (`is_active`) or the end of an emergency grant takes effect on
the next request, for pages, PDFs and CSVs alike. Nothing here caches an answer.

This module writes nothing. Pages opened under an emergency grant are audited by
`EmergencyViewAuditMiddleware` (hrp/accounts/middleware.py) from the answers handed out
during the request (`emergency_reads`).
"""

from __future__ import annotations

import contextvars
import datetime
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import rules
from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.db.models import (
    BigIntegerField,
    BooleanField,
    Case,
    Exists,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Now
from django.http import Http404
from django.utils import timezone

from hrp.accounts.models import Cover, EmergencyGrant, Supervision, User

# Dependencies point one way (apps -> hrp): hrp may not import a feature app at module level,
# and an import inside a function would only hide the cycle. Models of the apps whose objects
# the rules guard (clients.Client, supervision.ChartComment, ...) are looked up by label in the
# app registry when a rule is asked, which needs only that the app is installed, or come from
# the caller as a `queryset`.


def _model(label: str) -> Any:
    return apps.get_model(label)


# --- Roles -------------------------------------------------------------------------------------


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
# Clinic-wide counts for funders (supplies given per month): aggregates with no client identity
# in them, so a clinic admin, who sees no clinical content anywhere else, reads them beside the
# supervisors. Therapists have their own clients' charts.
rules.add_rule("reports.funders", is_clinic_admin | is_supervisor)


def require(user: Any, rule: str) -> None:
    """404 unless `user` passes `rule`: pages of a role a user lacks do not exist for them."""
    if not rules.test_rule(rule, user):
        raise Http404


def staff_account_for(user: Any, pk: int) -> User:
    """A staff account as seen by someone managing accounts (clinic admins only)."""
    require(user, "accounts.manage_staff")
    try:
        return User.objects.get(pk=pk)
    except User.DoesNotExist:
        raise Http404 from None


# --- Supervision -------------------------------------------------------------------------------


def supervisee_ids(supervisor: Any) -> QuerySet[Any]:
    """The ids of `supervisor`'s current supervisees, as a subquery."""
    return Supervision.objects.current().filter(supervisor=supervisor).values("supervisee_id")


def supervises(supervisor: Any, therapist_id: int | None) -> bool:
    """Whether `supervisor` is the therapist's current supervisor (one query)."""
    if therapist_id is None or not is_supervisor(supervisor):
        return False
    return (
        Supervision.objects.current()
        .filter(supervisor=supervisor, supervisee_id=therapist_id)
        .exists()
    )


def supervisee_for(user: Any, therapist_pk: int) -> User:
    """A current supervisee of `user` (never `user` themself); 404 otherwise."""
    require(user, "clients.supervise")
    supervisee = User.objects.filter(pk=therapist_pk, pk__in=supervisee_ids(user)).first()
    if supervisee is None:
        raise Http404
    return supervisee


def caseload_owner_for(user: Any, therapist_pk: int) -> User:
    """The therapist whose caseload `user` may review: themself, a therapist they cover for
    now, or a current supervisee."""
    if not has_clinical_role(user):
        raise Http404
    if therapist_pk == user.pk and user.is_therapist:
        return user
    if is_therapist(user) and covers(user, therapist_pk):
        return User.objects.get(pk=therapist_pk)
    if user.is_supervisor:
        return supervisee_for(user, therapist_pk)
    raise Http404


def supervisions_ended_within(supervisor: Any, start: Any, end: Any) -> QuerySet[Supervision]:
    """The supervisions `supervisor` held at some moment from `start` to `end` (None: now)
    that have ended since `start`. A caseload summary prepared in that window shows those
    trainees' clients, which are no longer the supervisor's to see. `start` and `end` may be
    values or expressions (OuterRef) for use in a list's Exists()."""
    if end is None:
        end = Now()
    elif not isinstance(end, datetime.datetime):
        end = Coalesce(end, Now())
    return Supervision.objects.filter(
        supervisor=supervisor, started_at__lte=end, ended_at__gt=start
    )


# --- Covers ------------------------------------------------------------------------------------
# While a cover is in force (Cover.objects.current(): the clinic's dates, inclusive), the cover
# is a treating clinician of the absent therapist's clients: reads and writes them, and signs
# notes in their own name. The day after its last day, or once ended early, that is over.


def covered_ids(user: Any) -> QuerySet[Any]:
    """The ids of the therapists `user` covers for today, as a subquery."""
    return Cover.objects.current().filter(cover_id=user.pk).values("absent_id")


def covers(user: Any, therapist_id: int | None) -> bool:
    """Whether `user` covers for the therapist today (one query)."""
    if therapist_id is None or not is_therapist(user):
        return False
    return Cover.objects.current().filter(cover_id=user.pk, absent_id=therapist_id).exists()


def cover_arrangeable_by(user: Any, absent: Any) -> bool:
    """Who arranges or ends a cover for `absent`: a clinic admin, or their current supervisor."""
    return bool(is_clinic_admin(user) or supervises(user, getattr(absent, "pk", None)))


def covers_arrangeable_q(user: Any) -> Q:
    """The covers `user` may end early (for a list's annotation): the same rule as
    cover_arrangeable_by, as a filter on Cover."""
    if is_clinic_admin(user):
        return Q(pk__isnull=False)  # every cover (an empty Q() cannot be a When condition)
    if not is_supervisor(user):
        return Q(pk__in=[])
    return Q(absent_id__in=supervisee_ids(user))


def covers_visible_q(user: Any) -> Q:
    """The covers `user` sees on the covers page: all for a clinic admin; otherwise those
    they give, receive, or that concern their current supervisees."""
    if is_clinic_admin(user):
        return Q()
    if not has_clinical_role(user):
        return Q(pk__in=[])
    q = Q(cover_id=user.pk) | Q(absent_id=user.pk)
    if user.is_supervisor:
        q |= Q(absent_id__in=supervisee_ids(user))
    return q


# --- Clients -----------------------------------------------------------------------------------
# A therapist reads and writes their assigned clients (the treating clinician); a supervisor
# reads the clients of their current supervisees and supervises (comments, co-signs, follows
# up alerts) but does not write the record; a clinician holding an active emergency grant reads
# one client, read-only; a clinic admin sees only name, chart number, status and assignment
# (for reassignment and discharge) through `client_for_admin`; everyone else gets 404.

rules.add_rule("clients.create", is_therapist)
rules.add_rule("clients.supervise", is_supervisor)


@rules.predicate
def treats(user: Any, client: Any) -> bool:
    """A treating clinician: the client's assigned therapist, or a therapist covering for them
    today. The one rule for writing a client's record. Uses the answer `client_for` loaded
    with the client when there is one (no query), else asks (one query, only for someone
    other than the assigned therapist)."""
    if client is None or not is_therapist(user) or client.therapist_id is None:
        return False
    if client.therapist_id == user.pk:
        return True
    known = getattr(client, "access_covers", None)
    if known is not None:
        return bool(known)
    return covers(user, client.therapist_id)


@rules.predicate
def supervises_client(user: Any, client: Any) -> bool:
    """The current supervisor of the client's therapist. Uses the answer `client_for` loaded
    with the client when there is one (no query), else asks (one query)."""
    if client is None or not is_supervisor(user) or client.therapist_id == user.pk:
        return False
    known = getattr(client, "access_supervises", None)
    if known is not None:
        return bool(known)
    return supervises(user, client.therapist_id)


@rules.predicate
def holds_grant(user: Any, client: Any) -> bool:
    """Reads under an active emergency grant (read-only)."""
    if client is None or not has_clinical_role(user):
        return False
    known = getattr(client, "emergency_grant_id", None)
    if known is not None:
        return True
    return _active_grants(user).filter(client_id=client.pk).exists()


may_read_client = treats | supervises_client | holds_grant
# The client's care team: who follows up what the record asks of its clinicians (marking a
# rating alert seen, asking for a progress summary). Not someone reading under a grant.
in_care_team = treats | supervises_client

rules.add_rule("clients.read_client", may_read_client)
rules.add_rule("clients.change_client", treats)
rules.add_rule("clients.supervise_client", supervises_client)
rules.add_rule("clients.care_for_client", in_care_team)


@dataclass(frozen=True)
class ClientAccess:
    """What one user may do with one client, answered once when the client is loaded. Passed to
    templates as `can` (`{% if can.write %}`)."""

    read: bool
    write: bool
    supervise: bool
    emergency_grant_id: int | None = None

    @property
    def emergency(self) -> bool:
        """Read only through an emergency grant (read-only, audited page by page)."""
        return self.emergency_grant_id is not None

    @property
    def care(self) -> bool:
        """In the client's care team (treating clinician or current supervisor)."""
        return self.write or self.supervise


def access_to(user: Any, client: Any) -> ClientAccess:
    """The answer for a client already loaded (by `client_for` or a scoped list)."""
    return ClientAccess(
        read=bool(may_read_client(user, client)),
        write=bool(treats(user, client)) and not merged_away(client),
        supervise=bool(supervises_client(user, client)),
        emergency_grant_id=getattr(client, "emergency_grant_id", None),
    )


def require_write(actor: Any, client: Any) -> None:
    """For services that write a client's record: refuse an actor who is not the treating
    clinician, whatever page or task called them, and any write to a record merged into
    another (an alias, read-only: new entries go on the record that continues)."""
    if not treats(actor, client) or merged_away(client):
        raise PermissionDenied


def merged_away(client: Any) -> bool:
    """Whether the client record was merged into another (clients.identity). Read from the
    loaded row without a query: a row loaded without the column counts as not merged."""
    return client.__dict__.get("merged_into_id") is not None


def require_care(actor: Any, client: Any) -> None:
    """For services that follow up a client's record (alerts, summaries): refuse anyone
    outside the care team, such as a reader under an emergency grant."""
    if not in_care_team(actor, client):
        raise PermissionDenied


def clients_visible_q(user: Any, *, emergency: bool = False) -> Q:
    """The Q object selecting the clients whose clinical record `user` may read: for lists,
    their caseload and their supervisees'; with `emergency`, for opening one record, also
    the clients they hold an active emergency grant for."""
    if not has_clinical_role(user):
        return Q(pk__in=[])
    q = _own_q(user)
    if emergency:
        q |= Q(pk__in=_active_grants(user).values("client_id"))
    return q


def through(q: Q, relation: str) -> Q:
    """`q`, written on Client fields, applied to rows related to a client through `relation`
    (e.g. clients_visible_q(user) on rating alerts, through "client"): the same rule, without
    a `client IN (SELECT ...)` that PostgreSQL answers by reading every client."""
    prefixed = Q(_connector=q.connector, _negated=q.negated)
    for child in q.children:
        if isinstance(child, Q):
            prefixed.children.append(through(child, relation))
        else:
            key, value = child
            prefixed.children.append((f"{relation}__{key}", value))
    return prefixed


def _own_q(user: Any) -> Q:
    """Clients the user reads by role: their own caseload, and their supervisees' clients."""
    q = Q(pk__in=[])
    if user.is_therapist:
        q |= Q(therapist_id=user.pk) | Q(therapist_id__in=covered_ids(user))
    if user.is_supervisor:
        q |= Q(therapist_id__in=supervisee_ids(user))
    return q


def _active_grants(user: Any) -> QuerySet[EmergencyGrant]:
    return EmergencyGrant.objects.filter(
        user_id=user.pk, ended_at__isnull=True, expires_at__gt=timezone.now()
    )


def active_grants(user: Any) -> QuerySet[EmergencyGrant]:
    """The user's emergency grants in force now."""
    return _active_grants(user)


def client_for(
    user: Any,
    pk: int,
    *,
    write: bool = False,
    care: bool = False,
    queryset: QuerySet[Any] | None = None,
) -> tuple[Any, ClientAccess]:
    """The client `pk` as seen by `user` for clinical work, with what they may do with it.

    404 if the user may not read the record; 403 if they may read it but `write` is asked and
    they are not the treating clinician, or `care` is asked and they are not in the care team
    (a reader under an emergency grant). One query.
    """
    Client = _model("clients.Client")
    if not has_clinical_role(user):
        raise Http404
    qs = queryset if queryset is not None else Client.objects.all()
    # Whether the record is open only through an emergency grant, and whether the user
    # supervises its therapist, in the same query.
    grant = _active_grants(user).filter(client_id=OuterRef("pk")).values("pk")[:1]
    qs = qs.annotate(
        emergency_grant_id=Case(
            When(_own_q(user), then=Value(None, output_field=BigIntegerField())),
            default=Subquery(grant),
            output_field=BigIntegerField(),
        ),
        access_supervises=(
            Exists(
                Supervision.objects.current().filter(
                    supervisor_id=user.pk, supervisee_id=OuterRef("therapist_id")
                )
            )
            if user.is_supervisor
            else Value(False, output_field=BooleanField())
        ),
        access_covers=(
            Exists(
                Cover.objects.current().filter(cover_id=user.pk, absent_id=OuterRef("therapist_id"))
            )
            if user.is_therapist
            else Value(False, output_field=BooleanField())
        ),
    )
    try:
        client = qs.filter(clients_visible_q(user, emergency=True)).get(pk=pk)
    except Client.DoesNotExist:
        raise Http404 from None
    can = access_to(user, client)
    if can.emergency:
        _note_emergency_read(client)
    if (write and not can.write) or (care and not can.care):
        raise PermissionDenied
    return client, can


def client_for_admin(user: Any, pk: int) -> Any:
    """The client `pk` for a clinic admin's reassign/discharge page; 404 for anyone else."""
    Client = _model("clients.Client")
    require(user, "accounts.manage_staff")
    try:
        return Client.objects.select_related("therapist").only(*ADMIN_CLIENT_FIELDS).get(pk=pk)
    except Client.DoesNotExist:
        raise Http404 from None


@dataclass(frozen=True)
class Holder:
    """One person who may open a client's record now, and on what basis."""

    user: User
    basis: str  # "therapist", "cover", "supervisor" or "emergency"
    until: Any = None  # the cover's last day or the grant's expiry; None: while assigned


def holders(client: Any) -> list[Holder]:
    """Everyone who may open `client`'s record now and why, from the same rules `client_for`
    applies (the access report shows this, so it cannot drift from them). Three queries."""
    found: list[Holder] = []
    therapist = client.therapist
    if therapist is not None and is_therapist(therapist):
        found.append(Holder(therapist, "therapist"))
    if client.therapist_id is not None:
        for cover in (
            Cover.objects.current()
            .filter(absent_id=client.therapist_id, cover__is_active=True, cover__is_therapist=True)
            .select_related("cover")
            .order_by("ends_on", "id")
        ):
            found.append(Holder(cover.cover, "cover", cover.ends_on))
        for supervision in (
            Supervision.objects.current()
            .filter(
                supervisee_id=client.therapist_id,
                supervisor__is_active=True,
                supervisor__is_supervisor=True,
            )
            .select_related("supervisor")
        ):
            found.append(Holder(supervision.supervisor, "supervisor"))
    for grant in (
        EmergencyGrant.objects.filter(
            client_id=client.pk, ended_at__isnull=True, expires_at__gt=timezone.now()
        )
        .select_related("user")
        .order_by("expires_at", "id")
    ):
        if has_clinical_role(grant.user):
            found.append(Holder(grant.user, "emergency", grant.expires_at))
    return found


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
    "therapist__is_active",
    "therapist__is_therapist",
]


# --- Emergency reads, for the page audit ---------------------------------------------------------
# The answers handed out under a grant during one request, so that one middleware audits each
# page opened under a grant (with its path) after the view: the rule stays here, the audit
# write stays in one place, and a helper called outside a request writes nothing.

_emergency_reads: contextvars.ContextVar[dict[int, Any] | None] = contextvars.ContextVar(
    "hrp_emergency_reads", default=None
)


def _note_emergency_read(client: Any) -> None:
    reads = _emergency_reads.get()
    if reads is not None:
        reads.setdefault(client.pk, client)


@contextmanager
def emergency_reads() -> Iterator[dict[int, Any]]:
    """Collect, by client id, the clients opened under an emergency grant inside the block."""
    reads: dict[int, Any] = {}
    token = _emergency_reads.set(reads)
    try:
        yield reads
    finally:
        _emergency_reads.reset(token)


# --- Supervision records -----------------------------------------------------------------------
# A meeting record: the supervisor who recorded it and the supervisee. Not other supervisors (a
# later supervisor of the same therapist included) and not clinic admins: supervision is the
# supervisor's and supervisee's own working record, kept apart from the clinic's administration
# and from the client's record. A chart comment: its author and the client's current therapist;
# only the therapist acknowledges it.


def meetings_visible_q(user: Any) -> Q:
    if not has_clinical_role(user):
        return Q(pk__in=[])
    return Q(supervisor=user) | Q(supervisee=user)


def meeting_for(user: Any, pk: int) -> Any:
    SupervisionMeeting = _model("supervision.SupervisionMeeting")
    try:
        return (
            SupervisionMeeting.objects.filter(meetings_visible_q(user))
            .select_related("supervisor", "supervisee")
            .prefetch_related("clients")
            .get(pk=pk)
        )
    except SupervisionMeeting.DoesNotExist:
        raise Http404 from None


def comment_client_for(user: Any, pk: int) -> tuple[Any, ClientAccess]:
    """The client a supervisor may leave a comment on: a client of a current supervisee.

    404 for anyone who may not read the chart; 403 for a reader who may not comment (the
    client's own therapist, a supervisor reading their own client, anyone reading it under
    an emergency grant)."""
    client, can = client_for(user, pk)
    if not can.supervise:
        raise PermissionDenied
    return client, can


def comments_visible_q(user: Any) -> Q:
    if not has_clinical_role(user):
        return Q(pk__in=[])
    return Q(author=user) | Q(client__therapist=user)


def comment_for(user: Any, pk: int, *, acknowledge: bool = False) -> Any:
    ChartComment = _model("supervision.ChartComment")
    try:
        comment = (
            ChartComment.objects.filter(comments_visible_q(user))
            .select_related("client", "author")
            .get(pk=pk)
        )
    except ChartComment.DoesNotExist:
        raise Http404 from None
    if acknowledge and not treats(user, comment.client):
        raise PermissionDenied
    return comment


# --- Fidelity reviews (supervision.FidelityReview) ---------------------------------------------
# The therapist's current supervisors write a review of a note the therapist signed, and read
# every review of that therapist; the therapist reads their own. Nobody else (other therapists,
# other supervisors, clinic admins, a supervisor once the supervision has ended) sees them: 404.


def fidelity_reviews_visible_q(user: Any) -> Q:
    if not has_clinical_role(user):
        return Q(pk__in=[])
    q = Q(therapist=user)
    if user.is_supervisor:
        q |= Q(therapist_id__in=supervisee_ids(user))
    return q


def fidelity_review_for(user: Any, pk: int) -> Any:
    FidelityReview = _model("supervision.FidelityReview")
    try:
        return (
            FidelityReview.objects.filter(fidelity_reviews_visible_q(user))
            .select_related("supervisor", "therapist", "note__client")
            .get(pk=pk)
        )
    except FidelityReview.DoesNotExist:
        raise Http404 from None


def fidelity_note_for(user: Any, note_pk: int) -> Any:
    """A note a supervisor may review for fidelity: signed by its author, a current supervisee
    of `user`. 403 for the note's own author (they see it, but do not review themselves); 404
    for everyone else."""
    SessionNote = _model("therapy_sessions.SessionNote")
    note = (
        SessionNote.objects.filter(pk=note_pk, signed_at__isnull=False)
        .select_related("author", "client", "appointment")
        .first()
    )
    if note is None or not has_clinical_role(user):
        raise Http404
    if note.author_id == user.pk:
        raise PermissionDenied
    if not supervises(user, note.author_id):
        raise Http404
    return note


def fidelity_trainee_for(user: Any, therapist_pk: int) -> User:
    """Whose fidelity trend `user` may read: their own, or a current supervisee's; 404 else."""
    if not has_clinical_role(user):
        raise Http404
    if user.pk == therapist_pk:
        return user
    if not user.is_supervisor:
        raise Http404
    trainee = User.objects.filter(pk=therapist_pk, pk__in=supervisee_ids(user)).first()
    if trainee is None:
        raise Http404
    return trainee


# --- Group sessions (groups) --------------------------------------------------------------------
# A group is seen through its facilitators: a facilitator runs it (reads and writes); a current
# supervisor of a facilitator reads it and co-signs a supervisee's group note. Nobody else sees a
# group, a clinic admin included (a calendar may show its neutral label and times). Members'
# charts are the clients' own rule (`client_for`).


def group_facilitators_visible_q(user: Any) -> Q:
    """Facilitator rows (groups.Facilitator) through which `user` sees their group."""
    if not has_clinical_role(user):
        return Q(pk__in=[])
    q = Q(clinician=user)
    if is_supervisor(user):
        q |= Q(clinician__in=supervisee_ids(user))
    return q


# --- Calendars (scheduling) --------------------------------------------------------------------

# A clinician's calendar shows their clients' names; the clinic view shows clinicians' names,
# times and rooms only ("Client session"), never a client or clinical content.
rules.add_rule("scheduling.clinic_view", is_clinic_admin | is_supervisor)
rules.add_rule("scheduling.manage_rooms", is_clinic_admin)
# Working hours, booking from a free slot and a calendar feed are a therapist's own.
rules.add_rule("scheduling.own_calendar", is_therapist)


def calendar_owner_for(user: Any, therapist_pk: int) -> tuple[User, bool]:
    """The clinician whose calendar (day, week, month, with clients' names) `user` may read,
    and whether it is their own (only the owner books from a free slot or edits working
    hours): themself, or a current supervisee. A clinic admin reads the clinic view instead.
    404 otherwise."""
    if is_therapist(user) and therapist_pk == user.pk:
        return user, True
    if is_supervisor(user):
        return supervisee_for(user, therapist_pk), False
    raise Http404


def clinic_calendar_clinicians(user: Any) -> QuerySet[User]:
    """The clinicians on `user`'s clinic view: every active therapist for a clinic admin, a
    supervisor's current supervisees (and themself when they also see clients) otherwise."""
    require(user, "scheduling.clinic_view")
    therapists = User.objects.filter(is_active=True, is_therapist=True)
    if is_clinic_admin(user):
        return therapists
    return therapists.filter(Q(pk__in=supervisee_ids(user)) | Q(pk=user.pk))
