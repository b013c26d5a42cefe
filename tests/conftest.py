from __future__ import annotations

import errno
import io
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from _pytest.nodeid import NodeId
from django.core.management import call_command
from django.db import connection, transaction
from django.db.backends.postgresql.operations import (
    DatabaseOperations as PostgresOperations,
)
from django.test import Client, override_settings
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from pytest_django import DjangoDbBlocker

from clients.models import Client as ClinicClient
from hrp.accounts.models import User
from hrp.celery import app as celery_app
from tests.clients.factories import ClientFactory
from tests.factories import (
    ClinicAdminFactory,
    SupervisionFactory,
    SupervisorFactory,
    TherapistFactory,
    TOTPDeviceFactory,
)


@pytest.fixture(autouse=True)
def _eager_tasks(request: pytest.FixtureRequest) -> Iterator[None]:
    """Tasks run in-process in tests, except where a test starts a real worker."""
    if request.node.get_closest_marker("real_worker"):
        yield
        return
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _clinic_settings_cache() -> Iterator[None]:
    """Every test starts with no clinic settings saved (the database is empty of them too), so
    reading a setting costs no query and pinned query counts do not depend on test order."""
    from hrp import clinic

    clinic.store({})
    yield
    clinic.store({})


# Argon2 (hrp/settings.py) is deliberately slow: about a tenth of a second and 100 MB per hash or
# check, paid by every test user given a password and every sign-in. Tests use a fast hasher;
# that production hashes with Argon2 is tested once, under the production setting
# (tests/accounts/test_password_hashing.py).
FAST_PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hashing() -> Iterator[None]:
    with override_settings(PASSWORD_HASHERS=FAST_PASSWORD_HASHERS):
        yield


@pytest.fixture(autouse=True, scope="session")
def _flush_past_the_append_only_triggers() -> Iterator[None]:
    """Between transactional tests (live server, real worker) Django empties every table with
    TRUNCATE, which the append-only tables refuse (hrp.immutability). The test database is
    owned by a superuser, so its flush runs with `session_replication_role = replica`, under
    which triggers do not fire: a setting only a superuser may change, as a DBA would use it."""
    original = PostgresOperations.sql_flush

    def sql_flush(self: PostgresOperations, *args: object, **kwargs: object) -> list[str]:
        statements = original(self, *args, **kwargs)
        if not statements:
            return statements
        # execute_sql_flush runs the list in one transaction: LOCAL ends with it.
        return ["SET LOCAL session_replication_role = replica", *statements]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(PostgresOperations, "sql_flush", sql_flush)
        yield


@pytest.fixture
def therapist(db: None) -> User:
    return TherapistFactory(full_name="Tess Therapist")


@pytest.fixture
def other_therapist(db: None) -> User:
    return TherapistFactory(full_name="Omar Other")


@pytest.fixture
def supervisor(db: None, therapist: User) -> User:
    user = SupervisorFactory(full_name="Sue Supervisor")
    SupervisionFactory(supervisor=user, supervisee=therapist)
    return user


@pytest.fixture
def other_supervisor(db: None, other_therapist: User) -> User:
    user = SupervisorFactory(full_name="Otto Othersup")
    SupervisionFactory(supervisor=user, supervisee=other_therapist)
    return user


@pytest.fixture
def clinic_admin(db: None) -> User:
    return ClinicAdminFactory(full_name="Ada Admin")


@pytest.fixture
def anonymous() -> None:
    return None


def sign_in(client: Client, user: User | None) -> Client:
    """Sign `user` in on `client`, past two-factor, as the real flow would leave them."""
    if user is None:
        return client
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDeviceFactory(user=user)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


@pytest.fixture
def client_for(db: None) -> Callable[[User | None], Client]:
    """A fresh test client signed in (and two-factor verified) as the given user."""

    def make(user: User | None) -> Client:
        return sign_in(Client(), user)

    return make


ROLE_FIXTURES = [
    "therapist",
    "other_therapist",
    "supervisor",
    "other_supervisor",
    "clinic_admin",
    "anonymous",
]
# The signed-in roles, for pages whose anonymous visit is tested once (sent to sign in).
STAFF_ROLES = [role for role in ROLE_FIXTURES if role != "anonymous"]


@pytest.fixture
def record(therapist: User) -> ClinicClient:
    """A client on the assigned therapist's caseload. Test folders that need a particular client
    (a chart number, a mandated referral) override this with their own `record`."""
    return ClientFactory(therapist=therapist, preferred_name="Robin")


