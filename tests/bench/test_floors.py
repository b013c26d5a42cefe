"""The benchmark's raw-SQL floors run on the schema as it is (a renamed column fails here, not
in the middle of a benchmark run) and find rows on a tiny generated clinic; the clinic's own
URL map never mounts them."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.test import Client as HttpClient
from django.urls import NoReverseMatch, reverse
from pytest_django import Settings

from bench.floors import SQL
from clients.models import Client
from home.load import LoadSize, seed_load, staff_email, supervisor_key, therapist_key
from hrp.accounts.models import User
from sessions.models import SessionNote

ROLE = {
    "dashboard": "supervisor",
    "cosign": "supervisor",
    "meetings": "supervisor",
    "audit": "admin",
    "staff": "admin",
}
# Floors whose rows exist only in some clinics (notes to co-sign, measures or reviews due).
MAY_BE_EMPTY = {"cosign", "notes", "measures_due", "reviews_due", "calendar"}


def test_floors_are_not_in_the_clinic_url_map() -> None:
    with pytest.raises(NoReverseMatch):
        reverse("bench_floor", args=["caseload"])


def test_every_floor_answers_with_rows(
    settings: Settings, client_for: Callable[[User | None], HttpClient]
) -> None:
    settings.DEMO_MODE = True
    seed_load(
        LoadSize(therapists=2, supervisors=1, clients=4, discharged=0, months=3),
        background=False,
    )
    settings.ROOT_URLCONF = "bench.urls"
    users = {
        "therapist": User.objects.get(email=staff_email(therapist_key(0))),
        "supervisor": User.objects.get(email=staff_email(supervisor_key(0))),
        "admin": User.objects.get(email=staff_email("admin")),
    }
    client = Client.objects.filter(therapist=users["therapist"]).order_by("id").first()
    note = SessionNote.objects.filter(client=client, signed_at__isnull=False).first()
    query = f"client={client.pk}&note={note.pk}&therapist={users['therapist'].pk}"
    browsers = {role: client_for(user) for role, user in users.items()}
    answers = {}
    for name in SQL:
        response = browsers[ROLE.get(name, "therapist")].get(f"/_floor/{name}/?{query}")
        rows = len(re.findall(r"<tr>", response.content.decode()))
        answers[name] = (response.status_code, rows >= (0 if name in MAY_BE_EMPTY else 1))
    assert answers == {name: (200, True) for name in SQL}
