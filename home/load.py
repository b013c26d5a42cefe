"""The large generated clinic for `manage.py seed_load` (DEMO_MODE only): what a big agency
holds after about two years, to measure pages against (docs/PERFORMANCE.md).

Every person and every word here is invented. Rows are written with PostgreSQL `COPY`, in
chunks of clients, one transaction per chunk, never through the services (which would take
hours at this size); but each value goes through the model field that the services write it
with, so the database ends up exactly as the app would have left it:

- encrypted columns are the field's own `get_prep_value()` (hrp.crypto, under the configured
  FIELD_ENCRYPTION_KEYS), JSON columns the field's own encoding;
- signed notes, note reviews and addenda carry the integrity hash of the model's own
  `compute_hash()`, computed on a model instance with its final primary key (ids are
  allocated here, and the sequences moved past them at the end);
- locked tables are only ever INSERTed into, which their triggers (hrp.immutability) allow:
  a note is inserted already signed, as it ends up after `note_sign_verified`.

Deterministic: each client's history comes from a random generator seeded with the run's seed
and the client's number, and times are counted back from the day of the run, so two runs on the
same day into empty databases write the same clinic, ids included (only which of that day's
appointments already lie in the past depends on the hour).
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import queue
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from assessments.measures import MEASURES, Measure
from assessments.models import Administration, HarmAssessment, SubstancePattern
from clients.models import (
    Client,
    Consent,
    Intake,
    Referral,
    SubstanceUse,
    TherapistAssignment,
)
from clients.services import CHART_ALPHABET, CHART_LENGTH
from goals.models import Goal, GoalReview, Plan, PlanVersion, UseCheckIn
from hrp.accounts.demo import DEMO_DOMAIN, DEMO_PASSWORD, demo_totp_key
from hrp.accounts.models import Supervision, User
from hrp.audit.actions import AuditAction
from hrp.audit.models import AuditEvent
from hrp.crypto import EncryptedField
from sessions.models import Appointment, NoteReview, RatingAlert, SessionNote
from sessions.services import appointments_note_pending_refill
from supervision.models import ChartComment, SupervisionMeeting

# --- Sizes ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoadSize:
    """How big a clinic to generate. The defaults are issue 14's large agency."""

    therapists: int = 200
    supervisors: int = 10
    clients: int = 20_000
    discharged: int = 2_000
    months: int = 24

    def scaled(self, factor: float) -> LoadSize:
        """The same clinic `factor` times as large (staff and clients; history stays)."""
        if factor == 1:
            return self
        return LoadSize(
            therapists=max(1, round(self.therapists * factor)),
            supervisors=max(1, round(self.supervisors * factor)),
            clients=max(1, round(self.clients * factor)),
            discharged=round(self.discharged * factor),
            months=self.months,
        )


# Staff emails: <key>@DEMO_DOMAIN, the demo's domain, password and authenticator secrets, so
# `manage.py demo_code` and the benchmark sign in the same way as on the small demo clinic.
ADMIN_KEY = "admin"


def _name(first: int, last: int) -> str:
    return f"{FIRST_NAMES[first % len(FIRST_NAMES)]} {LAST_NAMES[last % len(LAST_NAMES)]}"


def supervisor_key(n: int) -> str:
    return f"supervisor{n + 1}"


def therapist_key(n: int) -> str:
    return f"therapist{n + 1}"


def staff_email(key: str) -> str:
    return f"{key}@{DEMO_DOMAIN}"


# Every twentieth therapist is a trainee whose notes need co-signature.
TRAINEE_EVERY = 20
# Clients per COPY transaction.
CHUNK = 1000


def _other_harm_ratings(client_id: int, step: int) -> dict[str, int | None]:
    """Ratings of the life areas the main random stream does not draw (work, legal, financial,
    safety), from a stream of their own so that every other generated row stays as it was.
    The legal area is "not asked" (None) on a later assessment."""
    rng = random.Random(client_id * 2 + step)  # generated data, not security
    return {
        "work_rating": rng.randint(0, 2),
        "legal_rating": rng.randint(0, 1) if step == 0 else None,
        "financial_rating": rng.randint(0, 3),
        "safety_rating": rng.randint(0, 2),
    }


# --- COPY -----------------------------------------------------------------------------------


def _converter(f: models.Field) -> Callable[[Any], Any]:
    """How one value of `f` goes into a COPY row: through the field, as the ORM would write it."""
    if isinstance(f, EncryptedField):
        return f.get_prep_value
    if isinstance(f, models.JSONField):
        return lambda value: json.dumps(value, cls=f.encoder)
    if isinstance(f, models.BooleanField):
        return lambda value: "t" if value else "f"
    return lambda value: value


