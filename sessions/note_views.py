"""Session notes: start, edit with autosave, sign, co-sign or return, addenda; the therapist's
notes page and the supervisor's co-signature queue; rating alerts.

Every view loads the client through `hrp.access.client_for` (404 for anyone who may not read
the record, 403 for a reader who may not write) and the note through the client.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from assessments import selectors as assessment_selectors
from clients.models import SubstanceUse
from clients.services import access_record
from goals import selectors as goal_selectors
from goals.models import Goal
from hrp import access, bounds
from hrp.clinic import clinic_setting
from sessions import selectors, services, stage_fit
from sessions.extensions import note_sections
from sessions.forms import AddendumForm, NoteForm, ReviewForm, SignForm
from sessions.models import NoteLockedError, SessionNote
from sessions.services import NoteConflict
from sessions.vocab import EXERCISE_STAGES, FORMAT_FIELDS, INTERVENTIONS, RATING_ITEMS


def _note_editable(user: Any, can: access.ClientAccess, note: SessionNote) -> bool:
    return selectors.note_editable(user, can, note)


def _editor_form(note: SessionNote, data: Any = None) -> NoteForm:
    ids = [line["goal"] for line in note.goal_checkins or []]
    if note.status == SessionNote.Status.DRAFT:
        # Goals opened since the note was started join the check-in.
        ids += list(
            Goal.objects.filter(client_id=note.client_id, status=Goal.Status.ACTIVE)
            .exclude(pk__in=ids)
            .values_list("pk", flat=True)
        )
    by_id = {g.pk: g for g in Goal.objects.filter(pk__in=ids, client_id=note.client_id)}
    goals = [by_id[i] for i in ids if i in by_id]
    substances = list(SubstanceUse.objects.filter(client_id=note.client_id).order_by("id"))
    weeks = set(selectors.covered_weeks(note.appointment))
    for entry in note.use_entries or []:
        weeks.add(datetime.date.fromisoformat(entry["week"]))
    return NoteForm(
        data,
        note=note,
        goals=goals,
        substances=substances,
        weeks=sorted(weeks),
        # The plan's limits, week by week: the check-ins show days above plan worked out from
        # them, beside the field for the clinician's correction.
        plan_versions=goal_selectors.versions_for_limits(note.client),
    )


def _labels(choices: list[tuple[str, Any]], keys: list[str]) -> list[Any]:
    names = dict(choices)
    return [names.get(k, k) for k in keys]


def _note_sections(note: SessionNote) -> list[dict[str, Any]]:
    """The parts other apps add under the note (sessions.extensions), with their records read
    from what `selectors.note_for` prefetched, and whether the note's interventions name them."""
    ticked = set(note.interventions or [])
    return [
        {
            "section": section,
            "records": section.records(note),
            "ticked": bool(section.intervention) and section.intervention in ticked,
        }
        for section in note_sections()
    ]


def _note_context(
    request: HttpRequest, client: Any, can: access.ClientAccess, note: SessionNote, **extra: Any
) -> dict:
    verified = services.note_verify(actor=request.user, note=note)
    note_editable = _note_editable(request.user, can, note)
    form = extra.pop("form", None)
    if form is None:
        form = _editor_form(note)
    sections = _note_sections(note)
    is_reviewer = (
        note.status == SessionNote.Status.AWAITING_COSIGN
        and request.user.is_supervisor
        and access.supervises(request.user, note.author_id)
    )
    return {
        "client": client,
        "note": note,
        "form": form,
        "can": can,
        "note_editable": note_editable,
        "can_addend": note.is_signed and can.write,
        "is_reviewer": is_reviewer,
        "verified": verified,
        "body_labels": FORMAT_FIELDS[note.format],
        "interventions": _labels(INTERVENTIONS, note.interventions or []),
        "stages": _labels(EXERCISE_STAGES, note.exercise_stages or []),
        "rating_items": [(label, getattr(note, key)) for key, label in RATING_ITEMS],
        # What fits each substance's current stage of change, for the author writing the note
        # (issue 16): suggestions beside the interventions, never ticked or required.
        "stage_suggestions": (
            stage_fit.suggestions(assessment_selectors.current_stages(client))
            if note_editable
            else []
        ),
        "sign_problems": services.sign_problems(note) if note_editable else [],
        "note_sections": sections,
        "note_section_links": [part for part in sections if part["records"] or part["ticked"]],
        "addendum_form": extra.pop("addendum_form", None) or AddendumForm(),
        "review_form": extra.pop("review_form", None) or ReviewForm(),
        "nav": "caseload",
        **extra,
    }


