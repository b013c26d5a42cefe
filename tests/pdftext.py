"""Read the text of a PDF that WeasyPrint wrote, with the standard library only.

Neither pypdf nor pdftotext is installed, and searching the raw bytes for a word proves
nothing: WeasyPrint writes text as glyph ids of a subset font inside compressed streams. So
this decodes what a PDF reader decodes: every object (including those packed in object
streams), Flate streams, each font's ToUnicode CMap, and the text-showing operators (Tj, TJ,
', ") of the page content under the font selected by Tf. Strings outside page content (the
document title, bookmarks) are read too, since a reader shows those as well.

The tests check the extractor on what must be in the PDF (names, the notice) before trusting
it on what must not.
"""

from __future__ import annotations

import re
import zlib

OBJ = re.compile(rb"(\d+)\s+0\s+obj\b(.*?)\bendobj", re.S)
REF = re.compile(rb"/([^\s/<>\[\]()]+)\s+(\d+)\s+0\s+R")


def _stream(body: bytes) -> tuple[bytes, bytes | None]:
    """(dictionary, decoded stream or None) of one object's body."""
    start = body.find(b"stream")
    if start < 0:
        return body, None
    head = body[:start]
    data = body[start + len(b"stream") :]
    data = data[2:] if data.startswith(b"\r\n") else data[1:]
    data = data[: data.rfind(b"endstream")]
    if b"/FlateDecode" in head:
        data = zlib.decompressobj().decompress(data)
    return head, data


def _objects(pdf: bytes) -> dict[int, tuple[bytes, bytes | None]]:
    objects: dict[int, tuple[bytes, bytes | None]] = {}
    for match in OBJ.finditer(pdf):
        objects[int(match.group(1))] = _stream(match.group(2))
    for head, data in list(objects.values()):
        if data is None or b"/ObjStm" not in head:
            continue
        first = int(re.search(rb"/First\s+(\d+)", head).group(1))  # type: ignore[union-attr]
        count = int(re.search(rb"/N\s+(\d+)", head).group(1))  # type: ignore[union-attr]
        numbers = [int(n) for n in data[:first].split()]
        pairs = [(numbers[2 * i], numbers[2 * i + 1]) for i in range(count)]
        for index, (number, offset) in enumerate(pairs):
            end = pairs[index + 1][1] if index + 1 < count else len(data) - first
            objects[number] = (data[first + offset : first + end], None)
    return objects


def _hex(value: bytes) -> bytes:
    value = re.sub(rb"\s", b"", value)
    return bytes.fromhex((value + b"0" * (len(value) % 2)).decode())


def _cmap(data: bytes) -> tuple[dict[bytes, str], int]:
    """The ToUnicode map (code bytes -> text) and the code width in bytes."""
    mapping: dict[bytes, str] = {}
    width = 1
    space = re.search(rb"begincodespacerange\s*<([0-9a-fA-F]+)>", data)
    if space:
        width = len(space.group(1)) // 2
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", data, re.S):
        for src, dst in re.findall(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]*)>", block):
            mapping[_hex(src)] = _hex(dst).decode("utf-16-be")
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", data, re.S):
        for lo, hi, dst in re.findall(
            rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*(<[0-9a-fA-F]*>|\[[^\]]*\])", block
        ):
            low, high = int(lo, 16), int(hi, 16)
            size = len(lo) // 2
            if dst.startswith(b"["):
                targets = re.findall(rb"<([0-9a-fA-F]*)>", dst)
                for offset, target in enumerate(targets):
                    mapping[(low + offset).to_bytes(size, "big")] = _hex(target).decode("utf-16-be")
            else:
                base = _hex(dst[1:-1])
                for offset in range(high - low + 1):
                    last = int.from_bytes(base[-2:], "big") + offset
                    text = (base[:-2] + last.to_bytes(2, "big")).decode("utf-16-be")
                    mapping[(low + offset).to_bytes(size, "big")] = text
    return mapping, width


def _literal(value: bytes) -> bytes:
    """The bytes of a PDF literal string body (escapes resolved)."""
    out = bytearray()
    i = 0
    while i < len(value):
        char = value[i]
        if char == 0x5C and i + 1 < len(value):  # backslash
            nxt = value[i + 1]
            escapes = {ord("n"): 10, ord("r"): 13, ord("t"): 9, ord("b"): 8, ord("f"): 12}
            if nxt in escapes:
                out.append(escapes[nxt])
                i += 2
            elif 0x30 <= nxt <= 0x37:
                digits = re.match(rb"[0-7]{1,3}", value[i + 1 : i + 4]).group(0)  # type: ignore[union-attr]
                out.append(int(digits, 8) & 0xFF)
                i += 1 + len(digits)
            elif nxt in (10, 13):
                i += 2
            else:
                out.append(nxt)
                i += 2
        else:
            out.append(char)
            i += 1
    return bytes(out)


