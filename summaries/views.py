"""Progress summaries: the chart's Summaries tab (ask for one, follow its progress, open or
download it, try again), the summary page and PDF, and a supervisor's caseload summary.

Every object comes through an access helper (chart_client / selectors.summary_for, which
apply hrp.access): whoever may not read the client's chart gets 404. Pages and downloads that
show a summary are audited as ACCESS events; the status fragment polled every second shows no
clinical content and is not (it would write an event a second).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clients import selectors as client_selectors
from clients.views import render_chart_section
from disclosures import selectors as disclosure_selectors
from hrp import access, formats
from hrp.audit.actions import AuditAction
from hrp.audit.models import AuditEvent
from hrp.audit.services import audit_record
from summaries import selectors, services
from summaries.forms import DownloadForm, PeriodForm
from summaries.models import SummaryRequest


def chart_section(request: HttpRequest, pk: int) -> HttpResponse:
    """The chart's Summaries tab; a POST asks for a new summary of the chosen period."""
    client, can = client_selectors.chart_client(user=request.user, pk=pk)
    if request.method == "POST" and not can.care:
        # Read under an emergency grant: the tab is readable, asking for a summary is not.
        raise PermissionDenied
    form = PeriodForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.summary_request(
            actor=request.user,
            client=client,
            period_start=form.cleaned_data["period_start"],
            period_end=form.cleaned_data["period_end"],
        )
        messages.success(request, _("Summary requested. It is being prepared below."))
        return redirect("summaries:section", pk=client.pk)
    return render_chart_section(
        request,
        pk,
        "summaries",
        client=client,
        can=can,
        form=form,
        summaries=list(selectors.summaries_for(client)),
    )


def summary_status(request: HttpRequest, summary_pk: int) -> HttpResponse:
    """The status fragment htmx polls while a summary is queued or being prepared."""
    summary, can = selectors.summary_for(request.user, summary_pk)
    return render(request, "summaries/_status.html", {"summary": summary, "can": can})


def _audit(request: HttpRequest, summary: SummaryRequest, action: AuditAction) -> None:
    audit_record(
        category=AuditEvent.Category.ACCESS,
        action=action,
        actor=request.user,
        obj=summary,
        chart_number=summary.client.chart_number if summary.client else "",
    )


def summary_detail(request: HttpRequest, summary_pk: int) -> HttpResponse:
    """A prepared summary as a page: the same HTML the PDF was made from."""
    summary, _can = selectors.summary_for(request.user, summary_pk, with_bytes=True)
    body = summary.html_body()
    if body is None:
        raise Http404
    _audit(request, summary, AuditAction.SUMMARY_VIEW)
    context = {
        "summary": summary,
        "client": summary.client,
        # Rendered by our own template with autoescaping when it was prepared, and stored
        # encrypted (only the key holder could alter it), so it is shown as it was made.
        "body": body,
        "nav": "caseload" if summary.client else "home",
    }
    return render(request, "summaries/summary_detail.html", context)


def _filename(summary: SummaryRequest) -> str:
    # Chart number and dates only: a file name travels (downloads folder, email) where a
    # client's name must not.
    period = f"{formats.iso_date(summary.period_start)}-to-{formats.iso_date(summary.period_end)}"
    if summary.client is None:
        return f"caseload-summary-{period}.pdf"
    return f"progress-summary-{summary.client.chart_number}-{period}.pdf"


def _pdf_response(pdf: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


def _pdf_failed(request: HttpRequest, summary: SummaryRequest) -> HttpResponse:
    messages.error(
        request,
        _(
            "The PDF could not be made just now. The summary is shown below; "
            "please try the download again later."
        ),
    )
    return redirect("summaries:detail", summary_pk=summary.pk)


def summary_pdf(request: HttpRequest, summary_pk: int) -> HttpResponse:
    """Downloading a summary's PDF, only once done and intact (hashes checked); 404 in any
    other state. A monthly summary's PDF is made on its first download.

    A client's progress summary that leaves the clinic is a disclosure, so its download asks
    first (GET shows the question, POST answers it): for the clinic's own use (the stored PDF,
    services.summary_download), or for a recipient under a consent in force allowing a
    treatment summary (a copy with the redisclosure notice, recorded in the accounting of
    disclosures, services.summary_disclose). A caseload summary covers many clients and is
    never disclosed: it downloads at once."""
    summary, can = selectors.summary_for(request.user, summary_pk, with_bytes=True)
    if summary.client is not None and summary.html_body() is None:
        raise Http404
    if summary.client is None:
        try:
            pdf = services.summary_download(actor=request.user, summary=summary)
        except services.SummaryPdfFailed:
            return _pdf_failed(request, summary)
        if pdf is None:
            raise Http404
        return _pdf_response(pdf, _filename(summary))
    consents = (
        list(disclosure_selectors.valid_consents_for_summary(summary.client, timezone.localdate()))
        if can.write
        else []
    )
    form = DownloadForm(
        request.POST if request.method == "POST" else None,
        consents=consents,
        may_disclose=can.write,
    )
    if request.method == "POST" and form.is_valid():
        try:
            if form.cleaned_data["purpose"] == DownloadForm.OWN_USE:
                pdf = services.summary_download(actor=request.user, summary=summary)
                filename = _filename(summary)
            else:
                pdf = services.summary_disclose(
                    actor=request.user, summary=summary, consent=form.cleaned_data["consent"]
                )
                filename = _filename(summary).replace(".pdf", "-disclosed.pdf")
        except services.SummaryPdfFailed:
            return _pdf_failed(request, summary)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if pdf is None:
                raise Http404
            return _pdf_response(pdf, filename)
    context = {
        "summary": summary,
        "client": summary.client,
        "form": form,
        "consents": consents,
        "can": can,
        "nav": "caseload",
    }
    return render(request, "summaries/summary_download.html", context)


@require_POST
def summary_retry(request: HttpRequest, summary_pk: int) -> HttpResponse:
    summary, can = selectors.summary_for(request.user, summary_pk)
    if not can.care:
        raise PermissionDenied
    try:
        services.summary_retry(actor=request.user, summary=summary)
    except ValidationError as error:
        messages.info(request, " ".join(error.messages))
    else:
        messages.success(request, _("Trying again. The summary is being prepared below."))
    if summary.client_id:
        return redirect("summaries:section", pk=summary.client_id)
    return redirect("summaries:caseload")


def caseload(request: HttpRequest) -> HttpResponse:
    """A supervisor's caseload summary: every current supervisee's clients with the period's
    key counts. A POST with "show" changes the period; with "prepare" it asks for a PDF."""
    access.require(request.user, "clients.supervise")
    form = PeriodForm(request.POST or None)
    start, end = selectors.default_period()
    if request.method == "POST" and form.is_valid():
        start, end = form.cleaned_data["period_start"], form.cleaned_data["period_end"]
        if "prepare" in request.POST:
            services.caseload_summary_request(
                actor=request.user, period_start=start, period_end=end
            )
            messages.success(request, _("Caseload summary requested. It is being prepared below."))
            return redirect("summaries:caseload")
    audit_record(
        category=AuditEvent.Category.ACCESS,
        action=AuditAction.SUMMARY_VIEW_CASELOAD,
        actor=request.user,
    )
    context = {
        "form": form,
        "rows": selectors.caseload_summary(request.user, start, end),
        "start": start,
        "end": end,
        "summaries": list(selectors.caseload_summaries_for(request.user)),
        "nav": "home",
    }
    return render(request, "summaries/caseload.html", context)
