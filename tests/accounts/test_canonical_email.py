"""Emails are stored in their canonical form: new accounts, and existing ones by migration
accounts 0004 (which stops, changing nothing, when two accounts would collide)."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError

from hrp.accounts.models import User
from hrp.accounts.services import account_create
from tests.factories import ClinicAdminFactory, TherapistFactory

migration = importlib.import_module("hrp.accounts.migrations.0004_canonical_emails")


def test_a_new_account_is_stored_canonical_and_a_look_alike_is_a_duplicate(db: None) -> None:
    admin = ClinicAdminFactory()

    created = account_create(
        actor=admin, email=" ＡＮＡ@Clinic.Test ", full_name="Ana", is_therapist=True
    )
    with pytest.raises(ValidationError) as duplicate:
        account_create(actor=admin, email="ANA@clinic.test", full_name="Ana 2", is_therapist=True)

    assert User.objects.get(pk=created.pk).email == "ana@clinic.test"
    assert duplicate.value.message_dict == {
        "email": ["An account with this email address already exists."]
    }


def _stored(*emails: str) -> list[User]:
    users = [TherapistFactory() for _email in emails]
    for user, email in zip(users, emails, strict=True):
        User.objects.filter(pk=user.pk).update(email=email)
    return users


def test_the_migration_stores_existing_emails_canonical(db: None) -> None:
    folded, plain = _stored("Teſs.Therapist@Clinic.Test", "omar@clinic.test")

    migration.canonicalise(apps, None)

    assert dict(User.objects.values_list("pk", "email")) == {
        folded.pk: "tess.therapist@clinic.test",
        plain.pk: "omar@clinic.test",
    }


def test_the_migration_changes_nothing_when_two_accounts_would_collide(db: None) -> None:
    first, second, other = _stored("tess@clinic.test", "teſs@clinic.test", "Omar@clinic.test")

    with pytest.raises(RuntimeError) as clash:
        migration.canonicalise(apps, None)

    assert f"account ids [[{first.pk}, {second.pk}]]" in str(clash.value)
    assert dict(User.objects.values_list("pk", "email")) == {
        first.pk: "tess@clinic.test",
        second.pk: "teſs@clinic.test",
        other.pk: "Omar@clinic.test",
    }
