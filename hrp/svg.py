"""Small server-side SVG charts (summaries, supervision's fidelity trend): the same markup on
the page and in the PDF.

No script, no remote resource and no `style` attribute (the CSP forbids inline styles): colours
and sizes are SVG presentation attributes. Every label is escaped. Each chart carries a
<title> and an aria-label; the page puts the same figures in a table next to it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH = 560
HEIGHT = 200
LEFT = 36  # room for the y-axis labels
RIGHT = 8
TOP = 10
BOTTOM = 34  # room for the x-axis labels

INK = "#212529"
GRID = "#ced4da"
BAR = "#1d4f5e"
LINE = "#1d4f5e"
TARGET = "#8a5300"
# Band shading from light to darker grey: a band is context, not an alarm.
BAND_FILLS = ("#f8f9fa", "#eef0f2", "#e3e6e9", "#d7dbdf", "#cbd0d5")


@dataclass(frozen=True)
class Band:
    low: float
    high: float
    label: str


def _num(value: float) -> str:
    """A coordinate with at most one decimal, without a trailing ".0"."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _frame(title: str, body: list[str]) -> SafeString:
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="summary-chart" role="img" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" '
        f'aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        *body,
        "</svg>",
    ]
    return mark_safe("".join(parts))  # noqa: S308 - every interpolated label is escaped


def _y(value: float, y_max: float) -> float:
    plot = HEIGHT - TOP - BOTTOM
    return TOP + plot - (value / y_max * plot if y_max else 0)


def _axes(y_max: float, ticks: Sequence[float]) -> list[str]:
    body = []
    for tick in ticks:
        y = _y(tick, y_max)
        body.append(
            f'<line x1="{LEFT}" y1="{_num(y)}" x2="{WIDTH - RIGHT}" y2="{_num(y)}" '
            f'stroke="{GRID}" stroke-width="1"/>'
            f'<text x="{LEFT - 4}" y="{_num(y + 3)}" font-size="10" text-anchor="end" '
            f'fill="{INK}">{_num(tick)}</text>'
        )
    return body


def _ticks(y_max: float) -> list[float]:
    step = 1.0
    for candidate in (1, 2, 5, 10, 20, 25, 50, 100):
        if y_max / candidate <= 6:
            step = float(candidate)
            break
    ticks, tick = [], 0.0
    while tick <= y_max + 1e-9:
        ticks.append(tick)
        tick += step
    return ticks


def _x_labels(labels: Sequence[str], centres: Sequence[float]) -> list[str]:
    # At most about 12 labels fit; show every n-th so they never overlap.
    every = max(1, -(-len(labels) // 12))
    return [
        f'<text x="{_num(x)}" y="{HEIGHT - BOTTOM + 14}" font-size="9" text-anchor="middle" '
        f'fill="{INK}">{escape(label)}</text>'
        for i, (label, x) in enumerate(zip(labels, centres, strict=True))
        if i % every == 0
    ]


def bar_chart(
    title: str,
    labels: Sequence[str],
    values: Sequence[float],
    *,
    y_max: float,
    target: float | None = None,
    target_label: str = "",
) -> SafeString:
    """Vertical bars (e.g. use days per week, 0-7) with an optional dashed target line."""
    plot_width = WIDTH - LEFT - RIGHT
    slot = plot_width / max(1, len(values))
    bar_width = max(2.0, slot * 0.7)
    body = _axes(y_max, _ticks(y_max))
    centres = []
    for i, value in enumerate(values):
        x = LEFT + i * slot + (slot - bar_width) / 2
        y = _y(min(value, y_max), y_max)
        centres.append(x + bar_width / 2)
        body.append(
            f'<rect x="{_num(x)}" y="{_num(y)}" width="{_num(bar_width)}" '
            f'height="{_num(_y(0, y_max) - y)}" fill="{BAR}"><title>{escape(labels[i])}: '
            f"{_num(value)}</title></rect>"
        )
    if target is not None:
        y = _y(min(target, y_max), y_max)
        body.append(
            f'<line x1="{LEFT}" y1="{_num(y)}" x2="{WIDTH - RIGHT}" y2="{_num(y)}" '
            f'stroke="{TARGET}" stroke-width="2" stroke-dasharray="6 4"/>'
            f'<text x="{WIDTH - RIGHT}" y="{_num(y - 4)}" font-size="10" text-anchor="end" '
            f'fill="{TARGET}">{escape(target_label)}</text>'
        )
    body.extend(_x_labels(labels, centres))
    return _frame(title, body)


def line_chart(
    title: str,
    labels: Sequence[str],
    values: Sequence[float],
    *,
    y_max: float,
    bands: Sequence[Band] = (),
    threshold: float | None = None,
    threshold_label: str = "",
) -> SafeString:
    """A line with dots (e.g. a measure's scores), over shaded bands when given."""
    plot_width = WIDTH - LEFT - RIGHT
    body = []
    for i, band in enumerate(bands):
        top = _y(min(band.high, y_max), y_max)
        bottom = _y(max(band.low, 0), y_max)
        body.append(
            f'<rect x="{LEFT}" y="{_num(top)}" width="{_num(plot_width)}" '
            f'height="{_num(bottom - top)}" fill="{BAND_FILLS[i % len(BAND_FILLS)]}">'
            f"<title>{escape(band.label)}</title></rect>"
        )
    body.extend(_axes(y_max, _ticks(y_max)))
    if threshold is not None:
        y = _y(threshold, y_max)
        body.append(
            f'<line x1="{LEFT}" y1="{_num(y)}" x2="{WIDTH - RIGHT}" y2="{_num(y)}" '
            f'stroke="{TARGET}" stroke-width="2" stroke-dasharray="6 4"/>'
            f'<text x="{WIDTH - RIGHT}" y="{_num(y - 4)}" font-size="10" text-anchor="end" '
            f'fill="{TARGET}">{escape(threshold_label)}</text>'
        )
    count = len(values)
    step = plot_width / count if count else plot_width
    centres = [LEFT + step * (i + 0.5) for i in range(count)]
    points = [(x, _y(min(v, y_max), y_max)) for x, v in zip(centres, values, strict=True)]
    if len(points) > 1:
        path = " ".join(f"{_num(x)},{_num(y)}" for x, y in points)
        body.append(f'<polyline points="{path}" fill="none" stroke="{LINE}" stroke-width="2"/>')
    for (x, y), label, value in zip(points, labels, values, strict=True):
        body.append(
            f'<circle cx="{_num(x)}" cy="{_num(y)}" r="4" fill="{LINE}">'
            f"<title>{escape(label)}: {_num(value)}</title></circle>"
        )
    body.extend(_x_labels(labels, centres))
    return _frame(title, body)
