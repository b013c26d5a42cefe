"""The liveness endpoint for load balancers and `docker compose` health checks, and the language
hint's terms."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from hrp.core import health
from hrp.language import hint_entries


@login_not_required
@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    db_ok, db_detail = health.database()
    broker_ok, broker_detail = health.broker()
    healthy = db_ok and broker_ok
    # An INVALID index slows queries but breaks nothing: shown, without failing the check.
    indexes_ok, invalid = health.indexes() if db_ok else (False, [])
    body = {
        "status": "ok" if healthy else "unavailable",
        "database": {"ok": db_ok, "detail": db_detail},
        "broker": {"ok": broker_ok, "detail": broker_detail},
        "indexes": {"ok": indexes_ok, "invalid": invalid},
        "beat_heartbeat_age_seconds": health.beat_heartbeat_age(),
    }
    return JsonResponse(body, status=200 if healthy else 503)


@require_GET
def language_hints(request: HttpRequest) -> JsonResponse:
    """The language hint's terms for static/hrp/language_hint.js, fetched only by a page with a
    hinted field. Pages do not carry the list: it is made of the very words a page must not
    show, and it would weigh on every page."""
    terms = [
        {"pattern": e["pattern"], "term": e["term"], "suggest": e["suggest"]}
        for e in hint_entries()
    ]
    return JsonResponse(
        {
            "terms": terms,
            "intro": _("A gentle note on wording (it does not stop you saving):"),
            # The same sentence the note says on saving (sessions/note_views.py).
            "line": _(
                "A suggestion, not a rule: instead of “%(found)s”, consider %(alternatives)s."
            ),
        },
        json_dumps_params={"ensure_ascii": False},
    )
