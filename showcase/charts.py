"""Small server-rendered SVG charts. Every chart carries a text alternative; all text that
comes from data is escaped by format_html."""

from decimal import Decimal

from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from estates.numbers import plain_number


def _fmt(value):
    return plain_number(value if isinstance(value, Decimal) else Decimal(str(value)))


def _describe(points, unit):
    return gettext("，").join(f"{caption} {_fmt(v)}{unit}".rstrip() for caption, v in points)


def _titled(label, description):
    return gettext("%(label)s：%(description)s") % {"label": label, "description": description}


def _text_width(text, size=12):
    return sum(size if ord(char) > 0x2E80 else size * 0.58 for char in str(text))


def _n(number):
    """A coordinate with one decimal: format_html escapes its arguments to text first."""
    return f"{number:.1f}"


def line_chart(points, unit="", label=""):
    """Values over time: points is [(caption, value), …] in order; two or more points."""
    width, height, pad_x, pad_top, pad_bottom = 320, 150, 48, 28, 34
    values = [float(v) for _, v in points]
    low, high = min(values), max(values)
    span = (high - low) or max(abs(high), 1.0)
    low, high = max(0.0, low - span * 0.3), high + span * 0.3
    step = (width - 2 * pad_x) / (len(points) - 1)

    def y(value):
        return pad_top + (high - value) / (high - low) * (height - pad_top - pad_bottom)

    coords = [(pad_x + i * step, y(v)) for i, v in enumerate(values)]
    path = " ".join(f"{'M' if i == 0 else 'L'}{x:.1f},{yy:.1f}" for i, (x, yy) in enumerate(coords))
    last = len(points) - 1
    # The outer captions lean inwards so that long ones ("巡检制度实施以来") are not clipped.
    anchors = ["start" if i == 0 else "end" if i == last else "middle" for i in range(len(points))]
    caption_x = [4 if i == 0 else width - 4 if i == last else x for i, (x, _y) in enumerate(coords)]
    dots = format_html_join(
        "",
        '<circle cx="{}" cy="{}" r="4"/>'
        '<text x="{}" y="{}" text-anchor="middle" class="value">{}{}</text>'
        '<text x="{}" y="{}" text-anchor="{}" class="caption">{}</text>',
        (
            (_n(x), _n(yy), _n(x), _n(yy - 9), _fmt(v), unit, _n(cx), height - 10, anchor, caption)
            for (x, yy), (caption, v), cx, anchor in zip(
                coords, points, caption_x, anchors, strict=True
            )
        ),
    )
    description = _describe(points, unit)
    return format_html(
        '<svg class="chart line-chart" viewBox="0 0 {} {}" role="img" aria-label="{}">'
        "<title>{}</title>"
        '<line x1="{}" y1="{}" x2="{}" y2="{}" class="axis"/>'
        '<path d="{}" class="line"/>{}</svg>',
        width,
        height,
        _titled(label, description),
        _titled(label, description),
        pad_x / 2,
        height - pad_bottom + 6,
        width - pad_x / 2,
        height - pad_bottom + 6,
        path,
        dots,
    )


def bar_chart(rows, unit="", label=""):
    """Horizontal bars, one per (caption, value); reads well at phone width.

    Short captions sit left of their bars; when one is too long for that (English names of
    mechanisms), every caption goes on its own line above its bar."""
    if not rows:
        return mark_safe("")
    bar_height, gap = 20, 10
    longest = max(_text_width(caption) for caption, _v in rows)
    stacked = longest > 150
    if stacked:
        label_width, room, line = 0, 260, 16
        width = max(room + 60, round(longest) + 8)
    else:
        label_width, room, line = round(max(40, longest + 10)), 190, 0
        width = label_width + room + 56
    step = line + bar_height + gap
    top = max(float(v) for _, v in rows) or 1.0

    def row(i, caption, value):
        y = i * step
        length = max(2.0, float(value) / top * room)
        if stacked:
            caption_x, caption_y, anchor = 0, y + 12, "start"
        else:
            caption_x, caption_y, anchor = label_width - 8, y + bar_height * 0.7, "end"
        return (
            caption_x,
            _n(caption_y),
            anchor,
            caption,
            label_width,
            y + line,
            _n(length),
            bar_height,
            _n(label_width + length + 6),
            _n(y + line + bar_height * 0.7),
            _fmt(value),
            unit,
        )

    bars = format_html_join(
        "",
        '<text x="{}" y="{}" text-anchor="{}" class="caption">{}</text>'
        '<rect x="{}" y="{}" width="{}" height="{}" rx="3"/>'
        '<text x="{}" y="{}" class="value">{}{}</text>',
        (row(i, caption, value) for i, (caption, value) in enumerate(rows)),
    )
    description = _describe(rows, unit)
    return format_html(
        '<svg class="chart bar-chart" viewBox="0 0 {} {}" role="img" aria-label="{}">'
        "<title>{}</title>{}</svg>",
        width,
        len(rows) * step,
        _titled(label, description),
        _titled(label, description),
        bars,
    )
