"""The client's record as a FHIR R4 document Bundle, built by a registry of resource builders.

Decisions:
- Bundle type "document": its first entry is a Composition, which lets the record carry its
  title, its author (the clinic), its confidentiality ("R", restricted) and, as a section of
  narrative, the 42 CFR Part 2 redisclosure notice that must travel with every disclosure. A
  "collection" has nowhere to put the notice. Each other section lists one builder's resources.
- Every resource (and the Bundle) carries `meta.security`: the HL7 v3 ActCode "42CFRPart2"
  and the confidentiality "R", so a receiving system knows the data are Part 2 protected.
- Resources are plain dicts (JSON-ready); fhir.resources validates them in the tests only,
  so the request path needs no pydantic model building (see requirements/dev.txt).
- R4 (4.0.1) shapes. The tests validate with fhir.resources' R4B models (the package ships
  no R4 module; R4B changed none of the resource types built here).
- Ids are stable: a UUID derived from the row's table and key, so a second export of the same
  record names the same resources.

Each builder is one function taking the ExportContext and returning resources; it reads its
rows in one query (or reuses the context's memo), so the export costs a fixed number of queries
whatever the client's history. Another app adds a resource type by calling `register()` from
its AppConfig.ready() (billing's Condition and Encounter builders, for instance).
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext as _

from assessments.measures import MEASURES
from assessments.models import Administration
from billing.models import Diagnosis
from billing.selectors import diagnoses_for_client, encounters_for_client
from clients.models import Client, Consent
from disclosures.report import REDISCLOSURE_NOTICE
from goals.models import CLIENT_COPY_LABELS, SECTION_FIELDS, Goal, PlanVersion
from goals.selectors import display_value

FHIR_VERSION = "4.0.1"
LOINC = "http://loinc.org"
V3_ACTCODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
V3_CONFIDENTIALITY = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
# The clinic's own identifiers: chart numbers, and the measures LOINC has no code for.
CHART_NUMBER_SYSTEM = "urn:hrp:chart-number"
MEASURE_SYSTEM = "urn:hrp:measure"
_NAMESPACE = uuid.UUID("0b5e6a52-7f0e-4c55-9b57-5a1f3c0e9d41")

PART2_LABEL = {"system": V3_ACTCODE, "code": "42CFRPart2", "display": "42 CFR Part2"}
RESTRICTED_LABEL = {"system": V3_CONFIDENTIALITY, "code": "R", "display": "restricted"}
SECURITY = [PART2_LABEL, RESTRICTED_LABEL]


def resource_id(kind: str, pk: Any) -> str:
    """A stable id for the row `pk` of `kind` (its table), the same in every export."""
    return str(uuid.uuid5(_NAMESPACE, f"{kind}/{pk}"))


def full_url(resource: dict[str, Any]) -> str:
    return f"urn:uuid:{resource['id']}"


def reference(resource_type: str, rid: str, display: str = "") -> dict[str, str]:
    ref = {"reference": f"urn:uuid:{rid}", "type": resource_type}
    if display:
        ref["display"] = display
    return ref


def instant(moment: datetime.datetime) -> str:
    """A FHIR dateTime/instant in the clinic's time zone, to the second."""
    return timezone.localtime(moment).replace(microsecond=0).isoformat()


@dataclass
class ExportContext:
    client: Client
    clinic_name: str
    now: datetime.datetime
    # Rows two builders share (measures: Observation and QuestionnaireResponse), read once.
    memo: dict[str, Any] = field(default_factory=dict)

    @property
    def patient_id(self) -> str:
        return resource_id("clients.client", self.client.pk)

    @property
    def patient(self) -> dict[str, str]:
        return reference("Patient", self.patient_id)

    def resource(self, resource_type: str, rid: str, **body: Any) -> dict[str, Any]:
        return {"resourceType": resource_type, "id": rid, "meta": {"security": SECURITY}, **body}


@dataclass(frozen=True)
class ResourceBuilder:
    key: str
    # The Composition section's title for these resources.
    title: Any
    build: Callable[[ExportContext], list[dict[str, Any]]]
    order: int


_BUILDERS: dict[str, ResourceBuilder] = {}


def register(builder: ResourceBuilder) -> None:
    _BUILDERS[builder.key] = builder


def builders() -> list[ResourceBuilder]:
    return sorted(_BUILDERS.values(), key=lambda b: (b.order, b.key))


