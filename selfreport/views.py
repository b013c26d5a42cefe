"""The client's link page (no sign-in: the token is the only key) and the clinician's page of
links in the chart.

The client's page shows nothing of the record: only the questions of the measure the link is
for, and after sending a plain thank-you (with the clinic's crisis lines after an answer that
speaks of self-harm). It is answered in the link's language, works without JavaScript, and is
throttled per token and per address (selfreport/throttle.py). Its audit events carry a neutral
path, never the token.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from clients.models import Client
from goals import selectors as goal_selectors
from hrp import access
from hrp.accounts.middleware import two_factor_exempt
from hrp.audit.context import audit_context, client_ip
from hrp.clinic import clinic_setting
from selfreport import kinds, selectors, services, throttle
from selfreport.forms import PlanShareForm, ScheduleForm, SendLinkForm
from selfreport.models import ClientLink, LinkSchedule, PlanShare
from selfreport.services import LinkUnavailable
from sessions.models import Appointment

AUDIT_PATH = "/r/(link)/"
PLAN_AUDIT_PATH = "/p/(link)/"


def _unavailable(request: HttpRequest, state: str, status: int) -> HttpResponse:
    # Shown in English and Spanish: a wrong or spent token tells us nothing of the client.
    return render(request, "selfreport/unavailable.html", {"state": state}, status=status)


@login_not_required
@two_factor_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def answer(request: HttpRequest, token: str) -> HttpResponse:
    """The client's page: the questions, then a thank-you."""
    if not throttle.allowed(token_hash=services.token_hash(token), address=client_ip(request)):
        return _unavailable(request, "throttled", 429)
    with audit_context(path=AUDIT_PATH, ip_address=client_ip(request)):
        try:
            if request.method == "POST":
                return _submit(request, token)
            link = services.link_open(token=token)
        except LinkUnavailable as refused:
            return _unavailable(request, refused.state, 404 if refused.state == "unknown" else 410)
    with translation.override(link.language):
        return _page(request, link, data=None, error=None)


def _page(
    request: HttpRequest,
    link: ClientLink,
    *,
    data: Mapping[str, str] | None,
    error: ValidationError | None,
) -> HttpResponse:
    spec = kinds.kind_of(link)
    context = spec.page_context(link, data, error)
    return render(request, spec.template, {**context, "lang": link.language, "kind": spec.key})


def _submit(request: HttpRequest, token: str) -> HttpResponse:
    link = services.link_for_token(token)
    spec = kinds.kind_of(link)
    with translation.override(link.language):
        data = request.POST
        try:
            link, result = services.link_submit(token=token, answers=data)
        except ValidationError as error:
            return _page(request, link, data=data, error=error)
        except kinds.Tampered as refused:
            return HttpResponseBadRequest(str(refused))
        return render(
            request,
            "selfreport/thanks.html",
            {
                "lang": link.language,
                "kind": spec.key,
                "crisis_lines": "",
                **spec.thanks_context(link, result),
            },
        )


def links(request: HttpRequest, pk: int) -> HttpResponse:
    """The clinician's page: the links sent to the client, what came back, and a form to send a
    new one. Opening it as the treating clinician marks what the client sent as seen."""
    client, can = access.client_for(request.user, pk)
    if request.method == "POST" and not can.write:
        raise PermissionDenied
    form = _send_form(client, request.POST if request.method == "POST" else None, can)
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            appointment = (
                Appointment.objects.filter(client=client, pk=data["appointment"]).first()
                if data["appointment"]
                else None
            )
            try:
                services.link_send(
                    actor=request.user,
                    client=client,
                    kind=data["kind"],
                    measure_code=data["measure_code"] if data["kind"] == "measure" else "",
                    appointment=appointment,
                    week=data["week"],
                    language=data["language"],
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("The link is on its way to the client."))
                return redirect("selfreport:links", pk=client.pk)
    elif can.write:
        services.links_mark_seen(actor=request.user, client=client)
    return _links_page(
        request,
        client,
        can,
        form=form,
        schedule_form=ScheduleForm(
            prefix="schedule", initial={"language": client.preferred_language}
        ),
    )


def _send_form(
    client: Client, data: Mapping[str, str] | None, can: access.ClientAccess
) -> SendLinkForm:
    # The attended sessions are listed only for those who may send (one query).
    sessions = kinds.sessions_to_rate(client) if can.write else []
    # The client's language is where a link starts (Client.preferred_language).
    return SendLinkForm(
        data,
        kinds=kinds.send_choices(),
        sessions=sessions,
        initial={"language": client.preferred_language},
    )


def _links_page(
    request: HttpRequest,
    client: Client,
    can: access.ClientAccess,
    *,
    form: SendLinkForm,
    schedule_form: ScheduleForm,
    share_form: PlanShareForm | None = None,
    status: int = 200,
) -> HttpResponse:
    current = selectors.current_plan_versions(client)
    shareable = [kind for kind, version in current.items() if version is not None]
    if share_form is None:
        share_form = PlanShareForm(
            prefix="share", kinds=shareable, initial={"language": client.preferred_language}
        )
    shares = selectors.plan_shares_for_chart(client)
    for share in shares:
        # Whether the client still reads the plan as it is now (else: share it again).
        latest = current[share.kind]
        share.is_current = latest is not None and latest.pk == share.version.pk
    return render(
        request,
        "selfreport/links.html",
        {
            "client": client,
            "can": can,
            "form": form,
            "schedule_form": schedule_form,
            "share_form": share_form,
            "links": selectors.links_for_chart(client),
            "schedules": selectors.schedules_for_chart(client),
            "shares": shares,
        },
        status=status,
    )


