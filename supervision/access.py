"""Who may see the supervision pages and records. Built on hrp.access (the one place the
clinic's access rules live) and shaped like its helpers: 404 when the user may not see the
object at all, 403 only when they may see it but not do what they asked.

- A supervisee's dashboard lists, meeting form: a supervisor, for a *current* supervisee.
- A meeting record: the supervisor who recorded it and the supervisee. Not other
  supervisors (a later supervisor of the same therapist included) and not clinic admins:
  supervision is the supervisor's and supervisee's own working record, kept apart from the
  clinic's administration and from the client's record.
- A chart comment: its author and the client's current therapist; only the therapist
  acknowledges it (the author gets 403 on that POST).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404

from hrp import access
from hrp.accounts.models import User
from supervision.models import ChartComment, SupervisionMeeting


def supervisee_for(user: Any, therapist_pk: int) -> User:
    """A current supervisee of `user` (never `user` themself); 404 otherwise."""
    access.require(user, "clients.supervise")
    supervisee = User.objects.filter(
        pk=therapist_pk,
        supervisions_received__supervisor=user,
        supervisions_received__ended_at__isnull=True,
    ).first()
    if supervisee is None:
        raise Http404
    return supervisee


def meetings_visible_q(user: Any) -> Q:
    if not access.has_clinical_role(user):
        return Q(pk__in=[])
    return Q(supervisor=user) | Q(supervisee=user)


def meeting_for(user: Any, pk: int) -> SupervisionMeeting:
    try:
        return (
            SupervisionMeeting.objects.filter(meetings_visible_q(user))
            .select_related("supervisor", "supervisee")
            .prefetch_related("clients")
            .get(pk=pk)
        )
    except SupervisionMeeting.DoesNotExist:
        raise Http404 from None


def comment_client_for(user: Any, pk: int) -> Any:
    """The client a supervisor may leave a comment on: a client of a current supervisee.

    404 for anyone who may not read the chart; 403 for a reader who may not comment (the
    client's own therapist, a supervisor reading their own client, anyone reading it under
    an emergency grant)."""
    client = access.client_for(user, pk)
    if (
        not access.is_supervisor(user)
        or client.therapist_id == user.pk
        or getattr(client, "emergency_grant_id", None) is not None
    ):
        raise PermissionDenied
    return client


def comments_visible_q(user: Any) -> Q:
    if not access.has_clinical_role(user):
        return Q(pk__in=[])
    return Q(author=user) | Q(client__therapist=user)


def comment_for(user: Any, pk: int, *, acknowledge: bool = False) -> ChartComment:
    try:
        comment = (
            ChartComment.objects.filter(comments_visible_q(user))
            .select_related("client", "author")
            .get(pk=pk)
        )
    except ChartComment.DoesNotExist:
        raise Http404 from None
    if acknowledge and comment.client.therapist_id != user.pk:
        raise PermissionDenied
    return comment