@require_POST
def note_start(request: HttpRequest, pk: int, appointment_pk: int) -> HttpResponse:
    client, _can = access.client_for(request.user, pk, write=True)
    appointment = get_object_or_404(client.appointments, pk=appointment_pk)
    try:
        note = services.note_start(actor=request.user, appointment=appointment)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("sessions:section", pk=client.pk)
    return redirect("sessions:note", pk=client.pk, note_pk=note.pk)


def note_detail(request: HttpRequest, pk: int, note_pk: int) -> HttpResponse:
    """The note: its editor for the author while a draft, otherwise the signed record with
    its addenda and co-signature history. POST saves the whole draft (the no-script path and
    the explicit "Save draft" button)."""
    client, can = access.client_for(request.user, pk, write=request.method == "POST")
    note = selectors.note_for(client, note_pk)
    if request.method != "POST":
        access_record(actor=request.user, client=client, what="note")
        return render(request, "sessions/note.html", _note_context(request, client, can, note))
    if not _note_editable(request.user, can, note):
        return _locked_response(request, client, can, note)
    form = _editor_form(note, request.POST)
    if not form.is_valid():
        messages.error(request, _("The draft was not saved: please check the marked fields."))
        context = _note_context(request, client, can, note, form=form)
        return render(request, "sessions/note.html", context, status=400)
    try:
        result = services.note_save(
            actor=request.user,
            note=note,
            expected_version=form.cleaned_data["version"],
            values=form.values(),
            save_key=form.cleaned_data["save_key"],
        )
    except NoteConflict as conflict:
        context = _note_context(
            request,
            client,
            can,
            conflict.current,
            form=form,
            conflict=_conflict_rows(form, conflict.current),
            mine=request.POST,
        )
        return render(request, "sessions/note.html", context, status=409)
    except NoteLockedError:
        return _locked_response(request, client, can, note)
    messages.success(request, _("Draft saved."))
    for hint in result.hints:
        messages.info(request, _hint_message(hint))
    if request.POST.get("then") == "sign":
        return redirect("sessions:note_sign", pk=client.pk, note_pk=note.pk)
    return redirect("sessions:note", pk=client.pk, note_pk=note.pk)


def _hint_message(hint: Any) -> str:
    return _("A suggestion, not a rule: instead of “%(found)s”, consider %(alternatives)s.") % {
        "found": hint.found,
        "alternatives": " / ".join(f"“{s}”" for s in hint.suggest),
    }


def _conflict_rows(form: NoteForm, current: SessionNote) -> list[dict[str, Any]]:
    """For each text that differs: the saved text and the text this tab tried to save."""
    rows = []
    mine = form.values()
    for name in SessionNote.TEXT_FIELDS:
        if name not in mine:
            continue
        saved = getattr(current, name) or ""
        if (mine[name] or "") != saved:
            rows.append(
                {
                    "name": name,
                    "label": form.fields[name].label,
                    "saved": saved,
                    "mine": mine[name],
                }
            )
    return rows


def _locked_response(
    request: HttpRequest, client: Any, can: access.ClientAccess, note: SessionNote
) -> HttpResponse:
    """409 for a write to a note that is no longer a draft: nothing is changed."""
    if request.headers.get("HX-Request"):
        return render(
            request, "sessions/_note_locked.html", {"client": client, "note": note}, status=409
        )
    messages.error(request, _("This note is signed and can no longer be changed."))
    context = _note_context(request, client, can, note)
    return render(request, "sessions/note.html", context, status=409)


