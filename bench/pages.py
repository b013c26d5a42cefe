"""The pages the benchmark measures and the profiler profiles: every main page of each role,
on the generated clinic's first therapist, supervisor and admin."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count

from clients.models import Client
from hrp.accounts.models import User
from sessions.models import SessionNote


@dataclass
class Page:
    role: str
    label: str
    path: str
    floor: str
    floor_query: str = ""


def pages() -> tuple[list[Page], dict[str, str]]:
    """Every main page of each role, on the generated clinic's first therapist, supervisor and
    admin; the chart pages on that therapist's active client with the longest history."""
    therapist = User.objects.get(email__startswith="therapist1@")
    supervisor = User.objects.get(email__startswith="supervisor1@")
    admin = User.objects.get(email__startswith="admin@")
    client = (
        Client.objects.filter(therapist=therapist, status=Client.Status.ACTIVE)
        .annotate(n=Count("appointments"))
        .order_by("-n", "id")
        .first()
    )
    note = (
        SessionNote.objects.filter(client=client, signed_at__isnull=False)
        .order_by("-signed_at")
        .first()
    )
    supervisee = supervisor.supervisions_given.filter(ended_at__isnull=True).first().supervisee_id
    c, n, q = client.pk, note.pk, f"client={client.pk}"
    listed = [
        Page("therapist", "Caseload (home)", "/clients/", "caseload"),
        Page("therapist", "Chart overview", f"/clients/{c}/", "chart", q),
        Page("therapist", "Plan section", f"/clients/{c}/plan/", "plan", q),
        Page("therapist", "Chart sessions", f"/clients/{c}/sessions/", "sessions", q),
        Page("therapist", "Chart assessments", f"/clients/{c}/assessments/", "assessments", q),
        Page("therapist", "Signed note", f"/clients/{c}/notes/{n}/", "note", f"note={n}"),
        Page("therapist", "Notes list", "/notes/", "notes"),
        Page(
            "therapist", "Calendar (week)", f"/schedule/clinicians/{therapist.pk}/week/", "calendar"
        ),
        Page("therapist", "Measures due", "/measures/due/", "measures_due"),
        Page("therapist", "Reviews due", "/goals/reviews-due/", "reviews_due"),
        Page("supervisor", "Supervisor dashboard", "/", "dashboard"),
        Page(
            "supervisor",
            "Supervisee caseload",
            f"/clients/caseload/{supervisee}/",
            "caseload",
            f"therapist={supervisee}",
        ),
        Page("supervisor", "Co-signature queue", "/notes/cosign/", "cosign"),
        Page("supervisor", "Supervision meetings", "/supervision/meetings/", "meetings"),
        Page("admin", "Audit viewer (first page)", "/oversight/audit/", "audit"),
        Page("admin", "Staff accounts", "/account/staff/", "staff"),
    ]
    emails = {"therapist": therapist.email, "supervisor": supervisor.email, "admin": admin.email}
    return listed, emails
