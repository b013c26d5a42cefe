"""The technique records' lifecycle: added, changed and removed while the note is a draft by
its author; refused once the note is signed, by the service, by the model's save() and
delete(), and by PostgreSQL itself; open again when a supervisor returns the note. An empty
record is refused with a clear message and stores nothing."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.core import checks
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connection

from hrp.accounts.models import User
from hrp.audit.models import AuditEvent
from hrp.immutability import locked_with_note_trigger
from sessions import services as session_services
from sessions.models import NoteLockedError, SessionNote
from techniques import services
from techniques.kinds import KINDS
from techniques.models import ScriptRewrite, UseEpisodeChain, VoiceDialoguePart
from tests.factories import SupervisionFactory
from tests.immutability import execute, plain_session
from tests.sessions.factories import SessionNoteFactory, sign_note
from tests.techniques.factories import (
    ScriptRewriteFactory,
    UseEpisodeChainFactory,
    VoiceDialoguePartFactory,
)

pytestmark = pytest.mark.django_db

LOCKED = "signed session notes are locked (%s refused); add an addendum"
CHAIN = {
    "event": "  Payday, friends going out.  ",
    "thought": "I earned it.",
    "feeling": "",
    "impulse": "Keep going all night.",
    "action": "",
    "other_ways": "A good meal out with Dee.",
}


def _actions() -> list[str]:
    return list(
        AuditEvent.objects.filter(action__startswith="technique.")
        .order_by("id")
        .values_list("action", flat=True)
    )


def test_add_change_and_remove_on_a_draft() -> None:
    note = SessionNoteFactory()

    chain = services.technique_add(actor=note.author, note=note, kind=KINDS["chains"], values=CHAIN)
    changed = services.technique_save(
        actor=note.author, record=chain, values={**CHAIN, "action": "Went home instead."}
    )
    unchanged = services.technique_save(
        actor=note.author, record=chain, values={**CHAIN, "action": "Went home instead."}
    )
    stored = UseEpisodeChain.objects.get(pk=chain.pk)

    assert (stored.event, stored.feeling, stored.action) == (
        "Payday, friends going out.",
        "",
        "Went home instead.",
    )
    assert (stored.client_id, stored.session_at) == (note.client_id, note.appointment.starts_at)
    assert (changed, unchanged, stored.hash_verified()) == (["action"], [], True)

    services.technique_remove(actor=note.author, record=stored)

    assert UseEpisodeChain.objects.count() == 0
    assert _actions() == ["technique.add", "technique.save", "technique.remove"]
    save = AuditEvent.objects.get(action="technique.save")
    # Field names only, never the client's words.
    assert save.changes == {"action": ["", "changed"]}


@pytest.mark.parametrize(
    ("slug", "values", "errors"),
    [
        (
            "chains",
            {name: "  " for name in CHAIN},
            {
                "__all__": [
                    "Write at least one link of the chain (what happened, the thought, the "
                    "feeling, the impulse, what the client did, or what else could have met the "
                    "need). An empty chain is not saved."
                ]
            },
        ),
        (
            "parts",
            {"name": "", "stance": "for", "wants": "A rest.", "notes": ""},
            {"name": ["Write the name the client gives this part, in their words."]},
        ),
        (
            "scripts",
            {"negative_script": " ", "rewrite": "I can learn from this."},
            {
                "negative_script": [
                    "Write the negative script in the client's words. The rewrite can wait for "
                    "a later session."
                ]
            },
        ),
        (
            "parts",
            {"name": "x" * 5001, "stance": "", "wants": "", "notes": ""},
            {"name": ["Keep this to 5,000 characters (it has 5,001)."]},
        ),
        (
            "parts",
            {"name": "The critic", "stance": "sometimes", "wants": "", "notes": ""},
            {"stance": ["Choose one of the options."]},
        ),
    ],
    ids=["empty-chain", "nameless-part", "empty-script", "too-long", "unknown-stance"],
)
def test_an_empty_or_invalid_record_is_refused_with_a_message(
    slug: str, values: dict[str, str], errors: dict[str, list[str]]
) -> None:
    note = SessionNoteFactory()

    with pytest.raises(ValidationError) as refused:
        services.technique_add(actor=note.author, note=note, kind=KINDS[slug], values=values)

    assert refused.value.message_dict == errors
    assert KINDS[slug].model.objects.count() == 0
    assert _actions() == []


def test_only_the_notes_author_treating_the_client_may_write(
    therapist: User, other_therapist: User, supervisor: User
) -> None:
    note = SessionNoteFactory(appointment__client__therapist=therapist)
    part = VoiceDialoguePartFactory(note=note)

    for actor in (other_therapist, supervisor):
        with pytest.raises(PermissionDenied):
            services.technique_add(
                actor=actor, note=note, kind=KINDS["parts"], values={"name": "The critic"}
            )
        with pytest.raises(PermissionDenied):
            services.technique_remove(actor=actor, record=part)

    assert list(VoiceDialoguePart.objects.values_list("pk", flat=True)) == [part.pk]


def test_signing_locks_the_records_in_the_service_and_the_model() -> None:
    note = SessionNoteFactory()
    script = ScriptRewriteFactory(note=note)
    sign_note(note)

    with pytest.raises(NoteLockedError):
        services.technique_add(
            actor=note.author, note=note, kind=KINDS["scripts"], values={"negative_script": "x"}
        )
    with pytest.raises(NoteLockedError):
        services.technique_save(
            actor=note.author, record=script, values={"negative_script": "Changed."}
        )
    with pytest.raises(NoteLockedError):
        services.technique_remove(actor=note.author, record=script)
    # The model asks the stored note, whatever the instance says.
    script.rewrite = "Changed behind the service."
    with pytest.raises(NoteLockedError):
        script.save()
    with pytest.raises(NoteLockedError):
        script.delete()
    with pytest.raises(NoteLockedError):
        ScriptRewriteFactory(note=note)

    stored = ScriptRewrite.objects.get()
    assert (stored.rewrite, stored.hash_verified()) == (ScriptRewriteFactory.rewrite, True)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the triggers are PostgreSQL's")
@pytest.mark.parametrize(
    ("statement", "operation"),
    [
        ('UPDATE techniques_useepisodechain SET "session_at" = now() WHERE id = %(pk)s', "UPDATE"),
        ("DELETE FROM techniques_useepisodechain WHERE id = %(pk)s", "DELETE"),
        (
            "INSERT INTO techniques_useepisodechain (note_id, client_id, author_id, session_at,"
            " created_at, updated_at, content_hash, event, thought, feeling, impulse, action,"
            " other_ways) SELECT note_id, client_id, author_id, session_at, created_at,"
            " updated_at, '', event, thought, feeling, impulse, action, other_ways"
            " FROM techniques_useepisodechain WHERE id = %(pk)s",
            "INSERT",
        ),
    ],
    ids=["update", "delete", "insert"],
)
def test_the_database_refuses_changes_under_a_signed_note(statement: str, operation: str) -> None:
    note = SessionNoteFactory()
    chain = UseEpisodeChainFactory(note=note)
    sign_note(note)

    with plain_session(), pytest.raises(DatabaseError) as refused:
        execute(statement % {"pk": chain.pk})

    assert str(refused.value).splitlines()[0] == LOCKED % operation
    assert list(UseEpisodeChain.objects.values_list("pk", "event")) == [
        (chain.pk, UseEpisodeChainFactory.event)
    ]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the triggers are PostgreSQL's")
def test_the_database_lets_a_draft_notes_records_change() -> None:
    chain = UseEpisodeChainFactory()

    with plain_session():
        touched = execute(
            "UPDATE techniques_useepisodechain SET updated_at = now() WHERE id = %s", [chain.pk]
        )
        removed = execute("DELETE FROM techniques_useepisodechain WHERE id = %s", [chain.pk])

    assert (touched, removed) == (1, 1)


def test_a_returned_note_opens_its_records_again(therapist: User) -> None:
    therapist.requires_cosign = True
    therapist.save(update_fields=["requires_cosign"])
    supervisor = SupervisionFactory(supervisee=therapist).supervisor
    note = SessionNoteFactory(appointment__client__therapist=therapist)
    part = VoiceDialoguePartFactory(note=note)
    sign_note(note)
    with pytest.raises(NoteLockedError):
        services.technique_save(actor=therapist, record=part, values={"name": "The critic"})

    session_services.note_return(
        actor=supervisor, note=SessionNote.objects.get(pk=note.pk), comments="Name the part."
    )
    changed = services.technique_save(
        actor=therapist,
        record=part,
        values={"name": "The tired one", "stance": "for", "wants": part.wants, "notes": ""},
    )

    assert changed == ["name", "notes"]
    assert VoiceDialoguePart.objects.get(pk=part.pk).name == "The tired one"


def test_the_tables_locked_with_their_note_keep_their_guard() -> None:
    locked = sorted(m._meta.label for m in apps.get_models() if locked_with_note_trigger(m))

    # The techniques of a session note and each member's part of a group note.
    assert locked == [
        "groups.MemberNote",
        "techniques.ScriptRewrite",
        "techniques.UseEpisodeChain",
        "techniques.VoiceDialoguePart",
    ]
    assert [m for m in checks.run_checks(tags=[checks.Tags.models]) if m.id == "hrp.E103"] == []
