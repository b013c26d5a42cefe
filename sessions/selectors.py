"""Reads for appointments (a therapist's week, a client's appointments, the caseload's
next-appointment and last-contact columns) and session notes (the follow-back weeks, late
notes, the co-signature queue, rating alerts and trend)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from clients.extensions import Notice, TimelineEntry
from clients.models import Client
from clients.selectors import Flag
from hrp import access, bounds
from hrp.accounts.models import User
from hrp.clinic import clinic_setting
from sessions import extensions
from sessions.models import (
    Appointment,
    ClientSessionRating,
    ContactAddendum,
    ContactReview,
    NoteAddendum,
    NoteReview,
    OutsideContact,
    RatingAlert,
    SessionNote,
)
from sessions.vocab import ContactKind, RiskLevel


def prefetch_for_clients(qs: QuerySet[Client]) -> QuerySet[Client]:
    """Attach each client's next scheduled appointment (a sliced prefetch: `ROW_NUMBER()` per
    client over the appointments still ahead) and their last contact (`annotate_last_contact`:
    columns of the client query itself). Idempotent."""
    already = {
        getattr(lookup, "to_attr", None) for lookup in getattr(qs, "_prefetch_related_lookups", ())
    }
    if "prefetched_upcoming" in already:
        return qs
    now = timezone.now()
    return annotate_last_contact(qs).prefetch_related(
        Prefetch(
            "appointments",
            queryset=Appointment.objects.filter(
                status=Appointment.Status.SCHEDULED, starts_at__gte=now
            ).order_by("starts_at", "id")[:1],
            to_attr="prefetched_upcoming",
        ),
    )


def _latest_session_at() -> Subquery:
    return Subquery(
        Appointment.objects.filter(client=OuterRef("pk"), status=Appointment.Status.ATTENDED)
        .order_by("-starts_at")
        .values("starts_at")[:1]
    )


def _latest_signed_contact() -> QuerySet[OutsideContact]:
    return OutsideContact.objects.filter(client=OuterRef("pk"), signed_at__isnull=False).order_by(
        "-occurred_at"
    )


def annotate_last_contact(qs: QuerySet[Client]) -> QuerySet[Client]:
    """Add each client's last contact: the latest attended session (`last_session_at`) and the
    latest signed contact outside a session (`last_outside_contact_at` and its kind). Each is
    a correlated `ORDER BY ... LIMIT 1` that PostgreSQL answers with one probe of a partial
    index (appointment_attended_latest, contact_signed_latest) per client: no query of its
    own, and the rows read do not grow with the client's history. Idempotent."""
    if "last_session_at" in qs.query.annotations:
        return qs
    return qs.annotate(
        last_session_at=_latest_session_at(),
        last_outside_contact_at=Subquery(_latest_signed_contact().values("occurred_at")[:1]),
        last_outside_contact_kind=Subquery(_latest_signed_contact().values("kind")[:1]),
    )


@dataclass(frozen=True)
class LastContact:
    """The latest contact with a client: an attended session (`kind` empty) or a signed
    contact outside a session (`kind` a ContactKind value)."""

    at: datetime.datetime
    kind: str = ""

    @property
    def kind_label(self) -> str:
        return str(ContactKind(self.kind).label) if self.kind else ""


def next_appointment(client: Client) -> Appointment | None:
    upcoming = getattr(client, "prefetched_upcoming", None)
    if upcoming is None:
        upcoming = list(
            client.appointments.filter(
                status=Appointment.Status.SCHEDULED, starts_at__gte=timezone.now()
            ).order_by("starts_at")[:1]
        )
    return upcoming[0] if upcoming else None


def last_contact(client: Client) -> LastContact | None:
    """The later of the client's last attended session and last signed contact outside a
    session (a session wins a tie), from `annotate_last_contact`'s columns, or one query
    when the client was loaded without them."""
    if not hasattr(client, "last_session_at"):
        client = annotate_last_contact(Client.objects.filter(pk=client.pk)).get()
    session_at = client.last_session_at  # type: ignore[attr-defined]
    contact_at = client.last_outside_contact_at  # type: ignore[attr-defined]
    if contact_at is not None and (session_at is None or contact_at > session_at):
        return LastContact(at=contact_at, kind=client.last_outside_contact_kind)  # type: ignore[attr-defined]
    return LastContact(at=session_at) if session_at is not None else None