@require_POST
def note_autosave(request: HttpRequest, pk: int, note_pk: int) -> HttpResponse:
    """htmx autosave: a status fragment, the new version number out of band, and any
    language hints. Invalid input saves nothing and says so; the typed text stays in the page."""
    client, can = access.client_for(request.user, pk, write=True)
    note = selectors.note_for(client, note_pk, sections=False)
    if not _note_editable(request.user, can, note):
        return _locked_response(request, client, can, note)
    form = _editor_form(note, request.POST)
    if not form.is_valid():
        errors = [
            (form.fields[name].label if name in form.fields else "", error)
            for name, field_errors in form.errors.items()
            for error in field_errors
        ]
        return render(request, "sessions/_autosave.html", {"errors": errors, "note": note})
    try:
        result = services.note_save(
            actor=request.user,
            note=note,
            expected_version=form.cleaned_data["version"],
            values=form.values(),
            save_key=form.cleaned_data["save_key"],
        )
    except NoteConflict as conflict:
        context = {
            "client": client,
            "note": conflict.current,
            "conflict": _conflict_rows(form, conflict.current),
            "mine": request.POST,
        }
        return render(request, "sessions/_autosave_conflict.html", context, status=409)
    except NoteLockedError:
        # Signed (in another tab, or by a sign request racing this save) while the autosave
        # waited: nothing is saved, and the status line says why.
        return _locked_response(request, client, can, note)
    context = {
        "note": result.note,
        "saved": True,
        "changed": bool(result.changed),
        "hints": [_hint_message(h) for h in result.hints],
        "saved_at": timezone.localtime(result.note.updated_at),
    }
    return render(request, "sessions/_autosave.html", context)


def note_sign(request: HttpRequest, pk: int, note_pk: int) -> HttpResponse:
    client, can = access.client_for(request.user, pk, write=True)
    note = selectors.note_for(client, note_pk)
    if not _note_editable(request.user, can, note):
        if request.method == "POST":
            return _locked_response(request, client, can, note)
        return redirect("sessions:note", pk=client.pk, note_pk=note.pk)
    form = SignForm(request.POST or None, initial={"version": note.version})
    status: int | None = None
    if request.method == "POST" and form.is_valid():
        try:
            note = services.note_sign(
                actor=request.user,
                note=note,
                password=form.cleaned_data["password"],
                expected_version=form.cleaned_data["version"],
            )
        except NoteConflict as conflict:
            form.add_error(
                None,
                _("The note changed since this page was opened. Check it again, then sign."),
            )
            note = conflict.current
            status = 409
        except NoteLockedError:
            # Signed by another request (a double click, a second tab) while this one waited.
            return _locked_response(request, client, can, selectors.note_for(client, note_pk))
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for field, errors in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, error.messages)
        else:
            if note.status == SessionNote.Status.AWAITING_COSIGN:
                messages.success(
                    request, _("Signed. The note is now with your supervisor for co-signature.")
                )
            else:
                messages.success(request, _("Signed. The note is locked; corrections are addenda."))
            return redirect("sessions:note", pk=client.pk, note_pk=note.pk)
    context = _note_context(request, client, can, note, sign_form=form)
    if status is None:
        status = 400 if form.errors else 200
    return render(request, "sessions/note_sign.html", context, status=status)


@require_POST
def note_addendum(request: HttpRequest, pk: int, note_pk: int) -> HttpResponse:
    client, can = access.client_for(request.user, pk, write=True)
    note = selectors.note_for(client, note_pk)
    form = AddendumForm(request.POST)
    if form.is_valid():
        try:
            services.note_add_addendum(
                actor=request.user, note=note, text=form.cleaned_data["text"]
            )
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            messages.success(request, _("Addendum added."))
            return redirect(reverse("sessions:note", args=[client.pk, note.pk]) + "#addenda")
    context = _note_context(request, client, can, note, addendum_form=form)
    return render(request, "sessions/note.html", context, status=400)


