"""Reminders about appointments and notes, registered from TherapySessionsConfig.ready() (see
notifications/extensions.py): upcoming sessions (to the therapist and, by the channel they
chose, the client), notes still unsigned, notes waiting for a co-signature, and session-rating
alerts."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.functions import TruncDate
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from clients.models import Client
from hrp import formats
from hrp.accounts.models import Supervision
from hrp.clinic import clinic_setting
from notifications.extensions import (
    GRACE,
    HORIZON,
    Kind,
    ReminderRule,
    Spec,
    client_channel,
    in_window,
    staff_specs,
    supervisors_by_supervisee,
    timing,
)
from notifications.models import Reminder
from safety.models import ToleranceWindow
from sessions.models import Appointment, RatingAlert, SessionNote


def _when(moment: datetime.datetime) -> tuple[str, str]:
    return formats.weekday_date(moment), formats.time(moment)


class UpcomingSession(ReminderRule):
    """The day before and shortly before a scheduled session, to its therapist; and before it
    to the client, by the channel they chose."""

    key = "upcoming_session"
    kinds = (Kind.SESSION_DAY, Kind.SESSION_HOUR, Kind.CLIENT_SESSION)
    order = 10

    def plan(self, now: datetime.datetime) -> list[Spec]:
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
                if due >= appointment.created_at and in_window(due, now):
                    specs += staff_specs(
                        kind,
                        object_id=appointment.pk,
                        client_id=appointment.client_id,
                        due_at=due,
                        recipients=[appointment.therapist],
                    )
            client = appointment.client
            due = appointment.starts_at - client_before
            channel = client_channel(client)
            if channel and due >= appointment.created_at and in_window(due, now):
                specs.append(
                    Spec(Kind.CLIENT_SESSION, appointment.pk, client.pk, due, None, channel)
                )
        return specs

    def still_needed(self, reminder: Reminder, now: datetime.datetime) -> bool:
        appointment = Appointment.objects.filter(pk=reminder.object_id).first()
        if appointment is None or appointment.status != Appointment.Status.SCHEDULED:
            return False
        if appointment.starts_at <= now:
            return False
        if reminder.kind == Kind.CLIENT_SESSION:
            return client_channel(appointment.client) == reminder.channel
        return appointment.therapist_id == reminder.recipient_id

    def render(self, reminder: Reminder) -> tuple[str, str]:
        starts_at, video_link = Appointment.objects.values_list("starts_at", "video_link").get(
            pk=reminder.object_id
        )
        day, time = _when(starts_at)
        if reminder.kind == Kind.CLIENT_SESSION:
            text = _("Reminder: your appointment is on %(day)s at %(time)s.") % {
                "day": day,
                "time": time,
            }
            client = Client.objects.only("reminder_hide_clinic_name").get(pk=reminder.client_id)
            if not client.reminder_hide_clinic_name:
                text += f" {settings.CLINIC_DISPLAY_NAME}"
                # The video link names no one, but its address can name the clinic or its
                # provider: a client who asked for discreet reminders gets none, and opens
                # the link from the clinic instead.
                if video_link:
                    text += " " + _("Video link: %(url)s") % {"url": video_link}
            return text, ""
        url = reverse("sessions:section", args=[reminder.client_id])
        if reminder.kind == Kind.SESSION_DAY:
            text = _("You have a session on %(day)s at %(time)s.") % {"day": day, "time": time}
        else:
            text = _("A session starts at %(time)s.") % {"time": time}
        return text, url


class SessionWithLowerTolerance(ReminderRule):
    """`session_day_hours` before a scheduled session that falls inside one of the client's
    periods of lower tolerance (safety.models.ToleranceWindow), to the session's therapist: a
    prompt to talk about overdose prevention. The text says only that the chart is worth a
    look; the periods themselves are the safety app's (read through its selector)."""

    key = "session_with_lower_tolerance"
    kinds = (Kind.TOLERANCE_SESSION,)
    order = 15

    @staticmethod
    def _during_window(appointments: QuerySet[Appointment]) -> QuerySet[Appointment]:
        return appointments.annotate(day=TruncDate("starts_at")).filter(
            Exists(
                ToleranceWindow.objects.filter(
                    client_id=OuterRef("client_id"),
                    start_date__lte=OuterRef("day"),
                    end_date__gte=OuterRef("day"),
                )
            )
        )

    def plan(self, now: datetime.datetime) -> list[Spec]:
        before = datetime.timedelta(hours=timing("session_day_hours"))
        appointments = self._during_window(
            Appointment.objects.filter(
                status=Appointment.Status.SCHEDULED,
                starts_at__gt=now,
                starts_at__lte=now + HORIZON + before,
            )
        ).select_related("therapist")
        specs: list[Spec] = []
        for appointment in appointments:
            due = appointment.starts_at - before
            if due >= appointment.created_at and in_window(due, now):
                specs += staff_specs(
                    Kind.TOLERANCE_SESSION,
                    object_id=appointment.pk,
                    client_id=appointment.client_id,
                    due_at=due,
                    recipients=[appointment.therapist],
                )
        return specs

    def still_needed(self, reminder: Reminder, now: datetime.datetime) -> bool:
        appointment = self._during_window(
            Appointment.objects.filter(
                pk=reminder.object_id, status=Appointment.Status.SCHEDULED, starts_at__gt=now
            )
        ).first()
        return appointment is not None and appointment.therapist_id == reminder.recipient_id

    def render(self, reminder: Reminder) -> tuple[str, str]:
        starts_at = Appointment.objects.values_list("starts_at", flat=True).get(
            pk=reminder.object_id
        )
        day, time = _when(starts_at)
        url = reverse("safety:section", args=[reminder.client_id])
        text = _("Before the session on %(day)s at %(time)s, please look at the chart.") % {
            "day": day,
            "time": time,
        }
        return text, url


