from __future__ import annotations

import time
from typing import Any

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse_lazy
from django.utils import translation
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from hrp import access, redirects
from hrp.accounts import selectors, services
from hrp.accounts.authn import privilege_step
from hrp.accounts.forms import (
    EmailAuthenticationForm,
    EnrolForm,
    HandoverForm,
    LanguageForm,
    PasswordAgainForm,
    StaffAccountForm,
    TokenForm,
)
from hrp.accounts.middleware import idle_headers, two_factor_exempt
from hrp.accounts.models import User
from hrp.accounts.receivers import SESSION_LAST_SEEN_KEY
from hrp.clinic import clinic_setting

SHOW_RECOVERY_CODES_KEY = "hrp_show_recovery_codes"


# --- Signing in -------------------------------------------------------------------------------


@method_decorator(login_not_required, name="dispatch")
class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    form_class = EmailAuthenticationForm
    redirect_authenticated_user = True


@method_decorator(two_factor_exempt, name="dispatch")
class LogoutView(auth_views.LogoutView):
    pass


@two_factor_exempt
def two_factor(request: HttpRequest) -> HttpResponse:
    """Second sign-in step: verify a code, or enrol an authenticator on first sign-in."""
    user = request.user
    if user.is_verified():  # type: ignore[union-attr]
        return redirect(settings.LOGIN_REDIRECT_URL)
    if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        return _enrol(request)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = services.two_factor_verify(user=user, token=form.cleaned_data["token"])
        if device is not None:
            otp_login(request, device)
            privilege_step(request)
            if isinstance(device, StaticDevice):
                left = device.token_set.count()
                messages.warning(
                    request,
                    ngettext(
                        "You signed in with a recovery code. %(left)d code is left.",
                        "You signed in with a recovery code. %(left)d codes are left.",
                        left,
                    )
                    % {"left": left},
                )
            return redirect(_safe_next(request))
        form.add_error(
            "token",
            _("That code was not accepted. Codes change every 30 seconds; try the current one."),
        )
    return render(request, "accounts/two_factor_verify.html", {"form": form})


def _safe_next(request: HttpRequest) -> str:
    return redirects.local_path(request, request.GET.get("next")) or resolve_url(
        settings.LOGIN_REDIRECT_URL
    )


def _enrol(request: HttpRequest) -> HttpResponse:
    user = request.user
    device = services.two_factor_device_for_enrolment(user=user)
    form = EnrolForm(request.POST or None, submit_label=_("Confirm and continue"))
    if request.method == "POST" and form.is_valid():
        codes = services.two_factor_enrol_confirm(
            user=user, device=device, token=form.cleaned_data["token"]
        )
        if codes is not None:
            otp_login(request, device)
            privilege_step(request)
            request.session[SHOW_RECOVERY_CODES_KEY] = True
            return redirect("accounts:recovery_codes")
        form.add_error("token", _("That code did not match. Check the time on your phone."))
    qr = segno.make(device.config_url, error="m")
    context = {
        "form": form,
        "qr_svg": qr.svg_inline(scale=5, title=_("QR code for your authenticator app")),
        "secret": services.totp_secret_base32(device),
    }
    return render(request, "accounts/two_factor_enrol.html", context)


@require_POST
@two_factor_exempt
def keepalive(request: HttpRequest) -> HttpResponse:
    """The page reports activity in the browser: the session's last-seen time is now, and the
    answer carries the clinic's idle limit as it is now and the time left, for the page's
    timer. A request that arrives after logoff is redirected to sign-in instead."""
    request.session[SESSION_LAST_SEEN_KEY] = time.time()
    return idle_headers(HttpResponse(status=204), request)


@require_GET
@two_factor_exempt
def idle_status(request: HttpRequest) -> HttpResponse:
    """The page's timer asks, without counting as activity (the session middleware leaves
    the last-seen time alone for this URL), what the idle limit is now and how long this
    session has left: a change of the clinic setting reaches open pages, and the warning
    states the time the server will actually allow. After logoff: redirected to sign-in."""
    return idle_headers(HttpResponse(status=204), request)


