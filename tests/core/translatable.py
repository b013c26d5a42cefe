"""Finders for words a person reads that no translator could reach: text in templates outside
`{% translate %}` / `{% blocktranslate %}`, and string literals handed straight to the calls
that show text (messages, ValidationError, form labels, verbose names, choices).

Kept apart from the tests so that a developer can run it on one file while wrapping
(`python -m tests.core.translatable templates/x.html`)."""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from django.template.base import Lexer, TokenType

# Stand-ins for template tags, so that the HTML parser sees where a tag sat without its text.
TRANSLATED = "\ue000"  # {% translate %} / a whole {% blocktranslate %}...{% endblocktranslate %}
VARIABLE = "\ue001"  # {{ ... }}: a value, translated (or not text) where it is made
BLOCK = "\ue002"  # any other tag
MARKERS = re.compile(f"[{TRANSLATED}{VARIABLE}{BLOCK}]")

# Attributes a person reads (or a screen reader says).
READ_ATTRIBUTES = frozenset({"title", "aria-label", "placeholder", "alt", "aria-description"})
# Names, codes and units that read the same in every language the clinic offers.
UNTRANSLATED_WORDS = frozenset(
    {
        "AUDIT",
        "AUDIT-C",
        "CSV",
        "DAST-10",
        "FHIR",
        "GAD-7",
        "HRP",
        "ICD-10",
        "JSON",
        "NPI",
        "PDF",
        "PHQ-9",
        "TOTP",
        "URL",
        "XLSX",
        "hx-",
    }
)
LETTERS = re.compile(r"[^\W\d_]")
WORD = re.compile(r"[\w@.+-]+")


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    where: str  # "text" or the attribute name
    text: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.where}: {self.text!r}"


def needs_translation(text: str) -> bool:
    """True when `text` (markers taken out) still holds a word a translator would change."""
    words = [w for w in WORD.findall(MARKERS.sub(" ", text)) if LETTERS.search(w)]
    return any(w.strip(".-") not in UNTRANSLATED_WORDS for w in words)


def _flatten(source: str) -> str:
    """The template as HTML with each tag replaced by one marker character; comments and the
    insides of blocktranslate dropped. Line breaks inside dropped parts are kept so that the
    HTML parser's line numbers are the template's."""
    out: list[str] = []
    inside: str | None = None  # the end tag being waited for
    for token in Lexer(source).tokenize():
        content = token.contents
        if inside is not None:
            if token.token_type == TokenType.BLOCK and content.split()[:1] == [inside]:
                inside = None
            out.append("\n" * content.count("\n"))
            continue
        if token.token_type == TokenType.TEXT:
            out.append(content)
        elif token.token_type == TokenType.VAR:
            out.append(VARIABLE)
        elif token.token_type == TokenType.COMMENT:
            out.append("\n" * content.count("\n"))
        else:
            name = content.split()[0] if content.split() else ""
            if name in {"translate", "trans"}:
                out.append(TRANSLATED)
            elif name in {"blocktranslate", "blocktrans"}:
                out.append(TRANSLATED)
                inside = "endblocktranslate" if name == "blocktranslate" else "endblocktrans"
            elif name in {"comment", "verbatim"}:
                out.append(BLOCK)
                inside = "end" + name
            else:
                out.append(BLOCK)
    return "".join(out)


class _Finder(HTMLParser):
    def __init__(self, path: str) -> None:
        super().__init__(convert_charrefs=True)
        self.path = path
        self.findings: list[Finding] = []
        self._raw_depth = 0  # inside <script> / <style>

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "style"}:
            self._raw_depth += 1
        attributes = dict(attrs)
        lang = attributes.get("lang")
        if tag == "html" and lang is not None and not MARKERS.search(lang):
            # The page's language is the active one, never a fixed "en".
            self.findings.append(Finding(self.path, self.getpos()[0], "lang", lang))
        for name, value in attrs:
            if value is None:
                continue
            readable = name in READ_ATTRIBUTES or (
                name == "value"
                and tag == "input"
                and (attributes.get("type") or "") in {"submit", "button", "reset"}
            )
            if readable and needs_translation(value):
                self.findings.append(Finding(self.path, self.getpos()[0], name, value.strip()))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag in {"script", "style"}:
            self._raw_depth -= 1

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style"} and self._raw_depth:
            self._raw_depth -= 1

    def handle_data(self, data: str) -> None:
        if self._raw_depth or not needs_translation(data):
            return
        line = self.getpos()[0] + data[: len(data) - len(data.lstrip())].count("\n")
        self.findings.append(Finding(self.path, line, "text", " ".join(data.split())))


