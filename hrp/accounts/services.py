"""Writes for staff accounts, supervision and two-factor devices.

Every function records what it did in the audit trail. Accounts are never deleted.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from hrp import bounds
from hrp.accounts import caseload
from hrp.accounts.authn import password_reentry_error
from hrp.accounts.identity import canonical_email
from hrp.accounts.models import Supervision, User, validate_npi
from hrp.audit.actions import AuditAction
from hrp.audit.models import AuditEvent
from hrp.audit.services import audit_record, diff_fields

ROLE_FIELDS = ["full_name", "credentials", "is_therapist", "is_supervisor", "is_clinic_admin"]
ACCOUNT_FIELDS = [*ROLE_FIELDS, "requires_cosign", "email_reminders", "licence", "npi"]
RECOVERY_CODE_COUNT = 10


def _validate_roles(*, user: User | None, actor: User, values: dict[str, Any]) -> None:
    errors: dict[str, str] = {}
    if not (values["is_therapist"] or values["is_supervisor"] or values["is_clinic_admin"]):
        errors["is_therapist"] = _("Choose at least one role.")
    if values.get("requires_cosign") and not values["is_therapist"]:
        errors["requires_cosign"] = _("Only a therapist can need co-signature.")
    if values.get("npi"):
        try:
            validate_npi(values["npi"])
        except ValidationError as error:
            errors["npi"] = error.messages[0]
    if user is not None:
        if user.is_clinic_admin and not values["is_clinic_admin"]:
            if user == actor:
                errors["is_clinic_admin"] = _("You cannot remove your own clinic admin role.")
            elif not User.objects.active().filter(is_clinic_admin=True).exclude(pk=user.pk):
                errors["is_clinic_admin"] = _("The clinic needs at least one active clinic admin.")
        if user.is_supervisor and not values["is_supervisor"]:
            count = Supervision.objects.current().filter(supervisor=user).count()
            if count:
                errors["is_supervisor"] = ngettext(
                    "%(name)s still supervises %(count)d therapist. "
                    "Assign them another supervisor first.",
                    "%(name)s still supervises %(count)d therapists. "
                    "Assign them another supervisor first.",
                    count,
                ) % {"name": user.full_name, "count": count}
    if errors:
        raise ValidationError(errors)


def _end_sessions(user: User) -> int:
    """Delete every server-side session that belongs to `user`; returns how many."""
    ended = 0
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if session.get_decoded().get("_auth_user_id") == str(user.pk):
            session.delete()
            ended += 1
    return ended


@transaction.atomic
def account_create(
    *,
    actor: User,
    email: str,
    full_name: str,
    credentials: str = "",
    licence: str = "",
    npi: str = "",
    is_therapist: bool = False,
    is_supervisor: bool = False,
    is_clinic_admin: bool = False,
    requires_cosign: bool = False,
    supervisor: User | None = None,
    site_url: str = "",
) -> User:
    """Create a staff account with no usable password and email a set-password link
    (starting with `site_url`, see account_send_set_password_link).

    Side effects: audit events `account.create` (and `supervision.assign`), one email sent
    after the transaction commits.
    """
    values = {
        "full_name": full_name,
        "credentials": credentials,
        "licence": licence,
        "npi": npi,
        "is_therapist": is_therapist,
        "is_supervisor": is_supervisor,
        "is_clinic_admin": is_clinic_admin,
        "requires_cosign": requires_cosign,
    }
    _validate_roles(user=None, actor=actor, values=values)
    email = canonical_email(email)
    if User.objects.filter(email=email).exists():
        raise ValidationError({"email": _("An account with this email address already exists.")})
    user = User.objects.create_user(email=email, **values)
    audit_record(
        category=AuditEvent.Category.CHANGE,
        action=AuditAction.ACCOUNT_CREATE,
        actor=actor,
        obj=user,
        changes={f: (None, getattr(user, f)) for f in ["email", *ACCOUNT_FIELDS]},
    )
    if supervisor is not None:
        supervision_assign(actor=actor, supervisee=user, supervisor=supervisor)
    account_send_set_password_link(actor=actor, user=user, site_url=site_url)
    return user


_UNCHANGED: Any = object()


@transaction.atomic
def account_update(
    *,
    actor: User,
    user: User,
    supervisor: User | None = _UNCHANGED,
    **values: Any,
) -> User:
    """Change an account's name, roles, preferences and (for therapists) supervisor, in one
    transaction.

    Removing the therapist role ends the therapist's supervision. Side effects: audit events
    `account.update` with old and new values, and `supervision.assign` when it changed.
    """
    # Validate and diff against the stored account, not `user`: a model form bound to `user`
    # has already written the typed values onto it, which would hide every change.
    stored = User.objects.select_for_update().get(pk=user.pk)
    values = {f: values.get(f, getattr(stored, f)) for f in ACCOUNT_FIELDS}
    if not values["is_therapist"]:
        values["requires_cosign"] = False
    _validate_roles(user=stored, actor=actor, values=values)
    before = {f: getattr(stored, f) for f in ACCOUNT_FIELDS}
    for field, value in values.items():
        setattr(user, field, value)
    changes = diff_fields(user, before, ACCOUNT_FIELDS)
    if changes:
        user.save(update_fields=list(changes))
        audit_record(
            category=AuditEvent.Category.CHANGE,
            action=AuditAction.ACCOUNT_UPDATE,
            actor=actor,
            obj=user,
            changes=changes,
        )
    if not user.is_therapist:
        supervision_assign(actor=actor, supervisee=user, supervisor=None)
    elif supervisor is not _UNCHANGED:
        supervision_assign(actor=actor, supervisee=user, supervisor=supervisor)
    return user


@transaction.atomic
def supervision_assign(
    *, actor: User, supervisee: User, supervisor: User | None
) -> Supervision | None:
    """Make `supervisor` the current supervisor of `supervisee` (None: no supervisor).

    The previous supervision is ended, not deleted. Side effect: audit event
    `supervision.assign` when anything changed.
    """
    current = (
        Supervision.objects.current().select_for_update().filter(supervisee=supervisee).first()
    )
    if supervisor is not None:
        if supervisor == supervisee:
            raise ValidationError({"supervisor": _("A therapist cannot supervise themselves.")})
        if not (supervisor.is_active and supervisor.is_supervisor):
            raise ValidationError({"supervisor": _("Choose an active supervisor.")})
        if not supervisee.is_therapist:
            raise ValidationError({"supervisor": _("Only therapists have a supervisor.")})
    old_supervisor = current.supervisor if current else None
    if old_supervisor == supervisor:
        return current
    now = timezone.now()
    if current is not None:
        current.ended_at = now
        current.save(update_fields=["ended_at"])
    new = None
    if supervisor is not None:
        new = Supervision.objects.create(
            supervisor=supervisor, supervisee=supervisee, started_at=now, created_by=actor
        )
    audit_record(
        category=AuditEvent.Category.CHANGE,
        action=AuditAction.SUPERVISION_ASSIGN,
        actor=actor,
        obj=supervisee,
        changes={"supervisor": (old_supervisor, supervisor)},
    )
    return new


@transaction.atomic
def account_deactivate(*, actor: User, user: User) -> User:
    """Deactivate an account: it can no longer sign in and its open sessions end at once.

    The account and everything it authored are kept. A supervisor's supervisees keep the
    link until reassigned, so nothing is lost silently. Refused while the account still has
    clients who are not discharged: `therapist_deactivate` hands them over first, so no client
    in care is ever left with an inactive therapist. Side effect: `account.deactivate`.
    """
    if user == actor:
        raise ValidationError(_("You cannot deactivate your own account."))
    if not user.is_active:
        return user
    _refuse_open_caseload(user)
    if user.is_clinic_admin:
        # Lock the active admins' rows so that two admins deactivating each other at the same
        # moment cannot leave the clinic with none.
        admins = list(
            User.objects.select_for_update()
            .filter(is_active=True, is_clinic_admin=True)
            .values_list("pk", flat=True)
        )
        if not set(admins) - {user.pk}:
            raise ValidationError(_("The clinic needs at least one active clinic admin."))
    user.is_active = False
    user.deactivated_at = timezone.now()
    user.save(update_fields=["is_active", "deactivated_at"])
    ended = _end_sessions(user)
    audit_record(
        category=AuditEvent.Category.SECURITY,
        action=AuditAction.ACCOUNT_DEACTIVATE,
        actor=actor,
        obj=user,
        changes={"is_active": (True, False)},
        detail=f"sessions ended: {ended}",
    )
    return user


def _refuse_open_caseload(user: User) -> None:
    handover = caseload.handover()
    count = handover.open_clients(user).count() if handover is not None else 0
    if count:
        raise ValidationError(
            ngettext(
                "%(name)s still has %(count)d client who is not discharged. Choose where "
                "they go on the deactivation page first.",
                "%(name)s still has %(count)d clients who are not discharged. Choose where "
                "they go on the deactivation page first.",
                count,
            )
            % {"name": user.full_name, "count": count}
        )


@transaction.atomic
def therapist_deactivate(
    *, actor: User, therapist: User, destinations: Mapping[int, User | None]
) -> int:
    """Hand over a therapist's clients who are not discharged, then deactivate the account,
    all in one transaction: either every client has moved and the account is deactivated,
    or nothing changed.

    `destinations` maps each such client's id to the colleague who takes them over (an
    active therapist other than `therapist`) or to None, the unassigned queue that clinic
    admins and supervisors work from. Every client needs a destination. Returns how many
    clients moved; 0 and no change when the account is already deactivated (a second
    submit of the same form). Side effects: one `client.assign` audit event per client
    moved, then `account.deactivate` (its open sessions end).
    """
    if therapist == actor:
        raise ValidationError(_("You cannot deactivate your own account."))
    targets = {t.pk for t in destinations.values() if t is not None}
    # Lock the account and every colleague taking over, in id order (so two handovers
    # running at once cannot deadlock): none of them can be deactivated meanwhile.
    locked = {
        u.pk: u
        for u in User.objects.select_for_update()
        .filter(pk__in={therapist.pk, *targets})
        .order_by("pk")
    }
    if not locked[therapist.pk].is_active:
        return 0
    handover = caseload.handover()
    clients = list(handover.open_clients(therapist)) if handover is not None else []
    errors: list[str] = []
    for client in clients:
        if client.pk not in destinations:
            errors.append(
                _("Choose where %(client)s (%(chart)s) goes.")
                % {"client": client.display_name, "chart": client.chart_number}
            )
            continue
        target = destinations[client.pk]
        stored = locked.get(target.pk) if target is not None else None
        if target is not None and (
            stored is None
            or stored.pk == therapist.pk
            or not (stored.is_active and stored.is_therapist)
        ):
            errors.append(
                _(
                    "%(client)s (%(chart)s) can only go to an active therapist other than "
                    "%(name)s, or to the unassigned queue."
                )
                % {
                    "client": client.display_name,
                    "chart": client.chart_number,
                    "name": therapist.full_name,
                }
            )
    if errors:
        raise ValidationError(errors)
    reason = _("Handover: %(name)s's account was deactivated.") % {"name": therapist.full_name}
    for client in clients:
        target = destinations[client.pk]
        handover.move(  # type: ignore[union-attr]
            actor=actor,
            client_pk=client.pk,
            therapist=locked[target.pk] if target is not None else None,
            reason=reason,
        )
    account_deactivate(actor=actor, user=therapist)
    return len(clients)


@transaction.atomic
def account_reactivate(*, actor: User, user: User) -> User:
    """Let a deactivated account sign in again. Side effect: `account.reactivate`."""
    if user.is_active:
        return user
    user.is_active = True
    user.deactivated_at = None
    user.save(update_fields=["is_active", "deactivated_at"])
    audit_record(
        category=AuditEvent.Category.SECURITY,
        action=AuditAction.ACCOUNT_REACTIVATE,
        actor=actor,
        obj=user,
        changes={"is_active": (False, True)},
    )
    return user


@transaction.atomic
def account_reset_two_factor(*, actor: User, user: User) -> None:
    """Remove a user's authenticator and recovery codes (a lost phone, say).

    Their sessions end; at their next sign-in they must enrol a new authenticator.
    Side effect: audit event `two_factor.reset`.
    """
    totp_deleted, _unused = TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    ended = _end_sessions(user)
    audit_record(
        category=AuditEvent.Category.SECURITY,
        action=AuditAction.TWO_FACTOR_RESET,
        actor=actor,
        obj=user,
        detail=f"authenticators removed: {totp_deleted}; sessions ended: {ended}",
    )


def set_password_path(user: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return reverse("accounts:set_password", kwargs={"uidb64": uid, "token": token})


def account_send_set_password_link(*, actor: User, user: User, site_url: str = "") -> None:
    """Email a one-time link to set a password (valid PASSWORD_RESET_TIMEOUT seconds).

    `site_url` is the address the link starts with (the page's own, from the view);
    SITE_URL when not given.

    The link stops working once a password is set, because the token hashes the password.
    Side effects: audit event `account.set_password_link`, one email after commit.
    """
    if not user.is_active:
        raise ValidationError(_("Reactivate the account before sending a link."))
    link = (site_url or settings.SITE_URL) + set_password_path(user)
    context = {
        "user": user,
        "link": link,
        "clinic_name": settings.CLINIC_NAME,
        "valid_days": settings.PASSWORD_RESET_TIMEOUT // 86400,
    }
    # In the person's own interface language, not the sender's.
    with translation.override(user.language or settings.LANGUAGE_CODE):
        subject = _("Set your password for %(clinic)s") % {"clinic": settings.CLINIC_NAME}
        body = render_to_string("accounts/email/set_password.txt", context)
    audit_record(
        category=AuditEvent.Category.SECURITY,
        action=AuditAction.ACCOUNT_SET_PASSWORD_LINK,
        actor=actor,
        obj=user,
    )
    transaction.on_commit(
        lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
    )


def totp_secret_base32(device: TOTPDevice) -> str:
    """The authenticator secret as people type it into an app, in groups of four."""
    raw = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def account_password_set_recorded(*, user: User) -> None:
    """Audit that a password was set through a one-time link (Django's view saved it)."""
    audit_record(
        category=AuditEvent.Category.SECURITY,
        action=AuditAction.ACCOUNT_PASSWORD_SET,
        actor=user,
        obj=user,
    )


def user_language_set(*, user: User, language: str) -> User:
    """The person's own interface language (used from their next request on). A preference,
    not a change to anyone's access or records, so no audit event."""
    if language not in dict(settings.LANGUAGES):
        raise ValidationError(_("Choose one of the languages offered."))
    user.language = language
    user.save(update_fields=["language"])
    return user


def _new_recovery_codes(device: StaticDevice) -> list[str]:
    device.token_set.all().delete()
    codes = [
        f"{secrets.randbelow(10**5):05d}-{secrets.randbelow(10**5):05d}"
        for _unused in range(RECOVERY_CODE_COUNT)
    ]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes])
    return codes


