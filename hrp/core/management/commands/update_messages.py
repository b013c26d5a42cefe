"""`manage.py update_messages` (what `make messages` runs): the staff interface's catalogues
(`locale/<language>/LC_MESSAGES/django.po`) brought up to date with every string marked for
translation in the code and templates, then compiled to the `.mo` files that are committed
beside them. New strings arrive with an empty msgstr for the translators; strings gone from
the code are dropped.

One catalogue per language for everything, the client link pages included: a string has one
translation wherever it shows. Run from the project root."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandParser

from hrp.audit.context import AuditedCommand

# Not the staff interface, or not ours: never scanned for strings nor compiled.
IGNORED = [
    ".venv",
    "node_modules",
    "static",
    "staticfiles",
    "tests",
    "bench",
    "scripts",
    "docs",
    "htmlcov",
]
# File names without line numbers: a catalogue that changes only when strings do.
MAKEMESSAGES_OPTIONS: dict[str, Any] = {
    "ignore_patterns": IGNORED,
    "add_location": "file",
    "no_obsolete": True,
    "domain": "django",
}


def translated_languages() -> list[str]:
    """Every language offered but the one the code is written in."""
    return [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]


class Command(AuditedCommand):
    help = "Update the staff interface's translation catalogues from the code and compile them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--locale",
            action="append",
            help="Language to update (again for more); every offered language by default.",
        )
        parser.add_argument("--no-compile", action="store_true", help="Update the .po files only.")

    def handle(
        self, *args: Any, locale: list[str] | None, no_compile: bool, **options: Any
    ) -> None:
        languages = locale or translated_languages()
        verbosity = options["verbosity"]
        call_command("makemessages", locale=languages, verbosity=verbosity, **MAKEMESSAGES_OPTIONS)
        if not no_compile:
            call_command(
                "compilemessages", locale=languages, ignore_patterns=IGNORED, verbosity=verbosity
            )
