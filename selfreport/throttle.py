"""Throttling of the link pages, which anyone may reach without signing in: a count per token
and per address in the cache (Redis), over a fixed window. The token's hash, never the token,
names its counter. With the cache down the pages still work (a lost counter only lets a few
more requests through; the token's 256 bits are what keeps guessing out)."""

from __future__ import annotations

import logging

from django.core.cache import cache

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 600
PER_TOKEN = 30  # a client opening, correcting and sending one form needs a handful
PER_ADDRESS = 60  # several people behind one address (a shelter's wifi)


def _hit(key: str) -> int:
    try:
        cache.add(key, 0, WINDOW_SECONDS)
        return int(cache.incr(key))
    except Exception as error:  # cache down: let the request through (see above)
        logger.warning("self-report throttle unavailable: %s", type(error).__name__)
        return 0


def allowed(*, token_hash: str, address: str | None) -> bool:
    """Count this request; False once either the token or the address is over its limit."""
    over_token = _hit(f"selfreport:t:{token_hash}") > PER_TOKEN
    over_address = _hit(f"selfreport:a:{address or '-'}") > PER_ADDRESS
    return not (over_token or over_address)