# --- Builders --------------------------------------------------------------------------------


def patient(ctx: ExportContext) -> list[dict[str, Any]]:
    client = ctx.client
    # A client known only by a chosen name (issue 21) has no official name; a disclosure refuses
    # such a record, but the client's own copy carries what there is.
    names: list[dict[str, Any]] = []
    if client.legal_name:
        names.append({"use": "official", "text": client.legal_name})
    if client.preferred_name and client.preferred_name != client.legal_name:
        names.append({"use": "usual", "text": client.preferred_name})
    body: dict[str, Any] = {
        "identifier": [{"system": CHART_NUMBER_SYSTEM, "value": client.chart_number}],
        "active": client.status != Client.Status.DISCHARGED,
        "name": names,
    }
    if client.date_of_birth:
        body["birthDate"] = client.date_of_birth.isoformat()
    return [ctx.resource("Patient", ctx.patient_id, **body)]


def _administrations(ctx: ExportContext) -> list[Administration]:
    """Every administration of a measure, oldest first, in one query shared by both builders."""
    if "administrations" not in ctx.memo:
        ctx.memo["administrations"] = list(
            Administration.objects.filter(client=ctx.client)
            .only(
                "pk",
                "measure_code",
                "answers",
                "score",
                "band",
                "administered_at",
                "corrects_id",
            )
            .order_by("administered_at", "id")
        )
    return ctx.memo["administrations"]


def _measure_concept(measure: Any, loinc: str) -> dict[str, Any]:
    coding = (
        {"system": LOINC, "code": loinc, "display": measure.name}
        if loinc
        else {"system": MEASURE_SYSTEM, "code": measure.code, "display": measure.name}
    )
    return {"coding": [coding], "text": measure.name}


def _questionnaire(measure: Any) -> str:
    # LOINC publishes its panels as Questionnaires at this canonical (forms.loinc.org).
    if measure.loinc_panel:
        return f"http://loinc.org/q/{measure.loinc_panel}"
    return f"{MEASURE_SYSTEM}:{measure.code}"


def _corrected_ids(rows: list[Administration]) -> set[int]:
    return {row.corrects_id for row in rows if row.corrects_id}


def questionnaire_responses(ctx: ExportContext) -> list[dict[str, Any]]:
    rows = _administrations(ctx)
    corrected = _corrected_ids(rows)
    resources = []
    for row in rows:
        measure = MEASURES[row.measure_code]
        labels = {
            item.key: (item.text, {c.value: c.label for c in item.choices})
            for item in measure.items
        }
        items = []
        for key in measure.item_keys:
            if key not in row.answers:
                continue
            text, choices = labels[key]
            value = row.answers[key]
            items.append(
                {
                    "linkId": key,
                    "text": str(text),
                    "answer": [{"valueCoding": {"code": value, "display": str(choices[value])}}],
                }
            )
        resources.append(
            ctx.resource(
                "QuestionnaireResponse",
                resource_id("assessments.administration.qr", row.pk),
                questionnaire=_questionnaire(measure),
                # A result later corrected was entered in error; its correction stands.
                status="entered-in-error" if row.pk in corrected else "completed",
                subject=ctx.patient,
                authored=instant(row.administered_at),
                item=items,
            )
        )
    return resources


def observations(ctx: ExportContext) -> list[dict[str, Any]]:
    rows = _administrations(ctx)
    corrected = _corrected_ids(rows)
    resources = []
    for row in rows:
        measure = MEASURES[row.measure_code]
        if row.pk in corrected:
            status = "entered-in-error"
        elif row.corrects_id:
            status = "corrected"
        else:
            status = "final"
        band = measure.band(row.score)
        resources.append(
            ctx.resource(
                "Observation",
                resource_id("assessments.administration", row.pk),
                status=status,
                category=[
                    {
                        "coding": [
                            {
                                "system": "http://terminology.hl7.org/CodeSystem/"
                                "observation-category",
                                "code": "survey",
                                "display": "Survey",
                            }
                        ]
                    }
                ],
                code=_measure_concept(measure, measure.loinc_total),
                subject=ctx.patient,
                effectiveDateTime=instant(row.administered_at),
                valueInteger=row.score,
                interpretation=[{"text": str(band.label)}],
                derivedFrom=[
                    reference(
                        "QuestionnaireResponse",
                        resource_id("assessments.administration.qr", row.pk),
                    )
                ],
            )
        )
    return resources


