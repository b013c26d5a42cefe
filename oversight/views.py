"""The clinic admin's oversight pages. Every view is for clinic admins only; anyone else gets
404 (hrp.access.require), as for any page of a role they do not hold.

Filters are posted and kept in the session (see oversight/filters.py for why), so the
audit viewer's URL carries at most a keyset cursor.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from hrp import access, formats
from hrp.audit.models import AuditEvent
from hrp.spreadsheet import safe_cell
from oversight import selectors, services
from oversight.filters import NO_ACTOR, SESSION_KEY, AuditFilters, Cursor
from oversight.forms import AuditFilterForm

RULE = "accounts.manage_staff"
CSV_HEADER = [
    "time",
    "actor email",
    "category",
    "action",
    "chart number",
    "object type",
    "object id",
    "changed field names",
]


def _session_filters(request: HttpRequest) -> AuditFilters:
    return AuditFilters.from_session(request.session.get(SESSION_KEY))


@require_http_methods(["GET", "POST"])
def audit_trail(request: HttpRequest) -> HttpResponse:
    """The audit trail, filtered by user, client, action and dates, newest first, a keyset
    page at a time. POST sets (or clears) the filters and redirects; GET shows a page."""
    access.require(request.user, RULE)
    actions = selectors.known_actions()
    filters = _session_filters(request)
    if request.method == "POST":
        if "clear" in request.POST:
            request.session.pop(SESSION_KEY, None)
            return redirect("oversight:audit_trail")
        form = AuditFilterForm(request.POST, actions=actions)
        if form.is_valid():
            request.session[SESSION_KEY] = form.filters().to_session()
            return redirect("oversight:audit_trail")
        context = {"form": form, "page": None, "filters": filters, "nav": "audit"}
        # 200 like every other refused form here: the page explains what to fix.
        return render(request, "oversight/audit_trail.html", context)

    initial: dict[str, Any] = filters.to_session()
    # The filters keep the account's pk; the form shows its email (one query, only when set).
    initial["nobody"] = filters.actor == NO_ACTOR
    initial["actor"] = (
        "" if filters.actor in ("", NO_ACTOR) else selectors.staff_email(filters.actor)
    )
    form = AuditFilterForm(initial=initial, actions=actions)
    page = selectors.audit_page(
        filters,
        older_than=Cursor.decode(request.GET.get("older")),
        newer_than=Cursor.decode(request.GET.get("newer")),
    )
    charts = selectors.client_pks_for_charts({r["chart_number"] for r in page.rows} - {""})
    labels = dict(AuditEvent.Category.choices)
    for row in page.rows:
        row["category_label"] = labels.get(row["category"], row["category"])
        row["client_pk"] = charts.get(row["chart_number"])
    context = {"form": form, "page": page, "filters": filters, "nav": "audit"}
    return render(request, "oversight/audit_trail.html", context)


class _Echo:
    """A file-like object whose write() returns the line, for csv.writer in a generator."""

    def write(self, value: str) -> str:
        return value


def _csv_lines(filters: AuditFilters, *, export_event_id: int) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_HEADER)
    tz = timezone.get_current_timezone()
    # One query, read in chunks through a server-side cursor: memory stays flat however many
    # rows match.
    # The export's own record is left out: the file holds the trail as it was when asked for.
    rows = selectors.audit_rows(filters).exclude(pk=export_event_id)
    for row in rows.iterator(chunk_size=2000):
        yield writer.writerow(
            [
                safe_cell(v)
                for v in (
                    row["at"].astimezone(tz).isoformat(timespec="seconds"),
                    row["actor__email"],
                    row["category"],
                    row["action"],
                    row["chart_number"],
                    row["object_type"],
                    row["object_id"],
                    row["changed_fields"],
                )
            ]
        )


@require_POST
def audit_export(request: HttpRequest) -> StreamingHttpResponse:
    """The filtered trail as CSV, streamed. POST: the export is itself an audited action."""
    access.require(request.user, RULE)
    filters = _session_filters(request)
    event = services.audit_export_record(actor=request.user, filters=filters)
    stamp = formats.local_stamp(timezone.now())
    response = StreamingHttpResponse(
        _csv_lines(filters, export_event_id=event.pk), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="audit-trail-{stamp}.csv"'
    response["Cache-Control"] = "no-store"
    return response


def client_access(request: HttpRequest, pk: int) -> HttpResponse:
    """Who viewed or changed one client's record, and every disclosure from it; printable."""
    client = access.client_for_admin(request.user, pk)
    report = selectors.client_access_report(chart_number=client.chart_number)
    services.access_report_view_record(actor=request.user, chart_number=client.chart_number)
    labels = dict(AuditEvent.Category.choices)
    for row in report.events:
        row["category_label"] = labels.get(row["category"], row["category"])
    context = {
        "client": client,
        "report": report,
        "holders": access.holders(client),
        "generated_at": timezone.now(),
        "nav": "audit",
    }
    return render(request, "oversight/client_access.html", context)


def user_activity(request: HttpRequest) -> HttpResponse:
    """Every staff account: last sign-in, lockout (with unlock), two-factor, deactivation."""
    access.require(request.user, RULE)
    rows = selectors.staff_activity()
    context = {
        "rows": rows,
        "locked_count": sum(r.locked for r in rows),
        "without_two_factor_count": sum(
            not r.account.two_factor_enrolled for r in rows if r.account.is_active
        ),
        "deactivated_count": sum(not r.account.is_active for r in rows),
        "nav": "user_activity",
    }
    return render(request, "oversight/user_activity.html", context)


@require_POST
def user_unlock(request: HttpRequest, pk: int) -> HttpResponse:
    account = access.staff_account_for(request.user, pk)
    if services.account_unlock(actor=request.user, user=account):
        messages.success(
            request,
            _("%(name)s can sign in again. Their failed attempts were cleared.")
            % {"name": account.full_name},
        )
    else:
        messages.info(request, _("%(name)s was not locked out.") % {"name": account.full_name})
    return redirect("oversight:user_activity")