def two_factor_device_for_enrolment(*, user: User) -> TOTPDevice:
    """The unconfirmed authenticator a user is enrolling, created on first need."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(
            user=user, name=str(_("Authenticator app")), confirmed=False
        )
    return device


@transaction.atomic
def two_factor_enrol_confirm(*, user: User, device: TOTPDevice, token: str) -> list[str] | None:
    """Confirm a new authenticator with a code from it; returns ten recovery codes, or None
    when the code is wrong.

    Side effects: earlier authenticators and recovery codes are replaced; audit event
    `two_factor.enrol`.
    """
    if not device.verify_token(token):
        return None
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    static, _created = StaticDevice.objects.get_or_create(
        user=user, defaults={"name": str(_("Recovery codes")), "confirmed": True}
    )
    codes = _new_recovery_codes(static)
    audit_record(
        category=AuditEvent.Category.SECURITY,
        action=AuditAction.TWO_FACTOR_ENROL,
        actor=user,
        obj=user,
    )
    return codes


def recovery_codes_regenerate(*, user: User, password: str) -> list[str]:
    """Replace a user's recovery codes with ten new ones, once they have typed their password
    again: a session left open must not yield codes that get past the second factor.

    Side effects: audit event `two_factor.recovery_codes`, or `two_factor.recovery_codes_refused`
    and a failed attempt toward the sign-in limit (hrp.accounts.authn) for a password refused.
    The check runs outside the transaction, so a refusal keeps its record."""
    refusal = password_reentry_error(
        user=user,
        password=password,
        wrong=_("That password is not right. Your recovery codes have not changed."),
    )
    if refusal is not None:
        audit_record(
            category=AuditEvent.Category.SECURITY,
            action=AuditAction.TWO_FACTOR_RECOVERY_CODES_REFUSED,
            actor=user,
            obj=user,
        )
        raise ValidationError({"password": refusal})
    return _recovery_codes_replace(user=user)


@transaction.atomic
def _recovery_codes_replace(*, user: User) -> list[str]:
    static, _created = StaticDevice.objects.get_or_create(
        user=user, defaults={"name": str(_("Recovery codes")), "confirmed": True}
    )
    codes = _new_recovery_codes(static)
    audit_record(
        category=AuditEvent.Category.SECURITY,
        action=AuditAction.TWO_FACTOR_RECOVERY_CODES,
        actor=user,
        obj=user,
    )
    return codes


def two_factor_verify(*, user: User, token: str) -> Any:
    """The device that accepts `token` (authenticator code or recovery code), or None.

    A recovery code is used up by verifying it. Side effect: audit event
    `two_factor.verify` or `two_factor.verify_failed`.
    """
    token = token.strip().replace(" ", "")
    if bounds.is_ascii_int(token) and len(token) == 6:
        devices = TOTPDevice.objects.filter(user=user, confirmed=True)
    else:
        devices = StaticDevice.objects.filter(user=user, confirmed=True)
    accepted = None
    with transaction.atomic():
        for device in devices.select_for_update():
            if device.verify_token(token):
                accepted = device
                break
    audit_record(
        category=AuditEvent.Category.SECURITY,
        action=AuditAction.TWO_FACTOR_VERIFY if accepted else AuditAction.TWO_FACTOR_VERIFY_FAILED,
        actor=user,
        obj=user,
        detail="recovery code" if isinstance(accepted, StaticDevice) else "",
    )
    return accepted
