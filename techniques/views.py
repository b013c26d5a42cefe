"""Pages for the technique records: add, change and remove one on a draft note (its author,
treating the client), and the chart's Techniques section (everyone who may read the chart).

The client comes from `hrp.access.client_for` (404 for anyone who may not read the record,
403 for a reader who may not write) and the note through the client, as on the note page; a
signed note answers 409 and changes nothing (its records are corrected by an addendum)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from clients import selectors as client_selectors
from clients.models import Client
from clients.services import access_record
from clients.views import render_chart_section
from hrp import access, bounds
from sessions import selectors as session_selectors
from sessions.models import NoteLockedError, SessionNote
from techniques import selectors, services
from techniques.forms import TechniqueForm, form_class
from techniques.kinds import KINDS, Kind
from techniques.models import NoteTechnique


def _note(
    request: HttpRequest, pk: int, note_pk: int, slug: str
) -> tuple[Client, SessionNote, Kind]:
    """The client and note for a write to the note's records: 404 for who may not read the
    client (or an unknown kind or note), 403 for a reader who is not the note's author
    treating the client (a supervisor, a reader under an emergency grant)."""
    client, _can = access.client_for(request.user, pk, write=True)
    kind = KINDS.get(slug)
    if kind is None:
        raise Http404
    note = session_selectors.note_for(client, note_pk, sections=False)
    if note.author_id != request.user.pk:
        raise PermissionDenied
    return client, note, kind


def _record(note: SessionNote, kind: Kind, record_pk: int) -> NoteTechnique:
    record = selectors.record_for(note, kind, record_pk)
    if record is None:
        raise Http404
    return record


def _note_url(client: Client, note: SessionNote, kind: Kind) -> str:
    return reverse("sessions:note", args=[client.pk, note.pk]) + f"#note-section-{kind.slug}"


def _page(
    request: HttpRequest,
    template: str,
    *,
    client: Client,
    note: SessionNote,
    kind: Kind,
    status: int = 200,
    **extra: Any,
) -> HttpResponse:
    context = {
        "client": client,
        "note": note,
        "kind": kind,
        "note_url": _note_url(client, note, kind),
        "locked": note.status != SessionNote.Status.DRAFT,
        "nav": "caseload",
        **extra,
    }
    return render(request, template, context, status=status)


def _locked(request: HttpRequest, client: Client, note: SessionNote, kind: Kind) -> HttpResponse:
    """409: the note is signed, so its records are locked with it; nothing was changed."""
    return _page(request, "techniques/record.html", client=client, note=note, kind=kind, status=409)


def _service_errors(form: TechniqueForm, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


@require_http_methods(["GET", "POST"])
def record_new(request: HttpRequest, pk: int, note_pk: int, kind: str) -> HttpResponse:
    client, note, kind_ = _note(request, pk, note_pk, kind)
    if note.status != SessionNote.Status.DRAFT:
        return _locked(request, client, note, kind_)
    form = form_class(kind_)(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if form.is_valid():
            try:
                services.technique_add(
                    actor=request.user, note=note, kind=kind_, values=form.values()
                )
            except NoteLockedError:
                return _locked(request, client, session_selectors.note_for(client, note.pk), kind_)
            except ValidationError as error:
                _service_errors(form, error)
            else:
                messages.success(request, _("%(kind)s added.") % {"kind": kind_.singular})
                return redirect(_note_url(client, note, kind_))
        return _page(
            request,
            "techniques/record.html",
            client=client,
            note=note,
            kind=kind_,
            form=form,
            status=400,
        )
    return _page(request, "techniques/record.html", client=client, note=note, kind=kind_, form=form)


@require_http_methods(["GET", "POST"])
def record_edit(
    request: HttpRequest, pk: int, note_pk: int, kind: str, record_pk: int
) -> HttpResponse:
    client, note, kind_ = _note(request, pk, note_pk, kind)
    record = _record(note, kind_, record_pk)
    if note.status != SessionNote.Status.DRAFT:
        return _locked(request, client, note, kind_)
    form_cls = form_class(kind_)
    if request.method != "POST":
        access_record(actor=request.user, client=client, what="technique")
        form = form_cls(instance=record)
        return _page(
            request,
            "techniques/record.html",
            client=client,
            note=note,
            kind=kind_,
            form=form,
            record=record,
        )
    # Bound without the instance: the form only reads what was typed; the service writes.
    form = form_cls(request.POST)
    if form.is_valid():
        try:
            changed = services.technique_save(
                actor=request.user, record=record, values=form.values()
            )
        except NoteLockedError:
            return _locked(request, client, session_selectors.note_for(client, note.pk), kind_)
        except ValidationError as error:
            _service_errors(form, error)
        else:
            if changed:
                messages.success(request, _("%(kind)s saved.") % {"kind": kind_.singular})
            else:
                messages.info(request, _("Nothing was changed."))
            return redirect(_note_url(client, note, kind_))
    return _page(
        request,
        "techniques/record.html",
        client=client,
        note=note,
        kind=kind_,
        form=form,
        record=record,
        status=400,
    )


@require_http_methods(["GET", "POST"])
def record_remove(
    request: HttpRequest, pk: int, note_pk: int, kind: str, record_pk: int
) -> HttpResponse:
    client, note, kind_ = _note(request, pk, note_pk, kind)
    record = _record(note, kind_, record_pk)
    if note.status != SessionNote.Status.DRAFT:
        return _locked(request, client, note, kind_)
    if request.method == "POST":
        try:
            services.technique_remove(actor=request.user, record=record)
        except NoteLockedError:
            return _locked(request, client, session_selectors.note_for(client, note.pk), kind_)
        messages.success(request, _("%(kind)s removed from the draft.") % {"kind": kind_.singular})
        return redirect(_note_url(client, note, kind_))
    access_record(actor=request.user, client=client, what="technique")
    return _page(
        request, "techniques/remove.html", client=client, note=note, kind=kind_, record=record
    )


@require_GET
def section(request: HttpRequest, pk: int) -> HttpResponse:
    """The chart's Techniques section: each kind over time, latest session first, a page of
    each at a time (?chains=2, ?parts=3, ?scripts=1)."""
    client, can = client_selectors.chart_client(user=request.user, pk=pk)
    numbers = {
        slug: bounds.parse_int(request.GET.get(slug), minimum=1, maximum=100_000, default=1)
        for slug in KINDS
    }
    return render_chart_section(
        request,
        client.pk,
        "techniques",
        client=client,
        can=can,
        pages=selectors.section_pages(client, numbers),
        numbers=numbers,
    )
