"""The code sets billing uses, kept as data: ICD-10-CM diagnoses, service codes (CPT, HCPCS)
with the rule that turns a real duration into units, and places of service.

Nothing here is computed per clinic: a clinic adds its own service codes as rows
(billing.models.ClinicServiceCode) that use the same unit rules, and its fees as rows
(billing.models.Fee).

ICD-10-CM: the official descriptions of the National Center for Health Statistics' tabular
list (public domain). Where the official wording is stigmatising ("abuse", "dependence"), the
page shows person-first wording (the DSM-5-TR name that maps to the code) with the official
description beside it: the claim carries the code, the clinician reads the person-first text.

CPT descriptors are the AMA's copyright: the descriptions below are our own short wording.
HCPCS Level II descriptors are CMS's (public domain).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

CODE_SET_VERSION = "ICD-10-CM FY2027"
ICD10_SYSTEM = "http://hl7.org/fhir/sid/icd-10-cm"
CPT_SYSTEM = "http://www.ama-assn.org/go/cpt"
HCPCS_SYSTEM = "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets"
LOCAL_SYSTEM = "urn:hrp:clinic-service-code"


@dataclass(frozen=True)
class DiagnosisCode:
    code: str
    official: str  # the official ICD-10-CM description, word for word
    display: str = ""  # person-first wording, when the official one stigmatises
    group: str = ""

    @property
    def label(self) -> str:
        """What a clinician reads: person-first wording, the official one beside it."""
        if self.display:
            return f"{self.display} — {self.code} (official: {self.official})"
        return f"{self.official} — {self.code}"

    @property
    def shown(self) -> str:
        return self.display or self.official


SUBSTANCE = "Substance use"
MOOD = "Depression"
ANXIETY = "Anxiety, trauma and stress"
SOCIAL = "Social circumstances"


def _use_disorder(prefix: str, official: str, person_first: str) -> list[DiagnosisCode]:
    """The four codes used in practice for one substance: DSM-5-TR maps "mild" to the
    ICD-10-CM "abuse" codes (.10, .11) and "moderate or severe" to "dependence" (.20, .21)."""
    return [
        DiagnosisCode(
            f"{prefix}.10", f"{official} abuse, uncomplicated", f"{person_first}, mild", SUBSTANCE
        ),
        DiagnosisCode(
            f"{prefix}.11",
            f"{official} abuse, in remission",
            f"{person_first}, mild, in remission",
            SUBSTANCE,
        ),
        DiagnosisCode(
            f"{prefix}.20",
            f"{official} dependence, uncomplicated",
            f"{person_first}, moderate or severe",
            SUBSTANCE,
        ),
        DiagnosisCode(
            f"{prefix}.21",
            f"{official} dependence, in remission",
            f"{person_first}, moderate or severe, in remission",
            SUBSTANCE,
        ),
    ]


ICD10_CODES: tuple[DiagnosisCode, ...] = (
    *_use_disorder("F10", "Alcohol", "Alcohol use disorder"),
    *_use_disorder("F11", "Opioid", "Opioid use disorder"),
    *_use_disorder("F12", "Cannabis", "Cannabis use disorder"),
    *_use_disorder(
        "F13", "Sedative, hypnotic or anxiolytic", "Sedative, hypnotic or anxiolytic use disorder"
    ),
    *_use_disorder("F14", "Cocaine", "Cocaine use disorder"),
    *_use_disorder("F15", "Other stimulant", "Stimulant use disorder (amphetamine-type or other)"),
    *_use_disorder("F16", "Hallucinogen", "Hallucinogen use disorder"),
    DiagnosisCode(
        "F17.200",
        "Nicotine dependence, unspecified, uncomplicated",
        "Tobacco use disorder, moderate or severe",
        SUBSTANCE,
    ),
    DiagnosisCode(
        "F17.201",
        "Nicotine dependence, unspecified, in remission",
        "Tobacco use disorder, moderate or severe, in remission",
        SUBSTANCE,
    ),
    DiagnosisCode(
        "F17.210",
        "Nicotine dependence, cigarettes, uncomplicated",
        "Tobacco use disorder (cigarettes), moderate or severe",
        SUBSTANCE,
    ),
    DiagnosisCode(
        "F17.211",
        "Nicotine dependence, cigarettes, in remission",
        "Tobacco use disorder (cigarettes), moderate or severe, in remission",
        SUBSTANCE,
    ),
    DiagnosisCode(
        "F17.290",
        "Nicotine dependence, other tobacco product, uncomplicated",
        "Tobacco or nicotine use disorder (other product, e.g. vaping), moderate or severe",
        SUBSTANCE,
    ),
    DiagnosisCode("Z72.0", "Tobacco use", "", SUBSTANCE),
    DiagnosisCode(
        "F18.10", "Inhalant abuse, uncomplicated", "Inhalant use disorder, mild", SUBSTANCE
    ),
    DiagnosisCode(
        "F18.20",
        "Inhalant dependence, uncomplicated",
        "Inhalant use disorder, moderate or severe",
        SUBSTANCE,
    ),
    *_use_disorder(
        "F19", "Other psychoactive substance", "Other (or unknown) substance use disorder"
    ),
    DiagnosisCode("F32.0", "Major depressive disorder, single episode, mild", "", MOOD),
    DiagnosisCode("F32.1", "Major depressive disorder, single episode, moderate", "", MOOD),
    DiagnosisCode(
        "F32.2",
        "Major depressive disorder, single episode, severe without psychotic features",
        "",
        MOOD,
    ),
    DiagnosisCode(
        "F32.3",
        "Major depressive disorder, single episode, severe with psychotic features",
        "",
        MOOD,
    ),
    DiagnosisCode(
        "F32.4", "Major depressive disorder, single episode, in partial remission", "", MOOD
    ),
    DiagnosisCode(
        "F32.5", "Major depressive disorder, single episode, in full remission", "", MOOD
    ),
    DiagnosisCode("F32.9", "Major depressive disorder, single episode, unspecified", "", MOOD),
    DiagnosisCode("F32.A", "Depression, unspecified", "", MOOD),
    DiagnosisCode("F33.0", "Major depressive disorder, recurrent, mild", "", MOOD),
    DiagnosisCode("F33.1", "Major depressive disorder, recurrent, moderate", "", MOOD),
    DiagnosisCode(
        "F33.2", "Major depressive disorder, recurrent severe without psychotic features", "", MOOD
    ),
    DiagnosisCode(
        "F33.3", "Major depressive disorder, recurrent, severe with psychotic symptoms", "", MOOD
    ),
    DiagnosisCode(
        "F33.40", "Major depressive disorder, recurrent, in remission, unspecified", "", MOOD
    ),
    DiagnosisCode("F33.41", "Major depressive disorder, recurrent, in partial remission", "", MOOD),
    DiagnosisCode("F33.42", "Major depressive disorder, recurrent, in full remission", "", MOOD),
    DiagnosisCode("F33.9", "Major depressive disorder, recurrent, unspecified", "", MOOD),
    DiagnosisCode("F40.00", "Agoraphobia, unspecified", "", ANXIETY),
    DiagnosisCode("F40.10", "Social phobia, unspecified", "Social anxiety disorder", ANXIETY),
    DiagnosisCode("F41.0", "Panic disorder [episodic paroxysmal anxiety]", "", ANXIETY),
    DiagnosisCode("F41.1", "Generalized anxiety disorder", "", ANXIETY),
    DiagnosisCode("F41.9", "Anxiety disorder, unspecified", "", ANXIETY),
    DiagnosisCode("F43.10", "Post-traumatic stress disorder, unspecified", "", ANXIETY),
    DiagnosisCode("F43.11", "Post-traumatic stress disorder, acute", "", ANXIETY),
    DiagnosisCode("F43.12", "Post-traumatic stress disorder, chronic", "", ANXIETY),
    DiagnosisCode("F43.20", "Adjustment disorder, unspecified", "", ANXIETY),
    DiagnosisCode("F43.21", "Adjustment disorder with depressed mood", "", ANXIETY),
    DiagnosisCode("F43.22", "Adjustment disorder with anxiety", "", ANXIETY),
    DiagnosisCode(
        "F43.23", "Adjustment disorder with mixed anxiety and depressed mood", "", ANXIETY
    ),
    DiagnosisCode("F43.24", "Adjustment disorder with disturbance of conduct", "", ANXIETY),
    DiagnosisCode(
        "F43.25", "Adjustment disorder with mixed disturbance of emotions and conduct", "", ANXIETY
    ),
    DiagnosisCode("Z56.0", "Unemployment, unspecified", "", SOCIAL),
    DiagnosisCode("Z56.6", "Other physical and mental strain related to work", "", SOCIAL),
    DiagnosisCode("Z56.9", "Unspecified problems related to employment", "", SOCIAL),
    DiagnosisCode("Z59.00", "Homelessness, unspecified", "", SOCIAL),
    DiagnosisCode("Z59.01", "Sheltered homelessness", "", SOCIAL),
    DiagnosisCode("Z59.02", "Unsheltered homelessness", "", SOCIAL),
    DiagnosisCode("Z59.10", "Inadequate housing, unspecified", "", SOCIAL),
    DiagnosisCode("Z59.41", "Food insecurity", "", SOCIAL),
    DiagnosisCode("Z59.6", "Low income", "", SOCIAL),
    DiagnosisCode("Z59.811", "Housing instability, housed, with risk of homelessness", "", SOCIAL),
    DiagnosisCode(
        "Z59.812", "Housing instability, housed, homelessness in past 12 months", "", SOCIAL
    ),
    DiagnosisCode("Z59.819", "Housing instability, housed unspecified", "", SOCIAL),
    DiagnosisCode("Z60.2", "Problems related to living alone", "", SOCIAL),
    DiagnosisCode("Z63.0", "Problems in relationship with spouse or partner", "", SOCIAL),
    DiagnosisCode("Z63.4", "Disappearance and death of family member", "", SOCIAL),
    DiagnosisCode("Z63.5", "Disruption of family by separation and divorce", "", SOCIAL),
    DiagnosisCode("Z63.8", "Other specified problems related to primary support group", "", SOCIAL),
    DiagnosisCode("Z65.1", "Imprisonment and other incarceration", "", SOCIAL),
    DiagnosisCode("Z65.2", "Problems related to release from prison", "", SOCIAL),
    DiagnosisCode("Z65.3", "Problems related to other legal circumstances", "", SOCIAL),
)
ICD10 = {entry.code: entry for entry in ICD10_CODES}


def diagnosis_code(code: str) -> DiagnosisCode:
    """The entry for `code`; ValidationError when it is not in the code set we ship."""
    entry = ICD10.get(code)
    if entry is None:
        raise ValidationError({"code": _("Choose a diagnosis code from the list.")})
    return entry


# --- Service codes and their unit rules ------------------------------------------------------


class UnitRule(StrEnum):
    # One unit per encounter, whatever its length (untimed codes).
    SESSION = "session"
    # One unit when the real duration lies within [min_minutes, max_minutes] (max open when
    # None); outside it the code does not apply and the clinician is told which range it needs.
    TIME_RANGE = "time_range"
    # One unit per `unit_minutes`, a unit counting once its midpoint is passed (CPT's general
    # rule for timed units: "a unit of time is attained when the mid-point is passed"), so with
    # 15-minute units: 8-22 minutes 1 unit, 23-37 2 units, under 8 none.
    PER_UNIT = "per_unit"


UNIT_RULE_LABELS = {
    UnitRule.SESSION: gettext_lazy("One unit per encounter"),
    UnitRule.TIME_RANGE: gettext_lazy("One unit within a time range"),
    UnitRule.PER_UNIT: gettext_lazy("Per unit of time (counted from the midpoint)"),
}


@dataclass(frozen=True)
class ServiceCode:
    code: str
    system: str  # "CPT", "HCPCS" or "Clinic"
    description: str
    rule: UnitRule
    min_minutes: int | None = None
    max_minutes: int | None = None
    unit_minutes: int | None = None
    # An add-on code billed with this one past a length: `addon_code` from `addon_from`
    # minutes, one unit per `addon_step` minutes begun from there (90840 with 90839).
    addon_code: str = ""
    addon_from: int | None = None
    addon_step: int | None = None
    # Add-on codes are never chosen on their own.
    addon_only: bool = False
    # A code for a group service: offered when coding a member's attendance at a group meeting.
    group: bool = False

    @property
    def label(self) -> str:
        return f"{self.code} {self.description}"


@dataclass(frozen=True)
class Units:
    units: int
    addon_code: str = ""
    addon_units: int = 0


def units_for(service: ServiceCode, minutes: int) -> Units:
    """The units `service` earns for an encounter of `minutes` (the real duration), by the
    code's rule. ValidationError (on "minutes") when the code does not apply to that length,
    saying which length it needs."""
    if minutes < 1:
        raise ValidationError({"minutes": _("Enter how many minutes the encounter lasted.")})
    if service.rule == UnitRule.SESSION:
        return Units(1)
    if service.rule == UnitRule.PER_UNIT:
        assert service.unit_minutes
        midpoint = service.unit_minutes // 2 + 1
        units = (minutes + service.unit_minutes - midpoint) // service.unit_minutes
        if units < 1:
            raise ValidationError(
                {
                    "minutes": _(
                        "%(code)s is billed per %(unit)s minutes and needs at least %(min)s "
                        "minutes for one unit."
                    )
                    % {"code": service.code, "unit": service.unit_minutes, "min": midpoint}
                }
            )
        return Units(units)
    low = service.min_minutes or 1
    high = service.max_minutes
    if minutes < low or (high is not None and minutes > high and not service.addon_code):
        if high is None:
            needed = _("%(low)s minutes or more") % {"low": low}
        else:
            needed = _("%(low)s to %(high)s minutes") % {"low": low, "high": high}
        raise ValidationError(
            {
                "minutes": _(
                    "%(code)s covers %(needed)s; this encounter lasted %(minutes)s minutes. "
                    "Choose the code for that length."
                )
                % {"code": service.code, "needed": needed, "minutes": minutes}
            }
        )
    if service.addon_code and service.addon_from and minutes >= service.addon_from:
        assert service.addon_step
        extra = (minutes - service.addon_from) // service.addon_step + 1
        return Units(1, service.addon_code, extra)
    return Units(1)


# Sources: CPT psychotherapy time rules (CPT 2013 onwards; CMS MLN "Psychotherapy codes"):
# 90832 16-37 minutes, 90834 38-52, 90837 53 or more; psychotherapy for crisis 90839 for the
# first 30-74 minutes, 90840 for each additional 30 minutes from 75 (75-104 one, 105-134 two);
# family psychotherapy 90846/90847 from 26 minutes (CPT 2017); 90791 and 90853 untimed (per
# session). HCPCS Level II (CMS): H0004 "per 15 minutes"; H0001 and H0005 untimed.
SERVICE_CODES: tuple[ServiceCode, ...] = (
    ServiceCode("90791", "CPT", "Psychiatric diagnostic evaluation", UnitRule.SESSION),
    ServiceCode("90832", "CPT", "Psychotherapy, 30 minutes", UnitRule.TIME_RANGE, 16, 37),
    ServiceCode("90834", "CPT", "Psychotherapy, 45 minutes", UnitRule.TIME_RANGE, 38, 52),
    ServiceCode("90837", "CPT", "Psychotherapy, 60 minutes", UnitRule.TIME_RANGE, 53, None),
    ServiceCode(
        "90839",
        "CPT",
        "Psychotherapy for crisis, first 60 minutes",
        UnitRule.TIME_RANGE,
        30,
        74,
        addon_code="90840",
        addon_from=75,
        addon_step=30,
    ),
    ServiceCode(
        "90840",
        "CPT",
        "Psychotherapy for crisis, each additional 30 minutes",
        UnitRule.SESSION,
        addon_only=True,
    ),
    ServiceCode(
        "90846",
        "CPT",
        "Family psychotherapy without the client present, 50 minutes",
        UnitRule.TIME_RANGE,
        26,
        None,
    ),
    ServiceCode(
        "90847",
        "CPT",
        "Family psychotherapy with the client present, 50 minutes",
        UnitRule.TIME_RANGE,
        26,
        None,
    ),
    # Untimed (CPT): one unit per meeting whatever its length, the real duration recorded.
    ServiceCode("90853", "CPT", "Group psychotherapy", UnitRule.SESSION, group=True),
    ServiceCode("H0001", "HCPCS", "Alcohol and/or drug assessment", UnitRule.SESSION),
    ServiceCode(
        "H0004",
        "HCPCS",
        "Behavioral health counseling and therapy, per 15 minutes",
        UnitRule.PER_UNIT,
        unit_minutes=15,
    ),
    ServiceCode(
        "H0005",
        "HCPCS",
        "Alcohol and/or drug services; group counseling by a clinician",
        UnitRule.SESSION,
        group=True,
    ),
)
BUILTIN_SERVICE_CODES = {entry.code: entry for entry in SERVICE_CODES}

SYSTEM_URIS = {"CPT": CPT_SYSTEM, "HCPCS": HCPCS_SYSTEM, "Clinic": LOCAL_SYSTEM}


# --- Places of service (CMS Place of Service Code Set) ---------------------------------------

PLACES_OF_SERVICE: tuple[tuple[str, str], ...] = (
    ("02", "Telehealth Provided Other than in Patient's Home"),
    ("03", "School"),
    ("04", "Homeless Shelter"),
    ("10", "Telehealth Provided in Patient's Home"),
    ("11", "Office"),
    ("12", "Home"),
    ("27", "Outreach Site/ Street"),
    ("53", "Community Mental Health Center"),
    ("57", "Non-residential Substance Abuse Treatment Facility"),
    ("58", "Non-residential Opioid Treatment Facility"),
    ("99", "Other Place of Service"),
)
PLACE_OF_SERVICE = dict(PLACES_OF_SERVICE)
TELEHEALTH_HOME = "10"
OFFICE = "11"
# The place of service a coding page proposes, by the session's modality or the contact's kind
# (the clinician may choose another): telehealth in the client's home for video, phone and
# text, the street for outreach, the office otherwise.
DEFAULT_PLACE = {"video": TELEHEALTH_HOME, "phone": TELEHEALTH_HOME, "text": TELEHEALTH_HOME}
DEFAULT_PLACE["outreach"] = "27"
