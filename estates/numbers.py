"""How numbers are written, for the admin, the data files and the public site alike."""

from decimal import Decimal

from django.utils.translation import get_language
from django.utils.translation import gettext as _

CENTS = Decimal("0.01")


def two_places(value):
    """A stored metric value as stored: two decimal places (SQLite hands subquery results back
    as floats, which become 15-digit decimals such as 1.17000000000000). None stays None."""
    return None if value is None else Decimal(value).quantize(CENTS)


def plain_number(value):
    """Digits without trailing zeros or separators: Decimal('96.550') → '96.55',
    Decimal('100.00') → '100', 1599 → '1599'."""
    if isinstance(value, Decimal):
        # normalize() turns 1000 into 1E+3; format with 'f' to keep plain digits.
        return f"{value.normalize():f}"
    return str(value)


def percent_text(value):
    """A percentage for a table cell: '96.55%', or '—' when unknown."""
    return "—" if value is None else f"{plain_number(two_places(value))}%"


def area_text(square_metres, approximate=False):
    """'约34万平方米' as the sources write large areas; exact digits when 万 would round.
    English has no 万: it shows the square metres with thousands separators."""
    if (get_language() or "").startswith("en"):
        digits = f"{square_metres:,.0f}" if approximate else f"{square_metres.normalize():,f}"
        text = _("%(value)s平方米") % {"value": digits}
    elif square_metres >= 10000 and (approximate or square_metres % 100 == 0):
        value = two_places(square_metres / 10000)
        text = _("%(value)s万平方米") % {"value": plain_number(value)}
    else:
        text = _("%(value)s平方米") % {"value": plain_number(square_metres)}
    return _("约%(text)s") % {"text": text} if approximate else text


def land_area_text(estate):
    """The estate's land area as its source gives it (in 亩 with the square metres), or None."""
    if estate.land_area is None:
        return None
    if estate.land_area_in_mu:
        return _("%(mu)s亩（%(area)s）") % {
            "mu": plain_number(estate.land_area_mu),
            "area": area_text(estate.land_area, approximate=True),
        }
    return area_text(estate.land_area)


def floor_area_text(estate):
    if estate.floor_area is None:
        return None
    return area_text(estate.floor_area, approximate=estate.floor_area_is_approximate)
