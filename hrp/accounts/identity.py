"""The one canonical form of a sign-in name (an email address).

Sign-in, the lockout counter (django-axes), account lookup and every stored email use this
form and nothing else, so that each account has exactly one spelling and one failure count
(NIST SP 800-63B 5.2.2, OWASP ASVS V2.2.1). Before, the lockout counted by `str.lower()` of
what was typed while PostgreSQL found the account case-insensitively (`iexact`, which upper-
cases and so folds look-alikes such as the dotless i, U+0131, and the long s, U+017F): every
look-alike spelling got its own five tries at the same account.

Accounts are therefore found by exact equality with the canonical form, never by a
case-insensitive comparison in the database: a look-alike that does not fold to the stored
address finds no account at all.
"""

from __future__ import annotations

import unicodedata


def canonical_email(value: str | None) -> str:
    """NFKC-normalised, case-folded (Unicode default case folding) and stripped of surrounding
    whitespace. NFKC again after folding, because folding can produce characters NFKC would
    have composed differently (the NFKC_Casefold closure, as in Unicode's own definition)."""
    folded = unicodedata.normalize("NFKC", (value or "").strip()).casefold()
    return unicodedata.normalize("NFKC", folded)
