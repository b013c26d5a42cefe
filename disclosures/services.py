"""Producing an attendance report for a referring agency and recording it as a disclosure.

The rules a report must pass, in the order they are checked (each refusal a ValidationError
with a message a clinician understands; nothing is recorded on refusal):

1. The client has a referral naming an agency. A mandate is not required: the client's written
   consent, not the mandate, is what allows a disclosure under 42 CFR Part 2, and a voluntary
   referral (an employee assistance programme the client went to on their own) may still ask
   for attendance. The report goes only to the referral's agency.
2. The consent belongs to the client, is in force today (effective, not expired, not revoked),
   allows attendance to be disclosed, and names the agency (selectors.valid_consents_for_report).
3. The period ends on or after its start, not after today, and covers at most one year.

The report's content is built by `disclosures.report.build_report` from attendance rows
and identity only; see that module for why clinical content cannot reach it.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clients.identity import require_identity
from clients.models import Client, Consent
from disclosures import report as report_module
from disclosures import selectors
from disclosures.models import Disclosure
from disclosures.report import AttendanceReport
from hrp import bounds, formats
from hrp.accounts.models import User
from hrp.audit.actions import AuditAction
from hrp.audit.models import AuditEvent
from hrp.audit.services import audit_record


def _date(value: datetime.date) -> str:
    return formats.date(value)


def one_year_after(start: datetime.date) -> datetime.date:
    """The same calendar day a year later (29 February -> 1 March)."""
    try:
        return start.replace(year=start.year + 1)
    except ValueError:
        return datetime.date(start.year + 1, 3, 1)


def last_day_allowed(start: datetime.date) -> datetime.date:
    """A period covers at most one year: 1 January to 31 December, not to the next 1 January."""
    return one_year_after(start) - datetime.timedelta(days=1)


def check_period(*, start: datetime.date, end: datetime.date, today: datetime.date) -> None:
    bounds.PERIOD.check(start, today=today)
    if end < start:
        raise ValidationError(_("The end of the period must be on or after its start."))
    if end > today:
        raise ValidationError(
            _("The period cannot end after today: a report covers only what has happened.")
        )
    if end > last_day_allowed(start):
        raise ValidationError(
            _("A report covers at most one year: choose an end on or before %(last)s.")
            % {"last": _date(last_day_allowed(start))}
        )


def check_agency(*, client: Client) -> str:
    agency = selectors.referral_agency(client)
    if not agency:
        raise ValidationError(
            _(
                "An attendance report goes only to a referring agency, and this client's "
                "referral names none."
            )
        )
    return agency


def check_consent(*, client: Client, consent: Consent, agency: str, today: datetime.date) -> None:
    """Refuse a consent that does not allow this report today, saying why."""
    if consent.client_id != client.pk:
        raise ValidationError(_("This consent belongs to another client's record."))
    check_in_force(consent=consent, today=today)
    if consent.scope not in selectors.ATTENDANCE_SCOPES:
        raise ValidationError(
            _(
                "This consent allows “%(scope)s”, not attendance: an attendance report needs a "
                "consent to disclose attendance."
            )
            % {"scope": consent.get_scope_display()}
        )
    if agency.casefold() not in consent.recipient.casefold():
        raise ValidationError(
            _("This consent names “%(recipient)s”, not the referring agency (%(agency)s).")
            % {"recipient": consent.recipient, "agency": agency}
        )


def attendance_report_prepare(
    *,
    client: Client,
    consent: Consent,
    start: datetime.date,
    end: datetime.date,
    today: datetime.date | None = None,
) -> AttendanceReport:
    """Check every rule and build the report, without recording anything (the preview).
    Raises ValidationError when the report may not be produced."""
    today = today or timezone.localdate()
    agency = check_agency(client=client)
    # Asked here, not at intake (issue 21): the agency needs the person it referred named.
    require_identity(client, purpose="attendance_report")
    check_consent(client=client, consent=consent, agency=agency, today=today)
    check_period(start=start, end=end, today=today)
    return report_module.build_report(
        clinic_name=settings.CLINIC_NAME,
        client=selectors.client_identity(client),
        agency=agency,
        period_start=start,
        period_end=end,
        rows=selectors.attendance_rows(client, start, end),
    )


@transaction.atomic
def attendance_report(
    *,
    actor: User,
    client: Client,
    consent: Consent,
    start: datetime.date,
    end: datetime.date,
) -> tuple[Disclosure, bytes]:
    """Produce the attendance report PDF for the referring agency and record the disclosure.

    Side effects: a `Disclosure` row (who, recipient copied from the consent, what, period,
    counts, when, consent, the PDF's SHA-256) and an audit event `disclosure.attendance_report`
    carrying only the consent id, period and hash (no clinical content, no agency name).
    Refuses with ValidationError, recording nothing, per the module's rules.
    """
    # Lock the consent row so that a revocation recorded at the same moment either lands
    # before (and this refuses) or after (and this disclosure happened under a valid consent).
    consent = Consent.objects.select_for_update().get(pk=consent.pk)
    report = attendance_report_prepare(client=client, consent=consent, start=start, end=end)
    pdf = report_module.render_pdf(report)
    counts = report.counts
    disclosure = Disclosure(
        client=client,
        consent=consent,
        recipient=consent.recipient,
        what=Disclosure.What.ATTENDANCE_REPORT,
        period_start=start,
        period_end=end,
        disclosed_by=actor,
        sha256=hashlib.sha256(pdf).hexdigest(),
        **counts.as_dict(),
    )
    disclosure.full_clean()
    disclosure.save()
    audit_record(
        category=AuditEvent.Category.ACCESS,
        action=AuditAction.DISCLOSURE_ATTENDANCE_REPORT,
        actor=actor,
        obj=disclosure,
        chart_number=client.chart_number,
        changes={
            "consent": (None, consent.pk),
            "period_start": (None, start.isoformat()),
            "period_end": (None, end.isoformat()),
            "sha256": (None, disclosure.sha256),
        },
    )
    return disclosure, pdf


def check_referral_consent(
    *, client: Client, consent: Consent | None, recipient: str, today: datetime.date
) -> None:
    """Refuse sharing information with `recipient` under `consent` today, saying why."""
    recipient = recipient.strip()
    if not recipient:
        raise ValidationError(
            _("Name the organisation or provider before sharing information with it.")
        )
    require_identity(client, purpose="named_disclosure")
    if consent is None:
        raise ValidationError(
            _(
                "No consent in force allows information to be shared with %(recipient)s. Record "
                "the client's written consent (on the Consents tab) first, or refer without "
                "sharing information."
            )
            % {"recipient": recipient}
        )
    if consent.client_id != client.pk:
        raise ValidationError(_("This consent belongs to another client's record."))
    check_in_force(consent=consent, today=today)
    if consent.scope not in selectors.REFERRAL_SCOPES:
        raise ValidationError(
            _(
                "This consent allows “%(scope)s”: sharing information with a referral needs a "
                "consent to disclose a treatment summary or described information."
            )
            % {"scope": consent.get_scope_display()}
        )
    if recipient.casefold() not in consent.recipient.casefold():
        raise ValidationError(
            _("This consent names “%(recipient)s”, not %(provider)s.")
            % {"recipient": consent.recipient, "provider": recipient}
        )
    refusal = consent.scope_refusal()
    if refusal:
        raise ValidationError(refusal)


def check_in_force(*, consent: Consent, today: datetime.date) -> None:
    """Refuse a consent that is revoked, expired or not yet in force today, saying why."""
    if consent.revoked_on:
        raise ValidationError(
            _("This consent was revoked on %(date)s: nothing may be disclosed under it.")
            % {"date": _date(consent.revoked_on)}
        )
    if consent.expires_on < today:
        raise ValidationError(
            _("This consent expired on %(date)s: nothing may be disclosed under it.")
            % {"date": _date(consent.expires_on)}
        )
    if consent.effective_on > today:
        raise ValidationError(
            _("This consent is not in force until %(date)s.")
            % {"date": _date(consent.effective_on)}
        )


def check_summary_consent(*, client: Client, consent: Consent | None, today: datetime.date) -> None:
    """Refuse sending the client's progress summary under `consent` today, saying why."""
    require_identity(client, purpose="summary_disclosure")
    if consent is None:
        raise ValidationError(
            _(
                "No consent in force allows a progress summary to leave the clinic. Record the "
                "client's written consent to disclose a treatment summary (on the Consents tab) "
                "first, or download it for the clinic's own use."
            )
        )
    if consent.client_id != client.pk:
        raise ValidationError(_("This consent belongs to another client's record."))
    check_in_force(consent=consent, today=today)
    if consent.scope not in selectors.SUMMARY_SCOPES:
        raise ValidationError(
            _(
                "This consent allows “%(scope)s”: a progress summary needs a consent to "
                "disclose a treatment summary."
            )
            % {"scope": consent.get_scope_display()}
        )
    refusal = consent.scope_refusal()
    if refusal:
        raise ValidationError(refusal)


def document_disclosure_record(
    *,
    actor: User,
    client: Client,
    consent: Consent,
    what: str,
    action: str,
    document: bytes,
    period_start: datetime.date,
    period_end: datetime.date,
    audit_period: bool = True,
) -> Disclosure:
    """Record that `document` left the clinic under `consent`: the one shape of a document's
    disclosure (a progress summary, a superbill or billing CSV, a FHIR record), called by each
    exporting service after its own checks, inside its transaction. Side effects: a
    `Disclosure` (the recipient as the consent names them, the period, no attendance counts,
    the document's SHA-256) and an access event `action` carrying only the consent id, the
    period (unless `audit_period` is False) and the hash."""
    disclosure = Disclosure(
        client=client,
        consent=consent,
        recipient=consent.recipient,
        what=what,
        period_start=period_start,
        period_end=period_end,
        scheduled=0,
        attended=0,
        cancelled_by_client=0,
        cancelled_by_clinic=0,
        missed=0,
        not_recorded=0,
        moved=0,
        disclosed_by=actor,
        sha256=hashlib.sha256(document).hexdigest(),
    )
    disclosure.full_clean()
    disclosure.save()
    changes: dict[str, tuple[Any, Any]] = {"consent": (None, consent.pk)}
    if audit_period:
        changes["period_start"] = (None, period_start.isoformat())
        changes["period_end"] = (None, period_end.isoformat())
    changes["sha256"] = (None, disclosure.sha256)
    audit_record(
        category=AuditEvent.Category.ACCESS,
        action=action,
        actor=actor,
        obj=disclosure,
        chart_number=client.chart_number,
        changes=changes,
    )
    return disclosure


@transaction.atomic
def summary_disclosure_record(
    *,
    actor: User,
    client: Client,
    consent: Consent,
    period_start: datetime.date,
    period_end: datetime.date,
    render: Callable[[Consent], bytes],
) -> tuple[Disclosure, bytes]:
    """Produce a progress summary for the recipient of `consent` and record the disclosure.

    `render(consent)` makes the document (the summaries app's PDF with the recipient and the
    redisclosure notice); it runs after every check, under the consent's row lock, so a
    revocation recorded at the same moment lands wholly before (and this refuses) or after.
    Side effects: a `Disclosure` (what "progress summary", the consent, the recipient as the
    consent names them, the summary's period, the PDF's SHA-256) and an audit event
    `disclosure.progress_summary` carrying only the consent id, period and hash. Refuses with
    ValidationError, recording nothing, per check_summary_consent."""
    consent = Consent.objects.select_for_update().get(pk=consent.pk)
    check_summary_consent(client=client, consent=consent, today=timezone.localdate())
    pdf = render(consent)
    disclosure = document_disclosure_record(
        actor=actor,
        client=client,
        consent=consent,
        what=Disclosure.What.PROGRESS_SUMMARY,
        action=AuditAction.DISCLOSURE_PROGRESS_SUMMARY,
        document=pdf,
        period_start=period_start,
        period_end=period_end,
    )
    return disclosure, pdf


def referral_document(shared: str) -> str:
    """What leaves the clinic with a referral: the information shared, then the redisclosure
    notice that must travel with every disclosure (42 CFR §2.32)."""
    return f"{shared.strip()}\n\n{report_module.REDISCLOSURE_NOTICE}"


@transaction.atomic
def referral_disclosure_record(
    *,
    actor: User,
    client: Client,
    consent: Consent | None,
    recipient: str,
    shared: str,
    at: datetime.datetime | None = None,
) -> Disclosure:
    """Record information about the client shared with a referral's provider, under a consent
    in force that names them (check_referral_consent).

    Side effects: a `Disclosure` (what "referral", the consent, the recipient as the consent
    names them, what was shared, the SHA-256 of the document with the redisclosure notice)
    and an audit event `disclosure.referral` carrying only the consent id and the hash.
    Refuses with ValidationError, recording nothing, when no consent allows it or nothing is
    described. `at` backdates it with the referral step it belongs to (the demo clinic)."""
    at = at or timezone.now()
    today = timezone.localdate(at)
    if consent is not None:
        # Locked, as for an attendance report: a revocation recorded at the same moment lands
        # wholly before (and this refuses) or after.
        consent = Consent.objects.select_for_update().get(pk=consent.pk)
    check_referral_consent(client=client, consent=consent, recipient=recipient, today=today)
    assert consent is not None  # checked above
    if not shared.strip():
        raise ValidationError(_("Describe what information is shared with the referral."))
    document = referral_document(shared)
    disclosure = Disclosure(
        client=client,
        consent=consent,
        recipient=consent.recipient,
        what=Disclosure.What.REFERRAL,
        period_start=today,
        period_end=today,
        scheduled=0,
        attended=0,
        cancelled_by_client=0,
        cancelled_by_clinic=0,
        missed=0,
        not_recorded=0,
        moved=0,
        disclosed_by=actor,
        disclosed_at=at,
        sha256=hashlib.sha256(document.encode()).hexdigest(),
        shared=shared.strip(),
    )
    disclosure.full_clean()
    disclosure.save()
    audit_record(
        category=AuditEvent.Category.ACCESS,
        action=AuditAction.DISCLOSURE_REFERRAL,
        actor=actor,
        obj=disclosure,
        chart_number=client.chart_number,
        changes={"consent": (None, consent.pk), "sha256": (None, disclosure.sha256)},
    )
    return disclosure
