"""The landing page of each role: it composes the clinical and supervision apps, so it sits
above them (see docs/ARCHITECTURE.md)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from hrp import access
from hrp.accounts import selectors as account_selectors
from supervision import selectors as supervision_selectors


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
    supervision dashboard (one row per current supervisee, see supervision/selectors.py);
    a clinic admin without a clinical role sees only account management: no clinical content
    reaches them."""
    user = request.user
    if not access.has_clinical_role(user):
        if access.is_clinic_admin(user):
            return redirect("accounts:staff_list")
        return render(request, "home/no_role.html")
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
    return render(request, "home/home.html", context)