@require_POST
def schedule(request: HttpRequest, pk: int) -> HttpResponse:
    """Send a measure by itself: every few weeks, or a few days before each booked session."""
    client, can = access.client_for(request.user, pk, write=True)
    form = ScheduleForm(request.POST, prefix="schedule")
    if form.is_valid():
        try:
            services.schedule_create(
                actor=request.user,
                client=client,
                measure_code=form.cleaned_data["measure_code"],
                language=form.cleaned_data["language"],
                timing=form.cleaned_data["timing"],
                every_weeks=form.cleaned_data["every_weeks"],
                days_before=form.cleaned_data["days_before"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if form.cleaned_data["timing"] == LinkSchedule.Timing.BEFORE_SESSION:
                messages.success(
                    request, _("A link will go out before each session, as you chose.")
                )
            else:
                messages.success(request, _("The first link goes out within a minute."))
            return redirect("selfreport:links", pk=client.pk)
    return _links_page(request, client, can, form=_send_form(client, None, can), schedule_form=form)


@require_POST
def schedule_stop(request: HttpRequest, pk: int, schedule_pk: int) -> HttpResponse:
    client, _can = access.client_for(request.user, pk, write=True)
    found = LinkSchedule.objects.filter(client=client, pk=schedule_pk).first()
    if found is None:
        raise Http404
    services.schedule_stop(actor=request.user, schedule=found)
    messages.success(request, _("No more links will be sent on this schedule."))
    return redirect("selfreport:links", pk=client.pk)


@require_POST
def revoke(request: HttpRequest, pk: int, link_pk: int) -> HttpResponse:
    client, _can = access.client_for(request.user, pk, write=True)
    link = ClientLink.objects.filter(client=client, pk=link_pk).select_related("client").first()
    if link is None:
        raise Http404
    services.link_revoke(actor=request.user, link=link)
    messages.success(request, _("The link no longer works."))
    return redirect("selfreport:links", pk=client.pk)


# --- Plans shared to read ----------------------------------------------------------------------


@login_not_required
@two_factor_exempt
@never_cache
@require_http_methods(["GET", "HEAD"])
def plan(request: HttpRequest, token: str) -> HttpResponse:
    """The client reads a plan shared with them: the version shared, its date, and a word when
    a newer one exists. Nothing else of the record. Read-only, no script, in the share's
    language; throttled and audited as the answer page is."""
    if not throttle.allowed(token_hash=services.token_hash(token), address=client_ip(request)):
        return _unavailable(request, "throttled", 429)
    with audit_context(path=PLAN_AUDIT_PATH, ip_address=client_ip(request)):
        try:
            share = services.plan_share_open(token=token)
        except LinkUnavailable as refused:
            return _unavailable(request, refused.state, 404 if refused.state == "unknown" else 410)
    version = share.version
    context: dict[str, object] = {
        "share": share,
        "kind": share.kind,
        "version": version,
        "lang": share.language,
        "newer": selectors.newer_version_exists(share),
        "emergency": clinic_setting("SAFETY_EMERGENCY_NUMBER"),
    }
    if share.kind == PlanShare.Kind.SAFETY:
        # The lines printed on this version (what the client was given), else the clinic's.
        context["crisis_lines"] = version.crisis_lines or clinic_setting("SAFETY_CRISIS_LINES")
    with translation.override(share.language):
        if share.kind == PlanShare.Kind.USE_PLAN:
            # Inside the language: the copy's rows join labels (safer-use practices) as text.
            context["sections"] = goal_selectors.copy_sections(version)
        return render(request, "selfreport/plan.html", context)


@require_POST
def plan_share(request: HttpRequest, pk: int) -> HttpResponse:
    """Share the current version of one of the client's plans, to read on their phone."""
    client, can = access.client_for(request.user, pk, write=True)
    form = PlanShareForm(request.POST, prefix="share")
    if form.is_valid():
        try:
            services.plan_share(
                actor=request.user,
                client=client,
                kind=form.cleaned_data["kind"],
                language=form.cleaned_data["language"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The plan is on its way to the client."))
            return redirect("selfreport:links", pk=client.pk)
    return _links_page(
        request,
        client,
        can,
        form=_send_form(client, None, can),
        schedule_form=ScheduleForm(
            prefix="schedule", initial={"language": client.preferred_language}
        ),
        share_form=form,
        status=400,
    )


@require_POST
def plan_share_revoke(request: HttpRequest, pk: int, share_pk: int) -> HttpResponse:
    client, _can = access.client_for(request.user, pk, write=True)
    share = PlanShare.objects.filter(client=client, pk=share_pk).select_related("client").first()
    if share is None:
        raise Http404
    services.plan_share_revoke(actor=request.user, share=share)
    messages.success(request, _("The shared plan can no longer be opened."))
    return redirect("selfreport:links", pk=client.pk)
