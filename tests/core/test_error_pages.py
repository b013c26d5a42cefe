"""Failure pages say what happened to what was just sent.

- The database cannot be reached: a POST gets 503 and a page saying this submission was not
  saved and how to get the text back; a GET is told nothing saved before is lost.
- A write that meets another in the database (deadlock, lock timeout, serialization failure,
  SQLite's "database is locked") and that the page did not handle itself answers 409 "not
  saved, send it again", never a 500; an autosave gets a status-line fragment.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import OperationalError, connection
from django.test import Client as HttpClient
from django.urls import reverse

from hrp.accounts.models import User
from sessions.models import SessionNote
from tests.clients.factories import ClientFactory
from tests.conftest import sign_in
from tests.htmltext import parse
from tests.sessions.factories import AttendedAppointmentFactory, SessionNoteFactory

NOT_SAVED = "What you just sent was not saved."
BACK = (
    "Use your browser’s Back button: the page you came from usually still holds what you "
    "typed. Copy it somewhere safe before leaving that page, then send it again."
)
KEPT = "Nothing you saved before this page is lost."


def _database_down(execute: Callable[..., Any], sql: str, *args: Any) -> Any:
    raise OperationalError(
        'connection to server at "127.0.0.1", port 5432 failed: Connection refused'
    )


class _DriverDeadlock(Exception):
    """What the PostgreSQL driver raises for a deadlock, as far as the code reads it."""

    pgcode = "40P01"


def _refuse_note_lock(execute: Callable[..., Any], sql: str, *args: Any) -> Any:
    if "FOR UPDATE" in sql and "therapy_sessions_sessionnote" in sql:
        raise OperationalError("deadlock detected") from _DriverDeadlock()
    return execute(sql, *args)


def _texts(response: Any) -> list[str]:
    return [" ".join(p.text_content().split()) for p in parse(response).xpath("//main//p|//li")]


@pytest.fixture
def note(therapist: User) -> SessionNote:
    return SessionNoteFactory(
        appointment=AttendedAppointmentFactory(client=ClientFactory(therapist=therapist))
    )


def _web(user: User) -> HttpClient:
    return sign_in(HttpClient(raise_request_exception=False), user)


def _note_url(name: str, note: SessionNote) -> str:
    return reverse(f"sessions:{name}", kwargs={"pk": note.client_id, "note_pk": note.pk})


def test_a_post_with_the_database_down_says_it_was_not_saved(
    therapist: User, note: SessionNote
) -> None:
    web = _web(therapist)
    with connection.execute_wrapper(_database_down):
        response = web.post(_note_url("note", note), {"version": "1", "plan": "Typed text."})

    assert response.status_code == 503
    texts = _texts(response)
    assert NOT_SAVED in texts
    assert BACK in texts
    assert KEPT not in texts
    # Shown by unsent.js from this tab's sessionStorage, when it holds the text sent.
    assert parse(response).xpath('//section[@id="unsent"]/@hidden') == [""]
    assert SessionNote.objects.get(pk=note.pk).plan == note.plan


def test_a_page_with_the_database_down_says_nothing_saved_is_lost(
    therapist: User, note: SessionNote
) -> None:
    web = _web(therapist)
    with connection.execute_wrapper(_database_down):
        response = web.get(_note_url("note", note))

    assert response.status_code == 503
    texts = _texts(response)
    assert KEPT in texts
    assert NOT_SAVED not in texts


def test_a_write_that_met_another_in_the_database_answers_409(
    therapist: User, note: SessionNote
) -> None:
    web = _web(therapist)
    with connection.execute_wrapper(_refuse_note_lock):
        page = web.post(_note_url("note", note), {"version": "1", "plan": "Typed text."})
        autosave = web.post(
            _note_url("note_autosave", note),
            {"version": "1", "plan": "Typed text."},
            headers={"HX-Request": "true"},
        )

    assert (page.status_code, autosave.status_code) == (409, 409)
    assert parse(page).xpath("string(//h1)") == "Someone else was saving this at the same moment"
    assert NOT_SAVED in _texts(page)
    assert parse(autosave).xpath("string(//span)") == (
        "Not saved yet: this was being saved somewhere else at the same moment. Your text is "
        "still on this page and goes with your next change."
    )
    assert SessionNote.objects.get(pk=note.pk).version == 1
