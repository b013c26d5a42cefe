"""The liveness endpoint for load balancers and `docker compose` health checks."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from hrp.core import health


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
