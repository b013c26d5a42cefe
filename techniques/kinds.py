"""The three kinds of technique record, declared once: the URL word, the model, the words the
pages use, and the intervention of the note (sessions.vocab.INTERVENTIONS) each belongs to.
The note page's parts, the chart section, the Timeline and the demo all read this list."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from techniques.models import NoteTechnique, ScriptRewrite, UseEpisodeChain, VoiceDialoguePart


@dataclass(frozen=True)
class Kind:
    slug: str  # in URLs and as the key of the note page's part, the Timeline and ?kind=
    model: type[NoteTechnique]
    label: Any  # plural heading
    singular: Any
    add_label: Any
    empty: Any  # the message when a record has nothing in it
    intro: Any  # a line above the form: what the record is for
    intervention: str = ""  # the note's intervention this kind records, if any
    required: str = ""  # the one field that must be written; "" means any one of them
    order: int = 100

    @property
    def related(self) -> str:
        """The note's reverse relation to this kind's records."""
        return f"{self.model._meta.model_name}_records"

    @property
    def timeline_key(self) -> str:
        return f"technique_{self.slug}"


KINDS: dict[str, Kind] = {
    kind.slug: kind
    for kind in (
        Kind(
            slug="chains",
            model=UseEpisodeChain,
            label=_("Use-episode chains"),
            singular=_("Use-episode chain"),
            add_label=_("Add a use-episode chain"),
            empty=_(
                "Write at least one link of the chain (what happened, the thought, the feeling, "
                "the impulse, what the client did, or what else could have met the need). An "
                "empty chain is not saved."
            ),
            intro=_(
                "Take one episode of use apart link by link, in the client's own words. Leave a "
                "link empty when it did not come up; what else could have met the need is often "
                "the most useful part."
            ),
            order=10,
        ),
        Kind(
            slug="parts",
            model=VoiceDialoguePart,
            label=_("Voice-dialogue parts"),
            singular=_("Voice-dialogue part"),
            add_label=_("Add a part"),
            empty=_("Write the name the client gives this part, in their words."),
            intro=_(
                "A part of the self met in voice dialogue, named as the client names it, with "
                "what it wants or protects. Parts for and against using each have a good reason."
            ),
            intervention="voice_dialogue",
            required="name",
            order=20,
        ),
        Kind(
            slug="scripts",
            model=ScriptRewrite,
            label=_("Script rewrites"),
            singular=_("Script rewrite"),
            add_label=_("Add a script rewrite"),
            empty=_(
                "Write the negative script in the client's words. The rewrite can wait for a "
                "later session."
            ),
            intro=_(
                "The negative script as the client says it to themselves, and the rewrite you "
                "worked out together (it can come in a later session)."
            ),
            intervention="negative_script",
            required="negative_script",
            order=30,
        ),
    )
}


def kind_of(model: type[NoteTechnique]) -> Kind:
    return next(kind for kind in KINDS.values() if kind.model is model)
