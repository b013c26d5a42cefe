"""Emergency ("break-glass") access, HIPAA 164.312(a)(2)(ii): a clinician opens a client who
is not theirs by stating a reason and re-entering their password. The grant is read-only and
lasts EMERGENCY_ACCESS_HOURS; every page opened under it is audited (hrp.access answers with
the grant, `EmergencyViewAuditMiddleware` records the page); the
client's therapist and their supervisor are notified at once. A refused request grants nothing
and is audited."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from hrp import access
from hrp.accounts.models import EmergencyGrant, Supervision, User
from hrp.audit.actions import AuditAction
from hrp.audit.models import AuditEvent
from hrp.audit.services import audit_record

REASON_LIMIT = 2000


def emergency_grant(
    *, actor: User, chart_number: str, reason: str, password: str
) -> EmergencyGrant:
    """Grant `actor` read access to the client with `chart_number`. Refused (and audited as
    `emergency.grant_refused`) without a reason, with a wrong password or an unknown chart number.
    Side effects: `emergency.grant`; reminders of kind emergency_access to the client's
    therapist and their current supervisor.

    Not one transaction as a whole: the refusal's audit event must outlive the
    ValidationError that reports it (raised inside an atomic block, it would be rolled back
    with it). The grant and its side effects are one transaction (`_grant_create`)."""
    from clients.models import Client

    if not access.has_clinical_role(actor):
        raise ValidationError(_("Emergency access is for therapists and supervisors."))
    reason = reason.strip()
    errors: dict[str, str] = {}
    if not reason:
        errors["reason"] = _("Say why you need this record now.")
    elif len(reason) > REASON_LIMIT:
        errors["reason"] = _("Keep the reason under 2,000 characters.")
    if not password or not actor.check_password(password):
        errors["password"] = _("That password is not right.")
    client = Client.objects.filter(chart_number__iexact=chart_number.strip()).first()
    if client is None and "password" not in errors:
        errors["chart_number"] = _("No client has this chart number.")
    if errors:
        audit_record(
            category=AuditEvent.Category.SECURITY,
            action=AuditAction.EMERGENCY_GRANT_REFUSED,
            actor=actor,
            chart_number=client.chart_number if client else "",
            changes={"refused": (None, sorted(errors))},
        )
        raise ValidationError(errors)
    return _grant_create(actor=actor, client=client, reason=reason)


@transaction.atomic
def _grant_create(*, actor: User, client: Any, reason: str) -> EmergencyGrant:
    from notifications.models import Reminder
    from notifications.services import notify_now

    now = timezone.now()
    grant = EmergencyGrant.objects.create(
        user=actor,
        client=client,
        reason=reason,
        granted_at=now,
        expires_at=now + datetime.timedelta(hours=settings.EMERGENCY_ACCESS_HOURS),
    )
    audit_record(
        category=AuditEvent.Category.SECURITY,
        action=AuditAction.EMERGENCY_GRANT,
        actor=actor,
        obj=grant,
        chart_number=client.chart_number,
        changes={"expires_at": (None, grant.expires_at)},
    )
    recipients = []
    if client.therapist is not None and client.therapist_id != actor.pk:
        recipients.append(client.therapist)
        recipients += [
            s.supervisor
            for s in Supervision.objects.current()
            .filter(supervisee_id=client.therapist_id)
            .select_related("supervisor")
            if s.supervisor_id != actor.pk
        ]
    notify_now(
        Reminder.Kind.EMERGENCY_ACCESS,
        object_id=grant.pk,
        client_id=client.pk,
        recipients=recipients,
    )
    return grant


@transaction.atomic
def emergency_end(*, actor: User, grant: EmergencyGrant) -> None:
    """End one's own grant early. Side effect: `emergency.end`."""
    if grant.ended_at is None:
        grant.ended_at = timezone.now()
        grant.save(update_fields=["ended_at"])
        audit_record(
            category=AuditEvent.Category.SECURITY,
            action=AuditAction.EMERGENCY_END,
            actor=actor,
            obj=grant,
            chart_number=grant.client.chart_number,
        )


class EmergencyForm(forms.Form):
    # Nothing is required here: `emergency_grant` checks every field, so that a request
    # without a reason or a password is refused with its message *and* audited.
    chart_number = forms.CharField(
        label=gettext_lazy("Chart number"),
        required=False,
        widget=forms.TextInput(attrs={"maxlength": 16, "required": True}),
    )
    reason = forms.CharField(
        label=gettext_lazy("Why you need this record now"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": REASON_LIMIT, "required": True}),
        help_text=gettext_lazy(
            "Shown to the client's therapist and kept in the audit trail's record of this access."
        ),
    )
    password = forms.CharField(
        label=gettext_lazy("Your password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "required": True}),
    )


def emergency_view(request: HttpRequest) -> HttpResponse:
    access.require(request.user, "clinical.any")
    form = EmergencyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            grant = emergency_grant(
                actor=request.user,
                chart_number=form.cleaned_data["chart_number"],
                reason=form.cleaned_data["reason"],
                password=form.cleaned_data["password"],
            )
        except ValidationError as error:
            for field, field_errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, field_errors)
        else:
            messages.warning(
                request,
                _(
                    "Emergency access granted until %(time)s. Every page you open is recorded, "
                    "and the client's therapist and supervisor have been told."
                )
                % {"time": timezone.localtime(grant.expires_at).strftime("%H:%M")},
            )
            return redirect("clients:chart", pk=grant.client_id)
    grants = list(access.active_grants(request.user).select_related("client"))
    context = {
        "form": form,
        "grants": grants,
        "hours": settings.EMERGENCY_ACCESS_HOURS,
        "nav": "emergency",
    }
    return render(request, "accounts/emergency.html", context, status=400 if form.errors else 200)


@require_POST
def emergency_end_view(request: HttpRequest, pk: int) -> HttpResponse:
    access.require(request.user, "clinical.any")
    grant = get_object_or_404(
        EmergencyGrant.objects.select_related("client"), pk=pk, user=request.user
    )
    emergency_end(actor=request.user, grant=grant)
    messages.success(request, _("Emergency access ended."))
    return redirect("accounts:emergency")