class Table:
    """Rows of one model, buffered for COPY. `add()` takes attribute names (`client_id`),
    fills the others with the field's default and returns the row's id."""

    def __init__(self, model: type[models.Model], first_id: int = 1) -> None:
        self.model = model
        self.fields = list(model._meta.concrete_fields)
        self.names = [f.attname for f in self.fields]
        self.defaults = {f.attname: f.get_default() for f in self.fields}
        self.converters = [_converter(f) for f in self.fields]
        self.pk = model._meta.pk.attname
        self.next_id = first_id
        self.rows: list[list[Any]] = []
        self.written = 0

    def add(self, **values: Any) -> int:
        if self.pk not in values:
            values[self.pk] = self.next_id
            self.next_id += 1
        self.rows.append([values.get(name, self.defaults[name]) for name in self.names])
        return values[self.pk]

    def add_instance(self, instance: models.Model) -> int:
        """A row from a model instance whose pk is set (for rows whose hash covers the pk)."""
        self.rows.append([getattr(instance, name) for name in self.names])
        return instance.pk

    def reserve(self) -> int:
        """The next id, for a row built as an instance."""
        self.next_id += 1
        return self.next_id - 1

    def take(self) -> tuple[str, io.StringIO] | None:
        """The buffered rows as a COPY statement and its CSV data, and forget them."""
        if not self.rows:
            return None
        buffer = io.StringIO()
        # QUOTE_NOTNULL: None is written bare (NULL in COPY's CSV), every other value quoted,
        # so an empty string stays an empty string.
        writer = csv.writer(buffer, quoting=csv.QUOTE_NOTNULL, lineterminator="\n")
        converters = self.converters
        for row in self.rows:
            writer.writerow(
                [
                    None if value is None else conv(value)
                    for conv, value in zip(converters, row, strict=True)
                ]
            )
        buffer.seek(0)
        quote = connection.ops.quote_name
        columns = ", ".join(quote(f.column) for f in self.fields)
        self.written += len(self.rows)
        self.rows = []
        return (
            f"COPY {quote(self.model._meta.db_table)} ({columns}) FROM STDIN WITH (FORMAT csv)",
            buffer,
        )


class Writer:
    """Sends chunks of COPY data to PostgreSQL, one transaction per chunk. In the background
    (a thread with its own connection) the next chunk is generated while PostgreSQL takes
    this one in, which on two cores is what keeps the full clinic within ten minutes."""

    def __init__(self, *, background: bool) -> None:
        self.background = background
        self.error: BaseException | None = None
        if background:
            self.queue: queue.Queue[list[tuple[str, io.StringIO]] | None] = queue.Queue(2)
            self.thread = threading.Thread(target=self._drain, name="seed_load-copy")
            self.thread.start()

    @staticmethod
    def _copy(chunk: list[tuple[str, io.StringIO]]) -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            # Generated rows can be generated again: no need to wait for each chunk's flush.
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
            for sql, buffer in chunk:
                cursor.copy_expert(sql, buffer)

    def _drain(self) -> None:
        try:
            while (chunk := self.queue.get()) is not None:
                if self.error is None:
                    self._copy(chunk)
        except BaseException as error:  # handed to the generating thread in send()/close()
            self.error = error
            while self.queue.get() is not None:
                pass
        finally:
            connection.close()

    def send(self, tables: list[Table]) -> None:
        chunk = [taken for table in tables if (taken := table.take()) is not None]
        if self.error is not None:
            self.close()
        if not chunk:
            return
        if self.background:
            self.queue.put(chunk)
        else:
            self._copy(chunk)

    def close(self) -> None:
        if self.background and self.thread.is_alive():
            self.queue.put(None)
            self.thread.join()
        if self.error is not None:
            raise self.error


def _max_id(model: type[models.Model]) -> int:
    with connection.cursor() as cursor:
        table = connection.ops.quote_name(model._meta.db_table)
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608 (model name)
        return cursor.fetchone()[0]


def _reset_sequence(model: type[models.Model]) -> None:
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [model]):
            cursor.execute(sql)


# --- Words ----------------------------------------------------------------------------------

