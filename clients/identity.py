"""The one rule for a client's legal identity (issue 21, low-threshold care).

A client may be known only by the name they choose: legal name and date of birth are optional
and added when the client chooses to share them. Nothing asks for them before it needs them;
what needs them asks then, through `require_identity`, and refuses with a message that says what
is missing and why this purpose needs it. The API is three names:

    identity_missing(client) -> list[str]       what is missing, in words a clinician reads
    require_identity(client, *, purpose)        raises IdentityRequired (a ValidationError)
    IdentityRequired                            .missing, .purpose

`purpose` is one of the keys of PURPOSES (a new purpose adds its line there, with the reason a
clinician reads). Callers check before they write anything, so a refusal stores nothing.

`identity_key` is the keyed hash that finds a possible duplicate (same legal name and date of
birth, compared normalised: case, accents and spacing ignored) with one index probe.

Merging (clients.services.client_merge) keeps the merged record as an alias: append-only tables
refuse UPDATE (hrp/immutability.py) and a signed note refuses any change, so no row is re-pointed.
Every row of both records stays where it was written (its origin is the record it points at);
the alias is read-only, left out of lists and search, and its chart links to the continuing one.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# Why each purpose needs a legal identity: the second half of the refusal's message.
PURPOSES: dict[str, Any] = {
    "attendance_report": gettext_lazy(
        "an attendance report for a mandated referral is only meaningful to the agency when it "
        "names the person they referred"
    ),
    "named_disclosure": gettext_lazy(
        "information shared with a named recipient must identify the client it is about"
    ),
    "summary_disclosure": gettext_lazy(
        "a progress summary sent to a recipient must identify the client it is about"
    ),
    "billing": gettext_lazy("a claim or superbill must name the insured person"),
    "fhir_export": gettext_lazy(
        "a record exported to another system must identify the patient it belongs to"
    ),
}


class IdentityRequired(ValidationError):
    """Refusal of an action that needs the client's legal identity. A ValidationError, so the
    views that show a service's refusal show this one the same way."""

    def __init__(self, *, missing: list[str], purpose: str) -> None:
        self.missing = missing
        self.purpose = purpose
        super().__init__(
            _(
                "This record has no %(missing)s: %(why)s. Add it on “Edit details” when the "
                "client chooses to share it; nothing else needs it."
            )
            % {"missing": _(" or ").join(missing), "why": PURPOSES[purpose]}
        )


def identity_missing(client: Any) -> list[str]:
    """What of the client's legal identity is not recorded ([] when both are)."""
    missing = []
    if not (client.legal_name or "").strip():
        missing.append(str(_("legal name")))
    if client.date_of_birth is None:
        missing.append(str(_("date of birth")))
    return missing


def require_identity(client: Any, *, purpose: str) -> None:
    """Refuse (IdentityRequired) when `purpose` (a key of PURPOSES) needs an identity the
    record lacks. Call it before anything is written."""
    if purpose not in PURPOSES:
        raise ValueError(f"unknown identity purpose {purpose!r}")
    missing = identity_missing(client)
    if missing:
        raise IdentityRequired(missing=missing, purpose=purpose)


def normalised_name(name: str) -> str:
    """A legal name as matching compares it: no accents, case folded, single spaces."""
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.casefold().split())


def identity_key(legal_name: str, date_of_birth: Any) -> str:
    """The keyed hash of a normalised legal name and date of birth, or "" when either is
    missing. Keyed (HMAC with a key derived from SECRET_KEY) so the column reveals nothing to
    someone who can guess names: `manage.py identity_keys` recomputes it after a key change."""
    name = normalised_name(legal_name or "")
    if not name or date_of_birth is None:
        return ""
    key = hashlib.sha256(b"hrp-identity-match:" + settings.SECRET_KEY.encode()).digest()
    message = f"{name}|{date_of_birth.isoformat()}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()
