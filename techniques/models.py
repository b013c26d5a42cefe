"""The model's techniques as records attached to a session note: a use-episode chain, the
parts found in voice dialogue, and the client's negative script with its rewrite.

Each is optional, zero or more per note, written in the client's words (encrypted at rest), and
has the note's life: added, edited and removed while the note is a draft by the note's author,
locked when the note is signed (the `LockedWithNote` trigger reads the note's own signed state,
hrp.immutability, and the `LockedWithNoteModel` base refuses in Python first). After signing, a
correction is an addendum to the note. A note a supervisor returns opens again with them.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.models import Client
from hrp.crypto import EncryptedTextField
from hrp.immutability import LockedWithNote, LockedWithNoteModel
from sessions.models import NoteLockedError, SessionNote, integrity_hash

# Per field: enough for what a client says about one episode or one part, not a whole note.
TECHNIQUE_TEXT_LIMIT = 5_000


class NoteTechnique(LockedWithNoteModel):
    """What the three kinds share: the note they belong to (and its client, for the chart's
    lists by client), who wrote them and when, and an integrity hash over what was written,
    set by the services on every write, so key rotation and the backup check re-verify it."""

    note = models.ForeignKey(
        SessionNote, on_delete=models.PROTECT, related_name="%(class)s_records"
    )
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # The session's start, copied from the note's appointment when the record is added (an
    # attended session does not move): the chart lists and the Timeline order by it through
    # the index (client, session_at), without joining every note of the client's history.
    session_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    content_hash = models.CharField(max_length=64, blank=True)

    # The fields the client's words are written in, in the order the page shows them.
    TEXT_FIELDS: tuple[str, ...] = ()
    # Other content the hash covers (choices).
    CHOICE_FIELDS: tuple[str, ...] = ()

    class Meta:
        abstract = True

    def content(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in (*self.TEXT_FIELDS, *self.CHOICE_FIELDS)}

    def compute_hash(self) -> str:
        return integrity_hash(
            self.content(),
            kind=self._meta.label,
            note=self.note_id,
            client=self.client_id,
            author=self.author_id,
            created_at=self.created_at.isoformat() if self.created_at else None,
        )

    def hash_verified(self) -> bool:
        return bool(self.content_hash) and self.compute_hash() == self.content_hash


def _text(label: Any, help_text: Any = "", *, client_words: bool = True) -> EncryptedTextField:
    # These records hold the client's own words: the language hint does not correct them.
    return EncryptedTextField(label, blank=True, help_text=help_text, client_words=client_words)


class UseEpisodeChain(NoteTechnique):
    """One episode of use taken apart link by link, in the client's words: what happened, the
    thought, the feeling, the impulse, what they did, and what else could have met the need
    the use met. Any link may be unknown; at least one is written."""

    event = _text(_("what happened (the event or trigger)"))
    thought = _text(_("the thought"))
    feeling = _text(_("the feeling"))
    impulse = _text(_("the impulse"))
    action = _text(_("what the client did"))
    other_ways = _text(_("what else could have met the need"))

    TEXT_FIELDS = ("event", "thought", "feeling", "impulse", "action", "other_ways")

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("use-episode chain")
        verbose_name_plural = _("use-episode chains")
        indexes = [models.Index(fields=["client", "session_at"], name="usechain_client")]
        triggers = [LockedWithNote(error=NoteLockedError)]

    def __str__(self) -> str:
        return f"Use-episode chain {self.pk}"


class VoiceDialoguePart(NoteTechnique):
    """A part of the self met in voice dialogue: the name the client gives it, where it stands
    on using, what it wants or protects, and notes."""

    class Stance(models.TextChoices):
        FOR = "for", _("For using")
        AGAINST = "against", _("Against using")
        MIXED = "mixed", _("Both, or not clear yet")

    name = _text(_("the name the client gives this part"))
    stance = models.CharField(
        _("where this part stands on using"), max_length=8, choices=Stance.choices, blank=True
    )
    wants = _text(_("what it wants or protects"))
    notes = _text(_("notes"), client_words=False)

    TEXT_FIELDS = ("name", "wants", "notes")
    CHOICE_FIELDS = ("stance",)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("voice-dialogue part")
        verbose_name_plural = _("voice-dialogue parts")
        indexes = [models.Index(fields=["client", "session_at"], name="voicepart_client")]
        triggers = [LockedWithNote(error=NoteLockedError)]

    def __str__(self) -> str:
        return f"Voice-dialogue part {self.pk}"


class ScriptRewrite(NoteTechnique):
    """The client's negative script in their own words and the rewrite worked out together
    (which may come in a later session: then it is a new record on that session's note)."""

    negative_script = _text(_("the negative script, in the client's words"))
    rewrite = _text(_("the rewrite"))

    TEXT_FIELDS = ("negative_script", "rewrite")

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("script rewrite")
        verbose_name_plural = _("script rewrites")
        indexes = [models.Index(fields=["client", "session_at"], name="scriptrewrite_client")]
        triggers = [LockedWithNote(error=NoteLockedError)]

    def __str__(self) -> str:
        return f"Script rewrite {self.pk}"
