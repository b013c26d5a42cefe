"""Addenda and co-signature reviews built directly (the services audit): for tests about what
is stored, such as encryption at rest and key rotation."""

from __future__ import annotations

from typing import Any

import factory

from sessions.models import ContactAddendum, ContactReview, NoteAddendum, NoteReview
from tests.factories import SupervisorFactory
from tests.sessions.factories import (
    OutsideContactFactory,
    SessionNoteFactory,
    sign_contact,
    sign_note,
)


class _AppendOnlyFactory(factory.django.DjangoModelFactory):
    """Addenda and reviews are append-only rows; where the model carries an integrity hash,
    it is computed before the insert, as the services do."""

    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class: type, *args: Any, **kwargs: Any) -> Any:
        row = model_class(*args, **kwargs)
        if hasattr(row, "compute_hash") and hasattr(row, "content_hash"):
            row.content_hash = row.compute_hash()
        row.save()
        return row


class NoteAddendumFactory(_AppendOnlyFactory):
    """An addendum to a signed note."""

    class Meta:
        model = NoteAddendum

    note = factory.LazyFunction(lambda: sign_note(SessionNoteFactory()))
    author = factory.SelfAttribute("note.author")
    text = "Client phoned to add that they picked up a naloxone kit."


class NoteReviewFactory(_AppendOnlyFactory):
    """A supervisor's return of a note, with comments."""

    class Meta:
        model = NoteReview

    note = factory.SubFactory(SessionNoteFactory)
    reviewer = factory.SubFactory(SupervisorFactory)
    decision = NoteReview.Decision.RETURNED
    comments = "Name the risk actions you agreed on."


class ContactAddendumFactory(_AppendOnlyFactory):
    """An addendum to a signed contact outside a session."""

    class Meta:
        model = ContactAddendum

    contact = factory.LazyFunction(lambda: sign_contact(OutsideContactFactory()))
    author = factory.SelfAttribute("contact.author")
    text = "The call was at 15:30, not 15:00."


class ContactReviewFactory(_AppendOnlyFactory):
    """A supervisor's return of a contact, with comments."""

    class Meta:
        model = ContactReview

    contact = factory.SubFactory(OutsideContactFactory)
    reviewer = factory.SubFactory(SupervisorFactory)
    decision = ContactReview.Decision.RETURNED
    comments = "Say what was agreed for the weekend."
