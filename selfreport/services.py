"""Writes for client links: send, withdraw, open, answer, mark seen.

A token is made with `secrets.token_urlsafe(32)`, put in the message and forgotten: only its
SHA-256 hash is stored. The message goes by the channel the client chose for reminders
(clients.Client.reminder_channel), only with their agreement to be contacted (`may_contact`),
and carries no name and no clinical word. Delivery happens inside the transaction that stores
the link, as notifications.services.send_one delivers reminders: a link that could not be
delivered is not kept.

Answers go through the clinical app's own service (assessments.services.administration_record
with source "client"), so they feed the same scores, bands, flags and trends; PHQ-9 question 9
above 0 opens the risk flag there (risk.rules), and this module reminds the therapist and their
supervisors at once.
"""

from __future__ import annotations

import datetime
import hashlib
import secrets
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import (
    Case,
    DateTimeField,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from assessments import services as assessment_services
from assessments.models import Administration
from clients.models import Client
from hrp import access
from hrp.accounts.models import User
from hrp.audit.actions import AuditAction
from hrp.audit.models import AuditEvent
from hrp.audit.services import audit_record
from hrp.clinic import clinic_setting
from notifications.extensions import Kind, at_send_hour, supervisors_by_supervisee
from notifications.services import notify_now
from risk.models import RiskFlag
from selfreport import kinds, selectors
from selfreport.models import LANGUAGES, ClientLink, LinkSchedule, PlanShare
from sessions.models import Appointment


class LinkUnavailable(Exception):
    """The token matches no link that may be answered now. `state` says why, for the page:
    "unknown" (wrong token), "answered", "withdrawn" or "expired"."""

    def __init__(self, state: str) -> None:
        super().__init__(state)
        self.state = state


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def link_url(token: str) -> str:
    return f"{settings.SITE_URL}{reverse('selfreport:answer', args=[token])}"


# Email subjects, translated when sent (lazy): no clinical word, as the messages themselves.
CHECK_IN_SUBJECT = gettext_lazy("A short check-in")
PLAN_SUBJECT = gettext_lazy("Something to keep on your phone")


def message_text(*, token: str, language: str, hide_clinic_name: bool) -> str:
    """The message that carries the link: no name, no measure, no clinical word."""
    with translation.override(language):
        text = _("You have a short check-in to fill in when it suits you: %(url)s") % {
            "url": link_url(token)
        }
        if not hide_clinic_name:
            text = f"{text} ({settings.CLINIC_DISPLAY_NAME})"
    return text


def _deliver(client: Client, text: str, language: str, *, subject: Any = CHECK_IN_SUBJECT) -> None:
    if client.reminder_channel == "email":
        with translation.override(language):
            subject = str(subject)
        EmailMessage(subject=subject, body=text, to=[client.email]).send(fail_silently=False)
    elif client.reminder_channel == "sms":
        import_string(settings.SMS_BACKEND)().send(to=client.phone, text=text)
    else:  # checked before; a channel added later must be wired here first
        raise ValueError("unknown channel")


def _check_may_contact(*, actor: User, client: Client, language: str) -> None:
    """The treating clinician, a known language, and a client who agreed to be contacted and
    has a channel (opting out clears it): else PermissionDenied/ValidationError."""
    access.require_write(actor, client)
    if language not in dict(LANGUAGES):
        raise ValidationError({"language": _("Choose one of the listed languages.")})
    if not client.may_contact:
        raise ValidationError(
            _("The client has not agreed to be contacted. Record that first (Edit details).")
        )
    if not client.reminder_channel:
        raise ValidationError(
            _(
                "The client has no way to receive messages from the clinic (or opted out). "
                "Choose a reminder channel with them first."
            )
        )


def _check_may_send(*, actor: User, client: Client, measure_code: str, language: str) -> None:
    """A scheduled measure: the measure kind's own check, then the client's agreement."""
    kinds.KINDS[ClientLink.Kind.MEASURE].prepare(
        client=client, measure_code=measure_code, appointment=None, week=None
    )
    _check_may_contact(actor=actor, client=client, language=language)


def _new_token(*, actor: User, client: Client, language: str) -> tuple[str, dict[str, Any]]:
    """A fresh token and the fields every keyed row (a link, a shared plan) stores with it: only
    the token's hash, the channel it goes by, who made it and when, and when it stops working
    (the clinic's SELF_REPORT_LINK_DAYS). The token itself goes in the message and nowhere else."""
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    days = int(clinic_setting("SELF_REPORT_LINK_DAYS"))
    return token, {
        "language": language,
        "token_hash": token_hash(token),
        "channel": client.reminder_channel,
        "created_by": actor,
        "created_at": now,
        "expires_at": now + datetime.timedelta(days=days),
    }


@transaction.atomic
def link_send(
    *,
    actor: User,
    client: Client,
    language: str,
    kind: str = ClientLink.Kind.MEASURE,
    measure_code: str = "",
    appointment: Appointment | None = None,
    week: datetime.date | None = None,
) -> tuple[ClientLink, str]:
    """Make a link of `kind` (selfreport/kinds.py: a measure, a session rating, a weekly use
    diary, a relaxation-practice log) and send it to the client by the channel they chose for
    reminders. Returns the link and the token (for the caller to show nowhere: tests only).

    Refused (ValidationError, nothing stored or sent) when the client has not agreed to be
    contacted, has no channel or opted out, the language or kind is unknown, or the kind's own
    choice is missing (the measure, an attended session of this client, a week). Side effect:
    change event `self_report.link_send` (the kind, measure and channel, never the token).
    """
    spec = kinds.KINDS.get(kind)
    if spec is None:
        raise ValidationError({"kind": _("Choose one of the listed kinds of link.")})
    access.require_write(actor, client)
    fields = spec.prepare(
        client=client, measure_code=measure_code, appointment=appointment, week=week
    )
    _check_may_contact(actor=actor, client=client, language=language)
    token, keyed = _new_token(actor=actor, client=client, language=language)
    link = ClientLink.objects.create(client=client, kind=kind, **keyed, **fields)
    _deliver(
        client,
        message_text(
            token=token, language=language, hide_clinic_name=client.reminder_hide_clinic_name
        ),
        language,
    )
    changes: dict[str, tuple[object, object]] = {
        "kind": (None, kind),
        "channel": (None, link.channel),
        "language": (None, language),
    }
    if link.measure_code:
        changes["measure"] = (None, link.measure_code)
    audit_record(
        category=AuditEvent.Category.CHANGE,
        action=AuditAction.SELF_REPORT_LINK_SEND,
        actor=actor,
        obj=link,
        chart_number=client.chart_number,
        changes=changes,
    )
    return link, token


@transaction.atomic
def link_revoke(*, actor: User, link: ClientLink) -> ClientLink:
    """Withdraw a link not yet answered (an answered one stays as it is). Side effect: change
    event `self_report.link_revoke`."""
    access.require_write(actor, link.client)
    link = ClientLink.objects.select_for_update().get(pk=link.pk)
    if link.submitted_at is not None or link.revoked_at is not None:
        return link
    link.revoked_at = timezone.now()
    link.save(update_fields=["revoked_at"])
    audit_record(
        category=AuditEvent.Category.CHANGE,
        action=AuditAction.SELF_REPORT_LINK_REVOKE,
        actor=actor,
        obj=link,
        chart_number=link.client.chart_number,
        changes={"revoked_at": (None, link.revoked_at)},
    )
    return link


def link_for_token(token: str, *, lock: bool = False) -> ClientLink:
    """The link `token` opens, if it may be answered now; LinkUnavailable otherwise."""
    qs = ClientLink.objects.select_related("client")
    if lock:
        qs = qs.select_for_update(of=("self",))
    link = qs.filter(token_hash=token_hash(token)).first()
    if link is None:
        raise LinkUnavailable("unknown")
    state = link.state()
    if state != "open":
        raise LinkUnavailable(state)
    return link


@transaction.atomic
def link_open(*, token: str) -> ClientLink:
    """The client opens their link: recorded the first time (`opened_at`), audited each time
    (access event `self_report.link_open`)."""
    link = link_for_token(token, lock=True)
    if link.opened_at is None:
        link.opened_at = timezone.now()
        link.save(update_fields=["opened_at"])
    audit_record(
        category=AuditEvent.Category.ACCESS,
        action=AuditAction.SELF_REPORT_LINK_OPEN,
        obj=link,
        chart_number=link.client.chart_number,
    )
    return link


@transaction.atomic
def link_submit(*, token: str, answers: Mapping[str, Any]) -> tuple[ClientLink, Any]:
    """Store what the client sent through the owning app's service for the link's kind
    (kinds.py: assessments with source "client", sessions' client rating, goals' check-ins,
    this app's practice log) and close the link. The link row is locked first, so two
    submissions of the same link store one record: the second finds it answered
    (LinkUnavailable "answered").

    Missing or invalid answers raise ValidationError and store nothing; the link stays open;
    fields no page offers raise kinds.Tampered. The record is written in the name of the
    clinician who sent the link; if they may no longer write in the chart (reassigned,
    deactivated) the link no longer works ("withdrawn"). A PHQ-9 question 9 above 0 opens the
    suicide-risk flag and reminds the therapist and their current supervisors at once. Side
    effect: change event `self_report.link_submit`.
    """
    link = link_for_token(token, lock=True)
    spec = kinds.kind_of(link)
    try:
        result = spec.record(link=link, data=answers)
    except (PermissionDenied, Http404):
        raise LinkUnavailable("withdrawn") from None
    # A measure's answer time is its administration's, as before; the other kinds, now.
    link.submitted_at = getattr(result, "administered_at", None) or timezone.now()
    setattr(link, spec.result_field, result)
    link.save(update_fields=["submitted_at", spec.result_field])
    audit_record(
        category=AuditEvent.Category.CHANGE,
        action=AuditAction.SELF_REPORT_LINK_SUBMIT,
        obj=link,
        chart_number=link.client.chart_number,
        changes={spec.result_field: (None, result.pk)},
    )
    if isinstance(result, Administration) and result.suicide_risk:
        _remind_team_now(link.client, result)
    return link, result


def _remind_team_now(client: Client, administration: Administration) -> None:
    """The client answered alone, with no clinician beside them: whatever the flag's level,
    the therapist and their current supervisors hear at once (an acute flag is also reminded
    by risk/reminders.py, keyed apart: at worst one extra in-app line, never a missed one)."""
    flag = RiskFlag.objects.filter(
        client=client,
        source_key=assessment_services.PHQ9_SOURCE,
        source_id=administration.pk,
    ).first()
    if flag is None or client.therapist_id is None:
        return
    therapist = client.therapist
    team = [therapist, *supervisors_by_supervisee().get(therapist.pk, [])]
    notify_now(Kind.RISK_ACUTE, object_id=flag.pk, client_id=client.pk, recipients=team)


@transaction.atomic
def links_mark_seen(*, actor: User, client: Client) -> int:
    """The therapist has looked at what the client sent: the caseload stops saying "new from
    the client". Only the treating clinician's look counts."""
    access.require_write(actor, client)
    return ClientLink.objects.filter(
        client=client, submitted_at__isnull=False, seen_at__isnull=True
    ).update(seen_at=timezone.now())


# --- Schedules ---------------------------------------------------------------------------------


@transaction.atomic
def schedule_create(
    *,
    actor: User,
    client: Client,
    measure_code: str,
    language: str,
    timing: str = LinkSchedule.Timing.EVERY_WEEKS,
    every_weeks: int | None = None,
    days_before: int | None = None,
) -> LinkSchedule:
    """Send `measure_code` by itself, on one of two timings:

    - "every_weeks": every `every_weeks` weeks (1-52), the first at the next scan;
    - "before_session": `days_before` days (1-14) before each of the client's booked sessions,
      at the clinic's send hour, and when `every_weeks` is given at most every that many weeks
      (see `send_one_scheduled`). Sessions already booked count.

    Same refusals as link_send (ValidationError, nothing stored). Side effect: change event
    `self_report.schedule_create`."""
    _check_may_send(actor=actor, client=client, measure_code=measure_code, language=language)
    now = timezone.now()
    fields: dict[str, object]
    if timing == LinkSchedule.Timing.EVERY_WEEKS:
        if every_weeks is None or not 1 <= every_weeks <= 52:
            raise ValidationError({"every_weeks": _("Use a number of weeks from 1 to 52.")})
        fields = {"every_weeks": every_weeks, "next_send_at": now}
    elif timing == LinkSchedule.Timing.BEFORE_SESSION:
        if days_before is None or not 1 <= days_before <= LinkSchedule.DAYS_BEFORE_MAX:
            raise ValidationError({"days_before": _("Use a number of days from 1 to 14.")})
        if every_weeks is not None and not 1 <= every_weeks <= 52:
            raise ValidationError(
                {"every_weeks": _("Use a number of weeks from 1 to 52, or leave it empty.")}
            )
        # Sessions starting from now on: one booked before the schedule counts too.
        fields = {"every_weeks": every_weeks, "days_before": days_before, "next_session_from": now}
    else:
        raise ValidationError({"timing": _("Choose one of the listed timings.")})
    schedule = LinkSchedule.objects.create(
        client=client,
        measure_code=measure_code,
        language=language,
        timing=timing,
        created_by=actor,
        created_at=now,
        **fields,
    )
    audit_record(
        category=AuditEvent.Category.CHANGE,
        action=AuditAction.SELF_REPORT_SCHEDULE_CREATE,
        actor=actor,
        obj=schedule,
        chart_number=client.chart_number,
        changes={
            "measure": (None, measure_code),
            "timing": (None, timing),
            "every_weeks": (None, every_weeks),
            "days_before": (None, days_before),
        },
    )
    return schedule


@transaction.atomic
def schedule_stop(*, actor: User, schedule: LinkSchedule) -> LinkSchedule:
    """No more links from this schedule. Side effect: change event `self_report.schedule_stop`."""
    access.require_write(actor, schedule.client)
    schedule = LinkSchedule.objects.select_for_update().get(pk=schedule.pk)
    if schedule.stopped_at is None:
        schedule.stopped_at = timezone.now()
        schedule.save(update_fields=["stopped_at"])
        audit_record(
            category=AuditEvent.Category.CHANGE,
            action=AuditAction.SELF_REPORT_SCHEDULE_STOP,
            actor=actor,
            obj=schedule,
            chart_number=schedule.client.chart_number,
            changes={"stopped_at": (None, schedule.stopped_at)},
        )
    return schedule


def _local_midnight(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(), tzinfo=timezone.get_current_timezone())


def due_cutoffs(now: datetime.datetime) -> dict[int, datetime.datetime]:
    """For each number of days before (1-14): a session starting before this moment has its
    link due at `now` (`selectors.session_link_due(start, n) <= now`), one starting later has
    not. Worked out here, in the clinic's zone, with the same send hour, so the scan's query
    needs no time-zone arithmetic: the last day whose send hour has passed, plus n days, to its
    end (tests/selfreport/test_before_session.py checks the two agree around both changes of
    clock)."""
    last_send_day = timezone.localtime(now).date()
    if at_send_hour(last_send_day) > now:
        last_send_day -= datetime.timedelta(days=1)
    return {
        n: _local_midnight(last_send_day + datetime.timedelta(days=n + 1))
        for n in range(1, LinkSchedule.DAYS_BEFORE_MAX + 1)
    }


def _spacing_floor(schedule: LinkSchedule) -> datetime.datetime | None:
    """The first moment a session may start to get the next link, under "at most every
    `every_weeks` weeks": the start of the day that many weeks after the last link's day."""
    if schedule.every_weeks is None or schedule.last_sent_at is None:
        return None
    day = timezone.localtime(schedule.last_sent_at).date()
    return _local_midnight(day + datetime.timedelta(weeks=schedule.every_weeks))


def _served(schedule: LinkSchedule, session: Appointment) -> None:
    """`session` has had its link (or its turn): the next link is for a later session, and
    respects the spacing. Microsecond precision is the database's, so "+ 1 µs" is "after"."""
    schedule.last_appointment = session
    after = session.starts_at + datetime.timedelta(microseconds=1)
    floor = _spacing_floor(schedule)
    schedule.next_session_from = max(after, floor) if floor else after


def _due_schedules(
    now: datetime.datetime, due_before: dict[int, datetime.datetime]
) -> QuerySet[LinkSchedule]:
    """Running schedules due at `now`: an every-few-weeks one whose time has come, or a
    before-session one whose client has a booked session, still ahead, on or after its
    `next_session_from`, whose link is due. One query, whatever the number of schedules."""
    cutoff = Case(
        *[When(days_before=n, then=Value(moment)) for n, moment in due_before.items()],
        output_field=DateTimeField(),
    )
    due_session = selectors.booked_sessions(now).filter(
        client=OuterRef("client"),
        starts_at__gte=OuterRef("next_session_from"),
        starts_at__lt=OuterRef("due_before"),
    )
    return (
        LinkSchedule.objects.annotate(due_before=cutoff)
        .filter(stopped_at__isnull=True)
        .filter(
            Q(timing=LinkSchedule.Timing.EVERY_WEEKS, next_send_at__lte=now)
            | Q(Exists(due_session), timing=LinkSchedule.Timing.BEFORE_SESSION)
        )
    )


def _send(schedule: LinkSchedule, now: datetime.datetime) -> bool:
    """Send the schedule's link; True if it went. A client who withdrew their agreement or
    channel gets nothing (False); a clinician who no longer treats the client stops the
    schedule."""
    try:
        with transaction.atomic():
            link_send(
                actor=schedule.created_by,
                client=schedule.client,
                measure_code=schedule.measure_code,
                language=schedule.language,
            )
    except PermissionDenied:
        schedule.stopped_at = now
    except ValidationError:
        pass  # no agreement or channel now: nothing sent, next time is tried again
    else:
        schedule.last_sent_at = now
        return True
    return False


def send_one_scheduled(*, now: datetime.datetime | None = None) -> LinkSchedule | None:
    """Claim the next due schedule (SKIP LOCKED), send its link and move it on, in one
    transaction: two workers never send the same link, and a worker killed mid-way leaves the
    row due for the next scan. None when nothing is due.

    Every few weeks: the next time is moved on by the interval past `now`.

    Before each session: the session is the client's first booked one (not cancelled, not
    moved, not begun) starting on or after `next_session_from`; its link goes out at
    `selectors.session_link_due` (days before, at the send hour). A session booked later than
    that (less than the days ahead) gets its link at the next scan, as long as it has not
    begun. Each session gets one link at most, and a session moved after its link went out counts as
    served (no second link). Because the appointments are read at each scan, a session moved
    or cancelled before its link is simply followed: the link goes before the new time, or not
    at all.

    Either way a client who withdrew their agreement or channel gets nothing this time (the
    schedule moves on and tries again next time); a schedule whose clinician no longer treats
    the client stops. A fixed number of queries per schedule."""
    now = now or timezone.now()
    due_before = due_cutoffs(now)
    with transaction.atomic():
        schedule = (
            _due_schedules(now, due_before)
            .select_for_update(skip_locked=True, of=("self",))
            .select_related("client", "created_by")
            .order_by("next_send_at", "id")
            .first()
        )
        if schedule is None:
            return None
        if schedule.timing == LinkSchedule.Timing.EVERY_WEEKS:
            assert schedule.next_send_at is not None and schedule.every_weeks is not None
            every = datetime.timedelta(weeks=schedule.every_weeks)
            while schedule.next_send_at <= now:
                schedule.next_send_at += every
            _send(schedule, now)
            schedule.save(update_fields=["next_send_at", "stopped_at", "last_sent_at"])
            return schedule
        session = (
            selectors.booked_sessions(now)
            .filter(client=schedule.client_id, starts_at__gte=schedule.next_session_from)
            .order_by("starts_at", "id")
            .first()
        )
        assert schedule.days_before is not None
        # The claim's own cutoff, so that the claim and this check never disagree.
        if session is None or session.starts_at >= due_before[schedule.days_before]:
            return schedule  # served by a worker that committed since this scan's query began
        moved_served = (
            session.rescheduled_from_id is not None
            and schedule.last_appointment_id is not None
            and selectors.moved_from(session.rescheduled_from_id, schedule.last_appointment_id)
        )
        if not moved_served:
            _send(schedule, now)
        _served(schedule, session)
        schedule.save(
            update_fields=["next_session_from", "last_appointment", "stopped_at", "last_sent_at"]
        )
        return schedule


def send_scheduled_links(*, now: datetime.datetime | None = None, limit: int = 500) -> int:
    """Handle up to `limit` due schedules, one transaction each. Returns how many."""
    handled = 0
    while handled < limit and send_one_scheduled(now=now) is not None:
        handled += 1
    return handled


# --- Plans shared to read ----------------------------------------------------------------------


def plan_url(token: str) -> str:
    return f"{settings.SITE_URL}{reverse('selfreport:plan', args=[token])}"


def plan_message_text(*, token: str, language: str, hide_clinic_name: bool) -> str:
    """The message that carries a shared plan: no name, no plan named, no clinical word."""
    with translation.override(language):
        text = _("Your therapist sent you something to keep on your phone: %(url)s") % {
            "url": plan_url(token)
        }
        if not hide_clinic_name:
            text = f"{text} ({settings.CLINIC_DISPLAY_NAME})"
    return text


@transaction.atomic
def plan_share(*, actor: User, client: Client, kind: str, language: str) -> tuple[PlanShare, str]:
    """Share the current version of the client's plan `kind` (safety, overdose, use_plan) to
    read on their phone, sent by the channel they chose for reminders. The link shows that
    version, read-only, as often as the client likes until it expires (clinic setting
    SELF_REPORT_LINK_DAYS) or is withdrawn. Returns the share and the token (tests only).

    Refused (ValidationError, nothing stored or sent) when the client has not agreed to be
    contacted, has no channel or opted out, the kind or language is unknown, or the plan has
    no version yet. Side effect: change event `self_report.plan_share` (which plan, version,
    channel and language; never the token or the plan's words)."""
    if kind not in PlanShare.Kind.values:
        raise ValidationError({"kind": _("Choose one of the listed plans.")})
    _check_may_contact(actor=actor, client=client, language=language)
    version = selectors.current_plan_versions(client)[kind]
    if version is None:
        raise ValidationError(
            {"kind": _("This plan has no saved version yet: write it with the client first.")}
        )
    token, keyed = _new_token(actor=actor, client=client, language=language)
    share = PlanShare.objects.create(
        client=client, kind=kind, **{selectors.PLAN_SHARE_FIELDS[kind]: version}, **keyed
    )
    _deliver(
        client,
        plan_message_text(
            token=token, language=language, hide_clinic_name=client.reminder_hide_clinic_name
        ),
        language,
        subject=PLAN_SUBJECT,
    )
    audit_record(
        category=AuditEvent.Category.CHANGE,
        action=AuditAction.SELF_REPORT_PLAN_SHARE,
        actor=actor,
        obj=share,
        chart_number=client.chart_number,
        changes={
            "plan": (None, kind),
            "version": (None, version.number),
            "channel": (None, share.channel),
            "language": (None, language),
        },
    )
    return share, token


@transaction.atomic
def plan_share_revoke(*, actor: User, share: PlanShare) -> PlanShare:
    """Withdraw a shared plan: its link stops working at once. Withdrawing twice changes
    nothing. Side effect: change event `self_report.plan_share_revoke`."""
    access.require_write(actor, share.client)
    share = PlanShare.objects.select_for_update().get(pk=share.pk)
    if share.revoked_at is not None:
        return share
    share.revoked_at = timezone.now()
    share.save(update_fields=["revoked_at"])
    audit_record(
        category=AuditEvent.Category.CHANGE,
        action=AuditAction.SELF_REPORT_PLAN_SHARE_REVOKE,
        actor=actor,
        obj=share,
        chart_number=share.client.chart_number,
        changes={"revoked_at": (None, share.revoked_at)},
    )
    return share


def plan_share_for_token(token: str) -> PlanShare:
    """The share `token` opens, if it may be read now; LinkUnavailable ("unknown", "withdrawn",
    "expired") otherwise."""
    share = selectors.plan_share_by_hash(token_hash(token))
    if share is None:
        raise LinkUnavailable("unknown")
    state = share.state()
    if state != "open":
        raise LinkUnavailable(state)
    return share


@transaction.atomic
def plan_share_open(*, token: str) -> PlanShare:
    """The client opens a shared plan: counted (first and last opening, how many times) and
    audited each time (access event `self_report.plan_open`). The count is one UPDATE, so two
    openings at once both count."""
    share = plan_share_for_token(token)
    now = timezone.now()
    PlanShare.objects.filter(pk=share.pk).update(
        open_count=F("open_count") + 1,
        last_opened_at=now,
        first_opened_at=Coalesce(F("first_opened_at"), Value(now)),
    )
    audit_record(
        category=AuditEvent.Category.ACCESS,
        action=AuditAction.SELF_REPORT_PLAN_OPEN,
        obj=share,
        chart_number=share.client.chart_number,
        changes={"version": (None, share.version.number)},
    )
    return share
