from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from hrp import access
from hrp.accounts import selectors as account_selectors
from hrp.core import health
from hrp.supervision import selectors as supervision_selectors


def _cells(board: supervision_selectors.Board) -> list[tuple[Any, int, str]]:
    """(column, number, the list behind the number) for one dashboard row."""
    therapist = board.therapist.pk
    counts = board.counts()
    cells = []
    for column in supervision_selectors.COLUMNS:
        if column.key == "caseload":
            url = reverse("clients:supervisee_caseload", args=[therapist])
        else:
            url = reverse("supervision:column", args=[therapist, column.key.replace("_", "-")])
        cells.append((column, counts[column.key], url))
    return cells


def home(request: HttpRequest) -> HttpResponse:
    """Each role's landing page. A therapist lands on their caseload; a supervisor on the
    supervision dashboard (one row per current supervisee, see hrp/supervision/selectors.py);
    a clinic admin without a clinical role sees only account management: no clinical content
    reaches them."""
    user = request.user
    if not access.has_clinical_role(user):
        if access.is_clinic_admin(user):
            return redirect("accounts:staff_list")
        return render(request, "core/no_role.html")
    if user.is_therapist and not user.is_supervisor:
        return redirect("clients:caseload")
    context = {
        "rows": [
            (board, _cells(board)) for board in supervision_selectors.dashboard(supervisor=user)
        ],
        "columns": supervision_selectors.COLUMNS,
        "no_contact_days": supervision_selectors.no_contact_days(),
        "consent_days": supervision_selectors.consent_expiry_warning_days(),
        # A supervisor who is also a therapist keeps their own caseload and supervisor.
        "supervisor": (
            account_selectors.current_supervisor(user=user) if user.is_therapist else None
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