# Goal status -> FHIR lifecycleStatus. A revised goal was replaced by its next version; a goal
# set aside is on hold (it may come back), never "cancelled" as if it had failed.
GOAL_STATUS = {
    Goal.Status.ACTIVE: "active",
    Goal.Status.ACHIEVED: "completed",
    Goal.Status.REVISED: "cancelled",
    Goal.Status.SET_ASIDE: "on-hold",
}


def goals(ctx: ExportContext) -> list[dict[str, Any]]:
    resources = []
    for goal in (
        Goal.objects.filter(client=ctx.client)
        .only(
            "pk",
            "client_id",
            "kind",
            "client_words",
            "hypothesis",
            "start_date",
            "review_date",
            "status",
            "revised_from_id",
        )
        .order_by("start_date", "id")
    ):
        body: dict[str, Any] = {
            "lifecycleStatus": GOAL_STATUS[goal.status],
            "category": [{"text": str(goal.get_kind_display())}],
            "description": {"text": goal.client_words},
            "subject": ctx.patient,
            "startDate": goal.start_date.isoformat(),
            "target": [{"dueDate": goal.review_date.isoformat()}],
        }
        if goal.status == Goal.Status.ACHIEVED:
            body["achievementStatus"] = {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/goal-achievement",
                        "code": "achieved",
                        "display": "Achieved",
                    }
                ]
            }
        if goal.hypothesis:
            body["note"] = [{"text": goal.hypothesis}]
        resources.append(ctx.resource("Goal", resource_id("goals.goal", goal.pk), **body))
    return resources


# The plan's fields that leave the clinic: the ones the client's own copy names (never the
# clinician's notes), under the plan's own labels.
_PLAN_LABELS = dict(SECTION_FIELDS)
PLAN_FIELDS = [key for key in CLIENT_COPY_LABELS if key in _PLAN_LABELS]


def _section_text(section: dict[str, Any]) -> str:
    lines = []
    for key in PLAN_FIELDS:
        value = display_value(key, section.get(key)).strip()
        if value:
            lines.append(f"{_PLAN_LABELS[key]}: {value}")
    return "\n".join(lines)


def care_plans(ctx: ExportContext) -> list[dict[str, Any]]:
    """The substance use plan, every version: the newest active, each earlier one replaced
    by its successor (`replaces`), so the history reads as the client lived it."""
    versions = list(
        PlanVersion.objects.filter(plan__client=ctx.client)
        .only("pk", "plan_id", "number", "sections", "reason", "review_date", "created_at")
        .order_by("number")
    )
    resources = []
    for index, version in enumerate(versions):
        latest = index == len(versions) - 1
        body: dict[str, Any] = {
            "status": "active" if latest else "revoked",
            "intent": "plan",
            "title": _("Substance use plan, version %(number)s") % {"number": version.number},
            "description": version.reason,
            "subject": ctx.patient,
            "created": instant(version.created_at),
            "activity": [
                {
                    "detail": {
                        "status": "in-progress" if latest else "stopped",
                        "description": (
                            f"{section.get('name', '')}\n{_section_text(section)}".strip()
                        ),
                    }
                }
                for section in version.sections
            ],
        }
        if index:
            body["replaces"] = [
                reference("CarePlan", resource_id("goals.planversion", versions[index - 1].pk))
            ]
        if version.review_date:
            body["period"] = {"end": version.review_date.isoformat()}
        resources.append(
            ctx.resource("CarePlan", resource_id("goals.planversion", version.pk), **body)
        )
    return resources


