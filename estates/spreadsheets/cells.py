"""Reading what people type into spreadsheets, and writing cells no program runs as formulas.

Accepted: "96.55%", "96.55", 0.9655 in a percent-formatted cell (the XLSX reader turns such a
cell into "96.55%"), full-width digits, "1,250", "1250户", Excel dates, "2022年12月31日",
surrounding spaces. Everything else is refused with a message that says what was expected.
"""

import datetime
import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils import timezone

# A text cell starting with one of these is run as a formula by some spreadsheet program.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
UNIT_SUFFIX = re.compile(
    r"^(?P<number>[-+]?[\d.]+)\s*(户|人|栋|个|台|株|名|次|处|平方米|㎡|m²|亩|元|分钟)?$"
)
CHINESE_DATE = re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?$")
PLAIN_DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")


# Characters XML 1.0 (and so an XLSX file) cannot hold: control characters other than tab and
# line breaks, and the non-characters U+FFFE and U+FFFF.
NOT_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_text(value):
    """Text as an XLSX cell can hold it: characters XML cannot carry are left out (openpyxl
    would refuse the whole file)."""
    return NOT_IN_XML.sub("", value) if isinstance(value, str) else value


class CellError(ValueError):
    """A cell that cannot be read; the message says what was expected, in Chinese."""


def normalize(value):
    """For numbers, dates and names looked up: full-width characters to ASCII (１２５０ →
    1250), surrounding spaces removed; '' for an empty cell. Free text keeps its full-width
    punctuation: use text() for it."""
    if value is None:
        return ""
    if isinstance(value, str):
        return unicodedata.normalize("NFKC", value).strip()
    return value


def text(value):
    """Free text as typed, without surrounding spaces; '' for an empty cell."""
    if value is None:
        return ""
    return str(value).strip()


def long_text(value):
    """A long text as typed or pasted from Word: a paragraph's full-width indent (　　) is
    kept, as the admin's long-text fields keep it; other surrounding spaces are removed."""
    if value is None:
        return ""
    return str(value).rstrip().lstrip(" \t\r\n")


def is_blank(value):
    return normalize(value) in ("", None)


def _number_text(value):
    text = normalize(value)
    if isinstance(text, str):
        text = text.replace(",", "").replace("，", "")
        match = UNIT_SUFFIX.match(text)
        if match:
            text = match.group("number")
    return text


def parse_decimal(value, places=2):
    if is_blank(value):
        return None
    text = _number_text(value)
    try:
        number = Decimal(str(text))
    except InvalidOperation:
        raise CellError(f"应为数字，例如 1.16，而不是“{value}”") from None
    if not number.is_finite():
        raise CellError(f"应为数字，而不是“{value}”")
    try:
        # 四舍五入, as clerks round (0.965 → 0.97), not the banker's rounding of Decimal.
        return number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    except InvalidOperation:  # more digits than any column holds, e.g. 1e30
        raise CellError(f"数值“{value}”过大，请核对") from None


def parse_count(value):
    if is_blank(value):
        return None
    try:
        number = parse_decimal(value, places=4)
    except CellError:
        raise CellError(f"应为整数，例如 1250 或 1250户，而不是“{value}”") from None
    if number != number.to_integral_value():
        raise CellError(f"应为整数，例如 1250，而不是“{value}”")
    if number < 0:
        raise CellError(f"不能为负数（“{value}”）")
    return int(number)


def parse_percent(value, places=2):
    """'96.55%' or 96.55 → Decimal('96.55'); refuses values outside 0–100."""
    if is_blank(value):
        return None
    text = normalize(value)
    if isinstance(text, str) and text.endswith("%"):
        text = text[:-1].strip()
    number = parse_decimal(text, places)
    if number is None:  # "%" alone
        raise CellError(f"应为百分比，例如 96.55%，而不是“{value}”")
    if not Decimal(0) <= number <= Decimal(100):
        raise CellError(f"百分比必须在 0 到 100 之间，而不是“{value}”")
    return number


def parse_date(value):
    if is_blank(value):
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = normalize(value)
    match = CHINESE_DATE.match(str(text)) or PLAIN_DATE.match(str(text))
    if match:
        try:
            return datetime.date(*(int(part) for part in match.groups()))
        except ValueError:
            pass
    raise CellError(f"应为日期，例如 2022-12-31 或 2022年12月31日，而不是“{value}”")


def parse_bool(value):
    text = normalize(value)
    if text in ("", None):
        return False
    if isinstance(text, bool):
        return text
    if str(text).lower() in ("是", "y", "yes", "true", "1", "√", "✓"):
        return True
    if str(text).lower() in ("否", "n", "no", "false", "0"):
        return False
    raise CellError(f"应填“是”或“否”，而不是“{value}”")


def _looks_like_formula(value):
    # Apostrophes in front count too: "'=1" must come back as "'=1", not as "=1".
    return isinstance(value, str) and value.lstrip("'").startswith(FORMULA_STARTS)


def defuse(value):
    """Text a spreadsheet program would run as a formula gets a leading apostrophe (CSV)."""
    return "'" + value if _looks_like_formula(value) else value


def restore(value):
    """Undo defuse() on import, so an exported file imports to the same text."""
    if _looks_like_formula(value) and value.startswith("'"):
        return value[1:]
    return value


YEAR_ONLY = re.compile(r"^(\d{4})\s*年?度?$")
YEAR_MONTH = re.compile(r"^(\d{4})\s*(?:年|[-/.])\s*(\d{1,2})\s*月?$")
PERIOD_EXAMPLES = "例如 2024-06-30、2024年6月 或 2024年"


def parse_period(value, today=None):
    """A date as precise as the sheet gives it: (date, 'day' | 'month' | 'year'), or None.

    "2024-06-30", "2024年6月30日" and date cells are days; "2024年6月", "2024-06" months;
    "2024", "2024年" years (stored as the period's first day). "2024.6" is refused: a program
    may have turned "2024.10" into the number 2024.1."""
    if is_blank(value):
        return None
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, datetime.date):
        found = (value, "day")
    else:
        text = str(normalize(value))
        found = None
        year_only, year_month = YEAR_ONLY.match(text), YEAR_MONTH.match(text)
        if year_only:
            found = (datetime.date(int(year_only.group(1)), 1, 1), "year")
        elif year_month and "." not in text:
            year, month = (int(part) for part in year_month.groups())
            if 1 <= month <= 12:
                found = (datetime.date(year, month, 1), "month")
        else:
            try:
                found = (parse_date(text), "day")
            except CellError:
                found = None
    if found is None:
        raise CellError(f"应为日期，{PERIOD_EXAMPLES}，而不是“{value}”")
    today = today or timezone.localdate()
    if found[0] > today or found[0].year < 1949:
        raise CellError(f"日期“{value}”不合理：应在 1949 年到今天之间")
    return found


def show_period(day, precision):
    """The period as the sheet writes it: a date for a day, 2024年6月, 2024年."""
    if day is None:
        return None
    if precision == "year":
        return f"{day.year}年"
    if precision == "month":
        return f"{day.year}年{day.month}月"
    return day


def parse_year(value, today=None):
    """A four-digit year from 1900 to this year; 213 or 20013 is refused, not stored."""
    year = parse_count(value)
    if year is None:
        return None
    this_year = (today or timezone.localdate()).year
    if not 1900 <= year <= this_year:
        raise CellError(f"年份“{value}”不合理：应为 1900 到 {this_year} 之间的四位年份")
    return year
