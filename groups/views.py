"""Group pages: the groups a clinician runs or supervises, a group (members, meetings), a
meeting (attendance, the group note, signing and co-signing) and the member's chart tab. Every
object comes through `groups.selectors.group_for` / `meeting_for` (404 for who may not see it,
403 for a supervisor where only a facilitator writes)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clients import selectors as client_selectors
from clients.views import render_chart_section
from groups import extensions, selectors, services
from groups.forms import (
    AttendanceForm,
    DropInForm,
    GroupEditForm,
    GroupEndForm,
    GroupForm,
    GroupNoteForm,
    LeaveForm,
    MemberForm,
    PasswordForm,
    ReturnForm,
)
from groups.models import Meeting, Membership
from hrp import access
from hrp.audit.actions import AuditAction
from hrp.audit.models import AuditEvent
from hrp.audit.services import audit_record
from sessions.models import NoteLockedError


def _errors(form: Any, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, texts in error.message_dict.items():
            form.add_error(field if field in form.fields else None, texts)
    else:
        for text in error.messages:
            form.add_error(None, text)


def _clinical(request: HttpRequest) -> None:
    if not access.has_clinical_role(request.user):
        raise Http404


@require_GET
def group_list(request: HttpRequest) -> HttpResponse:
    _clinical(request)
    groups = list(selectors.groups_for(request.user))
    return render(
        request,
        "groups/list.html",
        {"groups": groups, "may_create": access.is_therapist(request.user), "nav": "groups"},
    )


@require_http_methods(["GET", "POST"])
def group_create(request: HttpRequest) -> HttpResponse:
    if not access.is_therapist(request.user):
        raise Http404
    form = GroupForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            group = services.group_create(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            _errors(form, error)
        else:
            messages.success(request, _("Group created with its meetings."))
            return redirect("groups:detail", pk=group.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "groups/create.html", {"form": form, "nav": "groups"}, status=status)


def _facilitated(request: HttpRequest, pk: int) -> Any:
    """A group the user facilitates; 404 for everyone else (a supervisor reads the group, but
    its settings page is not theirs)."""
    group, can = selectors.group_for(request.user, pk)
    if not can.write:
        raise Http404
    return group


def _settings_page(
    request: HttpRequest,
    group: Any,
    *,
    edit_form: GroupEditForm | None = None,
    end_form: GroupEndForm | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "group": group,
        "edit_form": edit_form or GroupEditForm(group=group),
        "end_form": end_form or GroupEndForm(),
        "nav": "groups",
    }
    return render(request, "groups/settings.html", context, status=status)


@require_http_methods(["GET", "POST"])
def group_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a running group's name, kind, label and the schedule of its future meetings."""
    group = _facilitated(request, pk)
    if request.method == "GET":
        return _settings_page(request, group)
    form = GroupEditForm(request.POST, group=group)
    if form.is_valid():
        try:
            services.group_edit(actor=request.user, group=group, **form.cleaned_data)
        except ValidationError as error:
            _errors(form, error)
        else:
            messages.success(request, _("Group changed."))
            return redirect("groups:detail", pk=group.pk)
    return _settings_page(request, group, edit_form=form, status=400)


@require_POST
def group_end(request: HttpRequest, pk: int) -> HttpResponse:
    """End a running group: later meetings cancelled, memberships ended, reminders stopped."""
    group = _facilitated(request, pk)
    form = GroupEndForm(request.POST)
    if form.is_valid():
        try:
            services.group_end(
                actor=request.user, group=group, ended_on=form.cleaned_data["ended_on"]
            )
        except ValidationError as error:
            _errors(form, error)
        else:
            messages.success(request, _("The group has ended."))
            return redirect("groups:detail", pk=group.pk)
    return _settings_page(request, group, end_form=form, status=400)


def _detail(
    request: HttpRequest, pk: int, *, form: MemberForm | None = None, status: int = 200
) -> HttpResponse:
    group, can = selectors.group_for(request.user, pk)
    members = list(
        group.memberships.select_related("client", "consent").order_by("joined_on", "id")
    )
    today = timezone.localdate()
    for membership in members:
        # Shown beside the member: a consent no longer in force blocks their attendance.
        membership.consent_lapse = services.consent_lapse_on(membership, today)
    context = {
        "group": group,
        "can": can,
        "members": members,
        "meetings": list(selectors.meetings_of(group)),
        "form": form or (MemberForm() if can.write else None),
        "leave_form": LeaveForm(),
        "nav": "groups",
    }
    return render(request, "groups/detail.html", context, status=status)


@require_GET
def group_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, pk)