@login_not_required
def timed_out(request: HttpRequest) -> HttpResponse:
    """Where the browser goes when its idle timer runs out (a POST from idle.js): end the
    session if the server has not already, and say why on the sign-in page. A GET changes
    nothing, so no other site can sign someone out with a link."""
    if request.method != "POST":
        return redirect(settings.LOGIN_URL)
    # The session middleware may have ended an expired session on this very request, and
    # then it has already said why.
    said = bool(getattr(request, "hrp_logout_reason", ""))
    if request.user.is_authenticated:
        request.hrp_logout_reason = "idle"  # type: ignore[attr-defined]
        logout(request)
    minutes = clinic_setting("IDLE_TIMEOUT_MINUTES")
    text = ngettext(
        "You were signed out after %(minutes)d minute without activity.",
        "You were signed out after %(minutes)d minutes without activity.",
        minutes,
    ) % {"minutes": minutes}
    # The page's timer may have asked the server just after it ended the session, which then
    # said why on that request; the sign-in page says it once.
    pending = messages.get_messages(request)
    said = said or any(str(message) == text for message in pending)
    pending.used = False
    if not said:
        messages.info(request, text)
    return redirect(settings.LOGIN_URL)


def recovery_codes(request: HttpRequest) -> HttpResponse:
    """Shows recovery codes once, right after enrolment or regeneration. New codes need the
    password typed again."""
    codes: list[str] = []
    form = PasswordAgainForm(
        request.POST if request.method == "POST" else None,
        submit_label=_("Make new recovery codes"),
    )
    if request.method == "POST" and form.is_valid():
        try:
            codes = services.recovery_codes_regenerate(
                user=request.user, password=form.cleaned_data["password"]
            )
        except ValidationError as error:
            form.add_error("password", error.message_dict["password"])
    elif request.method != "POST" and request.session.pop(SHOW_RECOVERY_CODES_KEY, False):
        device = StaticDevice.objects.filter(user=request.user).first()
        codes = [t.token for t in device.token_set.all()] if device else []
    context = {"codes": codes, "form": form}
    return render(
        request, "accounts/recovery_codes.html", context, status=400 if form.errors else 200
    )


def my_account(request: HttpRequest) -> HttpResponse:
    user = request.user
    if request.method == "POST":
        form = LanguageForm(request.POST)
        if form.is_valid():
            services.user_language_set(user=user, language=form.cleaned_data["language"])
            # The confirmation already in the language chosen.
            translation.activate(user.language)
            messages.success(request, _("Your interface language is saved."))
            return redirect("accounts:my_account")
    else:
        form = LanguageForm(initial={"language": user.language})
    context = {
        "supervisor": selectors.current_supervisor(user=user),
        "recovery_codes_left": selectors.recovery_codes_left(user=user),
        "language_form": form,
    }
    return render(
        request,
        "accounts/my_account.html",
        {**context, "nav": "me"},
        status=400 if form.errors else 200,
    )


# Django's password views, made public (deny-by-default exempts only these and sign-in).
password_reset = login_not_required(
    auth_views.PasswordResetView.as_view(
        template_name="accounts/password_reset.html",
        email_template_name="accounts/email/password_reset.txt",
        subject_template_name="accounts/email/password_reset_subject.txt",
        success_url=reverse_lazy("accounts:password_reset_done"),
    )
)
password_reset_done = login_not_required(
    auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_done.html")
)


class SetPasswordView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/set_password.html"
    success_url = reverse_lazy("accounts:set_password_done")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        services.account_password_set_recorded(user=form.user)
        return response


set_password = login_not_required(SetPasswordView.as_view())
set_password_done = login_not_required(
    auth_views.PasswordResetCompleteView.as_view(template_name="accounts/set_password_done.html")
)


# --- Clinic admin: staff accounts --------------------------------------------------------------


def staff_list(request: HttpRequest) -> HttpResponse:
    access.require(request.user, "accounts.manage_staff")
    show = request.GET.get("show", "active")
    page = Paginator(selectors.staff_for_admin(show=show), 25).get_page(request.GET.get("page"))
    return render(request, "accounts/staff_list.html", {"page": page, "show": show, "nav": "staff"})