def week_start_of(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


def out_of_range_appointments(*, therapist: User) -> list[Appointment]:
    """The therapist's appointments dated where no calendar week reaches (stored before the
    date policy in hrp/bounds.py): before the calendar's first day or after its last."""
    tz = timezone.get_current_timezone()
    earliest = datetime.datetime.combine(bounds.CALENDAR.earliest(), datetime.time.min, tzinfo=tz)
    after = datetime.datetime.combine(
        bounds.CALENDAR.latest() + datetime.timedelta(days=7), datetime.time.min, tzinfo=tz
    )
    return list(
        Appointment.objects.filter(therapist=therapist)
        .filter(Q(starts_at__lt=earliest) | Q(starts_at__gte=after))
        .select_related("client")
        .order_by("starts_at", "id")
    )


# The chart's Sessions section shows this many appointments a page.
SESSIONS_PAGE_SIZE = 20


@dataclass(frozen=True)
class AppointmentsPage:
    number: int
    upcoming: list[Appointment]  # still on the calendar, soonest first
    past: list[Appointment]  # everything else, newest first
    has_previous: bool
    has_next: bool


def appointments_page(
    client: Client,
    *,
    page: int = 1,
    size: int = SESSIONS_PAGE_SIZE,
    now: datetime.datetime | None = None,
) -> AppointmentsPage:
    """One page of the client's appointments for the chart's Sessions section: those still
    to come first (soonest first), then the rest (newest first), `size` at a time.

    One query whatever the history: the database orders the client's appointments (its
    (client, starts_at) index) and returns `size` + 1 rows, the extra one saying whether a
    next page exists. A client with years of sessions no longer has every one of them loaded,
    formatted and given a form on each visit to the tab."""
    now = now or timezone.now()
    coming = Q(status=Appointment.Status.SCHEDULED, starts_at__gte=now)
    start = (page - 1) * size
    rows = list(
        client.appointments.select_related("note")
        # The page shows the note's status and links to it: its text stays unread.
        .only(
            "id",
            "client_id",
            "starts_at",
            "ends_at",
            "status",
            "modality",
            "location",
            "notice_hours",
            "rescheduled_from_id",
            "note__id",
            "note__status",
            "note__appointment_id",
        )
        .annotate(
            coming=Case(When(coming, then=Value(True)), default=Value(False)),
            coming_at=Case(When(coming, then=F("starts_at"))),
        )
        .order_by(
            F("coming").desc(),
            F("coming_at").asc(nulls_last=True),
            F("starts_at").desc(),
            F("id").desc(),
        )[start : start + size + 1]
    )
    shown = rows[:size]
    return AppointmentsPage(
        number=page,
        upcoming=[a for a in shown if a.coming],
        past=[a for a in shown if not a.coming],
        has_previous=page > 1,
        has_next=len(rows) > size,
    )


# --- Session notes ---------------------------------------------------------------------------

MAX_WEEKS_PER_NOTE = 4


def covered_weeks(appointment: Appointment) -> list[datetime.date]:
    """The Monday-weeks a note's use follow-back asks about: the completed weeks since the
    client's previous attended session (the last completed week when there is none, or when
    sessions are less than a week apart), at most four, oldest first."""
    day = timezone.localdate(appointment.starts_at)
    last_complete = week_start_of(day) - datetime.timedelta(weeks=1)
    previous = (
        Appointment.objects.filter(
            client_id=appointment.client_id,
            status=Appointment.Status.ATTENDED,
            starts_at__lt=appointment.starts_at,
        )
        .order_by("-starts_at")
        .values_list("starts_at", flat=True)
        .first()
    )
    first = last_complete
    if previous is not None:
        first = max(
            week_start_of(timezone.localdate(previous)),
            last_complete - datetime.timedelta(weeks=MAX_WEEKS_PER_NOTE - 1),
        )
        first = min(first, last_complete)
    weeks = []
    week = first
    while week <= last_complete:
        weeks.append(week)
        week += datetime.timedelta(weeks=1)
    return weeks


def note_editable(user: Any, can: access.ClientAccess, note: SessionNote) -> bool:
    """A draft is edited by its author while they are the client's treating clinician (and
    so is what is attached to it: sessions.extensions.NoteSection)."""
    return note.status == SessionNote.Status.DRAFT and note.author_id == user.pk and can.write


def note_for(client: Client, note_pk: int, *, sections: bool = True) -> SessionNote:
    """A note of `client` (already access-checked) with what its page shows; 404 otherwise.
    `sections=False` leaves out what other apps show under the note (an autosave needs none)."""
    notes = SessionNote.objects.select_related(
        "appointment", "author", "signed_by", "cosigned_by", "client"
    ).prefetch_related(
        Prefetch("addenda", queryset=NoteAddendum.objects.select_related("author")),
        Prefetch("reviews", queryset=NoteReview.objects.select_related("reviewer")),
    )
    try:
        # What the apps above add to the page (sessions.extensions.NoteSection).
        if sections:
            notes = extensions.prefetch_for_note(notes)
        return notes.get(client=client, pk=note_pk)
    except SessionNote.DoesNotExist:
        raise Http404 from None


# What the lists of notes show of a note: its state, client and session, never its text (the
# encrypted columns would each be read and decrypted for nothing).
_NOTE_TEXT = (*SessionNote.TEXT_FIELDS, "goal_checkins")


def late_cutoff(now: datetime.datetime | None = None) -> datetime.datetime:
    return (now or timezone.now()) - datetime.timedelta(hours=clinic_setting("LATE_NOTE_HOURS"))


def late_note_q(now: datetime.datetime | None = None) -> Q:
    """The sessions `late_notes` lists, for lists and for counts (the supervisor dashboard)."""
    return Q(note_pending=True, ends_at__lte=late_cutoff(now))


def late_notes(
    *, therapist_ids: Any, now: datetime.datetime | None = None
) -> QuerySet[Appointment]:
    """Attended sessions of these therapists that ended at least LATE_NOTE_HOURS ago without a
    note signed by the therapist (no note, or a draft, including a returned one): the
    maintained `note_pending` flag, read from its partial index, so the rows read are the late
    notes themselves, not every session the therapists ever held."""
    return (
        Appointment.objects.filter(late_note_q(now), therapist_id__in=therapist_ids)
        .select_related("client", "therapist", "note")
        # The lists show whether a draft exists and link to it: its text stays unread.
        .defer(*(f"note__{name}" for name in _NOTE_TEXT))
        .order_by("ends_at", "id")
    )


def supervisee_ids(supervisor: User) -> QuerySet[Any]:
    return access.supervisee_ids(supervisor)


def notes_of(*, author: User) -> dict[str, list[SessionNote]]:
    """The therapist's open notes by state, for their notes page (one query).

    Open states are named, not "not signed": `status IN (...)` walks the (author, status)
    index to the therapist's few open notes, where `NOT IN (signed, cosigned)` read every note
    they ever signed."""
    returned = NoteReview.objects.filter(note=OuterRef("pk"), decision=NoteReview.Decision.RETURNED)
    open_notes = list(
        SessionNote.objects.filter(
            author=author,
            status__in=[SessionNote.Status.DRAFT, SessionNote.Status.AWAITING_COSIGN],
        )
        .select_related("client", "appointment")
        .defer(*_NOTE_TEXT)
        .annotate(returns=Exists(returned))
        .order_by("appointment__starts_at", "id")
    )
    return {
        "returned": [n for n in open_notes if n.status == SessionNote.Status.DRAFT and n.returns],
        "drafts": [n for n in open_notes if n.status == SessionNote.Status.DRAFT and not n.returns],
        "awaiting": [n for n in open_notes if n.status == SessionNote.Status.AWAITING_COSIGN],
    }


def cosign_queue(*, supervisor: User) -> QuerySet[SessionNote]:
    """Notes of the supervisor's current supervisees waiting for co-signature, oldest first."""
    return (
        SessionNote.objects.filter(
            status=SessionNote.Status.AWAITING_COSIGN, author_id__in=supervisee_ids(supervisor)
        )
        .select_related("client", "appointment", "author")
        .defer(*_NOTE_TEXT)
        .order_by("signed_at", "id")
    )


def open_rating_alerts(*, user: User) -> QuerySet[RatingAlert]:
    """Unacknowledged rating alerts on the clients `user` may read."""
    # The rule applied through the alert's client: the open alerts (a few hundred, from the
    # partial index `ratingalert_open`) each join their client by its key. `client IN (visible
    # clients)` made PostgreSQL read every client of the clinic to hash a supervisor's 2,000.
    return (
        RatingAlert.objects.filter(
            access.through(access.clients_visible_q(user), "client"),
            acknowledged_at__isnull=True,
        )
        .select_related("client", "client__therapist", "note__appointment")
        # The lists show the note's session date: its text is neither read nor decrypted.
        .defer(*(f"note__{name}" for name in _NOTE_TEXT))
        .order_by("-created_at", "-id")
    )


@dataclass(frozen=True)
class RatingPoint:
    date: datetime.date
    # What the chart and the alert read: the latest word on the session (rated_sessions).
    total: int
    alert: bool
    # Both shown: the rating given in the session (the note's) and the client's own, later.
    in_session_total: int | None = None
    client_total: int | None = None


# The Sessions section charts the client's latest ratings, not every one since intake.
RATINGS_SHOWN = 20


def _sum_of(prefix: str) -> Any:
    fields = [F(f"{prefix}{name}") for name in SessionNote.RATING_FIELDS]
    return fields[0] + fields[1] + fields[2] + fields[3]


def rated_sessions(client_id: int | list[int]) -> QuerySet[Appointment]:
    """The client's rated sessions, one row per appointment, with `in_session_total` (the
    note's four items; null unless all four are given), `client_total` (the client's latest own
    rating from their phone, ClientSessionRating) and `rating_total`, the one rule every reader
    uses (the ratings chart, the alert under the threshold or well below the usual, the progress
    summaries): the client's own rating when there is one, as it is always given after the
    session and so is the latest word on it, else the in-session rating. `client_id` one client
    or a list of them. One query; callers order and slice."""
    latest_client = ClientSessionRating.objects.filter(appointment=OuterRef("pk")).order_by(
        "-recorded_at", "-id"
    )
    return (
        Appointment.objects.filter(
            client_id__in=client_id if isinstance(client_id, list) else [client_id]
        )
        .annotate(
            in_session_total=_sum_of("note__"),
            client_total=Subquery(
                latest_client.annotate(total=_sum_of("")).values("total")[:1],
                output_field=IntegerField(),
            ),
        )
        .annotate(rating_total=Coalesce("client_total", "in_session_total"))
        .filter(rating_total__isnull=False)
    )


def rating_trend(client: Client, *, latest: int = RATINGS_SHOWN) -> list[RatingPoint]:
    """The client's `latest` session ratings in time order, one point per rated session: the
    newest `latest` read by the database (LIMIT), so years of sessions are neither loaded nor
    drawn."""
    rows = (
        rated_sessions(client.pk)
        .annotate(alert=Exists(RatingAlert.objects.filter(note__appointment=OuterRef("pk"))))
        .values("starts_at", "rating_total", "in_session_total", "client_total", "alert")
        .order_by("-starts_at", "-id")[:latest]
    )
    return [
        RatingPoint(
            date=timezone.localdate(row["starts_at"]),
            total=row["rating_total"],
            alert=row["alert"],
            in_session_total=row["in_session_total"],
            client_total=row["client_total"],
        )
        for row in reversed(list(rows))
    ]


class _CountOf(Subquery):
    """The number of rows of a queryset, as a scalar subquery."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) AS counted)"
    output_field = IntegerField()


# The to-do lists (late notes, notes to co-sign, rating alerts) show this many rows a page.
LIST_PAGE_SIZE = 25


@dataclass(frozen=True)
class ListPage:
    """One page of a to-do list, oldest first, with how many the whole list holds."""

    rows: list[Any]
    total: int
    number: int
    size: int
    param: str  # the query parameter that pages this list

    @property
    def first_shown(self) -> int:
        return (self.number - 1) * self.size + 1 if self.rows else 0

    @property
    def last_shown(self) -> int:
        return (self.number - 1) * self.size + len(self.rows)

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.last_shown < self.total


def list_page(qs: QuerySet[Any], *, param: str, number: int = 1) -> ListPage:
    """Page `number` of `qs`: one query, the rows of the page with the list's length as an
    uncorrelated subquery (PostgreSQL counts it once, from the same index, without joining or
    loading the rows it does not show). A supervisor's 700 late notes used to be loaded and
    rendered on every visit. A page past the end shows the first page."""
    size = LIST_PAGE_SIZE
    total = _CountOf(qs.order_by().values("pk"))

    def page(n: int) -> list[Any]:
        # The page's keys first (sorted on the list's own columns), then the joins for those
        # rows only: joining every late note to its client and note before sorting cost more
        # than the page.
        keys = qs.values("pk")[(n - 1) * size : n * size]
        return list(qs.filter(pk__in=keys).annotate(listed_total=total))

    rows = page(number)
    if not rows and number > 1:
        number = 1
        rows = page(1)
    count = rows[0].listed_total if rows else 0
    return ListPage(rows=rows, total=count, number=number, size=size, param=param)


def home_counts(user: User) -> dict[str, int]:
    """The therapist's late notes, notes returned with comments and open rating alerts on
    their clients, counted in one query."""
    late = late_notes(therapist_ids=[user.pk]).order_by().values("pk")
    returned = (
        SessionNote.objects.filter(author=user, status=SessionNote.Status.DRAFT)
        .filter(reviews__decision=NoteReview.Decision.RETURNED)
        .order_by()
        .values("pk")
        .distinct()
    )
    alerts = (
        RatingAlert.objects.filter(acknowledged_at__isnull=True, client__therapist=user)
        .order_by()
        .values("pk")
    )
    return (
        User.objects.filter(pk=user.pk)
        .annotate(late=_CountOf(late), returned=_CountOf(returned), alerts=_CountOf(alerts))
        .values("late", "returned", "alerts")
        .get()
    )


def home_notices(user: User) -> list[Any]:
    """The therapist's home notices: late notes, returned notes, open rating alerts (one
    query)."""
    from django.urls import reverse
    from django.utils.translation import ngettext

    counts = home_counts(user)
    notices = []
    late = counts["late"]
    if late:
        notices.append(
            Notice(
                ngettext(
                    "%(n)d session has no signed note %(h)d hours after it ended.",
                    "%(n)d sessions have no signed note %(h)d hours after they ended.",
                    late,
                )
                % {"n": late, "h": clinic_setting("LATE_NOTE_HOURS")},
                reverse("sessions:my_notes"),
            )
        )
    returned = counts["returned"]
    if returned:
        notices.append(
            Notice(
                ngettext(
                    "%(n)d note came back from your supervisor with comments.",
                    "%(n)d notes came back from your supervisor with comments.",
                    returned,
                )
                % {"n": returned},
                reverse("sessions:my_notes"),
                "info",
            )
        )
    alerts = counts["alerts"]
    if alerts:
        notices.append(
            Notice(
                ngettext(
                    "%(n)d session rating needs a look.",
                    "%(n)d session ratings need a look.",
                    alerts,
                )
                % {"n": alerts},
                reverse("sessions:my_notes"),
                "info",
            )
        )
    return notices


def prefetch_alerts(qs: QuerySet[Client]) -> QuerySet[Client]:
    """Mark each client that has an open rating alert: an EXISTS column on the client query
    itself, so the caseload and the chart header spend no query of their own on it (the
    caseload stays within its ceiling of 12). Idempotent."""
    if "has_open_rating_alert" in qs.query.annotations:
        return qs
    return qs.annotate(
        has_open_rating_alert=Exists(
            RatingAlert.objects.filter(client=OuterRef("pk"), acknowledged_at__isnull=True)
        )
    )


def alert_flags(client: Client) -> list[Any]:
    from django.utils.translation import gettext as _

    flagged = getattr(client, "has_open_rating_alert", None)
    if flagged is None:
        flagged = client.rating_alerts.filter(acknowledged_at__isnull=True).exists()
    return [Flag(_("Session rating alert"), "warning")] if flagged else []


# --- Contacts outside sessions ---------------------------------------------------------------

CONTACTS_PER_PAGE = 25
# The Overview's "Last contacts" panel: the few latest signed ones.
OVERVIEW_CONTACTS = 3


def contacts_for(client: Client) -> QuerySet[OutsideContact]:
    """The client's contacts outside sessions, latest first, for the chart's Contacts list
    (a page of them at a time): drafts included (the list says which). The texts stay unread."""
    return (
        client.outside_contacts.select_related("author")
        .defer(*OutsideContact.TEXT_FIELDS)
        .order_by("-occurred_at", "-id")
    )


def contact_for(client: Client, contact_pk: int) -> OutsideContact:
    """A contact of `client` (already access-checked) with what its page shows; 404 otherwise."""
    try:
        return (
            OutsideContact.objects.select_related(
                "author", "signed_by", "cosigned_by", "client", "consent"
            )
            .prefetch_related(
                Prefetch("addenda", queryset=ContactAddendum.objects.select_related("author")),
                Prefetch("reviews", queryset=ContactReview.objects.select_related("reviewer")),
            )
            .get(client=client, pk=contact_pk)
        )
    except OutsideContact.DoesNotExist:
        raise Http404 from None


def contacts_of(*, author: User) -> dict[str, list[OutsideContact]]:
    """The therapist's open contacts by state, for their notes page (one query)."""
    open_contacts = list(
        OutsideContact.objects.filter(author=author)
        .exclude(status__in=[OutsideContact.Status.SIGNED, OutsideContact.Status.COSIGNED])
        .select_related("client")
        .defer(*OutsideContact.TEXT_FIELDS)
        .annotate(
            returns=Count("reviews", filter=Q(reviews__decision=ContactReview.Decision.RETURNED))
        )
        .order_by("occurred_at", "id")
    )
    return {
        "contact_drafts": [c for c in open_contacts if c.status == OutsideContact.Status.DRAFT],
        "contact_awaiting": [
            c for c in open_contacts if c.status == OutsideContact.Status.AWAITING_COSIGN
        ],
    }


