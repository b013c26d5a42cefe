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
from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from assessments import services as assessment_services
from assessments.measures import MEASURES
from assessments.models import Administration
from clients.models import Client
from hrp import access
from hrp.accounts.models import User
from hrp.audit.actions import AuditAction
from hrp.audit.models import AuditEvent
from hrp.audit.services import audit_record
from hrp.clinic import clinic_setting
from notifications.extensions import Kind, supervisors_by_supervisee
from notifications.services import notify_now
from risk.models import RiskFlag
from selfreport import selectors
from selfreport.models import LANGUAGES, ClientLink, LinkSchedule, PlanShare


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


def _check_may_send(*, actor: User, client: Client, measure_code: str, language: str) -> None:
    """The treating clinician, a known measure and language, and a client who agreed to be
    contacted and has a channel (opting out clears it): else PermissionDenied/ValidationError."""
    access.require_write(actor, client)
    if measure_code not in MEASURES:
        raise ValidationError({"measure_code": _("Choose one of the listed measures.")})
    _check_may_contact(client=client, language=language)


def _check_may_contact(*, client: Client, language: str) -> None:
    """A known language, and a client who agreed to be contacted and has a channel (opting out
    clears it): the rule every message to the client keeps, links and shared plans alike."""
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


@transaction.atomic
def link_send(
    *, actor: User, client: Client, measure_code: str, language: str
) -> tuple[ClientLink, str]:
    """Make a link for `measure_code` and send it to the client by the channel they chose for
    reminders. Returns the link and the token (for the caller to show nowhere: tests only).

    Refused (ValidationError, nothing stored or sent) when the client has not agreed to be
    contacted, has no channel or opted out, or the measure or language is unknown. Side
    effect: change event `self_report.link_send` (the measure and channel, never the token).
    """
    _check_may_send(actor=actor, client=client, measure_code=measure_code, language=language)
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    link = ClientLink.objects.create(
        client=client,
        kind=ClientLink.Kind.MEASURE,
        measure_code=measure_code,
        language=language,
        token_hash=token_hash(token),
        channel=client.reminder_channel,
        created_by=actor,
        created_at=now,
        expires_at=now + datetime.timedelta(days=int(clinic_setting("SELF_REPORT_LINK_DAYS"))),
    )
    _deliver(
        client,
        message_text(
            token=token, language=language, hide_clinic_name=client.reminder_hide_clinic_name
        ),
        language,
    )
    audit_record(
        category=AuditEvent.Category.CHANGE,
        action=AuditAction.SELF_REPORT_LINK_SEND,
        actor=actor,
        obj=link,
        chart_number=client.chart_number,
        changes={
            "measure": (None, measure_code),
            "channel": (None, link.channel),
            "language": (None, language),
        },
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
def link_submit(*, token: str, answers: Mapping[str, str]) -> tuple[ClientLink, Administration]:
    """Store the client's answers through assessments' own service (source "client") and
    close the link. The link row is locked first, so two submissions of the same link store
    one record: the second finds it answered (LinkUnavailable "answered").

    Missing answers raise ValidationError and store nothing; the link stays open. The record
    is written in the name of the clinician who sent the link; if they may no longer write in
    the chart (reassigned, deactivated) the link no longer works ("withdrawn"). A PHQ-9
    question 9 above 0 opens the suicide-risk flag and reminds the therapist and their current
    supervisors at once. Side effect: change event `self_report.link_submit`.
    """
    link = link_for_token(token, lock=True)
    actor = link.created_by
    try:
        administration = assessment_services.administration_record(
            actor=actor,
            client=link.client,
            measure_code=link.measure_code,
            answers=answers,
            source=Administration.Source.CLIENT,
        )
    except (PermissionDenied, Http404):
        raise LinkUnavailable("withdrawn") from None
    link.submitted_at = administration.administered_at
    link.administration = administration
    link.save(update_fields=["submitted_at", "administration"])
    audit_record(
        category=AuditEvent.Category.CHANGE,
        action=AuditAction.SELF_REPORT_LINK_SUBMIT,
        obj=link,
        chart_number=link.client.chart_number,
        changes={"administration": (None, administration.pk)},
    )
    if administration.suicide_risk:
        _remind_team_now(link.client, administration)
    return link, administration


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
    *, actor: User, client: Client, measure_code: str, language: str, every_weeks: int
) -> LinkSchedule:
    """Send `measure_code` every `every_weeks` weeks (1-52), the first at the next scan. Same
    refusals as link_send. Side effect: change event `self_report.schedule_create`."""
    _check_may_send(actor=actor, client=client, measure_code=measure_code, language=language)
    if not 1 <= every_weeks <= 52:
        raise ValidationError({"every_weeks": _("Use a number of weeks from 1 to 52.")})
    schedule = LinkSchedule.objects.create(
        client=client,
        measure_code=measure_code,
        language=language,
        every_weeks=every_weeks,
        next_send_at=timezone.now(),
        created_by=actor,
    )
    audit_record(
        category=AuditEvent.Category.CHANGE,
        action=AuditAction.SELF_REPORT_SCHEDULE_CREATE,
        actor=actor,
        obj=schedule,
        chart_number=client.chart_number,
        changes={"measure": (None, measure_code), "every_weeks": (None, every_weeks)},
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


def send_one_scheduled(*, now: datetime.datetime | None = None) -> LinkSchedule | None:
    """Claim the next due schedule (SKIP LOCKED), send its link and move it on by its interval
    past `now`, in one transaction: two workers never send the same link, and a worker killed
    mid-way leaves the row due for the next scan. A client who withdrew their agreement or
    channel gets nothing this time (the schedule moves on and tries again next time); a
    schedule whose clinician no longer treats the client stops. None when nothing is due."""
    now = now or timezone.now()
    with transaction.atomic():
        schedule = (
            LinkSchedule.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(stopped_at__isnull=True, next_send_at__lte=now)
            .select_related("client", "created_by")
            .order_by("next_send_at", "id")
            .first()
        )
        if schedule is None:
            return None
        every = datetime.timedelta(weeks=schedule.every_weeks)
        while schedule.next_send_at <= now:
            schedule.next_send_at += every
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
        schedule.save(update_fields=["next_send_at", "stopped_at"])
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
    access.require_write(actor, client)
    if kind not in PlanShare.Kind.values:
        raise ValidationError({"kind": _("Choose one of the listed plans.")})
    _check_may_contact(client=client, language=language)
    version = selectors.current_plan_versions(client)[kind]
    if version is None:
        raise ValidationError(
            {"kind": _("This plan has no saved version yet: write it with the client first.")}
        )
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    share = PlanShare.objects.create(
        client=client,
        kind=kind,
        **{selectors.PLAN_SHARE_FIELDS[kind]: version},
        language=language,
        token_hash=token_hash(token),
        channel=client.reminder_channel,
        created_by=actor,
        created_at=now,
        expires_at=now + datetime.timedelta(days=int(clinic_setting("SELF_REPORT_LINK_DAYS"))),
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