# Tags whose quoted arguments are never shown: names of templates, URLs, files, blocks, or values
# compared against ({% if status == "Signed" %}).
QUIET_TAGS = frozenset(
    {
        "translate", "trans", "url", "static", "load", "extends", "if", "elif", "block",
        "endblock", "partialdef", "partial", "csrf_token", "language", "get_current_language",
        "get_available_languages", "get_language_info", "for", "regroup", "ifchanged", "crispy",
        "widthratio", "templatetag", "now",
    }
)  # fmt: skip
# A filter whose argument is words shown as they are: {{ x|yesno:"yes,no,unknown" }}.
YESNO = re.compile(r"\|yesno:\s*$")
QUOTED = re.compile(r"""(_\(\s*)?("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')""")


def _tag_literals(source: str, path: str) -> Iterator[Finding]:
    """Quoted words handed to a tag or filter that shows them, outside _(...):
    `{% include "x.html" with label="Delete" %}`, `{{ when|default:"Never" }}`."""
    for token in Lexer(source).tokenize():
        if token.token_type not in (TokenType.VAR, TokenType.BLOCK):
            continue
        content = token.contents
        name = content.split()[0] if content.split() else ""
        if token.token_type == TokenType.BLOCK and name in QUIET_TAGS:
            continue
        if name == "include":  # its first argument names a template
            content = content.split(None, 2)[2] if len(content.split(None, 2)) > 2 else ""
        for match in QUOTED.finditer(content):
            if match.group(1):
                continue
            text = match.group(2)[1:-1]
            if not needs_translation(text):
                continue
            # Words rather than a code: a space, a capital, or yesno's answers.
            words = " " in text.strip() or text[:1].isupper()
            if words or YESNO.search(content[: match.start()]):
                where = f"{{% {name} %}}" if token.token_type == TokenType.BLOCK else "{{ }}"
                yield Finding(path, token.lineno, where, text)


def template_findings(path: Path, root: Path) -> list[Finding]:
    source = path.read_text(encoding="utf-8")
    finder = _Finder(str(path.relative_to(root)))
    finder.findings.extend(_tag_literals(source, finder.path))
    if path.suffix == ".html":
        finder.feed(_flatten(source))
        finder.close()
    else:
        # Plain text (email bodies): every line with words is read as is.
        flat = _flatten(source)
        for number, text in enumerate(flat.splitlines(), start=1):
            if needs_translation(text):
                finder.findings.append(Finding(finder.path, number, "text", text.strip()))
    return finder.findings


# --- Python ---------------------------------------------------------------------------------

GETTEXT_NAMES = frozenset(
    {
        "_",
        "gettext",
        "gettext_lazy",
        "ngettext",
        "ngettext_lazy",
        "pgettext",
        "pgettext_lazy",
        "npgettext",
        "npgettext_lazy",
        "format_lazy",
    }
)
MESSAGE_LEVELS = frozenset({"debug", "info", "success", "warning", "error", "add_message"})
# Keywords whose value a person reads, on any call.
RELATION_FIELDS = frozenset({"ForeignKey", "OneToOneField", "ManyToManyField"})
READ_KEYWORDS = frozenset(
    {"label", "help_text", "verbose_name", "verbose_name_plural", "empty_label"}
)


def _call_name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_call_name(node.value)}.{node.attr}"
    return ""