@require_POST
def member_add(request: HttpRequest, pk: int) -> HttpResponse:
    group, can = selectors.group_for(request.user, pk)
    if not can.write:
        raise PermissionDenied
    form = MemberForm(request.POST)
    if form.is_valid():
        try:
            services.member_add(
                actor=request.user,
                group=group,
                chart_number=form.cleaned_data["chart_number"],
                joined_on=form.cleaned_data["joined_on"],
            )
        except ValidationError as error:
            _errors(form, error)
        else:
            messages.success(request, _("Member added."))
            return redirect("groups:detail", pk=group.pk)
    return _detail(request, pk, form=form, status=400)


@require_POST
def member_leave(request: HttpRequest, pk: int, member_pk: int) -> HttpResponse:
    group, can = selectors.group_for(request.user, pk)
    if not can.write:
        raise PermissionDenied
    membership = Membership.objects.filter(group=group, pk=member_pk).first()
    if membership is None:
        raise Http404
    form = LeaveForm(request.POST)
    if form.is_valid():
        try:
            services.member_leave(
                actor=request.user, membership=membership, left_on=form.cleaned_data["left_on"]
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("The member's leaving date is recorded."))
    else:
        messages.error(request, " ".join(form.errors.get("left_on", [])))
    return redirect("groups:detail", pk=group.pk)


def _meeting(
    request: HttpRequest,
    meeting: Meeting,
    can: selectors.GroupAccess,
    *,
    status: int = 200,
    **forms: Any,
) -> HttpResponse:
    members = list(services.members_on(meeting))
    for membership in members:
        # A consent no longer in force on the meeting's day blocks "attended": say so.
        membership.consent_lapse = services.consent_lapse_on(membership, meeting.day)
    current = {a.membership_id: a.status for a in meeting.attendances.all()}
    note = selectors.note_with_parts(meeting)
    context: dict[str, Any] = {
        "meeting": meeting,
        "group": meeting.group,
        "can": can,
        "note": note,
        "nav": "groups",
        "attendance_form": forms.get("attendance_form")
        or AttendanceForm(members=members, current=current),
        "drop_in_form": forms.get("drop_in_form") or DropInForm(),
        "attended": sum(1 for s in current.values() if s == "attended"),
        "actions": extensions.meeting_actions() if can.write else [],
    }
    if note is not None:
        parts = list(note.parts.all())
        context["note_form"] = forms.get("note_form") or GroupNoteForm(
            initial={"version": note.version, "shared": note.shared}, parts=parts
        )
        context["password_form"] = forms.get("password_form") or PasswordForm()
        context["return_form"] = forms.get("return_form") or ReturnForm()
        context["may_cosign"] = note.status == note.Status.AWAITING_COSIGN and access.supervises(
            request.user, note.author_id
        )
        context["is_author"] = note.author_id == request.user.pk
    return render(request, "groups/meeting.html", context, status=status)


@require_GET
def meeting(request: HttpRequest, pk: int) -> HttpResponse:
    meeting, can = selectors.meeting_for(request.user, pk)
    # The page shows members' names and private parts: reading it is an access event.
    audit_record(
        category=AuditEvent.Category.ACCESS,
        action=AuditAction.GROUP_MEETING_VIEW,
        actor=request.user,
        obj=meeting,
    )
    return _meeting(request, meeting, can)


def _writer(request: HttpRequest, pk: int) -> tuple[Meeting, selectors.GroupAccess]:
    meeting, can = selectors.meeting_for(request.user, pk)
    if not can.write:
        raise PermissionDenied
    return meeting, can


@require_POST
def attendance(request: HttpRequest, pk: int) -> HttpResponse:
    meeting, can = _writer(request, pk)
    members = list(services.members_on(meeting))
    form = AttendanceForm(request.POST, members=members, current={})
    if form.is_valid():
        try:
            services.attendance_record(
                actor=request.user, meeting=meeting, statuses=form.statuses()
            )
        except NoteLockedError as error:
            form.add_error(None, str(error))
        except ValidationError as error:
            for text in error.messages:
                form.add_error(None, text)
        else:
            messages.success(request, _("Attendance recorded."))
            return redirect("groups:meeting", pk=meeting.pk)
    return _meeting(request, meeting, can, status=400, attendance_form=form)


@require_POST
def drop_in(request: HttpRequest, pk: int) -> HttpResponse:
    meeting, can = _writer(request, pk)
    form = DropInForm(request.POST)
    if form.is_valid():
        try:
            services.member_add(
                actor=request.user,
                group=meeting.group,
                chart_number=form.cleaned_data["chart_number"],
                joined_on=meeting.day,
                meeting=meeting,
            )
        except NoteLockedError as error:
            form.add_error(None, str(error))
        except ValidationError as error:
            _errors(form, error)
        else:
            messages.success(request, _("Member added and marked as attending."))
            return redirect("groups:meeting", pk=meeting.pk)
    return _meeting(request, meeting, can, status=400, drop_in_form=form)


