"""Charts of a measure over an episode, drawn on the server as inline SVG.

No script and no inline style (the CSP forbids both): colours come from classes in
hearth.css. Each chart is an image with a text description that says what it shows,
for screen readers and for anyone who prefers words.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from hearth.measures.models import MeasureResponse
from hearth.measures.scoring import ORS_CUTOFF, instrument

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 44, 16, 16, 40


def cutoff_of(code: str) -> tuple[float, str] | None:
    """The line to draw: the clinical cut-off, or SRS's alliance threshold."""
    inst = instrument(code)
    if inst.code == "ORS":
        return ORS_CUTOFF, "clinical cut-off"
    if inst.code == "SRS":
        return 36, "alliance threshold"
    if inst.caseness is not None:
        return inst.caseness, "clinical cut-off"
    return None


def _fmt(value: float) -> str:
    return f"{value:g}"


def _describe(code: str, points: Sequence[tuple[datetime, float]], zone: ZoneInfo) -> str:
    inst = instrument(code)
    parts = [f"{_fmt(total)} on {when.astimezone(zone):%d %b %Y}" for when, total in points]
    text = f"{inst.code} total over this episode (0 to {inst.high * inst.scored_items}): "
    text += "; ".join(parts) + "." if parts else "no scored answers yet."
    cutoff = cutoff_of(code)
    if cutoff is not None:
        text += f" The {cutoff[1]} is {_fmt(cutoff[0])}."
    return text


def measure_chart(
    code: str, responses: Sequence[MeasureResponse], *, zone: ZoneInfo, chart_id: str
) -> SafeString:
    """An SVG line chart of the scored responses, oldest first, with the cut-off line."""
    inst = instrument(code)
    top = inst.high * inst.scored_items
    points = [(r.completed_at, float(r.total)) for r in responses if r.total is not None]
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    # Coordinates go into the markup as text with one decimal place.
    def x(index: int) -> str:
        return f"{LEFT + plot_w * (index + 0.5) / max(len(points), 1):.1f}"

    def y(value: float, shift: float = 0) -> str:
        return f"{TOP + plot_h * (1 - value / top) + shift:.1f}"

    gridlines = format_html_join(
        "",
        '<line class="chart-grid" x1="{}" x2="{}" y1="{}" y2="{}"></line>'
        '<text class="chart-axis" x="{}" y="{}" text-anchor="end">{}</text>',
        ((LEFT, WIDTH - RIGHT, y(v), y(v), LEFT - 6, y(v, 4), _fmt(v)) for v in (0, top / 2, top)),
    )
    cutoff = cutoff_of(code)
    cutoff_svg = (
        format_html(
            '<line class="chart-cutoff" x1="{}" x2="{}" y1="{}" y2="{}"></line>'
            '<text class="chart-cutoff-label" x="{}" y="{}" text-anchor="end">{} {}</text>',
            LEFT,
            WIDTH - RIGHT,
            y(cutoff[0]),
            y(cutoff[0]),
            WIDTH - RIGHT,
            y(cutoff[0], -5),
            cutoff[1].capitalize(),
            _fmt(cutoff[0]),
        )
        if cutoff is not None
        else ""
    )
    path = " ".join(f"{x(i)},{y(v)}" for i, (_, v) in enumerate(points))
    line = format_html('<polyline class="chart-line" points="{}"></polyline>', path)
    dots = format_html_join(
        "",
        '<circle class="chart-point" cx="{}" cy="{}" r="5"></circle>'
        '<text class="chart-value" x="{}" y="{}" text-anchor="middle">{}</text>'
        '<text class="chart-axis" x="{}" y="{}" text-anchor="middle">{}</text>',
        (
            (
                x(i),
                y(v),
                x(i),
                y(v, -10),
                _fmt(v),
                x(i),
                HEIGHT - BOTTOM + 18,
                when.astimezone(zone).strftime("%d %b"),
            )
            for i, (when, v) in enumerate(points)
        ),
    )
    title = f"{inst.code} over this episode"
    return format_html(
        '<svg class="chart" viewBox="0 0 {} {}" role="img" aria-labelledby="{}-title {}-desc" '
        'focusable="false"><title id="{}-title">{}</title><desc id="{}-desc">{}</desc>'
        "{}{}{}{}</svg>",
        WIDTH,
        HEIGHT,
        chart_id,
        chart_id,
        chart_id,
        title,
        chart_id,
        _describe(code, points, zone),
        gridlines,
        cutoff_svg,
        line if len(points) > 1 else mark_safe(""),
        dots,
    )


def episode_charts(episode: Any, *, zone: ZoneInfo) -> list[dict[str, Any]]:
    """Each instrument of an episode with its chart: ``{"series": …, "chart": …}``.

    The caller has fetched the episode through ``access_episode`` and audits the list."""
    from hearth.measures.selectors import episode_measures

    return [
        {
            "series": series,
            "chart": measure_chart(
                series.code, series.points, zone=zone, chart_id=f"chart-{series.code.lower()}"
            ),
        }
        for series in episode_measures(episode)
    ]
