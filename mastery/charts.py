"""Server-rendered SVG charts: the retention forecast (no JavaScript, readable without colour)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from mastery import scheduling
from mastery.models import ReviewCard

FORECAST_DAYS = 30


@dataclass(frozen=True)
class ForecastPoint:
    day: int
    expected: float  # questions expected to be remembered
    mean: float  # mean retrievability, 0 to 1

    @property
    def percent(self) -> int:
        return scheduling.recall_percent(self.mean)


def retention_forecast(
    cards: Sequence[ReviewCard],
    now: datetime,
    days: int = FORECAST_DAYS,
    models: Mapping[int, scheduling.MemoryModel] | None = None,
) -> list[ForecastPoint]:
    """Expected remembered questions for each of the next `days` days if the learner stops reviewing.

    Only reviewed cards count: a card never reviewed has no memory to forecast.
    """
    reviewed = [rc for rc in cards if rc.last_review is not None and rc.stability]
    if not reviewed:
        return []
    rows = scheduling.forecast(reviewed, [now + timedelta(days=day) for day in range(days + 1)], models)
    return [
        ForecastPoint(day=day, expected=sum(values), mean=sum(values) / len(values))
        for day, values in enumerate(rows)
    ]


@dataclass(frozen=True)
class Tick:
    pos: float
    label: str


@dataclass(frozen=True)
class ForecastChart:
    """Everything the template needs to draw the chart; coordinates are in the viewBox."""

    width: int
    height: int
    left: int
    top: int
    right: int
    bottom: int
    line: str  # polyline points
    area: str  # polygon points under the line
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    cards: int
    title: str
    desc: str
    table: list[ForecastPoint]  # a few days, for the text alternative


def forecast_chart(
    points: Sequence[ForecastPoint], width: int = 560, height: int = 220
) -> ForecastChart | None:
    """Lay out the forecast as a line of expected remembered questions over the days ahead."""
    if not points:
        return None
    left, top, right, bottom = 48, 12, width - 12, height - 36
    cards = round(points[0].expected / points[0].mean) if points[0].mean else 0
    y_max = max(1, cards)
    x_max = max(1, points[-1].day)

    def x(day: float) -> float:
        return round(left + (right - left) * day / x_max, 1)

    def y(value: float) -> float:
        return round(bottom - (bottom - top) * value / y_max, 1)

    line = " ".join(f"{x(p.day)},{y(p.expected)}" for p in points)
    area = f"{x(0)},{y(0)} {line} {x(points[-1].day)},{y(0)}"
    x_ticks = [
        Tick(x(d), "today" if d == 0 else f"+{d}d") for d in range(0, x_max + 1, 7 if x_max > 14 else 1)
    ]
    step = max(1, round(y_max / 4))
    y_ticks = [Tick(y(v), str(v)) for v in range(0, y_max + 1, step)]
    first, last = points[0], points[-1]
    desc = (
        f"Of {cards} reviewed question{'s' if cards != 1 else ''}, you are expected to remember "
        f"{first.expected:.1f} today ({scheduling.recall_percent(first.mean)}%) and {last.expected:.1f} in "
        f"{last.day} days ({scheduling.recall_percent(last.mean)}%) if you stop reviewing."
    )
    table = [p for p in points if p.day in {0, 7, 14, 30} or p is last]
    return ForecastChart(
        width=width,
        height=height,
        left=left,
        top=top,
        right=right,
        bottom=bottom,
        line=line,
        area=area,
        x_ticks=x_ticks,
        y_ticks=y_ticks,
        cards=cards,
        title="Retention forecast for the next 30 days",
        desc=desc,
        table=table,
    )
