"""Reads for the covers pages and the home notice. Who may see which cover is decided in
hrp.access (covers_visible_q); this module only shapes the lists."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import BooleanField, Case, Q, QuerySet, Value, When
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from clients.extensions import Notice
from hrp import access, formats
from hrp.accounts.models import Cover, User


def covers_for(user: Any) -> QuerySet[Cover]:
    """The covers `user` may see, newest first, with both therapists loaded and whether `user`
    may end each (`may_end`), in one query."""
    return (
        Cover.objects.filter(access.covers_visible_q(user))
        .annotate(
            may_end=Case(
                When(access.covers_arrangeable_q(user), then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            )
        )
        .select_related("absent", "cover", "arranged_by", "ended_by")
        .order_by("-starts_on", "-id")
    )


def cover_for(user: Any, pk: int) -> Cover:
    """One cover `user` may see; 404 otherwise."""
    try:
        return covers_for(user).get(pk=pk)
    except Cover.DoesNotExist:
        raise Http404 from None


def absent_choices(user: Any) -> QuerySet[User]:
    """Whose caseload `user` may arrange a cover for: any active therapist for a clinic admin,
    a current supervisee for a supervisor."""
    therapists = User.objects.active().filter(is_therapist=True).order_by("full_name")
    if access.is_clinic_admin(user):
        return therapists
    return therapists.filter(pk__in=access.supervisee_ids(user))


def cover_choices() -> QuerySet[User]:
    return User.objects.active().filter(is_therapist=True).order_by("full_name")


def _day(value: datetime.date) -> str:
    # As the covers page shows it ("6 Dec 2026").
    return formats.date(value)


def home_notices(user: Any) -> list[Notice]:
    """On a therapist's home: who covers their caseload (now or arranged ahead), and whose
    caseload they cover. One query."""
    if not access.is_therapist(user):
        return []
    today = timezone.localdate()
    covers = (
        Cover.objects.filter(Q(absent_id=user.pk) | Q(cover_id=user.pk))
        .filter(ended_at__isnull=True, ends_on__gte=today)
        .select_related("absent", "cover")
        .order_by("starts_on", "id")
    )
    notices = []
    for cover in covers:
        dates = {"start": _day(cover.starts_on), "end": _day(cover.ends_on)}
        if cover.absent_id == user.pk:
            text = _("%(name)s covers your caseload from %(start)s to %(end)s.") % {
                "name": cover.cover.full_name,
                **dates,
            }
            url = reverse("covers:list")
        else:
            text = _("You cover %(name)s's caseload from %(start)s to %(end)s.") % {
                "name": cover.absent.full_name,
                **dates,
            }
            url = reverse("clients:supervisee_caseload", args=[cover.absent_id])
        notices.append(Notice(text, url, level="info"))
    return notices