class UnsignedNote(ReminderRule):
    """An attended session without a signed note LATE_NOTE_HOURS after it ended."""

    key = "unsigned_note"
    kinds = (Kind.NOTE_UNSIGNED,)
    order = 20

    def plan(self, now: datetime.datetime) -> list[Spec]:
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
            specs += staff_specs(
                Kind.NOTE_UNSIGNED,
                object_id=appointment.pk,
                client_id=appointment.client_id,
                due_at=appointment.ends_at + late,
                recipients=[appointment.therapist],
            )
        return specs

    def still_needed(self, reminder: Reminder, now: datetime.datetime) -> bool:
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

    def render(self, reminder: Reminder) -> tuple[str, str]:
        hours = clinic_setting("LATE_NOTE_HOURS")
        return (
            ngettext(
                "A session note is still unsigned %(h)d hour after the session.",
                "A session note is still unsigned %(h)d hours after the session.",
                hours,
            )
            % {"h": hours},
            reverse("sessions:my_notes"),
        )


class NoteAwaitingCosign(ReminderRule):
    """A trainee's signed note, to their current supervisors."""

    key = "cosign"
    kinds = (Kind.COSIGN,)
    order = 50

    def plan(self, now: datetime.datetime) -> list[Spec]:
        supervisors = supervisors_by_supervisee()
        specs: list[Spec] = []
        for note in SessionNote.objects.filter(
            status=SessionNote.Status.AWAITING_COSIGN, signed_at__gte=now - GRACE
        ).only("id", "client_id", "author_id", "signed_at"):
            specs += staff_specs(
                Kind.COSIGN,
                object_id=note.pk,
                client_id=note.client_id,
                due_at=note.signed_at,
                recipients=supervisors.get(note.author_id, []),
            )
        return specs

    def still_needed(self, reminder: Reminder, now: datetime.datetime) -> bool:
        note = SessionNote.objects.filter(pk=reminder.object_id).only("status", "author_id").first()
        return (
            note is not None
            and note.status == SessionNote.Status.AWAITING_COSIGN
            and Supervision.objects.current()
            .filter(supervisor_id=reminder.recipient_id, supervisee_id=note.author_id)
            .exists()
        )

    def render(self, reminder: Reminder) -> tuple[str, str]:
        return _("A note is waiting for your co-signature."), reverse("sessions:cosign_queue")


class SessionRatingAlert(ReminderRule):
    """A session rating below the threshold or well below the client's usual, to the therapist
    and their supervisors, until acknowledged."""

    key = "rating_alert"
    kinds = (Kind.RATING_ALERT,)
    order = 60

    def plan(self, now: datetime.datetime) -> list[Spec]:
        supervisors = supervisors_by_supervisee()
        specs: list[Spec] = []
        for alert in RatingAlert.objects.filter(
            acknowledged_at__isnull=True,
            created_at__gte=now - GRACE,
            client__therapist__isnull=False,
        ).select_related("client__therapist"):
            therapist = alert.client.therapist
            specs += staff_specs(
                Kind.RATING_ALERT,
                object_id=alert.pk,
                client_id=alert.client_id,
                due_at=alert.created_at,
                recipients=[therapist, *supervisors.get(therapist.pk, [])],
            )
        return specs

    def still_needed(self, reminder: Reminder, now: datetime.datetime) -> bool:
        return RatingAlert.objects.filter(
            pk=reminder.object_id, acknowledged_at__isnull=True
        ).exists()

    def render(self, reminder: Reminder) -> tuple[str, str]:
        return _("A client's session rating needs a look."), reverse("sessions:my_notes")


RULES = (
    UpcomingSession(),
    SessionWithLowerTolerance(),
    UnsignedNote(),
    NoteAwaitingCosign(),
    SessionRatingAlert(),
)
