"""Just enough PDF reading to find text in WeasyPrint's output, for tests (the venv has no
pypdf and the machine no pdftotext).

WeasyPrint writes text as glyph ids in compressed content streams, with a ToUnicode CMap per
font. Which CMap belongs to which font sits in compressed object streams; rather than resolve
that, every run of text between two font changes is decoded with every CMap: the right one
gives the real text, the others give noise that cannot match a chart number by accident.
"""

from __future__ import annotations

import re
import zlib

STREAM = re.compile(rb"stream\r?\n(.*?)\r?\nendstream", re.S)
HEX = re.compile(rb"<([0-9a-fA-F]+)>")


def _streams(pdf: bytes) -> list[bytes]:
    out = []
    for match in STREAM.finditer(pdf):
        try:
            out.append(zlib.decompress(match.group(1)))
        except zlib.error:
            continue
    return out


def _cmap(text: bytes) -> dict[int, str]:
    mapping: dict[int, str] = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", text, re.S):
        pairs = HEX.findall(block)
        for code, uni in zip(pairs[::2], pairs[1::2], strict=True):
            mapping[int(code, 16)] = bytes.fromhex(uni.decode()).decode("utf-16-be")
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", text, re.S):
        for low, high, first in re.findall(rb"<(\w+)>\s*<(\w+)>\s*<(\w+)>", block):
            base = int(first, 16)
            for offset, code in enumerate(range(int(low, 16), int(high, 16) + 1)):
                mapping[code] = chr(base + offset)
    return mapping


def text_runs(pdf: bytes) -> list[str]:
    """Every run of text (between font changes), decoded with every CMap in the file."""
    streams = _streams(pdf)
    cmaps = [_cmap(s) for s in streams if b"begincmap" in s]
    runs = []
    for content in streams:
        if b"TJ" not in content and b"Tj" not in content:
            continue
        for segment in re.split(rb"/\w+ [\d.]+ Tf", content):
            glyphs = [
                int(chunk[i : i + 4], 16)
                for chunk in HEX.findall(segment)
                for i in range(0, len(chunk), 4)
            ]
            for cmap in cmaps:
                runs.append("".join(cmap.get(g, "\ufffd") for g in glyphs))
    return runs


def contains(pdf: bytes, text: str) -> bool:
    return any(text in run for run in text_runs(pdf))
