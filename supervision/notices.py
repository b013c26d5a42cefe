"""The chart notice for supervision comments: the therapist sees each unacknowledged comment
at the top of every chart section and acknowledges it there; a supervisor reading a
supervisee's chart gets the way to leave one. Only the notice shows a comment's text: no chart
section, the timeline or an export reads it."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from clients.extensions import ChartNotice
from hrp import access, formats
from supervision.models import ChartComment


def annotate_open_comments(qs: QuerySet[Any]) -> QuerySet[Any]:
    """Add `open_supervision_comments` (a count) to the client query. Idempotent."""
    if "open_supervision_comments" in qs.query.annotations:
        return qs
    counted = (
        ChartComment.objects.filter(client=OuterRef("pk"), acknowledged_at__isnull=True)
        .order_by()
        .values("client")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return qs.annotate(
        open_supervision_comments=Coalesce(
            Subquery(counted, output_field=IntegerField()), 0, output_field=IntegerField()
        )
    )


def _open_count(client: Any) -> int:
    count = getattr(client, "open_supervision_comments", None)
    if count is None:  # a page that loaded the client without the chart's annotations
        count = ChartComment.objects.filter(client=client, acknowledged_at__isnull=True).count()
    return count


def chart_notices(client: Any, user: Any) -> list[ChartNotice]:
    """No query when nothing is open; one (the comments) for the therapist when some are."""
    if not getattr(user, "is_authenticated", False):
        return []
    if access.treats(user, client):
        if not _open_count(client):
            return []
        comments = ChartComment.objects.filter(
            client=client, acknowledged_at__isnull=True
        ).select_related("author")
        return [
            ChartNotice(
                title=_("Comment from %(name)s (supervision)") % {"name": comment.author.full_name},
                text=comment.text,
                meta=_("Left on %(date)s. Only you and your supervisor see this.")
                % {"date": formats.datetime_(comment.created_at)},
                action_url=reverse("supervision:comment_acknowledge", args=[comment.pk]),
                action_label=_("Acknowledge"),
            )
            for comment in comments.order_by("created_at", "id")
        ]
    if access.supervises_client(user, client):
        # A client of a current supervisee; a chart opened under an emergency grant is
        # read-only and not the supervisor's to comment on.
        waiting = _open_count(client)
        title = _("You are reviewing this chart as a supervisor.")
        if waiting:
            title = ngettext(
                "%(n)d supervision comment is waiting for the therapist to acknowledge it.",
                "%(n)d supervision comments are waiting for the therapist to acknowledge them.",
                waiting,
            ) % {"n": waiting}
        return [
            ChartNotice(
                title=title,
                link_url=reverse("supervision:comment_create", args=[client.pk]),
                link_label=_("Leave a comment for the therapist"),
            )
        ]
    return []