def _decode(code: bytes, cmap: dict[bytes, str] | None, width: int) -> str:
    if cmap is None:
        return code.decode("latin-1")
    return "".join(cmap.get(code[i : i + width], "\ufffd") for i in range(0, len(code), width))


TOKEN = re.compile(
    rb"\((?:\\.|[^\\()]|\((?:\\.|[^\\()])*\))*\)"  # literal string (one level of nesting)
    rb"|<[0-9a-fA-F\s]*>"  # hex string
    rb"|\[|\]"
    rb"|/[^\s/<>\[\]()]+"  # name
    rb"|[A-Za-z'\"*]+"  # operator
    rb"|[-+]?\d*\.?\d+",  # number
    re.S,
)


def _content_text(data: bytes, fonts: dict[bytes, tuple[dict[bytes, str], int]]) -> str:
    out: list[str] = []
    operands: list[bytes] = []
    array: list[bytes] | None = None
    cmap: dict[bytes, str] | None = None
    width = 1
    for token in TOKEN.findall(data):
        if token == b"[":
            array = []
        elif token == b"]":
            operands.append(b"[" + b"\x00".join(array or []))  # marks an array operand
            array = None
        elif array is not None:
            array.append(token)
        elif token[:1].isalpha() or token in (b"'", b'"'):
            if token == b"Tf" and len(operands) >= 2:
                cmap, width = fonts.get(operands[-2][1:], (None, 1))
            elif token in (b"Tj", b"'", b'"') and operands:
                out.append(_string(operands[-1], cmap, width))
            elif token == b"TJ" and operands:
                parts = operands[-1][1:].split(b"\x00") if operands[-1] else []
                out.append("".join(_string(p, cmap, width) for p in parts))
            elif token in (b"BT", b"ET", b"Tm", b"Td", b"TD", b"T*"):
                out.append("\n")
            operands = []
        else:
            operands.append(token)
    return "".join(out)


def _string(token: bytes, cmap: dict[bytes, str] | None, width: int) -> str:
    if token.startswith(b"<"):
        return _decode(_hex(token[1:-1]), cmap, width)
    if token.startswith(b"("):
        return _decode(_literal(token[1:-1]), cmap, width)
    return ""  # a kerning number inside TJ


def _metadata_text(head: bytes) -> str:
    texts = []
    for token in re.findall(rb"\((?:\\.|[^\\()])*\)|<FEFF[0-9a-fA-F]*>", head):
        if token.startswith(b"<"):
            texts.append(_hex(token[1:-1]).decode("utf-16-be").lstrip("\ufeff"))
        else:
            raw = _literal(token[1:-1])
            texts.append(
                raw[2:].decode("utf-16-be")
                if raw.startswith(b"\xfe\xff")
                else raw.decode("latin-1")
            )
    return "\n".join(texts)


def pdf_text(pdf: bytes) -> str:
    """Every piece of text in `pdf`: the pages' text, then titles and other strings."""
    objects = _objects(pdf)
    cmaps = {
        number: _cmap(data)
        for number, (_head, data) in objects.items()
        if data is not None and (b"beginbfchar" in data or b"beginbfrange" in data)
    }
    to_unicode = {}
    for number, (head, _data) in objects.items():
        found = re.search(rb"/ToUnicode\s+(\d+)\s+0\s+R", head)
        if found and int(found.group(1)) in cmaps:
            to_unicode[number] = cmaps[int(found.group(1))]
    # Font resource names -> the font's ToUnicode map, from every /Font dictionary.
    fonts: dict[bytes, tuple[dict[bytes, str], int]] = {}
    for head, _data in objects.values():
        for name, number in REF.findall(head):
            if int(number) in to_unicode:
                fonts[name] = to_unicode[int(number)]
    pages = []
    content_ids = set()
    for head, _data in objects.values():
        if re.search(rb"/Type\s*/Page\b", head):
            for ref in re.findall(rb"/Contents\s+(?:\[([^\]]*)\]|(\d+\s+0\s+R))", head):
                for number in re.findall(rb"(\d+)\s+0\s+R", b" ".join(ref)):
                    content_ids.add(int(number))
    for number in sorted(content_ids):
        data = objects[number][1]
        if data is not None:
            pages.append(_content_text(data, fonts))
    others = [
        _metadata_text(head)
        for number, (head, data) in objects.items()
        if number not in content_ids and data is None
    ]
    return "\n".join(pages + others)


def words(text: str) -> str:
    """Whitespace collapsed to single spaces, for comparing text that wraps across lines."""
    return " ".join(text.split())


def contains(pdf: bytes, text: str) -> bool:
    """Whether `text` appears in the PDF's text, ignoring how lines wrap."""
    return words(text) in words(pdf_text(pdf))