def consents(ctx: ExportContext) -> list[dict[str, Any]]:
    today = timezone.localdate(ctx.now)
    resources = []
    for consent in Consent.objects.filter(client=ctx.client).order_by("effective_on", "id"):
        in_force = (
            consent.revoked_on is None and consent.effective_on <= today <= consent.expires_on
        )
        resources.append(
            ctx.resource(
                "Consent",
                resource_id("clients.consent", consent.pk),
                status="active" if in_force else "inactive",
                scope={
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/consentscope",
                            "code": "patient-privacy",
                            "display": "Privacy Consent",
                        }
                    ]
                },
                category=[
                    {
                        "coding": [
                            {"system": LOINC, "code": "59284-0", "display": "Patient Consent"}
                        ],
                        "text": str(consent.get_scope_display()),
                    }
                ],
                patient=ctx.patient,
                dateTime=consent.signed_on.isoformat(),
                policyRule={"coding": [PART2_LABEL]},
                provision={
                    "type": "permit",
                    "period": {
                        "start": consent.effective_on.isoformat(),
                        # A consent revoked before it took effect never permitted anything.
                        "end": max(
                            consent.effective_on, consent.revoked_on or consent.expires_on
                        ).isoformat(),
                    },
                    "actor": [
                        {
                            "role": {
                                "coding": [
                                    {
                                        "system": "http://terminology.hl7.org/CodeSystem/"
                                        "v3-ParticipationType",
                                        "code": "IRCP",
                                        "display": "information recipient",
                                    }
                                ]
                            },
                            "reference": {"display": consent.recipient},
                        }
                    ],
                },
                text={
                    "status": "generated",
                    "div": _div(
                        _("%(scope)s to %(recipient)s, for: %(purpose)s")
                        % {
                            "scope": consent.get_scope_display(),
                            "recipient": consent.recipient,
                            "purpose": consent.purpose,
                        }
                    ),
                },
            )
        )
    return resources


def _div(text: str) -> str:
    """FHIR narrative: XHTML in a div of the XHTML namespace."""
    return f'<div xmlns="http://www.w3.org/1999/xhtml"><p>{escape(text)}</p></div>'


# Condition (the problem list) and Encounter (coded sessions and contacts) come from the billing
# app, which sits below this one and knows nothing of FHIR.
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
ENCOUNTER_CLASS = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
PLACE_OF_SERVICE_SYSTEM = "https://www.cms.gov/Medicare/Coding/place-of-service-codes"
# Places of service that are telehealth (02 other than home, 10 in the home): a virtual encounter.
TELEHEALTH_PLACES = {"02", "10"}
# What kind of service an encounter is: a group session is typed "group" in the clinic's own
# system (with SNOMED CT's group psychotherapy), so a receiving system tells it from a session.
# It never names the group or anyone else who attended.
ENCOUNTER_KIND_SYSTEM = "urn:hrp:encounter-kind"
SNOMED = "http://snomed.info/sct"
GROUP_TYPE = {
    "coding": [
        {"system": ENCOUNTER_KIND_SYSTEM, "code": "group", "display": "Group session"},
        {"system": SNOMED, "code": "76168009", "display": "Group psychotherapy"},
    ],
    "text": "Group session",
}


def _diagnoses(ctx: ExportContext) -> list[Diagnosis]:
    """The problem list, read once for both builders (an encounter points at its conditions)."""
    if "diagnoses" not in ctx.memo:
        ctx.memo["diagnoses"] = list(diagnoses_for_client(ctx.client))
    return ctx.memo["diagnoses"]


def conditions(ctx: ExportContext) -> list[dict[str, Any]]:
    resources = []
    for diagnosis in _diagnoses(ctx):
        if diagnosis.status == Diagnosis.Status.ENTERED_IN_ERROR:
            clinical, verification = None, "entered-in-error"
        elif diagnosis.status == Diagnosis.Status.RESOLVED:
            clinical, verification = "resolved", "confirmed"
        else:
            clinical, verification = "active", "confirmed"
        body: dict[str, Any] = {
            "verificationStatus": {
                "coding": [{"system": CONDITION_VERIFICATION, "code": verification}]
            },
            "code": {
                "coding": [
                    {
                        "system": diagnosis.system,
                        "version": diagnosis.code_set,
                        "code": diagnosis.code,
                        "display": diagnosis.official,
                    }
                ],
                # The person-first wording the clinic shows; the official one is in coding.
                "text": diagnosis.display,
            },
            "subject": ctx.patient,
        }
        if clinical:
            body["clinicalStatus"] = {"coding": [{"system": CONDITION_CLINICAL, "code": clinical}]}
        if diagnosis.onset_on:
            body["onsetDateTime"] = diagnosis.onset_on.isoformat()
        if diagnosis.resolved_on:
            body["abatementDateTime"] = diagnosis.resolved_on.isoformat()
        rid = resource_id("billing.diagnosis", diagnosis.pk)
        resources.append(ctx.resource("Condition", rid, **body))
    return resources


