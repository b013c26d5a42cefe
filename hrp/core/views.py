from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from hrp import access
from hrp.accounts import selectors as account_selectors
from hrp.core import health


def home(request: HttpRequest) -> HttpResponse:
    """Each role's landing page. A clinic admin without a clinical role sees only
    account management: no clinical content reaches them."""
    user = request.user
    if not access.has_clinical_role(user):
        if access.is_clinic_admin(user):
            return redirect("accounts:staff_list")
        return render(request, "core/no_role.html")
    if user.is_therapist and not user.is_supervisor:
        return redirect("clients:caseload")
    from sessions import selectors as session_selectors

    context = {
        "supervision_counts": (
            {
                "cosign": session_selectors.cosign_queue(supervisor=user).count(),
                "late": session_selectors.late_notes(
                    therapist_ids=session_selectors.supervisee_ids(user)
                ).count(),
                "alerts": session_selectors.open_rating_alerts(user=user).count(),
            }
            if user.is_supervisor
            else None
        ),
        "supervisor": account_selectors.current_supervisor(user=user),
        "supervisees": (
            account_selectors.current_supervisees(user=user) if user.is_supervisor else []
        ),
        "nav": "home",
    }
    return render(request, "core/home.html", context)


@login_not_required
@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    db_ok, db_detail = health.database()
    broker_ok, broker_detail = health.broker()
    healthy = db_ok and broker_ok
    body = {
        "status": "ok" if healthy else "unavailable",
        "database": {"ok": db_ok, "detail": db_detail},
        "broker": {"ok": broker_ok, "detail": broker_detail},
        "beat_heartbeat_age_seconds": health.beat_heartbeat_age(),
    }
    return JsonResponse(body, status=200 if healthy else 503)
