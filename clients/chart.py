"""What the client record itself puts on the chart's Overview (the client's words, contact
details) and Timeline (intake, therapist assignments, consents, discharge), registered from
ClientsConfig.ready() through the same registries every other app uses."""

from __future__ import annotations

from typing import Any

from django.db.models import F, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clients import medical
from clients.extensions import (
    ChartSection,
    NoonOf,
    OverviewPanel,
    TimelineEntry,
    TimelineSource,
    register_overview_panel,
    register_timeline_source,
)
from clients.models import Client, Consent, Intake, MedicalEvaluation, TherapistAssignment


def _name(user: Any) -> str:
    return user.full_name if user is not None else ""


# --- Overview ---------------------------------------------------------------------------------


def words_context(client: Client, can: Any) -> dict[str, Any]:
    return {"resume_intake": client.intake.is_draft and can.write}


def contact_context(client: Client, can: Any) -> dict[str, Any]:
    return {}


def medical_context(client: Client, can: Any) -> dict[str, Any]:
    """The status only (annotated on the chart's client): the findings are one click away on
    the Medical evaluation section, so the Overview reads no evaluation row."""
    return {"status": medical.status_of(client)}


# --- Timeline ---------------------------------------------------------------------------------


def intake_started_rows(client: Client) -> QuerySet[Client]:
    return Client.objects.filter(pk=client.pk).annotate(timeline_at=F("created_at"))


def intake_started_load(pks: list[int]) -> dict[int, TimelineEntry]:
    rows = Client.objects.filter(pk__in=pks).only("pk", "created_at", "created_by__full_name")
    return {
        c.pk: TimelineEntry(
            at=c.created_at,
            title=_("Intake started"),
            url=reverse("clients:intake", kwargs={"pk": c.pk}),
            who=_name(c.created_by),
        )
        for c in rows.select_related("created_by")
    }


def intake_completed_rows(client: Client) -> QuerySet[Intake]:
    return Intake.objects.filter(client=client, completed_at__isnull=False).annotate(
        timeline_at=F("completed_at")
    )


def intake_completed_load(pks: list[int]) -> dict[int, TimelineEntry]:
    rows = (
        Intake.objects.filter(pk__in=pks)
        .select_related("completed_by")
        .only("pk", "client_id", "completed_at", "completed_by__full_name")
    )
    return {
        i.pk: TimelineEntry(
            at=i.completed_at,
            title=_("Intake completed"),
            url=reverse("clients:intake", kwargs={"pk": i.client_id}),
            who=_name(i.completed_by),
        )
        for i in rows
    }


def assignment_rows(client: Client) -> QuerySet[TherapistAssignment]:
    return TherapistAssignment.objects.filter(client=client).annotate(timeline_at=F("started_at"))


def assignment_load(pks: list[int]) -> dict[int, TimelineEntry]:
    rows = TherapistAssignment.objects.filter(pk__in=pks).select_related("therapist", "assigned_by")
    return {
        a.pk: TimelineEntry(
            at=a.started_at,
            title=_("Assigned to %(name)s") % {"name": a.therapist.full_name},
            detail=a.reason,
            who=_name(a.assigned_by),
        )
        for a in rows
    }


def consent_signed_rows(client: Client) -> QuerySet[Consent]:
    return Consent.objects.filter(client=client).annotate(timeline_at=NoonOf("signed_on"))


def _consents(pks: list[int]) -> QuerySet[Consent]:
    return Consent.objects.filter(pk__in=pks).select_related("created_by", "revocation_recorded_by")


def consent_signed_load(pks: list[int]) -> dict[int, TimelineEntry]:
    return {
        c.pk: TimelineEntry(
            at=c.signed_on,
            title=_("Consent signed: %(to)s") % {"to": c.recipient},
            detail=c.get_scope_display(),
            url=reverse("clients:consents", kwargs={"pk": c.client_id}),
            who=_name(c.created_by),
        )
        for c in _consents(pks)
    }


