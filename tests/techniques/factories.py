"""Technique records built directly on a draft note (the services are tested on their own).
Pass `note=` a draft of the client wanted; `client`, `author` and `session_at` follow it."""

from __future__ import annotations

import factory

from techniques.models import ScriptRewrite, UseEpisodeChain, VoiceDialoguePart
from tests.sessions.factories import SessionNoteFactory


class _TechniqueFactory(factory.django.DjangoModelFactory):
    class Meta:
        abstract = True

    note = factory.SubFactory(SessionNoteFactory)
    client = factory.SelfAttribute("note.client")
    author = factory.SelfAttribute("note.author")
    session_at = factory.SelfAttribute("note.appointment.starts_at")

    @classmethod
    def _create(cls, model_class: type, *args: object, **kwargs: object) -> object:
        record = model_class(*args, **kwargs)
        record.content_hash = record.compute_hash()
        record.save()
        return record


class UseEpisodeChainFactory(_TechniqueFactory):
    class Meta:
        model = UseEpisodeChain

    event = "Argument with my sister on the phone."
    thought = "Nobody ever listens to me."
    feeling = "Hurt, then angry."
    impulse = "Get out of my head, fast."
    action = "Went to the bar and had five drinks."
    other_ways = "Call Dee, or walk to the river and back."


class VoiceDialoguePartFactory(_TechniqueFactory):
    class Meta:
        model = VoiceDialoguePart

    name = "The one who needs a break"
    stance = VoiceDialoguePart.Stance.FOR
    wants = "Rest after a long week; protects me from feeling worn out."
    notes = "Speaks fast, sounds tired."


class ScriptRewriteFactory(_TechniqueFactory):
    class Meta:
        model = ScriptRewrite

    negative_script = "I always mess things up, so why bother."
    rewrite = "I had a rough night, and I also kept to my plan four days this week."
