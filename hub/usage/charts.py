"""Geometry for the server-rendered SVG charts (templates/usage/_charts.html draws it).

Pure: numbers in, rectangles and tick positions out. The charts are plain
inline SVG with classes (colours come from app.css, so the CSP needs no inline
styles), a title and description for screen readers, and every chart on a page
is followed by its data as a table, so nothing is only in the picture. Small
enough that a plotting library would bring more (scripts, inline styles,
fonts) than it saves.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

Number = int | float | Decimal


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    value: Number
    x: float
    y: float
    width: float
    height: float
    series: int  # 0, 1, ...: which colour
    text: str  # the value as shown


@dataclass(frozen=True, slots=True)
class Tick:
    value: Number
    position: float
    text: str


@dataclass(frozen=True, slots=True)
class BarChart:
    width: int
    height: int
    bars: list[Bar]
    ticks: list[Tick]
    categories: list[tuple[str, float]]  # label and its centre (x for columns, y for rows)
    horizontal: bool
    plot: tuple[float, float, float, float]  # left, top, right, bottom


def nice_max(value: Number) -> float:
    """A round axis maximum at or above value (1, 2, 2.5, 5 x 10^n)."""
    value = float(value)
    if value <= 0:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude  # pragma: no cover - the loop always returns


def _ticks(maximum: float, count: int, fmt: str, start: float, end: float) -> list[Tick]:
    ticks = []
    for i in range(count + 1):
        value = maximum * i / count
        position = start + (end - start) * i / count
        ticks.append(Tick(value, position, fmt.format(value)))
    return ticks


def columns(
    categories: Sequence[str],
    series: Sequence[Sequence[Number]],
    *,
    width: int = 640,
    height: int = 240,
    maximum: float | None = None,
    value_format: str = "{:g}",
    tick_format: str = "{:g}",
) -> BarChart:
    """Vertical bars, one group per category, one bar per series in each group."""
    left, top, right, bottom = 48.0, 12.0, float(width - 8), float(height - 28)
    top_value = maximum or nice_max(max((float(v) for s in series for v in s), default=0))
    group = (right - left) / max(len(categories), 1)
    bar_width = group * 0.8 / max(len(series), 1)
    bars = []
    for i, label in enumerate(categories):
        for s, values in enumerate(series):
            value = values[i]
            bar_height = (bottom - top) * min(float(value), top_value) / top_value
            bars.append(
                Bar(
                    label=label,
                    value=value,
                    x=round(left + group * i + group * 0.1 + bar_width * s, 2),
                    y=round(bottom - bar_height, 2),
                    width=round(bar_width, 2),
                    height=round(bar_height, 2),
                    series=s,
                    text=value_format.format(value),
                )
            )
    centres = [(label, round(left + group * (i + 0.5), 2)) for i, label in enumerate(categories)]
    ticks = _ticks(top_value, 4, tick_format, bottom, top)
    return BarChart(width, height, bars, ticks, centres, False, (left, top, right, bottom))


def rows(
    categories: Sequence[str],
    series: Sequence[Sequence[Number]],
    *,
    width: int = 640,
    label_width: int = 200,
    row_height: int = 28,
    maximum: float | None = None,
    value_format: str = "{:g}",
    tick_format: str = "{:g}",
) -> BarChart:
    """Horizontal bars with the category name on the left: long agency names fit."""
    left, top = float(label_width), 8.0
    right = float(width - 56)
    bottom = top + row_height * max(len(categories), 1)
    top_value = maximum or nice_max(max((float(v) for s in series for v in s), default=0))
    bar_height = row_height * 0.7 / max(len(series), 1)
    bars = []
    for i, label in enumerate(categories):
        for s, values in enumerate(series):
            value = values[i]
            length = (right - left) * min(float(value), top_value) / top_value
            bars.append(
                Bar(
                    label=label,
                    value=value,
                    x=left,
                    y=round(top + row_height * i + row_height * 0.15 + bar_height * s, 2),
                    width=round(length, 2),
                    height=round(bar_height, 2),
                    series=s,
                    text=value_format.format(value),
                )
            )
    centres = [
        (label, round(top + row_height * (i + 0.5), 2)) for i, label in enumerate(categories)
    ]
    ticks = _ticks(top_value, 4, tick_format, left, right)
    return BarChart(width, int(bottom + 24), bars, ticks, centres, True, (left, top, right, bottom))


@dataclass(frozen=True, slots=True)
class Cell:
    row: int
    column: int
    x: float
    y: float
    level: int  # 0 (none) .. 5 (full): the CSS class picks the shade
    text: str


@dataclass(frozen=True, slots=True)
class Grid:
    width: int
    height: int
    cell_width: float
    cell_height: float
    cells: list[Cell]
    row_labels: list[tuple[str, float]]
    column_labels: list[tuple[str, float]]


def heat_level(percent: Decimal | None) -> int:
    """0 for no data or nothing booked, then five bands of 20 percentage points."""
    if not percent:
        return 0
    return min(5, int(percent // 20) + 1)


def grid(
    row_labels: Sequence[str],
    column_labels: Sequence[str],
    values: Sequence[Sequence[Decimal | None]],
    *,
    cell_width: float = 40,
    cell_height: float = 28,
    label_width: float = 48,
) -> Grid:
    """A heatmap: rows (weekdays) by columns (hours), each cell with its value written in it."""
    top = 20.0
    cells = [
        Cell(
            r,
            c,
            label_width + c * cell_width,
            top + r * cell_height,
            heat_level(value),
            "–" if value is None else f"{value:.0f}",
        )
        for r, row in enumerate(values)
        for c, value in enumerate(row)
    ]
    return Grid(
        width=int(label_width + cell_width * len(column_labels) + 4),
        height=int(top + cell_height * len(row_labels) + 4),
        cell_width=cell_width,
        cell_height=cell_height,
        cells=cells,
        row_labels=[(t, top + cell_height * (i + 0.5)) for i, t in enumerate(row_labels)],
        column_labels=[
            (t, label_width + cell_width * (i + 0.5)) for i, t in enumerate(column_labels)
        ],
    )