def encounters(ctx: ExportContext) -> list[dict[str, Any]]:
    by_code = {
        diagnosis.code: resource_id("billing.diagnosis", diagnosis.pk)
        for diagnosis in _diagnoses(ctx)
        if diagnosis.status != Diagnosis.Status.ENTERED_IN_ERROR
    }
    resources = []
    for encounter in encounters_for_client(ctx.client):
        virtual = encounter.place_of_service in TELEHEALTH_PLACES
        body: dict[str, Any] = {
            "status": "finished",
            "class": {
                "system": ENCOUNTER_CLASS,
                "code": "VR" if virtual else "AMB",
                "display": "virtual" if virtual else "ambulatory",
            },
            "type": [
                {
                    "coding": [
                        {
                            "system": encounter.code_system_uri,
                            "code": encounter.code,
                            "display": encounter.description,
                        }
                    ]
                }
            ],
            "subject": ctx.patient,
            "period": {
                "start": instant(encounter.started_at),
                "end": instant(encounter.ended_at),
            },
            "length": {
                "value": encounter.minutes,
                "unit": "min",
                "system": "http://unitsofmeasure.org",
                "code": "min",
            },
            "location": [
                {
                    "location": {
                        "display": encounter.place_label,
                        "identifier": {
                            "system": PLACE_OF_SERVICE_SYSTEM,
                            "value": encounter.place_of_service,
                        },
                    }
                }
            ],
        }
        if encounter.is_group:
            body["type"].append(GROUP_TYPE)
        addressed = [code for code in encounter.diagnosis_codes if code in by_code]
        if addressed:
            body["diagnosis"] = [
                {"condition": reference("Condition", by_code[code], code)} for code in addressed
            ]
        rid = resource_id("billing.encounter", encounter.pk)
        resources.append(ctx.resource("Encounter", rid, **body))
    return resources


for _builder in (
    ResourceBuilder("patient", "Patient", patient, 10),
    ResourceBuilder("condition", "Problem list", conditions, 20),
    ResourceBuilder("encounter", "Encounters", encounters, 30),
    ResourceBuilder("observation", "Measures", observations, 40),
    ResourceBuilder("questionnaire_response", "Measure answers", questionnaire_responses, 41),
    ResourceBuilder("goal", "Goals", goals, 50),
    ResourceBuilder("care_plan", "Substance use plan", care_plans, 60),
    ResourceBuilder("consent", "Consents", consents, 70),
):
    register(_builder)


# --- The Bundle ------------------------------------------------------------------------------


def build_bundle(*, client: Client, clinic_name: str, recipient: str = "") -> dict[str, Any]:
    """The client's record as a FHIR R4 document Bundle: a Composition (title, author,
    confidentiality, one section per builder, the redisclosure notice), then every resource
    the registered builders make. `recipient` names who it is for ("" for the client)."""
    ctx = ExportContext(client=client, clinic_name=clinic_name, now=timezone.now())
    sections = []
    entries: list[dict[str, Any]] = []
    for builder in builders():
        resources = builder.build(ctx)
        entries.extend({"fullUrl": full_url(r), "resource": r} for r in resources)
        if builder.key == "patient":
            continue
        section: dict[str, Any] = {"title": builder.title}
        if resources:
            section["entry"] = [reference(r["resourceType"], r["id"]) for r in resources]
        else:
            section["emptyReason"] = {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/list-empty-reason",
                        "code": "nilknown",
                        "display": "Nil Known",
                    }
                ]
            }
        sections.append(section)
    stamp = ctx.now.replace(microsecond=0)
    document_id = resource_id("records.export", f"{client.pk}/{stamp.isoformat()}/{recipient}")
    sections.append(
        {
            "title": "Notice of confidentiality (42 CFR Part 2)",
            "text": {"status": "generated", "div": _div(REDISCLOSURE_NOTICE)},
        }
    )
    composition = ctx.resource(
        "Composition",
        document_id,
        status="final",
        type={
            "coding": [{"system": LOINC, "code": "60591-5", "display": "Patient summary Document"}]
        },
        subject=ctx.patient,
        date=instant(ctx.now),
        author=[{"display": clinic_name}],
        title=(
            f"Health record of {client.legal_name} for {recipient}"
            if recipient
            else f"Health record of {client.legal_name}, the client's own copy"
        ),
        confidentiality="R",
        section=sections,
    )
    return {
        "resourceType": "Bundle",
        "id": document_id,
        "meta": {"security": SECURITY},
        "identifier": {"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{document_id}"},
        "type": "document",
        "timestamp": instant(ctx.now),
        "entry": [{"fullUrl": full_url(composition), "resource": composition}, *entries],
    }