FIRST_NAMES = [
    "Alex",
    "Avery",
    "Blake",
    "Casey",
    "Charlie",
    "Dakota",
    "Devon",
    "Drew",
    "Eden",
    "Emerson",
    "Finley",
    "Frankie",
    "Gray",
    "Harper",
    "Hayden",
    "Jamie",
    "Jesse",
    "Jordan",
    "Kai",
    "Kendall",
    "Lee",
    "Logan",
    "Marley",
    "Morgan",
    "Noel",
    "Parker",
    "Quinn",
    "Reese",
    "Riley",
    "Rowan",
    "Sage",
    "Sam",
    "Skyler",
    "Taylor",
    "Toby",
    "Val",
    "Wren",
    "Ari",
    "Bo",
    "Cam",
    "Dale",
    "Eli",
    "Fran",
    "Gus",
    "Hal",
    "Ivy",
]
LAST_NAMES = [
    "Abbott",
    "Baker",
    "Castillo",
    "Dubois",
    "Ellis",
    "Fischer",
    "Garcia",
    "Haddad",
    "Ibrahim",
    "Jensen",
    "Kim",
    "Lopez",
    "Mensah",
    "Nakamura",
    "Okafor",
    "Patel",
    "Quinn",
    "Rossi",
    "Silva",
    "Tanaka",
    "Usman",
    "Vargas",
    "Wong",
    "Xu",
    "Yilmaz",
    "Zhang",
    "Brooks",
    "Carter",
    "Diaz",
    "Evans",
    "Flores",
    "Green",
    "Hughes",
    "Ito",
    "Jones",
    "Khan",
    "Li",
    "Moreau",
    "Novak",
    "Ortiz",
    "Price",
    "Reyes",
]
PRONOUNS = ("she/her", "he/him", "they/them", "she/they", "he/they", "")
SUBSTANCES: list[tuple[str, str, str, str]] = [
    # (substance, amount, frequency, route)
    (SubstanceUse.Substance.ALCOHOL, "6-8 drinks", "most evenings", "oral"),
    (SubstanceUse.Substance.CANNABIS, "a few joints", "daily", "smoking"),
    (SubstanceUse.Substance.HEROIN_FENTANYL, "a few bags", "daily", "injecting"),
    (SubstanceUse.Substance.STIMULANTS_COCAINE, "a gram", "weekends", "snorting"),
    (SubstanceUse.Substance.METHAMPHETAMINE, "a point", "several days a week", "smoking"),
    (SubstanceUse.Substance.BENZODIAZEPINES, "2-4 pills", "when anxious", "oral"),
    (SubstanceUse.Substance.TOBACCO_NICOTINE, "a pack", "daily", "smoking"),
    (SubstanceUse.Substance.GAMBLING, "$50-200", "weekly", ""),
]
DRUGS = {
    SubstanceUse.Substance.CANNABIS,
    SubstanceUse.Substance.HEROIN_FENTANYL,
    SubstanceUse.Substance.STIMULANTS_COCAINE,
    SubstanceUse.Substance.METHAMPHETAMINE,
    SubstanceUse.Substance.BENZODIAZEPINES,
}
GOAL_OF = {
    SubstanceUse.Goal.SAFER_USE: Goal.Kind.SAFER_USE,
    SubstanceUse.Goal.MODERATION: Goal.Kind.MODERATION,
    SubstanceUse.Goal.ABSTINENCE: Goal.Kind.ABSTINENCE,
}
REASONS = (
    "My drinking is getting in the way of work and I want to understand why.",
    "I'm scared of overdosing. A friend died last year.",
    "My partner asked me to come. I'm not sure I have a problem, but I'm curious.",
    "I want to keep using sometimes without it taking over my week.",
    "I got out recently and my tolerance is down. I want to stay alive.",
)
CLIENT_GOALS = (
    "Fewer lost weekends. Keep my friends.",
    "Stay alive and keep my job.",
    "Figure out what using does for me.",
    "Sleep without needing something first.",
)
AGENDAS = (
    "Talk about the weekend and how the plan held up.",
    "Work on sleep without using at night.",
    "A hard conversation with family coming up.",
    "Check in on the new spacing-out routine.",
    "What to do when cravings hit after work.",
)
DATA = (
    "Came in on time, relaxed. Described a week with fewer use days than last time and one "
    "evening above the plan after an argument. Talked through what happened before it and what "
    "helped the next morning.",
    "Reported using within the plan on most days. Brought a list of situations that felt risky "
    "and we sorted them by how manageable they felt; work stress and being alone at night lead.",
    "Talked about what using does for them on hard evenings (calm, company). Practised the "
    "breathing and safe-place stages; tension came down from seven to three.",
)
ASSESSMENT = (
    "Engaged and curious about the pattern. The plan fits most days; evenings alone are the "
    "testing ground.",
    "Ambivalence is lower than a month ago. The goal still looks like the right experiment.",
    "Some strain at home this week; coping held. Strengths: humour, a steady friend, work.",
)
PLAN_TEXT = (
    "Try the evening routine three times; note tension before and after.",
    "Bring the decisional balance sheet back next week.",
    "Keep naloxone in the bag; text a friend before using alone.",
)
LIFE_GOALS = (
    ("Walk to the park three mornings a week", "If I walk, I expect less anxiety at work."),
    ("Call my sister every Sunday", "If I call her, I expect to feel less alone."),
    ("Cook dinner at home four nights", "If I eat at home, I expect to sleep better."),
)
INTERVENTIONS = (
    "decisional_balance",
    "ideal_use_plan",
    "awareness_relaxation",
    "overdose_prevention",
)


# --- Measures: answers precomputed per severity, scored by the measure itself ---------------


@dataclass
class _Scored:
    answers: dict[str, str]
    score: int
    band: str
    suicide_risk: bool
    severity_flag: bool


def _score(measure: Measure, answers: dict[str, str]) -> _Scored:
    score = measure.score(answers)
    return _Scored(
        answers={key: answers[key] for key in measure.item_keys},
        score=score,
        band=measure.band(score).key,
        suicide_risk=measure.raises_suicide_flag(answers),
        severity_flag=measure.raises_severity_flag(score),
    )


LEVELS = 11


def _answer_table(measure: Measure, rng: random.Random) -> list[list[_Scored]]:
    """For severity levels 0..10, three sets of answers leaning to that level, scored."""
    table = []
    for level in range(LEVELS):
        severity = level / (LEVELS - 1)
        if measure.higher_is_better:
            severity = 1 - severity
        variants = []
        for _variant in range(3):
            answers = {}
            for item in measure.items:
                choices = sorted(item.choices, key=lambda c: item.points(c.value))
                index = round(severity * (len(choices) - 1) + rng.uniform(-0.6, 0.6))
                answers[item.key] = choices[max(0, min(len(choices) - 1, index))].value
            if measure.suicide_item:
                answers[measure.suicide_item] = "0"
            variants.append(_score(measure, answers))
        table.append(variants)
    return table


# --- The generator --------------------------------------------------------------------------


@dataclass
class Staff:
    admin: User
    supervisors: list[User]
    therapists: list[User]
    supervisor_of: dict[int, int] = field(default_factory=dict)  # therapist id -> supervisor id


@dataclass
class LoadResult:
    counts: dict[str, int]