def _literal_text(node: ast.expr | None) -> str | None:
    """The words of a bare string literal or f-string (not wrapped in gettext), else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else " " for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Mod):
        return _literal_text(node.left)
    return None


class _PyFinder(ast.NodeVisitor):
    def __init__(self, path: str) -> None:
        self.path = path
        self.findings: list[Finding] = []

    def _flag(self, node: ast.expr | None, where: str) -> None:
        text = _literal_text(node)
        if text is not None and needs_translation(text) and node is not None:
            self.findings.append(Finding(self.path, node.lineno, where, text))

    def visit_Call(self, node: ast.Call) -> None:
        name = _call_name(node.func)
        leaf = name.rsplit(".", 1)[-1]
        if name.startswith("messages.") and leaf in MESSAGE_LEVELS:
            # messages.success(request, "text"); add_message(request, level, "text")
            position = 2 if leaf == "add_message" else 1
            if len(node.args) > position:
                self._flag(node.args[position], name)
            for keyword in node.keywords:
                if keyword.arg == "message":
                    self._flag(keyword.value, name)
        if leaf == "ValidationError" and node.args:
            first = node.args[0]
            if isinstance(first, ast.Dict):
                for value in first.values:
                    self._flag(value, leaf)
            elif isinstance(first, ast.List):
                for element in first.elts:
                    self._flag(element, leaf)
            else:
                self._flag(first, leaf)
        if leaf == "add_error" and len(node.args) > 1:
            self._flag(node.args[1], leaf)
        if (
            name.startswith("models.")
            and leaf.endswith("Field")
            and node.args
            and leaf not in RELATION_FIELDS
        ):
            self._flag(node.args[0], "verbose_name")  # a model field's first argument
        if name.endswith("attrs.update") and node.args:
            self._attrs(node.args[0])
        for keyword in node.keywords:
            if keyword.arg == "attrs":
                self._attrs(keyword.value)
            if keyword.arg in READ_KEYWORDS:
                self._flag(keyword.value, keyword.arg)
            if keyword.arg == "choices" and isinstance(keyword.value, ast.List | ast.Tuple):
                self._choices(keyword.value)
        self.generic_visit(node)

    def _attrs(self, node: ast.expr) -> None:
        # widget attrs={"placeholder": ...}: HTML attributes a person reads
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and key.value in READ_ATTRIBUTES:
                    self._flag(value, f"attrs[{key.value}]")

    def _choices(self, node: ast.List | ast.Tuple) -> None:
        for element in node.elts:
            if isinstance(element, ast.Tuple) and len(element.elts) == 2:
                label = element.elts[1]
                if isinstance(label, ast.List | ast.Tuple):
                    self._choices(label)  # a named group
                else:
                    self._flag(label, "choices")

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        # class Meta: verbose_name = "..."; TextChoices members: NAME = "value", "Label"
        bases = {_call_name(b).rsplit(".", 1)[-1] for b in node.bases}
        for statement in node.body:
            if not isinstance(statement, ast.Assign):
                continue
            targets = [t.id for t in statement.targets if isinstance(t, ast.Name)]
            if node.name == "Meta" and set(targets) & {"verbose_name", "verbose_name_plural"}:
                self._flag(statement.value, targets[0])
            if (
                node.name == "Meta"
                and set(targets) & {"labels", "help_texts", "error_messages"}
                and isinstance(statement.value, ast.Dict)
            ):
                for value in statement.value.values:
                    if isinstance(value, ast.Dict):  # error_messages: field -> code -> text
                        for text in value.values:
                            self._flag(text, targets[0])
                    else:
                        self._flag(value, targets[0])
            if bases & {"TextChoices", "IntegerChoices", "Choices"} and isinstance(
                statement.value, ast.Tuple
            ):
                elements = statement.value.elts
                if len(elements) >= 2:
                    self._flag(elements[-1], "choices")
        self.generic_visit(node)


def python_findings(path: Path, root: Path) -> list[Finding]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    finder = _PyFinder(str(path.relative_to(root)))
    finder.visit(tree)
    return finder.findings


def iter_findings(paths: list[Path], root: Path) -> Iterator[Finding]:
    for path in paths:
        if path.suffix == ".py":
            yield from python_findings(path, root)
        else:
            yield from template_findings(path, root)


if __name__ == "__main__":
    import django

    django.setup()
    here = Path.cwd()
    for finding in iter_findings([Path(p).resolve() for p in sys.argv[1:]], here):
        print(finding)