def staff_create(request: HttpRequest) -> HttpResponse:
    access.require(request.user, "accounts.manage_staff")
    form = StaffAccountForm(request.POST or None, creating=True)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.account_create(
                actor=request.user,
                site_url=_site_url(request),
                email=data["email"],
                full_name=data["full_name"],
                credentials=data["credentials"],
                licence=data["licence"],
                npi=data["npi"],
                is_therapist=data["is_therapist"],
                is_supervisor=data["is_supervisor"],
                is_clinic_admin=data["is_clinic_admin"],
                requires_cosign=data["requires_cosign"],
                supervisor=data["supervisor"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("Account created. A link to set a password was sent to %(email)s.")
                % {"email": user.email},
            )
            return redirect("accounts:staff_detail", pk=user.pk)
    context = {"form": form, "creating": True, "nav": "staff"}
    return render(request, "accounts/staff_form.html", context)


def staff_detail(request: HttpRequest, pk: int) -> HttpResponse:
    account = access.staff_account_for(request.user, pk)
    current = selectors.current_supervisor(user=account)
    form = StaffAccountForm(
        request.POST or None,
        instance=account,
        creating=False,
        initial={"supervisor": current},
    )
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.account_update(
                    actor=request.user,
                    user=account,
                    supervisor=data["supervisor"],
                    **{f: data[f] for f in form.Meta.fields if f in data},
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Changes saved."))
                return redirect("accounts:staff_detail", pk=account.pk)
        # The model form has written the typed values onto `account`; read the stored ones
        # for the page header so a refused change is not shown as if it had been made.
        account = User.objects.get(pk=account.pk)
    context = {
        "account": account,
        "form": form,
        "current_supervisor": current,
        "supervision_history": selectors.supervision_history(user=account),
        "two_factor_enrolled": TOTPDevice.objects.filter(user=account, confirmed=True).exists(),
        "supervisees": selectors.current_supervisees(user=account),
        "nav": "staff",
    }
    return render(request, "accounts/staff_detail.html", context)


def staff_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    """Deactivate an account after saying what happens: a therapist's clients who are not
    discharged are listed (name, chart number, status only) and each gets a destination, so
    nobody in care is left with an inactive therapist (hrp.accounts.services.therapist_deactivate).
    Sending the form twice is harmless: the second time the account is already deactivated."""
    account = access.staff_account_for(request.user, pk)
    if not account.is_active:
        messages.info(request, _("This account is already deactivated."))
        return redirect("accounts:staff_detail", pk=account.pk)
    if account == request.user:
        messages.error(request, _("You cannot deactivate your own account."))
        return redirect("accounts:staff_detail", pk=account.pk)
    clients = selectors.open_clients(therapist=account)
    form = HandoverForm(
        # Bound on every POST: with nothing to hand over, the confirmation posts no fields.
        request.POST if request.method == "POST" else None,
        clients=clients,
        colleagues=selectors.colleagues_for_handover(therapist=account),
        therapist=account,
    )
    if request.method == "POST" and form.is_valid():
        try:
            moved = services.therapist_deactivate(
                actor=request.user, therapist=account, destinations=form.destinations()
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            done = _("Account deactivated; its sessions ended.")
            if moved:
                done += " " + ngettext(
                    "%(count)d client was handed over.",
                    "%(count)d clients were handed over.",
                    moved,
                ) % {"count": moved}
            messages.success(request, done)
            return redirect("accounts:staff_detail", pk=account.pk)
    context = {"account": account, "form": form, "clients": clients, "nav": "staff"}
    return render(request, "accounts/staff_deactivate.html", context)


def _site_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


# Deactivation has its own page (staff_deactivate, at the same address), which hands over the
# therapist's clients first.
STAFF_ACTIONS = {
    "reactivate": (services.account_reactivate, _("Account reactivated.")),
    "reset-two-factor": (
        services.account_reset_two_factor,
        _("Two-factor reset. They will set up a new authenticator at their next sign-in."),
    ),
    "send-link": (
        services.account_send_set_password_link,
        _("A link to set a password was sent."),
    ),
}


@require_POST
def staff_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    account = access.staff_account_for(request.user, pk)
    if action not in STAFF_ACTIONS:
        return HttpResponse(status=404)
    service, done = STAFF_ACTIONS[action]
    try:
        # The link starts with the address this page was opened at.
        extra = {"site_url": _site_url(request)} if action == "send-link" else {}
        service(actor=request.user, user=account, **extra)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, done)
    return redirect("accounts:staff_detail", pk=account.pk)
