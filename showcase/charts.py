"""Small server-rendered charts whose text is the page's own text.

Their words and numbers are HTML (a table, a row of captions) or SVG text in a drawing that is
never scaled (no viewBox: x positions in percent of the drawing's width, sizes in CSS px), so
chart text has the size static/css/charts.css gives it at every width. Bars start at zero on a
visible axis; an empty bin has no bar. Every chart can be read without its drawing, and all
text that comes from data is escaped by format_html."""

from decimal import Decimal

from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from estates.numbers import plain_number

# Fewer known values than this make no distribution worth drawing (a band chart of 3 values
# is mostly empty bins); the page says how many values there are instead.
MIN_VALUES_FOR_DISTRIBUTION = 5


def enough_for_distribution(known):
    return known >= MIN_VALUES_FOR_DISTRIBUTION


def _fmt(value):
    return plain_number(value if isinstance(value, Decimal) else Decimal(str(value)))


def _describe(points, unit):
    return gettext("，").join(f"{caption} {_fmt(v)}{unit}".rstrip() for caption, v in points)


def _titled(label, description):
    return gettext("%(label)s：%(description)s") % {"label": label, "description": description}


def _n(number):
    """A coordinate with one decimal: format_html escapes its arguments to text first."""
    return f"{number:.1f}"


def _text_width(text, size=14):
    """Roughly how wide text is in px: CJK characters are square, others about half."""
    return sum(size if ord(char) > 0x2E80 else size * 0.55 for char in str(text))


def _percent(number):
    """A length in percent with one decimal: format_html escapes its arguments to text."""
    return f"{number:.1f}%"


def _bars(rows, unit, label, kind):
    """A table of caption, bar and value per row, the bars drawn in percent of the largest."""
    if not rows:
        return mark_safe("")
    top = max(float(v) for _c, v in rows) or 1.0
    # Short captions stay on one line; a chart with a long one (English mechanism names)
    # lets its captions wrap in a column of their own.
    if max(_text_width(caption) for caption, _v in rows) > 150:
        kind += " long-captions"

    def bar(value):
        # An empty bin gets no bar at all, not a stub that reads as "a few".
        if float(value) <= 0:
            return ""
        return format_html(
            '<rect width="{}" height="100%" rx="2"/>', _percent(float(value) / top * 100)
        )

    body = format_html_join(
        "",
        '<tr><th scope="row">{}</th>'
        '<td class="bar"><svg aria-hidden="true" focusable="false">{}</svg></td>'
        '<td class="value">{}{}</td></tr>',
        ((caption, bar(value), _fmt(value), unit) for caption, value in rows),
    )
    return format_html(
        '<table class="chart {}"><caption class="visually-hidden">{}</caption>'
        "<tbody>{}</tbody></table>",
        kind,
        label,
        body,
    )


def bar_chart(rows, unit="", label=""):
    """Horizontal bars, one per (caption, value), from a zero axis; the captions wrap as the
    page's text does, so long English names need no layout of their own."""
    return _bars(rows, unit, label, "bar-chart")


def change_chart(points, unit="", label=""):
    """A before/after pair: two bars from zero, each with its caption (the date or the
    source's words for when) and its value."""
    return _bars(points, unit, label, "bar-chart change-chart")


def _axis_start(values):
    """Where the line chart's value axis starts: 0, unless every value sits far above it
    (71% … 98.6%), when a round number below the lowest value shows the change better; the
    chart then says so."""
    low, high = min(values), max(values)
    if low < 0:
        return low
    if low <= high * 0.5:
        return 0.0
    start = low - (high - low) * 0.5
    magnitude = 10 ** max(0, len(str(int(high - low or 1))) - 1)
    return max(0.0, start // magnitude * magnitude)


def line_chart(points, unit="", label=""):
    """Values over time: points is [(caption, value), …] in order, two or more. Two points
    are a change, drawn as change_chart(); three or more as a line whose points sit at the
    middle of equal columns, the captions in HTML below them (wrapping, never clipped)."""
    if len(points) == 2:
        return change_chart(points, unit, label)
    height, top_pad, bottom_pad = 150, 26, 8
    values = [float(v) for _c, v in points]
    start = _axis_start(values)
    high = max(values)
    span = (high - start) or 1.0

    def y(value):
        return top_pad + (high - value) / span * (height - top_pad - bottom_pad)

    xs = [(i + 0.5) / len(points) * 100 for i in range(len(points))]
    ys = [y(v) for v in values]
    segments = format_html_join(
        "",
        '<line x1="{}" y1="{}" x2="{}" y2="{}" class="line"/>',
        (
            (_percent(xs[i]), _n(ys[i]), _percent(xs[i + 1]), _n(ys[i + 1]))
            for i in range(len(points) - 1)
        ),
    )
    dots = format_html_join(
        "",
        '<circle cx="{}" cy="{}" r="4"/>'
        '<text x="{}" y="{}" text-anchor="middle" class="value">{}{}</text>',
        (
            (_percent(x), _n(yy), _percent(x), _n(yy - 9), _fmt(v), unit)
            for x, yy, v in zip(xs, ys, values, strict=True)
        ),
    )
    captions = format_html_join("", "<li>{}</li>", ((caption,) for caption, _v in points))
    description = _describe(points, unit)
    axis_note = gettext("纵轴自 %(start)s 起") % {"start": f"{_fmt(start)}{unit}"}
    return format_html(
        '<div class="chart line-chart">'
        '<svg class="plot" height="{}" role="img" aria-label="{}"><title>{}</title>'
        '<line x1="0" y1="{}" x2="100%" y2="{}" class="axis"/>{}{}</svg>'
        '<ol class="captions" aria-hidden="true">{}</ol>'
        '<p class="axis-note">{}</p></div>',
        height,
        _titled(label, description),
        _titled(label, description),
        height - bottom_pad,
        height - bottom_pad,
        segments,
        dots,
        captions,
        axis_note,
    )