@require_POST
def note_start(request: HttpRequest, pk: int) -> HttpResponse:
    meeting, can = _writer(request, pk)
    try:
        services.group_note_start(actor=request.user, meeting=meeting)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return _meeting(request, meeting, can, status=400)
    return redirect("groups:meeting", pk=meeting.pk)


def _note(meeting: Meeting) -> Any:
    note = selectors.note_with_parts(meeting)
    if note is None:
        raise Http404
    return note


@require_POST
def note_save(request: HttpRequest, pk: int) -> HttpResponse:
    meeting, can = _writer(request, pk)
    note = _note(meeting)
    form = GroupNoteForm(request.POST, parts=list(note.parts.all()))
    if note.author_id != request.user.pk:
        raise PermissionDenied
    if form.is_valid():
        try:
            services.group_note_save(
                actor=request.user,
                note=note,
                expected_version=form.cleaned_data["version"],
                shared=form.cleaned_data["shared"],
                parts=form.part_values(),
            )
        except services.GroupNoteConflict:
            form.add_error(
                None,
                _(
                    "This note was saved elsewhere since you opened it. Your text is below: "
                    "copy it, reload the page and add it again."
                ),
            )
            return _meeting(request, meeting, can, status=409, note_form=form)
        except NoteLockedError as error:
            form.add_error(None, str(error))
            return _meeting(request, meeting, can, status=409, note_form=form)
        except ValidationError as error:
            _errors(form, error)
        else:
            messages.success(request, _("Draft saved."))
            return redirect("groups:meeting", pk=meeting.pk)
    return _meeting(request, meeting, can, status=400, note_form=form)


@require_POST
def note_sign(request: HttpRequest, pk: int) -> HttpResponse:
    meeting, can = _writer(request, pk)
    note = _note(meeting)
    form = PasswordForm(request.POST)
    if note.author_id != request.user.pk:
        raise PermissionDenied
    if form.is_valid():
        try:
            signed = services.group_note_sign(
                actor=request.user,
                note=note,
                password=form.cleaned_data["password"],
                expected_version=note.version,
            )
        except services.GroupNoteConflict:
            form.add_error(None, _("This note was saved elsewhere: reload the page."))
            return _meeting(request, meeting, can, status=409, password_form=form)
        except NoteLockedError as error:
            if note.signed_by_id == request.user.pk:
                # Sent twice (a double click): the first one signed it.
                return redirect("groups:meeting", pk=meeting.pk)
            form.add_error(None, str(error))
            return _meeting(request, meeting, can, status=409, password_form=form)
        except ValidationError as error:
            _errors(form, error)
        else:
            if signed.status == signed.Status.AWAITING_COSIGN:
                messages.success(request, _("Signed: the note waits for your supervisor."))
            else:
                messages.success(request, _("Signed. The note is now locked."))
            return redirect("groups:meeting", pk=meeting.pk)
    return _meeting(request, meeting, can, status=400, password_form=form)


def _supervisor(request: HttpRequest, pk: int) -> tuple[Meeting, selectors.GroupAccess, Any]:
    meeting, can = selectors.meeting_for(request.user, pk)
    note = _note(meeting)
    if not access.supervises(request.user, note.author_id):
        raise PermissionDenied
    return meeting, can, note


@require_POST
def note_cosign(request: HttpRequest, pk: int) -> HttpResponse:
    meeting, can, note = _supervisor(request, pk)
    if note.cosigned_by_id == request.user.pk:
        # Sent twice (a double click): the first one co-signed it.
        return redirect("groups:meeting", pk=meeting.pk)
    form = PasswordForm(request.POST)
    if form.is_valid():
        try:
            services.group_note_cosign(
                actor=request.user, note=note, password=form.cleaned_data["password"]
            )
        except ValidationError as error:
            _errors(form, error)
        else:
            messages.success(request, _("Co-signed."))
            return redirect("groups:meeting", pk=meeting.pk)
    return _meeting(request, meeting, can, status=400, password_form=form)


@require_POST
def note_return(request: HttpRequest, pk: int) -> HttpResponse:
    meeting, can, note = _supervisor(request, pk)
    form = ReturnForm(request.POST)
    if form.is_valid():
        try:
            services.group_note_return(
                actor=request.user, note=note, comments=form.cleaned_data["comments"]
            )
        except ValidationError as error:
            _errors(form, error)
        else:
            messages.success(request, _("Returned to the facilitator with your comments."))
            return redirect("groups:meeting", pk=meeting.pk)
    return _meeting(request, meeting, can, status=400, return_form=form)


@require_GET
def section(request: HttpRequest, pk: int) -> HttpResponse:
    """The member's chart tab: their own group meetings, the shared part of each signed note
    and their own part; never another member."""
    client, can = client_selectors.chart_client(user=request.user, pk=pk)
    return render_chart_section(
        request, client.pk, "groups", client=client, can=can, rows=selectors.chart_rows(client)
    )
