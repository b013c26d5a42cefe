"""Planning and sending reminders.

`plan_reminders` turns the clinical data into future Reminder rows (insert-or-ignore on the
unique key, so running it twice, or from two beats at once, adds nothing). `send_due_reminders`
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
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from clients.models import Client
from hrp import access
from hrp.accounts.models import Supervision, User
from hrp.audit.models import AuditEvent
from hrp.audit.services import audit_record
from hrp.clinic import clinic_setting
from notifications.models import Reminder

logger = logging.getLogger(__name__)

HORIZON = datetime.timedelta(days=2)  # plan this far ahead
GRACE = datetime.timedelta(hours=12)  # still plan (and send) reminders this late
MAX_ATTEMPTS = 5
Kind = Reminder.Kind


def timing(name: str) -> int:
    return int(clinic_setting("REMINDER_TIMINGS")[name])


# --- Planning ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Spec:
    kind: str
    object_id: int
    client_id: int
    due_at: datetime.datetime
    recipient_id: int | None = None
    channel: str = Reminder.Channel.IN_APP

    def key(self) -> str:
        who = f"u{self.recipient_id}" if self.recipient_id else f"c{self.client_id}"
        due = self.due_at.astimezone(datetime.UTC).strftime("%Y%m%dT%H%M")
        return f"{self.kind}:{self.object_id}:{due}:{who}:{self.channel}"

    def row(self) -> Reminder:
        return Reminder(
            key=self.key(),
            kind=self.kind,
            channel=self.channel,
            recipient_id=self.recipient_id,
            client_id=self.client_id,
            object_id=self.object_id,
            due_at=self.due_at,
        )


def _staff_specs(
    kind: str,
    *,
    object_id: int,
    client_id: int,
    due_at: datetime.datetime,
    recipients: Iterable[User],
) -> list[Spec]:
    specs = []
    for user in recipients:
        if not user.is_active:
            continue
        specs.append(Spec(kind, object_id, client_id, due_at, user.pk))
        if user.email_reminders and user.email:
            specs.append(Spec(kind, object_id, client_id, due_at, user.pk, Reminder.Channel.EMAIL))
    return specs


def _supervisors_by_supervisee() -> dict[int, list[User]]:
    found: dict[int, list[User]] = {}
    for supervision in Supervision.objects.current().select_related("supervisor"):
        found.setdefault(supervision.supervisee_id, []).append(supervision.supervisor)
    return found


def _at_send_hour(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(
        day, datetime.time(timing("send_hour")), tzinfo=timezone.get_current_timezone()
    )


def _in_window(due: datetime.datetime, now: datetime.datetime) -> bool:
    return now - GRACE <= due <= now + HORIZON


def _plan_sessions(now: datetime.datetime) -> list[Spec]:
    from sessions.models import Appointment

    day = datetime.timedelta(hours=timing("session_day_hours"))
    hour = datetime.timedelta(minutes=timing("session_hour_minutes"))
    client_before = datetime.timedelta(hours=timing("client_session_hours"))
    furthest = max(day, hour, client_before)
    specs: list[Spec] = []
    appointments = Appointment.objects.filter(
        status=Appointment.Status.SCHEDULED,
        starts_at__gt=now,
        starts_at__lte=now + HORIZON + furthest,
    ).select_related("therapist", "client")
    for appointment in appointments:
        for kind, before in ((Kind.SESSION_DAY, day), (Kind.SESSION_HOUR, hour)):
            due = appointment.starts_at - before
            # A reminder "the day before" for a session booked an hour ahead would be wrong.
            if due >= appointment.created_at and _in_window(due, now):
                specs += _staff_specs(
                    kind,
                    object_id=appointment.pk,
                    client_id=appointment.client_id,
                    due_at=due,
                    recipients=[appointment.therapist],
                )
        client = appointment.client
        due = appointment.starts_at - client_before
        if _client_channel(client) and due >= appointment.created_at and _in_window(due, now):
            specs.append(
                Spec(
                    Kind.CLIENT_SESSION,
                    appointment.pk,
                    client.pk,
                    due,
                    None,
                    _client_channel(client),
                )
            )
    return specs


def _client_channel(client: Client) -> str:
    """The channel for this client's reminders, or "" when they have none (no consent to be
    contacted, no choice, opted out, or no address for the chosen channel)."""
    if not client.may_contact or client.status not in (Client.Status.ACTIVE, Client.Status.INTAKE):
        return ""
    if client.reminder_channel == Reminder.Channel.EMAIL and client.email:
        return Reminder.Channel.EMAIL
    if client.reminder_channel == Reminder.Channel.SMS and client.phone:
        return Reminder.Channel.SMS
    return ""


def _plan_unsigned_notes(now: datetime.datetime) -> list[Spec]:
    from django.db.models import Q

    from sessions.models import Appointment, SessionNote

    late = datetime.timedelta(hours=clinic_setting("LATE_NOTE_HOURS"))
    appointments = (
        Appointment.objects.filter(
            status=Appointment.Status.ATTENDED,
            ends_at__gte=now - GRACE - late,
            ends_at__lte=now + HORIZON - late,
        )
        .filter(Q(note__isnull=True) | Q(note__status=SessionNote.Status.DRAFT))
        .select_related("therapist")
    )
    specs: list[Spec] = []
    for appointment in appointments:
        specs += _staff_specs(
            Kind.NOTE_UNSIGNED,
            object_id=appointment.pk,
            client_id=appointment.client_id,
            due_at=appointment.ends_at + late,
            recipients=[appointment.therapist],
        )
    return specs


def _plan_reviews(now: datetime.datetime) -> list[Spec]:
    from goals.models import Goal

    before = datetime.timedelta(days=timing("review_due_days"))
    today = timezone.localdate(now)
    goals = Goal.objects.filter(
        status=Goal.Status.ACTIVE,
        review_date__gte=today - datetime.timedelta(days=2),
        review_date__lte=today + HORIZON + before + datetime.timedelta(days=1),
        client__therapist__isnull=False,
    ).select_related("client__therapist")
    specs: list[Spec] = []
    for goal in goals:
        for kind, due in (
            (Kind.REVIEW_DUE, _at_send_hour(goal.review_date - before)),
            (Kind.REVIEW_OVERDUE, _at_send_hour(goal.review_date + datetime.timedelta(days=1))),
        ):
            if _in_window(due, now) and due >= goal.created_at:
                specs += _staff_specs(
                    kind,
                    object_id=goal.pk,
                    client_id=goal.client_id,
                    due_at=due,
                    recipients=[goal.client.therapist],
                )
    return specs


def _plan_measures(now: datetime.datetime) -> list[Spec]:
    from assessments.selectors import due_measures

    specs: list[Spec] = []
    clients = Client.objects.filter(
        status=Client.Status.ACTIVE, therapist__isnull=False
    ).select_related("therapist")
    for client in clients:
        for due in due_measures(client, within_days=HORIZON.days):
            at = _at_send_hour(due.due_on + datetime.timedelta(days=timing("measure_due_days")))
            if _in_window(at, now):
                specs += _staff_specs(
                    Kind.MEASURE_DUE,
                    object_id=due.last.pk,
                    client_id=client.pk,
                    due_at=at,
                    recipients=[client.therapist],
                )
    return specs


def _plan_cosign(now: datetime.datetime) -> list[Spec]:
    from sessions.models import SessionNote

    supervisors = _supervisors_by_supervisee()
    specs: list[Spec] = []
    for note in SessionNote.objects.filter(
        status=SessionNote.Status.AWAITING_COSIGN, signed_at__gte=now - GRACE
    ).only("id", "client_id", "author_id", "signed_at"):
        specs += _staff_specs(
            Kind.COSIGN,
            object_id=note.pk,
            client_id=note.client_id,
            due_at=note.signed_at,
            recipients=supervisors.get(note.author_id, []),
        )
    return specs


def _plan_rating_alerts(now: datetime.datetime) -> list[Spec]:
    from sessions.models import RatingAlert

    supervisors = _supervisors_by_supervisee()
    specs: list[Spec] = []
    for alert in RatingAlert.objects.filter(
        acknowledged_at__isnull=True, created_at__gte=now - GRACE, client__therapist__isnull=False
    ).select_related("client__therapist"):
        therapist = alert.client.therapist
        specs += _staff_specs(
            Kind.RATING_ALERT,
            object_id=alert.pk,
            client_id=alert.client_id,
            due_at=alert.created_at,
            recipients=[therapist, *supervisors.get(therapist.pk, [])],
        )
    return specs


def _plan_suicide_risk(now: datetime.datetime) -> list[Spec]:
    from assessments.models import Administration

    supervisors = _supervisors_by_supervisee()
    specs: list[Spec] = []
    for administration in Administration.objects.filter(
        suicide_risk=True,
        follow_up__isnull=True,
        administered_at__gte=now - GRACE,
        client__therapist__isnull=False,
    ).select_related("client__therapist"):
        therapist = administration.client.therapist
        # Therapist and supervisor at once: the same due time for both.
        specs += _staff_specs(
            Kind.SUICIDE_RISK,
            object_id=administration.pk,
            client_id=administration.client_id,
            due_at=administration.administered_at,
            recipients=[therapist, *supervisors.get(therapist.pk, [])],
        )
    return specs


PLANNERS: list[Callable[[datetime.datetime], list[Spec]]] = [
    _plan_sessions,
    _plan_unsigned_notes,
    _plan_reviews,
    _plan_measures,
    _plan_cosign,
    _plan_rating_alerts,
    _plan_suicide_risk,
]


def plan_reminders(*, now: datetime.datetime | None = None) -> int:
    """Insert the reminders due within the planning horizon that do not exist yet. Returns
    how many rows were new."""
    now = now or timezone.now()
    specs = [spec for planner in PLANNERS for spec in planner(now)]
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
    specs = _staff_specs(
        kind, object_id=object_id, client_id=client_id, due_at=now, recipients=recipients
    )
    rows = Reminder.objects.bulk_create([spec.row() for spec in specs], ignore_conflicts=True)

    def _send() -> None:
        from notifications.tasks import send_due_reminders

        try:
            # No result: with Redis down, waiting on a result store would stall the page.
            send_due_reminders.apply_async(retry=False, ignore_result=True)
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
    kind = reminder.kind
    if kind in (Kind.SESSION_DAY, Kind.SESSION_HOUR, Kind.CLIENT_SESSION):
        from sessions.models import Appointment

        appointment = Appointment.objects.filter(pk=reminder.object_id).first()
        if appointment is None or appointment.status != Appointment.Status.SCHEDULED:
            return False
        if appointment.starts_at <= now:
            return False
        if kind == Kind.CLIENT_SESSION:
            return _client_channel(appointment.client) == reminder.channel
        return appointment.therapist_id == reminder.recipient_id
    if kind == Kind.NOTE_UNSIGNED:
        from sessions.models import Appointment, SessionNote

        # Attendance corrected to "did not attend" (possible while no note exists): there is
        # no note to write any more.
        attended = Appointment.objects.filter(
            pk=reminder.object_id, status=Appointment.Status.ATTENDED
        ).exists()
        return (
            attended
            and not SessionNote.objects.filter(
                appointment_id=reminder.object_id, signed_at__isnull=False
            ).exists()
        )
    if kind in (Kind.REVIEW_DUE, Kind.REVIEW_OVERDUE):
        from goals.models import Goal

        goal = Goal.objects.filter(pk=reminder.object_id).select_related("client").first()
        if goal is None or goal.status != Goal.Status.ACTIVE:
            return False
        # The review date the reminder was planned for must still be the goal's.
        local_due = timezone.localdate(reminder.due_at)
        offset = datetime.timedelta(
            days=timing("review_due_days") if kind == Kind.REVIEW_DUE else -1
        )
        return goal.review_date == local_due + offset and (
            goal.client.therapist_id == reminder.recipient_id
        )
    if kind == Kind.MEASURE_DUE:
        from assessments.models import Administration
        from assessments.selectors import latest_by_measure

        last = Administration.objects.filter(pk=reminder.object_id).select_related("client").first()
        if last is None:
            return False
        return latest_by_measure(last.client).get(last.measure_code) == last
    if kind == Kind.COSIGN:
        from sessions.models import SessionNote

        note = SessionNote.objects.filter(pk=reminder.object_id).only("status", "author_id").first()
        return (
            note is not None
            and note.status == SessionNote.Status.AWAITING_COSIGN
            and Supervision.objects.current()
            .filter(supervisor_id=reminder.recipient_id, supervisee_id=note.author_id)
            .exists()
        )
    if kind == Kind.RATING_ALERT:
        from sessions.models import RatingAlert

        return RatingAlert.objects.filter(
            pk=reminder.object_id, acknowledged_at__isnull=True
        ).exists()
    if kind == Kind.EMERGENCY_ACCESS:
        return True  # it happened; the people responsible for the client are told regardless
    if kind == Kind.SUICIDE_RISK:
        from assessments.models import Administration

        return Administration.objects.filter(pk=reminder.object_id, follow_up__isnull=True).exists()
    return False


def _when(moment: datetime.datetime) -> tuple[str, str]:
    local = timezone.localtime(moment)
    return formats.date_format(local, "l j F"), formats.time_format(local, "H:i")


def render(reminder: Reminder) -> tuple[str, str]:
    """The reminder's text and link. Built from the kind and times only: no name, diagnosis,
    substance or other clinical detail can reach a reminder (and so an email or SMS)."""
    kind = reminder.kind
    url = ""
    if kind in (Kind.SESSION_DAY, Kind.SESSION_HOUR, Kind.CLIENT_SESSION):
        from sessions.models import Appointment

        starts_at = Appointment.objects.values_list("starts_at", flat=True).get(
            pk=reminder.object_id
        )
        day, time = _when(starts_at)
        if kind == Kind.CLIENT_SESSION:
            text = _("Reminder: your appointment is on %(day)s at %(time)s.") % {
                "day": day,
                "time": time,
            }
            client = Client.objects.only("reminder_hide_clinic_name").get(pk=reminder.client_id)
            if not client.reminder_hide_clinic_name:
                text += f" {settings.CLINIC_DISPLAY_NAME}"
            return text, ""
        url = reverse("sessions:section", args=[reminder.client_id])
        if kind == Kind.SESSION_DAY:
            text = _("You have a session on %(day)s at %(time)s.") % {"day": day, "time": time}
        else:
            text = _("A session starts at %(time)s.") % {"time": time}
        return text, url
    if kind == Kind.NOTE_UNSIGNED:
        return (
            _("A session note is still unsigned %(h)d hours after the session.")
            % {"h": clinic_setting("LATE_NOTE_HOURS")},
            reverse("sessions:my_notes"),
        )
    if kind in (Kind.REVIEW_DUE, Kind.REVIEW_OVERDUE):
        url = reverse("goals:goal", args=[reminder.client_id, reminder.object_id])
        if kind == Kind.REVIEW_DUE:
            return _("A goal review is due in %(n)d days.") % {"n": timing("review_due_days")}, url
        return _("A goal review is overdue."), url
    if kind == Kind.MEASURE_DUE:
        return _("A measure is due."), reverse("assessments:due")
    if kind == Kind.COSIGN:
        return _("A note is waiting for your co-signature."), reverse("sessions:cosign_queue")
    if kind == Kind.RATING_ALERT:
        return _("A client's session rating needs a look."), reverse("sessions:my_notes")
    if kind == Kind.EMERGENCY_ACCESS:
        return (
            _("Emergency access was used to open a record on your caseload."),
            reverse("clients:access_log", args=[reminder.client_id]),
        )
    if kind == Kind.SUICIDE_RISK:
        return (
            _("A questionnaire answer needs your follow-up today."),
            reverse("clients:chart_section", args=[reminder.client_id, "assessments"]),
        )
    return "", ""


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
        text, url = render(reminder)
        try:
            with transaction.atomic():
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


def reminder_open(*, user: User, reminder: Reminder) -> str:
    if reminder.read_at is None:
        reminder.read_at = timezone.now()
        reminder.save(update_fields=["read_at"])
    return reminder.url


def reminder_dismiss(*, user: User, reminder: Reminder) -> None:
    now = timezone.now()
    reminder.dismissed_at = now
    reminder.read_at = reminder.read_at or now
    reminder.save(update_fields=["dismissed_at", "read_at"])


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
def email_reminders_set(*, user: User, request: Any, enabled: bool) -> None:
    """The staff member's choice to get reminders by email too. Side effect:
    `account.email_reminders`."""
    if user.email_reminders == enabled:
        return
    user.email_reminders = enabled
    user.save(update_fields=["email_reminders"])
    audit_record(
        category=AuditEvent.Category.CHANGE,
        action="account.email_reminders",
        actor=user,
        request=request,
        obj=user,
        changes={"email_reminders": (not enabled, enabled)},
    )


@transaction.atomic
def client_reminders_set(
    *, actor: User, request: Any, client: Client, channel: str, hide_clinic_name: bool
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
        action="client.reminders",
        actor=actor,
        request=request,
        obj=client,
        chart_number=client.chart_number,
        changes={
            "reminder_channel": (old[0], channel),
            "reminder_hide_clinic_name": (old[1], hide_clinic_name),
        },
    )
    return client