def contact_cosign_queue(*, supervisor: User) -> QuerySet[OutsideContact]:
    """Contacts of the supervisor's current supervisees waiting for co-signature, oldest
    first (read from the (author, status) index)."""
    return (
        OutsideContact.objects.filter(
            status=OutsideContact.Status.AWAITING_COSIGN,
            author_id__in=supervisee_ids(supervisor),
        )
        .select_related("client", "author")
        .defer(*OutsideContact.TEXT_FIELDS)
        .order_by("signed_at", "id")
    )


def contact_timeline_rows(client: Client) -> QuerySet[OutsideContact]:
    """The Timeline's rows for contacts: the client's signed contacts, at the time they
    happened (a draft is not yet part of the record)."""
    return OutsideContact.objects.filter(client=client, signed_at__isnull=False).annotate(
        timeline_at=F("occurred_at")
    )


def _contact_detail(contact: OutsideContact) -> str:
    parts = []
    if contact.duration_minutes:
        parts.append(
            ngettext("%(n)d minute", "%(n)d minutes", contact.duration_minutes)
            % {"n": contact.duration_minutes}
        )
    if contact.is_collateral and contact.consent_id:
        parts.append(gettext("under the consent to %(r)s") % {"r": contact.consent.recipient})
    risks = [
        f"{label}: {RiskLevel(value).label}"
        for label, value in (
            (gettext("overdose risk"), contact.overdose_risk),
            (gettext("suicidal thoughts"), contact.suicide_risk),
        )
        if value and value != RiskLevel.NONE
    ]
    parts.extend(risks)
    return " · ".join(parts)


