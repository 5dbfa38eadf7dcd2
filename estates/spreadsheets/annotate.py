"""The clerk's sheet handed back with a 错误说明 column: each refused row says, beside itself,
what is wrong with it, so the clerk corrects the file they know instead of copying row numbers
from a web page.

An .xlsx comes back as it was sent (its styles, widths, other sheets and formulas kept), with the
column added after its last one; a CSV, .xls or .ods comes back as an .xlsx of the same rows at
the same row numbers.
"""

import io
import re
from decimal import Decimal

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill

from . import reading
from .cells import xml_text

HEADER = "错误说明"
MARK = PatternFill("solid", fgColor="FFF2CC")


def annotated_sheet(data, kind, result):
    """The file's bytes as an .xlsx with the problems of `result` (an import of this file)
    beside their rows; None when the file could not be read or its table was not found."""
    layout = getattr(result, "layout", None)
    if layout is None or not layout.header_row:
        return None
    by_row, general = {}, []
    for problem in result.problems:
        if getattr(problem, "row", None) and getattr(problem, "column", None):
            by_row.setdefault(problem.row, []).append(f"「{problem.column}」{problem.message}")
        else:
            general.append(getattr(problem, "message", str(problem)))
    if isinstance(data, str):
        data = data.encode("utf-8")
    if reading.kind_of(data, kind) == "xlsx":
        workbook = load_workbook(io.BytesIO(data))
        sheet = workbook[layout.sheet_name]
    else:
        workbook = Workbook()
        sheet = workbook.active
        sheet.title = (layout.sheet_name or "数据")[:31]  # a CSV's table has no name
        source = next(s for s in reading.read_workbook(data, kind) if s.name == layout.sheet_name)
        for row in source.rows:
            sheet.append([_cell(value) for value in row] or [None])
    column = sheet.max_column + 1
    header = sheet.cell(layout.header_row, column, HEADER)
    header.font = Font(bold=True, color="C00000")
    if general:
        header.value = "\n".join([HEADER, *general])
    for number, messages in by_row.items():
        cell = sheet.cell(number, column, "；".join(messages))
        cell.fill = MARK
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.column_dimensions[header.column_letter].width = 60
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


PLAIN_NUMBER = re.compile(r"^-?(0|[1-9]\d{0,14})(\.\d+)?$")


def _cell(value):
    """A cell as the marked sheet holds it: a CSV's "1250" as the number it is (not "0531",
    a telephone area code, nor "1,250", which stays as the clerk wrote it)."""
    if isinstance(value, str) and PLAIN_NUMBER.match(value):
        return Decimal(value) if "." in value else int(value)
    return xml_text(value)
