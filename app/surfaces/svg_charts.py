"""Inline SVG bar charts for server-rendered pages: no script, no remote asset, so they pass
the strict Content-Security-Policy and read the same with JavaScript off.

Every bar carries its label and value as text (`<title>`, `data-*`), and each chart is an
`role="img"` with an aria label; the page puts a table of the same numbers under it.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

WIDTH = 640
LABEL_WIDTH = 220
VALUE_WIDTH = 90
ROW_HEIGHT = 26
BAR_HEIGHT = 18
BAR_SPACE = WIDTH - LABEL_WIDTH - VALUE_WIDTH - 10  # the longest bar's width in pixels
MAX_LABEL = 34  # characters drawn beside a bar; the full label is in its <title> and the table


@dataclass(frozen=True)
class Bar:
    label: str
    value: float  # what the bar's length is proportional to (>= 0)
    shown: str  # the value as the reader sees it ("42 %", "1.5 s")
    series: str = ""  # a CSS class suffix telling bars of one chart apart (p50 / p95)


def bar_length(value: float, largest: float) -> float:
    """Pixels for `value` when `largest` fills the chart; 0 for nothing to compare."""
    if largest <= 0 or value <= 0:
        return 0.0
    return round(BAR_SPACE * min(value, largest) / largest, 2)


def bar_chart(title: str, bars: list[Bar], *, scale_max: float | None = None) -> str:
    """A horizontal bar chart; `scale_max` fixes the full length (e.g. 1.0 for rates), else
    the largest bar fills it. No bars: an empty string (the page says there is nothing)."""
    if not bars:
        return ""
    largest = scale_max if scale_max is not None else max(bar.value for bar in bars)
    height = ROW_HEIGHT * len(bars) + 8
    rows = []
    for index, bar in enumerate(bars):
        y = 4 + index * ROW_HEIGHT
        length = bar_length(bar.value, largest)
        label = bar.label if len(bar.label) <= MAX_LABEL else bar.label[:MAX_LABEL - 1] + "…"
        series = f" bar-{escape(bar.series)}" if bar.series else ""
        rows.append(
            f'<g class="row"><title>{escape(bar.label)}: {escape(bar.shown)}</title>'
            f'<text class="label" x="{LABEL_WIDTH - 6}" y="{y + BAR_HEIGHT - 5}" text-anchor="end">'
            f"{escape(label)}</text>"
            f'<rect class="bar{series}" x="{LABEL_WIDTH}" y="{y}" width="{length}" height="{BAR_HEIGHT}"'
            f' data-label="{escape(bar.label)}" data-value="{bar.value}"></rect>'
            f'<text class="value" x="{LABEL_WIDTH + length + 6}" y="{y + BAR_HEIGHT - 5}">{escape(bar.shown)}</text>'
            "</g>")
    return (f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {WIDTH} {height}"'
            f' width="{WIDTH}" height="{height}" xmlns="http://www.w3.org/2000/svg">'
            f"<title>{escape(title)}</title>" + "".join(rows) + "</svg>")