def contact_timeline_load(pks: list[int]) -> dict[int, TimelineEntry]:
    """The Timeline entries of these contacts (one query). No note text: the title says what
    kind of contact, the detail its length, the consent relied on and any risk recorded."""
    contacts = (
        OutsideContact.objects.filter(pk__in=pks)
        .select_related("author", "consent")
        .defer("summary", "risk_actions", "with_whom")
    )
    return {
        c.pk: TimelineEntry(
            at=c.occurred_at,
            title=str(c.get_kind_display()),
            detail=_contact_detail(c),
            url=reverse("sessions:contact", args=[c.client_id, c.pk]),
            who=c.author.full_name,
        )
        for c in contacts
    }


def overview_contacts(client: Client, can: Any) -> dict[str, Any] | None:
    """The Overview's "Last contacts" panel: the few latest signed contacts outside
    sessions (one query through the contact_signed_latest index); left out when there are
    none and the reader cannot record one."""
    latest = list(
        OutsideContact.objects.filter(client=client, signed_at__isnull=False)
        .select_related("author")
        .defer(*OutsideContact.TEXT_FIELDS)
        .order_by("-occurred_at", "-id")[:OVERVIEW_CONTACTS]
    )
    if not latest and not can.write:
        return None
    return {"contacts": latest}


def open_work_phrase(client: Client) -> str:
    """What a merge would strand on this record (clients.extensions.merge_blockers): sessions
    still booked, and notes not yet signed or co-signed (attended sessions without a signed note
    included). One query. "" when nothing is open."""
    counts = Appointment.objects.filter(client=client).aggregate(
        booked=Count("pk", filter=Q(status=Appointment.Status.SCHEDULED)),
        notes=Count("pk", filter=Q(note_pending=True)),
        cosign=Count("pk", filter=Q(note__status=SessionNote.Status.AWAITING_COSIGN)),
    )
    phrases = []
    if counts["booked"]:
        phrases.append(
            ngettext("%(n)d session booked", "%(n)d sessions booked", counts["booked"])
            % {"n": counts["booked"]}
        )
    notes = counts["notes"] + counts["cosign"]
    if notes:
        phrases.append(
            ngettext(
                "%(n)d session note not yet signed or co-signed",
                "%(n)d session notes not yet signed or co-signed",
                notes,
            )
            % {"n": notes}
        )
    return ", ".join(phrases)
