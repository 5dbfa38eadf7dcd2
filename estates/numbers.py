"""How numbers are written, for the admin, the data files and the public site alike."""

from decimal import Decimal

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
