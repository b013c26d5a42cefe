from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from django.db.backends.postgresql.operations import (
    DatabaseOperations as PostgresOperations,
)
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from hrp.accounts.models import User
from hrp.celery import app as celery_app
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
