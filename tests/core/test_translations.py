"""The Spanish catalogue of the staff interface: it compiles, the committed `.mo` is the `.po`
compiled, it holds every string of the code (`make messages` was run), and, once the
translations are merged, every one of them is translated and the main pages read in Spanish.

The strings of the code come from `manage.py update_messages` (the command `make messages`
runs) on a copy of the project, so the test and the Makefile extract the same way. Catalogues
are read through GNU gettext's own tools (msgfmt, msgattrib) and Python's gettext reader."""

from __future__ import annotations

import gettext
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import translation

from hrp.accounts.models import User
from hrp.core.management.commands.update_messages import translated_languages
from tests.sessions.factories import SessionNoteFactory

ROOT = Path(settings.BASE_DIR).resolve()
LANGUAGES = translated_languages()
# What the copy of the project leaves out: nothing in these is scanned for strings, and the
# committed catalogues must not be read as the code's.
NOT_COPIED = shutil.ignore_patterns(
    ".venv", ".git", "node_modules", "static", "staticfiles", "tests", "bench", "locale",
    "__pycache__", "htmlcov", "docs", "scripts", "*.pyc",
)  # fmt: skip

pytestmark = pytest.mark.skipif(
    shutil.which("msgfmt") is None, reason="GNU gettext (msgfmt) is not installed"
)


def _catalogue(language: str) -> Path:
    return ROOT / "locale" / language / "LC_MESSAGES" / "django.po"


def _app_catalogues(language: str) -> list[Path]:
    return sorted(ROOT.glob(f"*/locale/{language}/LC_MESSAGES/django.po"))


# A field of an entry and its (possibly wrapped) string: msgid "a"\n"b" is "ab".
FIELD = re.compile(r'^(msgctxt|msgid) ((?:".*"(?:\n|$))+)', re.MULTILINE)
QUOTED = re.compile(r'^"(.*)"$', re.MULTILINE)


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, check=False)


def _read_mo(path: Path) -> dict[object, str]:
    with path.open("rb") as handle:
        return dict(gettext.GNUTranslations(handle)._catalog)  # type: ignore[attr-defined]


def _msgids(po_text: str) -> set[str]:
    """The msgids (with any context) of a catalogue, as written in it: the quoted pieces of a
    wrapped string joined, escapes left as they are (both sides come from the same tools)."""
    ids = set()
    for entry in po_text.split("\n\n"):
        fields = {name: "".join(QUOTED.findall(value)) for name, value in FIELD.findall(entry)}
        msgid = fields.get("msgid", "")
        if msgid:  # "" is the header
            ids.add(f"{fields['msgctxt']}\x04{msgid}" if "msgctxt" in fields else msgid)
    return ids


def _all_msgids(po: Path) -> set[str]:
    """Every msgid of a .po, translated or not (obsolete `#~` entries aside)."""
    return _msgids(po.read_text(encoding="utf-8"))


def _translated_msgids(po: Path) -> set[str]:
    """The msgids with a translation: msgattrib leaves out the empty and the fuzzy ones."""
    result = _run("msgattrib", "--translated", "--no-fuzzy", "--no-obsolete", str(po))
    assert result.returncode == 0, result.stderr
    return _msgids(result.stdout)


@pytest.fixture(scope="module")
def code_msgids(tmp_path_factory: pytest.TempPathFactory) -> dict[str, set[str]]:
    """Per language, every string marked for translation in the code and templates."""
    work = tmp_path_factory.mktemp("messages")
    project = work / "project"
    shutil.copytree(ROOT, project, ignore=NOT_COPIED, symlinks=True)
    here = Path.cwd()
    os.chdir(project)  # makemessages walks the working directory
    try:
        with override_settings(LOCALE_PATHS=[project / "locale"]):
            call_command("update_messages", "--no-compile", verbosity=0)
    finally:
        os.chdir(here)
    return {
        language: _all_msgids(project / "locale" / language / "LC_MESSAGES" / "django.po")
        for language in LANGUAGES
    }