@contextmanager
def closed_port() -> Iterator[int]:
    """A local TCP port that refuses connections for as long as this is open.

    A fixed port ("nothing listens on 6390") is not safe: another Redis, a test server or a
    colleague's worker may be there. This binds a socket to a port the system picks and never
    listens on it, so a connection to it is refused and nobody else can take the port meanwhile.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as held:
        held.bind(("127.0.0.1", 0))
        port = held.getsockname()[1]
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            refused = probe.connect_ex(("127.0.0.1", port))
        if refused != errno.ECONNREFUSED:
            raise RuntimeError(f"port {port} did not refuse a connection ({refused})")
        yield port


@contextmanager
def unreachable_redis_url() -> Iterator[str]:
    """A Redis URL where connecting fails as it does when Redis is down."""
    with closed_port() as port:
        yield f"redis://127.0.0.1:{port}/0"


# The demo clinic, built once and shared by the tests that only read it.
#
# `seed_demo` takes tens of seconds, so building it for each test made the demo tests the slowest
# in the suite. The seed runs once inside an outer transaction that stays open while consecutive
# tests use it; each of those tests still runs in its own savepoint (the ordinary `db` fixture
# nests inside), so what a test writes is rolled back and the next one sees the clinic as seeded.
# Before the first test that does not ask for the demo clinic, the outer transaction is rolled
# back, so no other test ever sees the demo rows. Collection puts the demo tests next to each
# other, so the clinic is seeded once per run.

DEMO_FIXTURE = "demo_clinic"


@dataclass
class DemoClinic:
    """What `seed_demo` printed when it built the shared demo clinic."""

    output: str


class _DemoSnapshot:
    """The outer transaction holding the seeded demo clinic, opened on first use."""

    def __init__(self, blocker: DjangoDbBlocker) -> None:
        self.blocker = blocker
        self.atomic: transaction.Atomic | None = None
        self.clinic: DemoClinic | None = None

    def open(self) -> DemoClinic:
        if self.clinic is not None:
            return self.clinic
        with self.blocker.unblock():
            if connection.in_atomic_block:
                raise RuntimeError(
                    "demo_clinic must be set up before the test's database transaction: request "
                    "demo_clinic first and drop the django_db marker (demo_clinic brings `db`)."
                )
            self.atomic = transaction.atomic()
            self.atomic.__enter__()
            out = io.StringIO()
            # Seeding hashes seven passwords; Argon2's deliberate slowness is not under test.
            with override_settings(DEMO_MODE=True, PASSWORD_HASHERS=FAST_PASSWORD_HASHERS):
                call_command("seed_demo", stdout=out)
        self.clinic = DemoClinic(output=out.getvalue())
        return self.clinic

    def close(self) -> None:
        if self.atomic is None:
            return
        with self.blocker.unblock():
            transaction.set_rollback(True)
            self.atomic.__exit__(None, None, None)
        self.atomic = None
        self.clinic = None


_demo_snapshot: _DemoSnapshot | None = None


@pytest.fixture(scope="session")
def _demo_clinic_session(
    django_db_setup: None, django_db_blocker: DjangoDbBlocker
) -> Iterator[_DemoSnapshot]:
    global _demo_snapshot
    _demo_snapshot = _DemoSnapshot(django_db_blocker)
    yield _demo_snapshot
    # Roll back before pytest-django drops the test database.
    _demo_snapshot.close()
    _demo_snapshot = None


@pytest.fixture
def _demo_clinic_seeded(_demo_clinic_session: _DemoSnapshot) -> DemoClinic:
    return _demo_clinic_session.open()


@pytest.fixture
def demo_clinic(_demo_clinic_seeded: DemoClinic, db: None) -> DemoClinic:
    """The demo clinic as `seed_demo` builds it (DEMO_MODE is not switched on for the test).

    The test runs in a savepoint on top of it: it may write, and its writes are rolled back.
    """
    return _demo_clinic_seeded


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    # The demo rows must never be visible to a test that did not ask for them.
    if _demo_snapshot is not None and DEMO_FIXTURE not in getattr(item, "fixturenames", ()):
        _demo_snapshot.close()


def pytest_itemcollected(item: pytest.Item) -> None:
    """Under pytest-xdist (`make test`, `--dist loadgroup`) the demo clinic's tests all go to one
    process, so the clinic is seeded once per run there too, not once per process."""
    if DEMO_FIXTURE in getattr(item, "fixturenames", ()):
        item.add_marker(pytest.mark.xdist_group(DEMO_FIXTURE))


def _xdist_group_suffix(items: list[pytest.Item]) -> None:
    """pytest-xdist's `--dist loadgroup` schedules by a `@<group>` suffix it adds to each grouped
    test's id by setting `item._nodeid`, which pytest 9 no longer reads (the id lives in
    `item._id`): without this the groups are silently ignored and the demo clinic is seeded and
    crawled once in every test process. Only in an xdist test process with loadgroup."""
    if not items or not getattr(items[0].config.option, "loadgroup", False):
        return
    for item in items:
        names = sorted({str(mark.args[0]) for mark in item.iter_markers("xdist_group")})
        if names and "@" not in item.nodeid:
            item._id = NodeId.parse(f"{item.nodeid}@{'_'.join(names)}")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the demo clinic's tests one after another (where the first of them stands, after
    pytest-django's ordering), so the clinic is seeded once."""
    _xdist_group_suffix(items)
    demo = [item for item in items if DEMO_FIXTURE in getattr(item, "fixturenames", ())]
    if not demo:
        return
    first = items.index(demo[0])
    rest = [item for item in items if DEMO_FIXTURE not in getattr(item, "fixturenames", ())]
    items[:] = rest[:first] + demo + rest[first:]


# Session-summary lines from the test processes under pytest-xdist (a worker's own terminal
# summary is not shown): a conftest appends to `config.workeroutput[SUMMARY_LINES_KEY]` at
# session finish (tests/robustness/conftest.py) and the controlling process prints them.
SUMMARY_LINES_KEY = "hrp_summary_lines"
_summary_lines: list[str] = []


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: object, error: object) -> None:
    _summary_lines.extend(getattr(node, "workeroutput", {}).get(SUMMARY_LINES_KEY, []))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for line in _summary_lines:
        terminalreporter.write_line(line)
