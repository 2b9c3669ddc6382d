"""The status page's pictures as geometry: bars the template draws as inline SVG.

No script and no stylesheet from elsewhere: the page computes each bar's place here and the
template writes `<rect>` and `<text>` elements, with a `<title>` and a `<desc>` that say in
words what the picture shows (screen readers read those).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

WIDTH = 320
ROW = 34
LABEL_WIDTH = 110
BAR_GAP = 8
COLUMN_HEIGHT = 120


@dataclass(frozen=True)
class Bar:
    """One bar: its label and count, where it is drawn and how big."""

    label: str
    count: int
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Picture:
    """A picture's bars, its size, and its text for people who cannot see it."""

    title: str
    description: str
    bars: tuple[Bar, ...]
    width: int
    height: int


def funnel(title: str, stages: Sequence[tuple[str, int]]) -> Picture:
    """Horizontal bars, one row per stage, each as long as its count (the widest fills)."""
    top = max((count for _, count in stages), default=0) or 1
    room = WIDTH - LABEL_WIDTH - 40
    bars = tuple(
        Bar(label, count, LABEL_WIDTH, i * ROW + 4, max(2.0, room * count / top), ROW - 12)
        for i, (label, count) in enumerate(stages)
    )
    words = ", ".join(f"{label}: {count}" for label, count in stages)
    return Picture(title, f"{title}. {words}.", bars, WIDTH, ROW * len(stages) + 4)


def histogram(title: str, buckets: Sequence[tuple[str, int]], summary: str) -> Picture:
    """Vertical bars, one per bucket, each as tall as its count (the tallest fills)."""
    top = max((count for _, count in buckets), default=0) or 1
    step = WIDTH / max(len(buckets), 1)
    bars = tuple(
        Bar(
            label,
            count,
            i * step + BAR_GAP / 2,
            20 + COLUMN_HEIGHT * (1 - count / top),
            step - BAR_GAP,
            COLUMN_HEIGHT * count / top,
        )
        for i, (label, count) in enumerate(buckets)
    )
    words = ", ".join(f"{label}: {count}" for label, count in buckets)
    return Picture(title, f"{title}. {summary} {words}.", bars, WIDTH, COLUMN_HEIGHT + 44)
