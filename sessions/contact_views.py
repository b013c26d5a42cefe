"""Contacts outside sessions: the chart's Contacts section, recording a contact, editing the
draft, signing it with the password, the supervisor's co-signature or return, addenda.

Every view loads the client through `hrp.access.client_for` (via the chart's selector for the
section): 404 for anyone who may not read the record (another therapist, a clinic admin), 403
for a reader who may not write (the supervisor, an emergency reader) asking to write. The
contact is loaded through the client.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clients import selectors as client_selectors
from clients.services import access_record
from clients.views import render_chart_section
from hrp import access, bounds
from sessions import selectors, services
from sessions.forms import AddendumForm, ContactForm, ContactSignForm, ReviewForm
from sessions.models import NoteLockedError, OutsideContact
from sessions.services import ContactConflict


def contacts_section(request: HttpRequest, pk: int) -> HttpResponse:
    """The chart's Contacts section: the client's contacts outside sessions, a page at a
    time (?page=N), latest first."""
    client, can = client_selectors.chart_client(user=request.user, pk=pk)
    number = bounds.parse_int(request.GET.get("page"), minimum=1, default=1)
    paginator = Paginator(selectors.contacts_for(client), selectors.CONTACTS_PER_PAGE)
    page = paginator.get_page(number)
    return render_chart_section(
        request, pk, "contacts", client=client, can=can, page=page, contacts=list(page)
    )


def _editable(user: Any, can: access.ClientAccess, contact: OutsideContact) -> bool:
    """A draft is edited by its author while they are the client's treating clinician."""
    return (
        contact.status == OutsideContact.Status.DRAFT and contact.author_id == user.pk and can.write
    )


