"""Validation of an exported Bundle against fhir.resources' models (R4B: the package has no
R4 module, and R4B changed none of the resource types the export builds)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle

PART2 = {
    "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
    "code": "42CFRPart2",
    "display": "42 CFR Part2",
}
RESTRICTED = {
    "system": "http://terminology.hl7.org/CodeSystem/v3-Confidentiality",
    "code": "R",
    "display": "restricted",
}


def validate(bundle: dict[str, Any]) -> Counter[str]:
    """Validate the Bundle and each resource on its own model; return the count per type.
    Also checks what every resource must carry: the Part 2 and restricted labels."""
    Bundle.model_validate(bundle)
    types: Counter[str] = Counter()
    for entry in bundle["entry"]:
        resource = entry["resource"]
        model = get_fhir_model_class(resource["resourceType"])
        model.model_validate(resource)
        assert resource["meta"]["security"] == [PART2, RESTRICTED], resource["resourceType"]
        assert entry["fullUrl"] == f"urn:uuid:{resource['id']}"
        types[resource["resourceType"]] += 1
    return types


def of_type(bundle: dict[str, Any], resource_type: str) -> list[dict[str, Any]]:
    return [
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == resource_type
    ]
