"""Small server-rendered SVG charts. Every chart carries a text alternative; all text that
comes from data is escaped by format_html."""

from decimal import Decimal

from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from .templatetags.showcase import plain_number


def _fmt(value):
    return plain_number(value if isinstance(value, Decimal) else Decimal(str(value)))


def _n(number):
    """A coordinate with one decimal: format_html escapes its arguments to text first."""
    return f"{number:.1f}"


def line_chart(points, unit="", label=""):
    """Values over time: points is [(caption, value), …] in order; two or more points."""
    width, height, pad_x, pad_top, pad_bottom = 320, 150, 36, 28, 34
    values = [float(v) for _, v in points]
    low, high = min(values), max(values)
    span = (high - low) or max(abs(high), 1.0)
    low, high = max(0.0, low - span * 0.3), high + span * 0.3
    step = (width - 2 * pad_x) / (len(points) - 1)

    def y(value):
        return pad_top + (high - value) / (high - low) * (height - pad_top - pad_bottom)

    coords = [(pad_x + i * step, y(v)) for i, v in enumerate(values)]
    path = " ".join(f"{'M' if i == 0 else 'L'}{x:.1f},{yy:.1f}" for i, (x, yy) in enumerate(coords))
    dots = format_html_join(
        "",
        '<circle cx="{}" cy="{}" r="4"/>'
        '<text x="{}" y="{}" text-anchor="middle" class="value">{}{}</text>'
        '<text x="{}" y="{}" text-anchor="middle" class="caption">{}</text>',
        (
            (_n(x), _n(yy), _n(x), _n(yy - 9), _fmt(v), unit, _n(x), height - 10, caption)
            for (x, yy), (caption, v) in zip(coords, points, strict=True)
        ),
    )
    description = "，".join(f"{caption} {_fmt(v)}{unit}" for caption, v in points)
    return format_html(
        '<svg class="chart line-chart" viewBox="0 0 {} {}" role="img" aria-label="{}">'
        "<title>{}</title>"
        '<line x1="{}" y1="{}" x2="{}" y2="{}" class="axis"/>'
        '<path d="{}" class="line"/>{}</svg>',
        width,
        height,
        f"{label}：{description}",
        f"{label}：{description}",
        pad_x / 2,
        height - pad_bottom + 6,
        width - pad_x / 2,
        height - pad_bottom + 6,
        path,
        dots,
    )


def bar_chart(rows, unit="", label=""):
    """Horizontal bars, one per (caption, value); reads well at phone width."""
    if not rows:
        return mark_safe("")
    bar_height, gap, label_width, width = 22, 8, 110, 360
    top = max(float(v) for _, v in rows) or 1.0
    room = width - label_width - 56
    height = len(rows) * (bar_height + gap)
    bars = format_html_join(
        "",
        '<text x="{}" y="{}" text-anchor="end" class="caption">{}</text>'
        '<rect x="{}" y="{}" width="{}" height="{}" rx="3"/>'
        '<text x="{}" y="{}" class="value">{}{}</text>',
        (
            (
                label_width - 8,
                _n(i * (bar_height + gap) + bar_height * 0.7),
                caption,
                label_width,
                i * (bar_height + gap),
                _n(max(2.0, float(v) / top * room)),
                bar_height,
                _n(label_width + max(2.0, float(v) / top * room) + 6),
                _n(i * (bar_height + gap) + bar_height * 0.7),
                _fmt(v),
                unit,
            )
            for i, (caption, v) in enumerate(rows)
        ),
    )
    description = "，".join(f"{caption} {_fmt(v)}{unit}" for caption, v in rows)
    return format_html(
        '<svg class="chart bar-chart" viewBox="0 0 {} {}" role="img" aria-label="{}">'
        "<title>{}</title>{}</svg>",
        width,
        height,
        f"{label}：{description}",
        f"{label}：{description}",
        bars,
    )
