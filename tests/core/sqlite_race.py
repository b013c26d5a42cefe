"""Run as `python -m tests.core.sqlite_race` with no DATABASE_URL and SQLITE_PATH set, under
tests.core.sqlite_settings: the embedded default.

Builds a fresh SQLite database (tables straight from the models: the migrations are
PostgreSQL's story and take far longer), then sends intake autosaves and "Save and continue"
submits of one step, and note autosaves, at the same moment from several threads (each its own
SQLite connection, as the threads of `runserver` are). Prints one JSON line: the status counts,
and the error messages of any request that failed.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from typing import Any

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client as HttpClient  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402

from clients.models import Intake  # noqa: E402
from tests.clients.factories import ClientFactory  # noqa: E402
from tests.concurrency import run_at_once, web_for  # noqa: E402
from tests.factories import TherapistFactory  # noqa: E402
from tests.goals.helpers import form_values  # noqa: E402
from tests.sessions.factories import AttendedAppointmentFactory, SessionNoteFactory  # noqa: E402


def _post(
    web: HttpClient, url: str, data: dict[str, Any], kind: str, out: dict[str, Any], **extra: Any
) -> None:
    response = web.post(url, data, **extra)
    out["counts"][f"{kind} {response.status_code}"] += 1
    if response.status_code >= 500:
        exc_info = getattr(response, "exc_info", None)
        out["errors"].append(f"{kind}: {exc_info[1]!r}" if exc_info else f"{kind}: 500")


def main() -> None:
    assert not os.environ.get("DATABASE_URL")
    setup_test_environment()
    call_command("migrate", run_syncdb=True, verbosity=0)
    journal = connection.cursor().execute("PRAGMA journal_mode").fetchone()[0]
    therapist = TherapistFactory()
    client = ClientFactory(therapist=therapist, status="intake", intake__completed_at=None)
    Intake.objects.filter(client=client).update(current_step=Intake.Step.CONCERNS)
    note = SessionNoteFactory(appointment=AttendedAppointmentFactory(client=client))
    step = reverse("clients:intake_step", kwargs={"pk": client.pk, "step": "concerns"})
    autosave_note = reverse("sessions:note_autosave", kwargs={"pk": client.pk, "note_pk": note.pk})
    webs = [web_for(therapist) for _ in range(6)]
    fields = form_values(webs[0].get(step).content.decode())
    out: dict[str, Any] = {"counts": Counter(), "errors": []}
    for attempt in range(7):
        text = {**fields, "concerns_notes": f"Notes, try {attempt}."}
        autosave = {**text, "autosave": "1"}
        notes = [
            {"version": "1", "plan": f"Plan {attempt}", "save_key": f"editor-{attempt:04d}-{s}"}
            for s in "ab"
        ]
        htmx = {"headers": {"HX-Request": "true"}}
        work = [
            (webs[0], step, autosave, "intake autosave", {}),
            (webs[1], step, autosave, "intake autosave", {}),
            (webs[2], step, text, "intake submit", {}),
            (webs[3], step, text, "intake submit", {}),
            (webs[4], autosave_note, notes[0], "note autosave", htmx),
            (webs[5], autosave_note, notes[1], "note autosave", htmx),
        ]
        run_at_once(
            [lambda w=w, u=u, d=d, k=k, x=x: _post(w, u, d, k, out, **x) for w, u, d, k, x in work]
        )
    counts, errors = out["counts"], out["errors"]
    print(json.dumps({"journal_mode": journal, "counts": dict(counts), "errors": errors}))


if __name__ == "__main__":
    main()