def _monday(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


class Generator:
    """Writes the clinic. `run()` returns the rows written per model label."""

    TABLES: tuple[type[models.Model], ...] = (
        Client,
        Intake,
        Referral,
        TherapistAssignment,
        SubstanceUse,
        Consent,
        Plan,
        PlanVersion,
        Goal,
        GoalReview,
        UseCheckIn,
        Administration,
        HarmAssessment,
        SubstancePattern,
        Appointment,
        SessionNote,
        NoteReview,
        RatingAlert,
        ChartComment,
        SupervisionMeeting,
        SupervisionMeeting.clients.through,
        AuditEvent,
    )

    def __init__(
        self,
        size: LoadSize,
        *,
        seed: int = 14,
        background: bool = True,
        progress: Callable[[str], None] | None = None,
    ) -> None:
        self.size = size
        self.seed = seed
        self.progress = progress or (lambda message: None)
        self.tz = ZoneInfo(settings.TIME_ZONE)
        self.now = datetime.datetime.now(tz=datetime.UTC).replace(microsecond=0)
        self.today = self.now.astimezone(self.tz).date()
        rng = random.Random(seed)
        self.answers = {code: _answer_table(m, rng) for code, m in MEASURES.items()}
        self.charts: set[str] = set()
        self.background = background
        self.clients_of: dict[int, list[int]] = {}

    # Staff ---------------------------------------------------------------------------------

    def staff(self) -> Staff:
        """The admin, supervisors and therapists, each with the demo password and a confirmed
        authenticator whose secret `demo_totp_key` derives from the email."""
        password = make_password(DEMO_PASSWORD)  # one Argon2 hash, shared: all have one password
        joined = self.now - datetime.timedelta(days=round(self.size.months * 30.5) + 30)

        def user(key: str, name: str, **roles: Any) -> User:
            return User(
                email=staff_email(key),
                full_name=name,
                password=password,
                date_joined=joined,
                **roles,
            )

        admin = user(ADMIN_KEY, "Alex Rivera", credentials="Clinic manager", is_clinic_admin=True)
        supervisors = [
            user(
                supervisor_key(n),
                _name(n, n * 7),
                credentials="LCSW, supervisor",
                is_supervisor=True,
            )
            for n in range(self.size.supervisors)
        ]
        therapists = [
            user(
                therapist_key(n),
                _name(n * 5 + 3, n * 11 + 1),
                credentials="MSW trainee" if n % TRAINEE_EVERY == TRAINEE_EVERY - 1 else "LMHC",
                is_therapist=True,
                requires_cosign=n % TRAINEE_EVERY == TRAINEE_EVERY - 1,
            )
            for n in range(self.size.therapists)
        ]
        everyone = User.objects.bulk_create([admin, *supervisors, *therapists])
        TOTPDevice.objects.bulk_create(
            TOTPDevice(
                user=person,
                name="Demo authenticator",
                key=demo_totp_key(person.email),
                confirmed=True,
            )
            for person in everyone
        )
        staff = Staff(admin=admin, supervisors=supervisors, therapists=therapists)
        rows = []
        for n, therapist in enumerate(therapists):
            supervisor = supervisors[n % len(supervisors)]
            staff.supervisor_of[therapist.pk] = supervisor.pk
            rows.append(
                Supervision(
                    supervisor=supervisor, supervisee=therapist, started_at=joined, created_by=admin
                )
            )
        Supervision.objects.bulk_create(rows)
        return staff

    # Clients -------------------------------------------------------------------------------

    def _chart_number(self, rng: random.Random) -> str:
        while True:
            number = "C-" + "".join(rng.choice(CHART_ALPHABET) for _i in range(CHART_LENGTH))
            if number not in self.charts:
                self.charts.add(number)
                return number

    def _at(self, day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
        """`hour` o'clock in the clinic's time zone on `day`, in UTC as the app stores times
        (hashes cover `isoformat()`, which must read back the same from the database)."""
        local = datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=self.tz)
        return local.astimezone(datetime.UTC)

    def run(self) -> dict[str, int]:
        if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
            raise RuntimeError("seed_load writes with PostgreSQL COPY.")
        with transaction.atomic():
            staff = self.staff()
        self.tables = {model: Table(model, _max_id(model) + 1) for model in self.TABLES}
        self.progress(
            f"staff: 1 admin, {len(staff.supervisors)} supervisors, "
            f"{len(staff.therapists)} therapists"
        )
        discharged_every = self.size.clients / self.size.discharged if self.size.discharged else 0
        discharged = {
            round(k * discharged_every) + round(discharged_every) - 1
            for k in range(self.size.discharged)
        }
        writer = Writer(background=self.background)
        tables = list(self.tables.values())
        try:
            for start in range(0, self.size.clients, CHUNK):
                for number in range(start, min(start + CHUNK, self.size.clients)):
                    therapist = staff.therapists[number % len(staff.therapists)]
                    self.client(number, therapist, staff, discharged=number in discharged)
                writer.send(tables)
                done = min(start + CHUNK, self.size.clients)
                if done % (CHUNK * 4) == 0 or done == self.size.clients:
                    self.progress(f"clients: {done} of {self.size.clients}")
            self.supervision(staff)
            writer.send(tables)
        finally:
            writer.close()
        for model in self.TABLES:
            _reset_sequence(model)
        # COPY bypasses the services that keep the late-notes flag; set it from the same rule.
        appointments_note_pending_refill()
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        counts = {model._meta.label: table.written for model, table in self.tables.items()}
        counts["accounts.User"] = 1 + len(staff.supervisors) + len(staff.therapists)
        return counts

    def audit(
        self,
        *,
        at: datetime.datetime,
        actor: int,
        action: AuditAction,
        obj: type[models.Model],
        obj_id: int,
        chart: str,
        changes: dict[str, list[Any]] | None = None,
        category: str = AuditEvent.Category.CHANGE,
    ) -> None:
        self.tables[AuditEvent].add(
            at=at,
            actor_id=actor,
            category=category,
            action=action.value,
            object_type=obj._meta.label_lower,
            object_id=str(obj_id),
            chart_number=chart,
            changes=changes or {},
            path="command:seed_load",
        )

    def client(self, number: int, therapist: User, staff: Staff, *, discharged: bool) -> None:
        """One client's whole history, from intake to today (or to discharge)."""
        t = self.tables
        rng = random.Random(f"{self.seed}:{number}")
        history_days = round(self.size.months * 30.44 * rng.uniform(0.3, 1.0))
        start_day = self.today - datetime.timedelta(days=history_days)
        end_day = self.today
        if discharged:
            end_day = min(
                self.today - datetime.timedelta(days=1),
                start_day + datetime.timedelta(days=rng.randint(56, max(56, history_days - 7))),
            )
        start_at = self._at(start_day, 9) + datetime.timedelta(minutes=rng.randint(0, 480))
        chart = self._chart_number(rng)
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        tid = therapist.pk
        client_id = t[Client].add(
            chart_number=chart,
            legal_name=f"{first} {last}",
            preferred_name=first,
            pronouns=rng.choice(PRONOUNS),
            date_of_birth=self.today - datetime.timedelta(days=rng.randint(19 * 365, 70 * 365)),
            phone=f"+1 555 01{rng.randint(0, 99):02d} {rng.randint(1000, 9999)}",
            may_contact=rng.random() < 0.7,
            safe_to_leave_message=rng.random() < 0.5,
            status=Client.Status.DISCHARGED if discharged else Client.Status.ACTIVE,
            status_changed_at=self._at(end_day, 17) if discharged else start_at,
            discharged_on=end_day if discharged else None,
            discharge_reason="Planned ending: goals reached for now." if discharged else "",
            therapist_id=tid,
            created_at=start_at,
            created_by_id=tid,
            updated_at=self._at(end_day, 17) if discharged else start_at,
        )
        self.clients_of.setdefault(tid, []).append(client_id)
        self.audit(
            at=start_at,
            actor=tid,
            action=AuditAction.CLIENT_CREATE,
            obj=Client,
            obj_id=client_id,
            chart=chart,
        )
        intake_done = start_at + datetime.timedelta(hours=1)
        t[Intake].add(
            client_id=client_id,
            reason_for_coming=rng.choice(REASONS),
            client_goals=rng.choice(CLIENT_GOALS),
            anxiety=rng.random() < 0.4,
            depression=rng.random() < 0.35,
            trauma_history=rng.random() < 0.3,
            current_step=Intake.Step.REVIEW,
            completed_at=intake_done,
            completed_by_id=tid,
            updated_at=intake_done,
        )
        self.audit(
            at=intake_done,
            actor=tid,
            action=AuditAction.INTAKE_COMPLETE,
            obj=Client,
            obj_id=client_id,
            chart=chart,
        )
        mandated = rng.random() < 0.1
        t[Referral].add(
            client_id=client_id,
            source=Referral.Source.MANDATED if mandated else Referral.Source.SELF,
            mandate_kind=Referral.MandateKind.CRIMINAL_JUSTICE if mandated else "",
            agency="County Probation Department" if mandated else "",
        )
        t[TherapistAssignment].add(
            client_id=client_id,
            therapist_id=tid,
            started_at=start_at,
            assigned_by_id=tid,
            reason="Intake",
        )
        if mandated or rng.random() < 0.2:
            signed = start_day + datetime.timedelta(days=7)
            t[Consent].add(
                client_id=client_id,
                recipient="County Probation Department" if mandated else "Family doctor",
                purpose="Confirm attendance" if mandated else "Coordinate care",
                scope=Consent.Scope.ATTENDANCE if mandated else Consent.Scope.SUMMARY,
                effective_on=signed,
                signed_on=signed,
                expires_on=max(
                    signed + datetime.timedelta(days=30),
                    self.today + datetime.timedelta(days=rng.randint(-60, 300)),
                ),
                created_at=start_at,
                created_by_id=tid,
            )

        # Substances, the plan and goals.
        picks = rng.sample(SUBSTANCES, 2 if rng.random() < 0.5 else 1)
        substances = []
        for substance, amount, frequency, route in picks:
            goal = rng.choice(list(GOAL_OF))
            sid = t[SubstanceUse].add(
                client_id=client_id,
                substance=substance,
                amount=amount,
                frequency=frequency,
                route=route,
                setting="at home",
                goal=goal,
                stage_of_change=SubstanceUse.Stage.CONTEMPLATION,
                last_use="this week",
                recorded_at=start_at,
            )
            substances.append((sid, substance, goal))
        plan_id = t[Plan].add(client_id=client_id, created_at=start_at)
        span = (end_day - start_day).days
        for version in (1, 2, 3):
            at = start_at + datetime.timedelta(days=(version - 1) * span // 3, hours=2)
            vid = t[PlanVersion].add(
                plan_id=plan_id,
                number=version,
                sections=[
                    {
                        "name": str(SubstanceUse.Substance(sub).label),
                        "current_pattern": "most evenings",
                        "dose_limit": "" if version == 1 else f"{5 - version} per occasion",
                        "max_days_per_week": None if version == 1 else 5 - version,
                        "route": "",
                        "setting_company": "never alone" if version > 1 else "",
                        "safer_use": ["food_water", "never_alone"],
                        "alternatives": {"coping": "a walk or a call"} if version > 2 else {},
                        "client_words": "The good nights without losing the next day.",
                        "clinician_notes": "Built together." if version > 1 else "",
                    }
                    for _sid, sub, _goal in substances
                ],
                reason="First plan" if version == 1 else "Reviewed together",
                created_at=at,
                created_by_id=tid,
            )
            self.audit(
                at=at,
                actor=tid,
                action=AuditAction.PLAN_VERSION,
                obj=PlanVersion,
                obj_id=vid,
                chart=chart,
            )
        goals = []
        sid, _substance, sub_goal = substances[0]
        goal_specs = [
            (GOAL_OF[sub_goal], sid, "Fewer use days, and never alone", Goal.Target.MAX_USE_DAYS),
        ]
        if rng.random() < 0.6:
            words, _hypothesis = rng.choice(LIFE_GOALS)
            goal_specs.append((Goal.Kind.LIFE, None, words, Goal.Target.NONE))
        for kind, substance_id, words, target in goal_specs:
            gid = t[Goal].reserve()
            review_date = self._goal_reviews(gid, start_day, end_day, tid, rng, discharged)
            t[Goal].add(
                id=gid,
                client_id=client_id,
                kind=kind,
                substance_id=substance_id,
                client_words=words,
                hypothesis="If I plan the week, I expect fewer evenings above the plan.",
                target=target,
                target_value=Decimal(3) if target else None,
                start_date=start_day,
                review_date=review_date,
                status=Goal.Status.ACTIVE,
                created_at=start_at,
                created_by_id=tid,
            )
            goals.append(gid)
            self.audit(
                at=start_at,
                actor=tid,
                action=AuditAction.GOAL_CREATE,
                obj=Goal,
                obj_id=gid,
                chart=chart,
            )

        # Measures and harm assessments.
        self._measures(client_id, tid, substances, start_at, end_day, rng)
        for k, day in enumerate((start_day, start_day + datetime.timedelta(days=span // 2))):
            hid = t[HarmAssessment].add(
                client_id=client_id,
                assessed_on=day,
                assessed_by_id=tid,
                created_at=self._at(day, 11),
                physical_rating=rng.randint(0, 3),
                mental_rating=rng.randint(0, 3),
                relationships_rating=rng.randint(0, 2),
                # Every life area gets a value of its own: left to the field's default, the
                # rest would be NULL, "not asked". A part of the areas is rated, the legal one
                # only on the first assessment (the later one did not come back to it).
                **_other_harm_ratings(client_id, k),
                uses_alone=(alone := k == 0 and rng.random() < 0.4),
                has_naloxone=k == 1,
                overdose_risk=alone,
                benefits_of_use="Calm\nCompany",
                costs_of_use="Lost mornings",
                notes="Done together.",
            )
            for substance_id, substance, _goal in substances:
                t[SubstancePattern].add(
                    assessment_id=hid,
                    substance_id=substance_id,
                    substance_name=str(SubstanceUse.Substance(substance).label),
                    functions=["coping", "social"],
                    importance=rng.randint(3, 9),
                    confidence=rng.randint(3, 9),
                    readiness=rng.randint(3, 9),
                )
            self.audit(
                at=self._at(day, 11),
                actor=tid,
                action=AuditAction.HARM_ASSESS,
                obj=HarmAssessment,
                obj_id=hid,
                chart=chart,
            )

        # Appointments, notes and the weekly use check-ins they record.
        self._sessions(
            client_id,
            chart,
            therapist,
            staff,
            substances,
            goals,
            start_day,
            end_day,
            discharged,
            rng,
        )

    def _goal_reviews(
        self,
        goal_id: int,
        start_day: datetime.date,
        end_day: datetime.date,
        tid: int,
        rng: random.Random,
        discharged: bool,
    ) -> datetime.date:
        """Reviews every twelve weeks or so ("keep going"); returns the goal's next review
        date (some are due or overdue, as in any clinic)."""
        day = start_day + datetime.timedelta(weeks=12)
        while day < end_day - datetime.timedelta(days=3):
            next_day = day + datetime.timedelta(weeks=rng.randint(10, 14))
            self.tables[GoalReview].add(
                goal_id=goal_id,
                reviewed_on=day,
                what_happened="Mostly within the plan.",
                realistic=GoalReview.Realistic.PARTLY,
                learned="Evenings alone are the hard part.",
                decision=GoalReview.Decision.KEEP,
                next_review_date=next_day,
                reviewed_by_id=tid,
                created_at=self._at(day, 15),
            )
            day = next_day
        if not discharged and rng.random() < 0.1:
            return self.today - datetime.timedelta(days=rng.randint(1, 20))  # overdue
        return max(day, start_day)

    def _measures(
        self,
        client_id: int,
        tid: int,
        substances: list[tuple[int, str, str]],
        start_at: datetime.datetime,
        end_day: datetime.date,
        rng: random.Random,
    ) -> None:
        kinds = {substance for _sid, substance, _goal in substances}
        plan = [("PHQ9", 4), ("GAD7", 4), ("WHO5", 4)]
        if SubstanceUse.Substance.ALCOHOL in kinds:
            plan.append(("AUDIT", 12))
        if kinds & DRUGS:
            plan.append(("DAST10", 12))
        end = self._at(end_day, 18)
        late = rng.random() < 0.15  # some clients' measures are overdue
        severity = rng.uniform(0.35, 0.85)
        for code, weeks in plan:
            table = self.answers[code]
            at = start_at + datetime.timedelta(minutes=30)
            level = severity
            while at < end - (datetime.timedelta(weeks=6) if late else datetime.timedelta()):
                scored = rng.choice(table[max(0, min(LEVELS - 1, round(level * (LEVELS - 1))))])
                self.tables[Administration].add(
                    client_id=client_id,
                    measure_code=code,
                    answers=scored.answers,
                    score=scored.score,
                    band=scored.band,
                    suicide_risk=scored.suicide_risk,
                    severity_flag=scored.severity_flag,
                    administered_at=at,
                    administered_by_id=tid,
                )
                level = max(0.0, min(1.0, level + rng.uniform(-0.08, 0.05)))
                at += datetime.timedelta(weeks=weeks, hours=rng.randint(-2, 2))

    def _sessions(
        self,
        client_id: int,
        chart: str,
        therapist: User,
        staff: Staff,
        substances: list[tuple[int, str, str]],
        goals: list[int],
        start_day: datetime.date,
        end_day: datetime.date,
        discharged: bool,
        rng: random.Random,
    ) -> None:
        t = self.tables
        tid = therapist.pk
        every = rng.choice((1, 2, 2, 2, 3, 3, 4))
        weekday, hour = rng.randrange(5), rng.randrange(9, 17)
        first = _monday(start_day) + datetime.timedelta(weeks=1, days=weekday)
        # Active clients have sessions booked up to four weeks ahead.
        last = end_day if discharged else self.today + datetime.timedelta(weeks=4)
        checkins: dict[datetime.date, list[dict[str, Any]]] = {}
        week = _monday(start_day)
        until = _monday(end_day) - datetime.timedelta(weeks=1)
        usual = {sid: rng.randint(2, 6) for sid, _s, _g in substances}
        while week <= until:
            for sid, _substance, _goal in substances:
                use_days = max(0, min(7, usual[sid] + rng.randint(-2, 1)))
                above = min(use_days, rng.choice((0, 0, 0, 1)))
                checkins.setdefault(week, []).append(
                    {
                        "substance": sid,
                        "week": week,
                        "use_days": use_days,
                        "days_above_plan": above,
                        "note": None,
                    }
                )
            week += datetime.timedelta(weeks=1)
        supervisor = staff.supervisor_of.get(tid)
        day = first
        previous_attended: datetime.date | None = None
        ratings_seen: list[int] = []
        appointments = []
        while day <= last:
            starts = self._at(day, hour)
            appointments.append((day, starts))
            day += datetime.timedelta(weeks=every)
        past = [a for a in appointments if a[1] + datetime.timedelta(minutes=50) < self.now]
        last_attended_index = None
        statuses = []
        for index, (_day, _starts) in enumerate(appointments):
            if index >= len(past):
                statuses.append(Appointment.Status.SCHEDULED)
                continue
            roll = rng.random()
            status = (
                Appointment.Status.ATTENDED
                if roll < 0.88
                else Appointment.Status.NO_SHOW
                if roll < 0.93
                else Appointment.Status.CANCELLED_CLIENT
                if roll < 0.98
                else Appointment.Status.CANCELLED_CLINIC
            )
            statuses.append(status)
            if status == Appointment.Status.ATTENDED:
                last_attended_index = index
        for index, ((day, starts), status) in enumerate(zip(appointments, statuses, strict=True)):
            booked = starts - datetime.timedelta(weeks=every, hours=2)
            aid = t[Appointment].add(
                client_id=client_id,
                therapist_id=tid,
                starts_at=starts,
                ends_at=starts + datetime.timedelta(minutes=50),
                modality="video" if rng.random() < 0.3 else "in_person",
                status=status,
                notice_hours=rng.randint(2, 72) if status.startswith("cancelled") else None,
                created_at=booked,
                created_by_id=tid,
            )
            if status == Appointment.Status.SCHEDULED:
                continue
            self.audit(
                at=starts + datetime.timedelta(minutes=55),
                actor=tid,
                action=AuditAction.APPOINTMENT_ATTENDANCE,
                obj=Appointment,
                obj_id=aid,
                chart=chart,
                changes={"status": ["scheduled", str(status)]},
            )
            if status != Appointment.Status.ATTENDED:
                continue
            latest = index == last_attended_index and not discharged
            if latest and rng.random() < 0.25:
                previous_attended = day
                continue  # a late note: none written yet
            draft = latest and rng.random() < 0.2
            weeks = self._covered(day, previous_attended)
            previous_attended = day
            entries = []
            for covered in weeks:
                for entry in checkins.get(covered, ()):
                    entries.append(entry)
            self._note(
                aid,
                client_id,
                chart,
                therapist,
                supervisor,
                starts,
                entries,
                goals,
                draft,
                ratings_seen,
                rng,
            )
        for week_entries in checkins.values():
            for entry in week_entries:
                t[UseCheckIn].add(
                    client_id=client_id,
                    substance_id=entry["substance"],
                    week_start=entry["week"],
                    use_days=entry["use_days"],
                    days_above_plan=entry["days_above_plan"],
                    # Generated weeks carry a hand-entered figure (basis "entered").
                    above_plan_corrected=entry["days_above_plan"],
                    recorded_at=entry.get("at")
                    or self._at(entry["week"], 12) + datetime.timedelta(weeks=1),
                    recorded_by_id=tid,
                    source_note_id=entry["note"],
                )

    @staticmethod
    def _covered(day: datetime.date, previous: datetime.date | None) -> list[datetime.date]:
        """As sessions.selectors.covered_weeks: the completed weeks since the previous
        attended session (or the last one), at most four, oldest first."""
        last_complete = _monday(day) - datetime.timedelta(weeks=1)
        if previous is None or _monday(previous) >= last_complete:
            return [last_complete]
        weeks = []
        week = last_complete
        while week > _monday(previous) - datetime.timedelta(weeks=1) and len(weeks) < 4:
            if week >= _monday(previous):
                weeks.append(week)
            week -= datetime.timedelta(weeks=1)
        return sorted(weeks) or [last_complete]

    def _note(
        self,
        appointment_id: int,
        client_id: int,
        chart: str,
        therapist: User,
        supervisor: int | None,
        starts: datetime.datetime,
        entries: list[dict[str, Any]],
        goals: list[int],
        draft: bool,
        ratings_seen: list[int],
        rng: random.Random,
    ) -> None:
        t = self.tables
        tid = therapist.pk
        ended = starts + datetime.timedelta(minutes=50)
        signed_at = None if draft else ended + datetime.timedelta(hours=rng.randint(1, 20))
        usual = 34 if not ratings_seen else round(sum(ratings_seen) / len(ratings_seen))
        dip = rng.random() < 0.05
        ratings = (
            [rng.randint(4, 6) for _ in range(4)]
            if dip
            else [min(10, max(8, usual // 4 + rng.randint(-1, 1))) for _ in range(4)]
        )
        risk = rng.random() < 0.1
        note = SessionNote(
            id=t[SessionNote].reserve(),
            appointment_id=appointment_id,
            client_id=client_id,
            author_id=tid,
            format="dap",
            status=SessionNote.Status.DRAFT,
            version=1 if draft else 3,
            agenda=rng.choice(AGENDAS),
            data=rng.choice(DATA),
            assessment=rng.choice(ASSESSMENT),
            plan=rng.choice(PLAN_TEXT),
            risk_actions="Reviewed naloxone and never using alone." if risk else "",
            next_time="Review the week against the plan.",
            goal_checkins=[
                {"goal": g, "score": rng.randint(4, 8), "note": "Steady."} for g in goals
            ],
            use_entries=[
                {
                    "substance": e["substance"],
                    "week": e["week"].isoformat(),
                    "use_days": e["use_days"],
                    "days_above_plan": e["days_above_plan"],
                    "amount": "",
                    "unit": "",
                }
                for e in entries
            ],
            interventions=rng.sample(INTERVENTIONS, 2),
            exercise_stages=["awareness", "tension_reading", "breathing"],
            tension_before=rng.randint(5, 8),
            tension_after=rng.randint(2, 4),
            overdose_risk="some" if risk else "none",
            suicide_risk="none",
            rating_heard=ratings[0],
            rating_wanted=ratings[1],
            rating_approach=ratings[2],
            rating_overall=ratings[3],
            created_at=ended,
            updated_at=signed_at or ended,
        )
        if signed_at is not None:
            # As note_sign_verified: signature, status, then the hash over the final content.
            note.signed_at = signed_at
            note.signed_by_id = tid
            trainee = therapist.requires_cosign and supervisor is not None
            note.status = (
                SessionNote.Status.AWAITING_COSIGN if trainee else SessionNote.Status.SIGNED
            )
            note.content_hash = note.compute_hash()
            if trainee and signed_at < self.now - datetime.timedelta(days=7):
                # Co-signed by the supervisor a day later, with the review row note_cosign writes.
                note.status = SessionNote.Status.COSIGNED
                note.cosigned_at = signed_at + datetime.timedelta(days=1)
                note.cosigned_by_id = supervisor
                note.version = 4
                review = NoteReview(
                    id=t[NoteReview].reserve(),
                    note_id=note.id,
                    reviewer_id=supervisor,
                    decision=NoteReview.Decision.COSIGNED,
                    comments="",
                    created_at=note.cosigned_at,
                )
                review.content_hash = review.compute_hash()
                t[NoteReview].add_instance(review)
            for entry in entries:
                entry["note"] = note.id
                entry["at"] = signed_at
            self.audit(
                at=signed_at,
                actor=tid,
                action=AuditAction.NOTE_SIGN,
                obj=SessionNote,
                obj_id=note.id,
                chart=chart,
                changes={"status": ["draft", str(note.status)]},
            )
        t[SessionNote].add_instance(note)
        total = sum(ratings)
        if signed_at is not None:
            below = total < 30
            drop = bool(ratings_seen) and total <= usual - 5
            if below or drop:
                t[RatingAlert].add(
                    note_id=note.id,
                    client_id=client_id,
                    reason="both" if below and drop else "threshold" if below else "drop",
                    total=total,
                    running_average=Decimal(usual) if ratings_seen else None,
                    created_at=signed_at,
                    acknowledged_at=None
                    if signed_at > self.now - datetime.timedelta(days=14)
                    else signed_at + datetime.timedelta(days=1),
                    acknowledged_by_id=None
                    if signed_at > self.now - datetime.timedelta(days=14)
                    else tid,
                )
            ratings_seen.append(total)

    def supervision(self, staff: Staff) -> None:
        """A supervision meeting every four weeks per therapist (three clients discussed),
        and a chart comment waiting for each therapist."""
        t = self.tables
        rng = random.Random(f"{self.seed}:supervision")
        clients_of = self.clients_of
        for therapist in staff.therapists:
            supervisor = staff.supervisor_of[therapist.pk]
            mine = clients_of.get(therapist.pk, [])
            day = self.today - datetime.timedelta(weeks=4 * (self.size.months * 13 // 12))
            while day <= self.today:
                mid = t[SupervisionMeeting].add(
                    supervisor_id=supervisor,
                    supervisee_id=therapist.pk,
                    met_on=day,
                    guidance="Keep the plan concrete; ask about evenings alone.",
                    follow_ups="Bring the trend charts next time.",
                    created_at=self._at(day, 16),
                )
                for client_id in rng.sample(mine, min(3, len(mine))):
                    t[SupervisionMeeting.clients.through].add(
                        supervisionmeeting_id=mid, client_id=client_id
                    )
                day += datetime.timedelta(weeks=4)
            if mine:
                t[ChartComment].add(
                    client_id=mine[0],
                    author_id=supervisor,
                    text="Worth asking about the weekend pattern next session.",
                    created_at=self.now - datetime.timedelta(days=2),
                )


def seed_load(
    size: LoadSize,
    *,
    seed: int = 14,
    background: bool = True,
    progress: Callable[[str], None] | None = None,
) -> dict[str, int]:
    """Generate the large clinic into the default database; returns rows written per model.
    `background=False` writes from the calling thread's connection (tests, inside their
    transaction)."""
    return Generator(size, seed=seed, background=background, progress=progress).run()
