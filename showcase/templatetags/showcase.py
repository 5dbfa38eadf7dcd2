"""Display helpers for public pages: exact numbers, and unknown shown as unknown."""

from decimal import Decimal

from django import template
from django.utils.html import format_html
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from estates.enums import Approximation
from estates.numbers import plain_number

register = template.Library()


def display_number(value):
    """A number for reading: Chinese text writes 1250户 with no separators, as the sources
    do; English groups thousands (1,250). Data files use plain_number instead."""
    text = plain_number(value)
    if (get_language() or "").startswith("en") and abs(Decimal(text)) >= 1000:
        whole, _dot, fraction = text.partition(".")
        text = f"{int(whole):,}" + (f".{fraction}" if fraction else "")
    return text


@register.filter
def num(value):
    """An exact number without trailing zeros; unknown (None) as the word 未知."""
    if value is None or value == "":
        return format_html('<span class="unknown">{}</span>', _("未知"))
    return display_number(value)


@register.simple_tag
def quantity(value, unit="", approximation=""):
    """'739台', '10余次', '约1000平方米', '2000多名'; unknown as 未知."""
    if value is None:
        return format_html('<span class="unknown">{}</span>', _("未知"))
    number = display_number(value)
    if approximation == Approximation.ABOUT:
        return _("约%(number)s%(unit)s") % {"number": number, "unit": unit}
    if approximation == Approximation.MORE_THAN:
        return _("%(number)s余%(unit)s") % {"number": number, "unit": unit}
    if approximation == Approximation.MORE:
        return _("%(number)s多%(unit)s") % {"number": number, "unit": unit}
    return f"{number}{unit}"


@register.filter
def paragraphs(text):
    """Split stored text into paragraphs, one per line, skipping blank lines."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]