@require_POST
def note_review(request: HttpRequest, pk: int, note_pk: int) -> HttpResponse:
    """The supervisor co-signs or returns a note of their supervisee."""
    client, can = access.client_for(request.user, pk)
    note = selectors.note_for(client, note_pk)
    if not (request.user.is_supervisor and access.supervises(request.user, note.author_id)):
        raise PermissionDenied
    form = ReviewForm(request.POST)
    if form.is_valid():
        try:
            if form.cleaned_data["decision"] == "cosign":
                services.note_cosign(
                    actor=request.user, note=note, password=form.cleaned_data["password"]
                )
                messages.success(request, _("Co-signed."))
            else:
                services.note_return(
                    actor=request.user,
                    note=note,
                    comments=form.cleaned_data["comments"],
                )
                messages.success(request, _("Returned to the therapist with your comments."))
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for field, errors in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, error.messages)
        else:
            return redirect("sessions:cosign_queue")
    # A second click or a second reviewer got there first: the note has moved on (409), and
    # the page shows where it is now.
    current = selectors.note_for(client, note_pk)
    status = 409 if current.status != note.status else 400
    context = _note_context(request, client, can, current, review_form=form)
    return render(request, "sessions/note.html", context, status=status)


def _page_number(request: HttpRequest, param: str) -> int:
    # ?late=N, ?alerts=N, ?queue=N: ASCII digits only, anything else is the first page.
    return bounds.parse_int(request.GET.get(param), minimum=1, maximum=100_000, default=1)


def _list(request: HttpRequest, qs: Any, param: str) -> selectors.ListPage:
    return selectors.list_page(qs, param=param, number=_page_number(request, param))


def my_notes(request: HttpRequest) -> HttpResponse:
    """The therapist's notes to finish: late, returned, drafts, waiting for co-signature."""
    access.require(request.user, "clients.create")
    late = _list(request, selectors.late_notes(therapist_ids=[request.user.pk]), "late")
    alerts = _list(request, selectors.open_rating_alerts(user=request.user), "alerts")
    context = {
        "late": late.rows,
        "late_page": late,
        "late_hours": clinic_setting("LATE_NOTE_HOURS"),
        **selectors.notes_of(author=request.user),
        **selectors.contacts_of(author=request.user),
        "alerts": alerts.rows,
        "alerts_page": alerts,
        "nav": "notes",
    }
    return render(request, "sessions/my_notes.html", context)


def cosign_queue(request: HttpRequest) -> HttpResponse:
    """The supervisor's queue: notes to co-sign, supervisees' late notes, rating alerts, each
    a page at a time, oldest first."""
    access.require(request.user, "clients.supervise")
    queue = _list(request, selectors.cosign_queue(supervisor=request.user), "queue")
    late = _list(
        request,
        selectors.late_notes(therapist_ids=selectors.supervisee_ids(request.user)),
        "late",
    )
    alerts = _list(request, selectors.open_rating_alerts(user=request.user), "alerts")
    context = {
        "queue": queue.rows,
        "queue_page": queue,
        "contact_queue": list(selectors.contact_cosign_queue(supervisor=request.user)),
        "late": late.rows,
        "late_page": late,
        "late_hours": clinic_setting("LATE_NOTE_HOURS"),
        "alerts": alerts.rows,
        "alerts_page": alerts,
        "nav": "cosign",
    }
    return render(request, "sessions/cosign_queue.html", context)


@require_POST
def rating_alert_acknowledge(request: HttpRequest, pk: int, alert_pk: int) -> HttpResponse:
    # The care team follows up an alert; a reader under an emergency grant may not (403).
    client, _can = access.client_for(request.user, pk, care=True)
    alert = get_object_or_404(client.rating_alerts, pk=alert_pk)
    services.rating_alert_acknowledge(actor=request.user, alert=alert)
    messages.success(request, _("Alert marked as seen."))
    target = request.POST.get("next", "")
    if target in ("notes", "cosign"):
        return redirect("sessions:my_notes" if target == "notes" else "sessions:cosign_queue")
    return redirect("sessions:section", pk=client.pk)