def test_spanish_is_offered_and_has_a_catalogue() -> None:
    assert LANGUAGES == ["es"]
    assert [path.exists() for path in map(_catalogue, LANGUAGES)] == [True]


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_catalogues_compile_and_the_committed_mo_is_the_po_compiled(
    language: str, tmp_path: Path
) -> None:
    for po in [_catalogue(language), *_app_catalogues(language)]:
        compiled = tmp_path / "check.mo"
        result = _run("msgfmt", "--check", "-o", str(compiled), str(po))
        # Errors (a format that does not match its msgid, a broken plural) fail; warnings about
        # optional header fields do not.
        assert result.returncode == 0, f"{po.relative_to(ROOT)}: {result.stderr}"
        committed = po.with_suffix(".mo")
        assert committed.exists(), f"{committed.relative_to(ROOT)}: run make messages"
        assert _read_mo(committed) == _read_mo(compiled), (
            f"{committed.relative_to(ROOT)} is not {po.name} compiled: run make messages"
        )


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_catalogue_holds_every_string_of_the_code(
    language: str, code_msgids: dict[str, set[str]]
) -> None:
    committed = _all_msgids(_catalogue(language))
    missing = sorted(code_msgids[language] - committed)
    assert len(code_msgids[language]) > 3000  # the extraction found the code's strings
    # New strings in the code: `make messages` adds them (with an empty msgstr) and compiles.
    assert (len(missing), missing[:30]) == (0, [])


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_string_of_the_code_is_translated(
    language: str, code_msgids: dict[str, set[str]]
) -> None:
    # A string may be translated in the project catalogue or in an app's own (selfreport's
    # client pages); empty and fuzzy translations do not count.
    translated = set().union(
        *(_translated_msgids(po) for po in [_catalogue(language), *_app_catalogues(language)])
    )
    untranslated = sorted(code_msgids[language] - translated)
    assert (len(untranslated), untranslated[:30]) == (0, [])


# --- The main pages as a Spanish-speaking clinician ------------------------------------------


@pytest.fixture
def spanish_therapist(therapist: User) -> Iterator[User]:
    User.objects.filter(pk=therapist.pk).update(language="es")
    therapist.refresh_from_db()
    yield therapist
    translation.activate("en")  # the requests left Spanish active in this thread


def _spanish(msgid: str) -> str:
    with translation.override("es"):
        return translation.gettext(msgid)


def test_the_main_pages_read_in_spanish(
    spanish_therapist: User, record, client_for: Callable[[User | None], Client]
) -> None:
    note = SessionNoteFactory(appointment__client=record)
    pages = {
        reverse("clients:caseload"): "My caseload",
        reverse("clients:chart", kwargs={"pk": record.pk}): "Therapist",
        reverse("sessions:note", kwargs={"pk": record.pk, "note_pk": note.pk}): "Session note",
        reverse("scheduling:week", args=[spanish_therapist.pk]): "Calendar",
    }
    client = client_for(spanish_therapist)
    seen = {}
    for url, msgid in pages.items():
        response = client.get(url)
        html = response.content.decode()
        spanish = _spanish(msgid)
        seen[url] = (
            response.status_code,
            '<html lang="es">' in html,
            spanish != msgid,
            spanish in html,
        )
    # Each page: found, in Spanish, and its word has a Spanish translation that is shown.
    assert seen == dict.fromkeys(pages, (200, True, True, True))


def test_the_reader_counts_only_real_translations(tmp_path: Path) -> None:
    po = tmp_path / "sample.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n'
        '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"\n\n'
        'msgid "Save"\nmsgstr "Guardar"\n\n'
        'msgid "Not yet"\nmsgstr ""\n\n'
        '#, fuzzy\nmsgid "Almost"\nmsgstr "Casi"\n\n'
        'msgctxt "month"\nmsgid "May"\nmsgstr "mayo"\n\n'
        'msgid ""\n"A long one "\n"wrapped"\nmsgstr "Una larga"\n\n'
        'msgid "%(n)d day"\nmsgid_plural "%(n)d days"\nmsgstr[0] "%(n)d día"\n'
        'msgstr[1] "%(n)d días"\n\n'
        '#~ msgid "Gone"\n#~ msgstr "Ido"\n',
        encoding="utf-8",
    )
    assert _all_msgids(po) == {
        "Save",
        "Not yet",
        "Almost",
        "month\x04May",
        "A long one wrapped",
        "%(n)d day",
    }
    assert _translated_msgids(po) == {"Save", "month\x04May", "A long one wrapped", "%(n)d day"}