def consent_revoked_rows(client: Client) -> QuerySet[Consent]:
    return Consent.objects.filter(client=client, revoked_on__isnull=False).annotate(
        timeline_at=NoonOf("revoked_on")
    )


def consent_revoked_load(pks: list[int]) -> dict[int, TimelineEntry]:
    return {
        c.pk: TimelineEntry(
            at=c.revoked_on,
            title=_("Consent revoked: %(to)s") % {"to": c.recipient},
            detail=_("Revoked by %(who)s") % {"who": c.revoked_by} if c.revoked_by else "",
            url=reverse("clients:consents", kwargs={"pk": c.client_id}),
            who=_name(c.revocation_recorded_by),
        )
        for c in _consents(pks)
    }


def medical_rows(client: Client) -> QuerySet[MedicalEvaluation]:
    return MedicalEvaluation.objects.filter(client=client).annotate(
        timeline_at=NoonOf("evaluated_on")
    )


def medical_load(pks: list[int]) -> dict[int, TimelineEntry]:
    rows = MedicalEvaluation.objects.filter(pk__in=pks).select_related("recorded_by")
    return {
        e.pk: TimelineEntry(
            at=e.evaluated_on,
            title=(
                _("Medical evaluation (correction)") if e.corrects_id else _("Medical evaluation")
            ),
            detail=e.evaluated_by,
            url=reverse("clients:medical", kwargs={"pk": e.client_id}),
            who=_name(e.recorded_by),
        )
        for e in rows
    }


def discharge_rows(client: Client) -> QuerySet[Client]:
    return Client.objects.filter(
        pk=client.pk, status=Client.Status.DISCHARGED, discharged_on__isnull=False
    ).annotate(timeline_at=NoonOf("discharged_on"))


def discharge_load(pks: list[int]) -> dict[int, TimelineEntry]:
    rows = Client.objects.filter(pk__in=pks).only("pk", "discharged_on")
    return {c.pk: TimelineEntry(at=c.discharged_on, title=_("Discharged")) for c in rows}


def register() -> None:
    register_overview_panel(
        OverviewPanel(
            key="words",
            label=gettext_lazy("In the client's words"),
            template="clients/_panel_words.html",
            context=words_context,
            order=5,
            wide=True,
        )
    )
    register_overview_panel(
        OverviewPanel(
            key="medical",
            label=gettext_lazy("Medical evaluation"),
            template="clients/_panel_medical.html",
            context=medical_context,
            annotate=medical.annotate,
            # After the measures: the physical side of "how is the client doing".
            order=55,
        )
    )
    register_overview_panel(
        OverviewPanel(
            key="contact",
            label=gettext_lazy("Contact"),
            template="clients/_panel_contact.html",
            context=contact_context,
            order=200,
        )
    )
    for key, label, rows, load, order in (
        (
            "intake_started",
            gettext_lazy("Intake started"),
            intake_started_rows,
            intake_started_load,
            10,
        ),
        (
            "intake_completed",
            gettext_lazy("Intake completed"),
            intake_completed_rows,
            intake_completed_load,
            11,
        ),
        ("assignment", gettext_lazy("Therapist assignments"), assignment_rows, assignment_load, 12),
        (
            "consent_signed",
            gettext_lazy("Consents signed"),
            consent_signed_rows,
            consent_signed_load,
            13,
        ),
        (
            "consent_revoked",
            gettext_lazy("Consents revoked"),
            consent_revoked_rows,
            consent_revoked_load,
            14,
        ),
        ("discharge", gettext_lazy("Discharge"), discharge_rows, discharge_load, 15),
        ("medical", gettext_lazy("Medical evaluations"), medical_rows, medical_load, 16),
    ):
        register_timeline_source(
            TimelineSource(
                key=key, label=label, rows=rows, load=load, order=order, access=ChartSection.READ
            )
        )
