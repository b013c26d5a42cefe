"""Every word a person reads can reach a translator: templates and Python are walked for text
outside gettext (tests/core/translatable.py says what counts), and the finder is shown to find
each kind of miss so that a silent pass means something."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from tests.core.translatable import python_findings, template_findings

ROOT = Path(settings.BASE_DIR).resolve()
# Not the staff interface: the operator's commands, generated data, the benchmark, and
# migrations (their labels repeat the models', which are checked).
PYTHON_LEFT_OUT = {".venv", "tests", "bench", "scripts", "migrations", "commands", "node_modules"}


def _template_files() -> list[Path]:
    dirs = [Path(d) for engine in settings.TEMPLATES for d in engine.get("DIRS", [])]
    dirs += [p for p in ROOT.glob("*/templates") if p.is_dir()]
    return sorted({f for d in dirs for f in d.rglob("*") if f.suffix in {".html", ".txt"}})


def _python_files() -> list[Path]:
    return sorted(
        p for p in ROOT.rglob("*.py") if not PYTHON_LEFT_OUT & set(p.relative_to(ROOT).parts)
    )


def test_every_template_text_is_marked_for_translation() -> None:
    files = _template_files()
    assert len(files) > 200  # the walk found the templates
    findings = [str(f) for path in files for f in template_findings(path, ROOT)]
    assert findings == []


def test_every_python_text_shown_to_a_person_is_marked_for_translation() -> None:
    files = _python_files()
    assert len(files) > 200
    findings = [str(f) for path in files for f in python_findings(path, ROOT)]
    assert findings == []


@pytest.fixture
def sample(tmp_path: Path):
    def write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


def test_the_template_finder_finds_each_kind_of_miss(sample, tmp_path: Path) -> None:
    path = sample(
        "page.html",
        '{% load i18n %}<html lang="en"><p>Hello</p>\n'
        '<a href="{% url \'x\' %}" title="Edit it">Open</a> {# a comment #}\n'
        "{% comment %}Notes for developers{% endcomment %}\n"
        "<p>{% translate 'Fine' %} · {{ value }} — PHQ-9 &middot; 12</p>\n"
        "{% blocktranslate %}All fine {{ here }}{% endblocktranslate %}\n"
        '<script>const word = "left alone";</script>\n'
        '<input type="submit" value="Save"> <img alt="{% translate \'Chart\' %}" src="x.png">\n'
        '<input placeholder="Search">\n<p>\n  Spread over lines\n</p>\n',
    )
    found = [(f.line, f.where, f.text) for f in template_findings(path, tmp_path)]
    assert found == [
        (1, "lang", "en"),
        (1, "text", "Hello"),
        (2, "title", "Edit it"),
        (2, "text", "Open"),
        (7, "value", "Save"),
        (8, "placeholder", "Search"),
        (10, "text", "Spread over lines"),
    ]


def test_the_template_finder_finds_words_handed_to_tags_and_filters(sample, tmp_path: Path) -> None:
    path = sample(
        "tags.html",
        '{% load i18n %}{% include "components/x.html" with label="Delete it" kind="danger" %}\n'
        '{{ when|default:"Never" }} {{ flag|yesno:"yes,no" }} {{ flag|yesno:_("yes,no") }}\n'
        '{% if status == "Signed" %}{% endif %}{% with title=_("Fine") %}{% endwith %}\n'
        "{{ message.tags|default:'info' }}\n",
    )
    found = [(f.line, f.where, f.text) for f in template_findings(path, tmp_path)]
    assert found == [
        (1, "{% include %}", "Delete it"),
        (2, "{{ }}", "Never"),
        (2, "{{ }}", "yes,no"),
    ]


def test_the_template_finder_reads_plain_text_line_by_line(sample, tmp_path: Path) -> None:
    path = sample(
        "email.txt",
        "{% load i18n %}{% translate 'Hello' %}\n{{ link }}\nThe link works once.\n",
    )
    found = [(f.line, f.text) for f in template_findings(path, tmp_path)]
    assert found == [(3, "The link works once.")]


def test_the_python_finder_finds_each_kind_of_miss(sample, tmp_path: Path) -> None:
    path = sample(
        "views.py",
        "from django.utils.translation import gettext as _\n"
        'messages.success(request, "Saved.")\n'
        'messages.error(request, f"Not saved: {reason}")\n'
        'messages.info(request, _("Fine"))\n'
        'raise ValidationError("Enter a date.")\n'
        'raise ValidationError({"end": "After the start, please."})\n'
        'field = forms.CharField(label="Name", help_text="As it is written")\n'
        'widget = forms.TextInput(attrs={"placeholder": "Search", "class": "form-control"})\n'
        'name = models.CharField("legal name", max_length=200)\n'
        'client = models.ForeignKey("clients.Client", on_delete=models.CASCADE)\n'
        "class Meta:\n"
        '    verbose_name = "plan"\n'
        '    labels = {"goal": "Goal"}\n'
        "class Kind(models.TextChoices):\n"
        '    WALK = "walk", "A walk"\n'
        '    RUN = "run", _("A run")\n'
        'kind = models.CharField(choices=[("a", "Apple"), ("b", _("Bee"))])\n'
        'form.add_error("when", "Pick a time.")\n'
        'logger.warning("not a person\'s words")\n',
    )
    found = [(f.line, f.where, f.text) for f in python_findings(path, tmp_path)]
    assert found == [
        (2, "messages.success", "Saved."),
        (3, "messages.error", "Not saved:  "),
        (5, "ValidationError", "Enter a date."),
        (6, "ValidationError", "After the start, please."),
        (7, "label", "Name"),
        (7, "help_text", "As it is written"),
        (8, "attrs[placeholder]", "Search"),
        (9, "verbose_name", "legal name"),
        (12, "verbose_name", "plan"),
        (13, "labels", "Goal"),
        (15, "choices", "A walk"),
        (17, "choices", "Apple"),
        (18, "add_error", "Pick a time."),
    ]


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_page_outside_base_html_says_the_active_language(language: str) -> None:
    with translation.override(language):
        html = render_to_string("500.html")
    assert f'<html lang="{language}">' in html
