"""Server-rendered SVG charts: readable at a glance, no charting script, no external assets.

Each function returns markup with every label escaped; bars carry a ``<title>`` so hovering
shows the exact number. Colours are presentation attributes (the CSP forbids inline styles).
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from markupsafe import Markup

PALETTE = ("#2f6fdf", "#e0912f", "#b84a4a", "#3a9d6a", "#7d5bbe")


def _nice_max(value: int) -> int:
    """A round axis maximum at or above ``value`` (1, 2, 5 x 10^n)."""
    if value <= 0:
        return 1
    step = 1
    while True:
        for m in (1, 2, 5):
            if m * step >= value:
                return m * step
        step *= 10


def grouped_bars(
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[int]]],
    *,
    title: str,
    width: int = 760,
    height: int = 260,
) -> Markup:
    """Vertical bars per label, one colour per series, with a y axis and a legend."""
    left, right, top, bottom = 56, 10, 28, 30
    plot_w, plot_h = width - left - right, height - top - bottom
    top_value = _nice_max(max((max(v, default=0) for _, v in series), default=0))
    group_w = plot_w / max(len(labels), 1)
    bar_w = max(group_w * 0.8 / max(len(series), 1), 1.0)
    parts = [_frame(width, height, title)]
    parts += _y_axis(left, top, plot_w, plot_h, top_value)
    for s_index, (name, values) in enumerate(series):
        colour = PALETTE[s_index % len(PALETTE)]
        for i, value in enumerate(values):
            h = plot_h * max(value, 0) / top_value
            x = left + i * group_w + group_w * 0.1 + s_index * bar_w
            y = top + plot_h - h
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                f'fill="{colour}"><title>{escape(labels[i])} {escape(name)}: {value:,}</title>'
                "</rect>"
            )
    every = max(1, round(len(labels) / 8))
    for i, label in enumerate(labels):
        if i % every == 0:
            x = left + i * group_w + group_w / 2
            parts.append(
                f'<text x="{x:.1f}" y="{height - 14}" text-anchor="middle" class="tick">'
                f"{escape(label)}</text>"
            )
    parts += _legend([name for name, _ in series], left, 16)
    parts.append("</svg>")
    return Markup("".join(parts))


def horizontal_bars(
    items: Sequence[tuple[str, int | None]], *, title: str, width: int = 370
) -> Markup:
    """One bar per item (a funnel such as sent/delivered/opened); ``None`` reads "n/a"."""
    row_h, left, top = 30, 110, 26
    height = top + row_h * len(items) + 8
    top_value = _nice_max(max((v or 0 for _, v in items), default=0))
    plot_w = width - left - 70
    parts = [_frame(width, height, title)]
    for i, (label, value) in enumerate(items):
        y = top + i * row_h
        w = plot_w * (value or 0) / top_value
        shown = "n/a" if value is None else f"{value:,}"
        parts.append(
            f'<text x="{left - 8}" y="{y + 17}" text-anchor="end" class="label">'
            f"{escape(label)}</text>"
            f'<rect x="{left}" y="{y + 4}" width="{w:.1f}" height="{row_h - 10}" '
            f'fill="{PALETTE[i % len(PALETTE)]}"><title>{escape(label)}: {shown}</title></rect>'
            f'<text x="{left + w + 6:.1f}" y="{y + 17}" class="value">{shown}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def _frame(width: int, height: int, title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label="{escape(title)}" class="chart">'
        f"<title>{escape(title)}</title>"
    )


def _y_axis(left: int, top: int, plot_w: int, plot_h: int, top_value: int) -> list[str]:
    parts = []
    for k in range(5):
        value = top_value * k // 4
        y = top + plot_h - plot_h * k / 4
        parts.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" class="tick">'
            f"{_short(value)}</text>"
        )
    return parts


def _legend(names: Sequence[str], x: int, y: int) -> list[str]:
    parts = []
    for i, name in enumerate(names):
        parts.append(
            f'<rect x="{x}" y="{y - 9}" width="10" height="10" fill="{PALETTE[i % len(PALETTE)]}"/>'
            f'<text x="{x + 14}" y="{y}" class="legend">{escape(name)}</text>'
        )
        x += 24 + 8 * len(name)
    return parts


def _short(value: int) -> str:
    for size, suffix in ((1_000_000_000, "G"), (1_000_000, "M"), (1_000, "k")):
        if abs(value) >= size:
            return f"{value / size:.3g}{suffix}"
    return str(value)
