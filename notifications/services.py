"""Planning and sending reminders.

`plan_reminders` turns the clinical data into future Reminder rows through the reminder rules
each app registers (notifications/extensions.py), insert-or-ignore on the unique key, so
running it twice, or from two beats at once, adds nothing. `send_due_reminders`
claims due rows one by one with SKIP LOCKED, checks each is still needed (a cancelled
appointment, a signed note, a review already done cancel it), writes its PHI-free text and
delivers it, all in one transaction per row: a worker killed mid-batch leaves the rows it had
not committed pending, and the next run sends them. Failures are retried with exponential
backoff, up to MAX_ATTEMPTS.

Email delivery is inside that transaction too: if a worker dies in the milliseconds between the
mail server accepting a message and the commit, that one email is sent again. The Message-ID is
derived from the reminder's key so a receiving system can drop the repeat; in-app reminders
are exactly-once by construction.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Value
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from clients.models import Client
from hrp import access
from hrp.accounts.models import User
from hrp.audit.actions import AuditAction
from hrp.audit.models import AuditEvent
from hrp.audit.services import audit_record

# tasks.py imports this module too: the module, not its names, is imported, so either may
# load first.
from notifications import extensions, tasks
from notifications.models import Reminder

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5


# --- Planning ----------------------------------------------------------------------------------


def plan_reminders(*, now: datetime.datetime | None = None) -> int:
    """Insert the reminders due within the planning horizon that do not exist yet. Returns
    how many rows were new."""
    now = now or timezone.now()
    specs = [spec for rule in extensions.reminder_rules() for spec in rule.plan(now)]
    if not specs:
        return 0
    keys = [spec.key() for spec in specs]
    existing = set(Reminder.objects.filter(key__in=keys).values_list("key", flat=True))
    Reminder.objects.bulk_create(
        [spec.row() for spec in specs if spec.key() not in existing], ignore_conflicts=True
    )
    return len(set(keys) - existing)


def notify_now(
    kind: str, *, object_id: int, client_id: int, recipients: Iterable[User]
) -> list[Reminder]:
    """Reminders due immediately (emergency access), sent by the next scan or at once after
    commit when a broker is there."""
    now = timezone.now()
    specs = extensions.staff_specs(
        kind, object_id=object_id, client_id=client_id, due_at=now, recipients=recipients
    )
    rows = Reminder.objects.bulk_create([spec.row() for spec in specs], ignore_conflicts=True)

    def _send() -> None:
        try:
            # No result: with Redis down, waiting on a result store would stall the page.
            tasks.send_due_reminders.apply_async(retry=False, ignore_result=True)
        except Exception as error:  # broker down: beat's next scan sends them
            logger.warning("could not enqueue reminder sending: %s", type(error).__name__)

    transaction.on_commit(_send)
    return rows


# --- Sending -----------------------------------------------------------------------------------


def _still_needed(reminder: Reminder, now: datetime.datetime) -> bool:
    """Whether what the reminder is about still needs attention right now, for a recipient
    who still wants it: a deactivated account gets nothing, and an email row stops when its
    recipient has turned email reminders off since it was planned."""
    recipient = reminder.recipient
    if recipient is not None:
        if not recipient.is_active:
            return False
        if reminder.channel == Reminder.Channel.EMAIL and not (
            recipient.email_reminders and recipient.email
        ):
            return False
    rule = extensions.rule_for(reminder.kind)
    return rule is not None and rule.still_needed(reminder, now)


def render(reminder: Reminder) -> tuple[str, str]:
    """The reminder's text and link, from the rule that planned it: built from the kind and
    times only, so no name, diagnosis, substance or other clinical detail can reach a reminder
    (and so an email or SMS)."""
    rule = extensions.rule_for(reminder.kind)
    return rule.render(reminder) if rule is not None else ("", "")


def _deliver(reminder: Reminder, text: str, url: str) -> None:
    if reminder.channel == Reminder.Channel.IN_APP:
        return  # the row itself is the in-app reminder
    if reminder.channel == Reminder.Channel.EMAIL:
        if reminder.recipient_id:
            to = reminder.recipient.email
            subject = _("Reminder from %(clinic)s") % {"clinic": settings.CLINIC_NAME}
            body = text + (f"\n\n{settings.SITE_URL}{url}" if url and settings.SITE_URL else "")
        else:
            client = Client.objects.only("email").get(pk=reminder.client_id)
            to, subject, body = client.email, _("Appointment reminder"), text
        message = EmailMessage(subject=subject, body=body, to=[to])
        message.extra_headers["Message-ID"] = f"<{reminder.key.replace(':', '.')}@hrp-reminders>"
        message.send(fail_silently=False)
        return
    if reminder.channel == Reminder.Channel.SMS:
        phone = Client.objects.only("phone").get(pk=reminder.client_id).phone
        import_string(settings.SMS_BACKEND)().send(to=phone, text=text)
        return
    raise ValueError("unknown channel")


def send_one(*, now: datetime.datetime | None = None) -> Reminder | None:
    """Claim the next due reminder, deliver it and mark it, in one transaction. None when
    nothing is due (or every due row is being sent by another worker)."""
    now = now or timezone.now()
    with transaction.atomic():
        reminder = (
            Reminder.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(status=Reminder.Status.PENDING, due_at__lte=now)
            .select_related("recipient")
            .order_by("due_at", "id")
            .first()
        )
        if reminder is None:
            return None
        if not _still_needed(reminder, now):
            reminder.status = Reminder.Status.CANCELLED
            reminder.save(update_fields=["status"])
            return reminder
        # A staff member reads it (inbox or email) in their own interface language; a client's
        # reminder keeps the language active here.
        staff = reminder.recipient.language if reminder.recipient_id else ""
        language = staff or translation.get_language()
        with translation.override(language):
            text, url = render(reminder)
        try:
            with transaction.atomic(), translation.override(language):
                _deliver(reminder, text, url)
        except Exception as error:  # delivery failures are retried; the class name is logged
            reminder.attempts += 1
            reminder.last_error = type(error).__name__[:80]
            if reminder.attempts >= MAX_ATTEMPTS:
                reminder.status = Reminder.Status.FAILED
            else:
                reminder.due_at = now + datetime.timedelta(minutes=2**reminder.attempts)
            reminder.save(update_fields=["attempts", "last_error", "status", "due_at"])
            logger.warning(
                "reminder %s delivery failed (%s), attempt %d",
                reminder.pk,
                reminder.last_error,
                reminder.attempts,
            )
            return reminder
        reminder.text = text
        reminder.url = url
        reminder.status = Reminder.Status.SENT
        reminder.sent_at = timezone.now()
        reminder.save(update_fields=["text", "url", "status", "sent_at"])
        return reminder


def send_due_reminders(*, now: datetime.datetime | None = None, limit: int = 500) -> int:
    """Send up to `limit` due reminders, one transaction each. Returns how many were handled
    (sent, cancelled or rescheduled after a failure)."""
    handled = 0
    while handled < limit:
        if send_one(now=now) is None:
            break
        handled += 1
    return handled


# --- Inbox -------------------------------------------------------------------------------------


def _alike(user: User, reminder: Reminder) -> Any:
    """The user's inbox rows that read exactly like `reminder` (same kind, client, text and
    link): the inbox shows them as one row, so opening or dismissing it answers for all."""
    return inbox_queryset(user).filter(
        kind=reminder.kind, client_id=reminder.client_id, text=reminder.text, url=reminder.url
    )


@transaction.atomic
def reminder_open(*, user: User, reminder: Reminder) -> str:
    """Mark `reminder` and the rows alike read; returns its link."""
    _alike(user, reminder).filter(read_at__isnull=True).update(read_at=timezone.now())
    return reminder.url


@transaction.atomic
def reminder_dismiss(*, user: User, reminder: Reminder) -> None:
    """Dismiss `reminder` and the rows alike (read now if they were not yet)."""
    now = timezone.now()
    _alike(user, reminder).update(dismissed_at=now, read_at=Coalesce("read_at", Value(now)))


def reminders_mark_all_read(*, user: User) -> int:
    return inbox_queryset(user).filter(read_at__isnull=True).update(read_at=timezone.now())


def inbox_queryset(user: User) -> Any:
    return Reminder.objects.filter(
        recipient=user,
        channel=Reminder.Channel.IN_APP,
        status=Reminder.Status.SENT,
        dismissed_at__isnull=True,
    )


@transaction.atomic
def email_reminders_set(*, user: User, enabled: bool) -> None:
    """The staff member's choice to get reminders by email too. Side effect:
    `account.email_reminders`."""
    if user.email_reminders == enabled:
        return
    user.email_reminders = enabled
    user.save(update_fields=["email_reminders"])
    audit_record(
        category=AuditEvent.Category.CHANGE,
        action=AuditAction.ACCOUNT_EMAIL_REMINDERS,
        actor=user,
        obj=user,
        changes={"email_reminders": (not enabled, enabled)},
    )


@transaction.atomic
def client_reminders_set(
    *, actor: User, client: Client, channel: str, hide_clinic_name: bool
) -> Client:
    """The client's choice of appointment reminders. Choosing none after having a channel is
    an opt-out, recorded with its time. Pending reminders stop at send time (the channel is
    re-checked). Side effect: `client.reminders`."""
    access.require_write(actor, client)
    client = Client.objects.select_for_update().get(pk=client.pk)
    if channel and not client.may_contact:
        raise ValidationError(
            {
                "reminder_channel": _(
                    "The client has not agreed to be contacted. Record that first (Edit details)."
                )
            }
        )
    if channel == "email" and not client.email:
        raise ValidationError({"reminder_channel": _("Add the client's email address first.")})
    if channel == "sms" and not client.phone:
        raise ValidationError({"reminder_channel": _("Add the client's phone number first.")})
    old = (client.reminder_channel, client.reminder_hide_clinic_name)
    if old[0] and not channel:
        client.reminders_opted_out_at = timezone.now()
    elif channel:
        client.reminders_opted_out_at = None
    client.reminder_channel = channel
    client.reminder_hide_clinic_name = hide_clinic_name
    client.save(
        update_fields=["reminder_channel", "reminder_hide_clinic_name", "reminders_opted_out_at"]
    )
    audit_record(
        category=AuditEvent.Category.CHANGE,
        action=AuditAction.CLIENT_REMINDERS,
        actor=actor,
        obj=client,
        chart_number=client.chart_number,
        changes={
            "reminder_channel": (old[0], channel),
            "reminder_hide_clinic_name": (old[1], hide_clinic_name),
        },
    )
    return client