def _form_errors(form: Any, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            if field == "occurred_at":
                field = "date"
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


def contact_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Record a contact: saved as a draft, then signed from its page."""
    client, _can = access.client_for(request.user, pk, write=True)
    form = ContactForm(request.POST or None, client=client)
    if request.method == "POST" and form.is_valid():
        try:
            contact = services.contact_create(
                actor=request.user, client=client, values=form.values()
            )
        except ValidationError as error:
            _form_errors(form, error)
        else:
            messages.success(
                request, _("Contact saved as a draft. Sign it to add it to the record.")
            )
            return redirect("sessions:contact", pk=client.pk, contact_pk=contact.pk)
    status = 400 if form.errors else 200
    context = {"client": client, "form": form, "nav": "caseload"}
    return render(request, "sessions/contact_new.html", context, status=status)


def _context(
    request: HttpRequest,
    client: Any,
    can: access.ClientAccess,
    contact: OutsideContact,
    **extra: Any,
) -> dict[str, Any]:
    editable = _editable(request.user, can, contact)
    form = extra.pop("form", None)
    if form is None and editable:
        form = ContactForm(client=client, contact=contact)
    is_reviewer = (
        contact.status == OutsideContact.Status.AWAITING_COSIGN
        and request.user.is_supervisor
        and access.supervises(request.user, contact.author_id)
    )
    return {
        "client": client,
        "contact": contact,
        "can": can,
        "form": form,
        "editable": editable,
        "verified": services.contact_verify(actor=request.user, contact=contact),
        "sign_problems": services.contact_sign_problems(contact) if editable else [],
        "sign_form": extra.pop("sign_form", None)
        or ContactSignForm(initial={"version": contact.version}),
        "can_addend": contact.is_signed and can.write,
        "addendum_form": extra.pop("addendum_form", None) or AddendumForm(),
        "is_reviewer": is_reviewer,
        "review_form": extra.pop("review_form", None) or ReviewForm(),
        "nav": "caseload",
        **extra,
    }


def _locked(
    request: HttpRequest, client: Any, can: access.ClientAccess, contact_pk: int
) -> HttpResponse:
    """409 for a write to a contact that is no longer a draft: nothing is changed."""
    messages.error(request, _("This contact is signed and can no longer be changed."))
    contact = selectors.contact_for(client, contact_pk)
    return render(
        request, "sessions/contact.html", _context(request, client, can, contact), status=409
    )


def contact_detail(request: HttpRequest, pk: int, contact_pk: int) -> HttpResponse:
    """The contact: its editor and the signing form for the author while a draft, otherwise
    the signed record with its addenda and co-signature history. POST saves the draft."""
    client, can = access.client_for(request.user, pk, write=request.method == "POST")
    contact = selectors.contact_for(client, contact_pk)
    if request.method != "POST":
        access_record(actor=request.user, client=client, what="contact")
        return render(request, "sessions/contact.html", _context(request, client, can, contact))
    if not _editable(request.user, can, contact):
        if contact.status == OutsideContact.Status.DRAFT:
            raise PermissionDenied  # someone else's draft
        return _locked(request, client, can, contact_pk)
    form = ContactForm(request.POST, client=client, contact=contact)
    status = 400
    if form.is_valid():
        try:
            services.contact_save(
                actor=request.user,
                contact=contact,
                expected_version=form.cleaned_data["version"] or 0,
                values=form.values(),
            )
        except ContactConflict as conflict:
            form.add_error(
                None,
                _(
                    "This contact was saved elsewhere since you opened it. Your text is kept "
                    "below; the saved version is on the contact's page."
                ),
            )
            contact, status = conflict.current, 409
        except NoteLockedError:
            return _locked(request, client, can, contact_pk)
        except ValidationError as error:
            _form_errors(form, error)
        else:
            messages.success(request, _("Draft saved."))
            return redirect("sessions:contact", pk=client.pk, contact_pk=contact.pk)
    context = _context(request, client, can, contact, form=form)
    return render(request, "sessions/contact.html", context, status=status)


@require_POST
def contact_sign(request: HttpRequest, pk: int, contact_pk: int) -> HttpResponse:
    client, can = access.client_for(request.user, pk, write=True)
    contact = selectors.contact_for(client, contact_pk)
    if not _editable(request.user, can, contact):
        if contact.status == OutsideContact.Status.DRAFT:
            raise PermissionDenied
        return _locked(request, client, can, contact_pk)
    form = ContactSignForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            contact = services.contact_sign(
                actor=request.user,
                contact=contact,
                password=form.cleaned_data["password"],
                expected_version=form.cleaned_data["version"],
            )
        except ContactConflict as conflict:
            form.add_error(
                None, _("The contact changed since this page was opened. Check it, then sign.")
            )
            contact, status = conflict.current, 409
        except NoteLockedError:
            return _locked(request, client, can, contact_pk)
        except ValidationError as error:
            _form_errors(form, error)
        else:
            if contact.status == OutsideContact.Status.AWAITING_COSIGN:
                messages.success(
                    request, _("Signed. The contact is now with your supervisor for co-signature.")
                )
            else:
                messages.success(
                    request, _("Signed. The contact is locked; corrections are addenda.")
                )
            return redirect("sessions:contact", pk=client.pk, contact_pk=contact.pk)
    contact = selectors.contact_for(client, contact.pk)
    context = _context(request, client, can, contact, sign_form=form)
    return render(request, "sessions/contact.html", context, status=status)


@require_POST
def contact_addendum(request: HttpRequest, pk: int, contact_pk: int) -> HttpResponse:
    client, can = access.client_for(request.user, pk, write=True)
    contact = selectors.contact_for(client, contact_pk)
    form = AddendumForm(request.POST)
    if form.is_valid():
        try:
            services.contact_add_addendum(
                actor=request.user, contact=contact, text=form.cleaned_data["text"]
            )
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            messages.success(request, _("Addendum added."))
            return redirect(reverse("sessions:contact", args=[client.pk, contact.pk]) + "#addenda")
    context = _context(request, client, can, contact, addendum_form=form)
    return render(request, "sessions/contact.html", context, status=400)


@require_POST
def contact_review(request: HttpRequest, pk: int, contact_pk: int) -> HttpResponse:
    """The supervisor co-signs or returns a contact of their supervisee."""
    client, can = access.client_for(request.user, pk)
    contact = selectors.contact_for(client, contact_pk)
    if not (request.user.is_supervisor and access.supervises(request.user, contact.author_id)):
        raise PermissionDenied
    form = ReviewForm(request.POST)
    if form.is_valid():
        try:
            if form.cleaned_data["decision"] == "cosign":
                services.contact_cosign(
                    actor=request.user, contact=contact, password=form.cleaned_data["password"]
                )
                messages.success(request, _("Co-signed."))
            else:
                services.contact_return(
                    actor=request.user, contact=contact, comments=form.cleaned_data["comments"]
                )
                messages.success(request, _("Returned to the therapist with your comments."))
        except ValidationError as error:
            _form_errors(form, error)
        else:
            return redirect("sessions:cosign_queue")
    current = selectors.contact_for(client, contact_pk)
    status = 409 if current.status != contact.status else 400
    context = _context(request, client, can, current, review_form=form)
    return render(request, "sessions/contact.html", context, status=status)
