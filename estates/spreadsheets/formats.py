"""File formats for django-import-export that keep numbers as numbers, show Chinese in Excel,
and never let a cell run as a formula.

- XLSX: real numbers and dates, percentages as 0.00% cells, a bold frozen header row, readable
  widths, text cells typed as text; written byte-for-byte the same for the same data.
- CSV: UTF-8 with BOM (Excel then shows Chinese), text that looks like a formula prefixed with
  an apostrophe; the prefix is removed again on import.
"""

import csv
import datetime
import io
import re
import zipfile
from decimal import Decimal

import tablib
from import_export.formats import base_formats
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from .cells import defuse, is_blank, restore, xml_text

PERCENT_SUFFIX = "（%）"
FIXED_TIME = datetime.datetime(2000, 1, 1)


def is_percent_header(header):
    return str(header or "").endswith(PERCENT_SUFFIX)


def column_width(header, values):
    longest = max([len(str(header or ""))] + [len(str(v)) for v in values[:200] if v is not None])
    # CJK characters are about two Latin characters wide.
    wide = any(ord(ch) > 0x2E80 for ch in str(header or ""))
    return min(60, max(8, longest * (2 if wide else 1.2) + 2))


def write_xlsx(headers, rows, sheet_title="数据"):
    """rows: an iterable of lists. Returns the workbook's bytes (deterministic)."""
    workbook = Workbook(write_only=True)
    workbook.properties.created = workbook.properties.modified = FIXED_TIME
    sheet = workbook.create_sheet(sheet_title)
    sheet.freeze_panes = "A2"
    rows = list(rows) if not isinstance(rows, list) else rows
    for index, header in enumerate(headers, 1):
        column = [row[index - 1] for row in rows[:200]]
        sheet.column_dimensions[get_column_letter(index)].width = column_width(header, column)
    bold = Font(bold=True)
    header_cells = []
    for header in headers:
        cell = xlsx_cell(sheet, header, False)  # headers name metric types: text too
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    percent = [is_percent_header(h) for h in headers]
    for row in rows:
        sheet.append(
            [
                xlsx_cell(sheet, value, is_percent)
                for value, is_percent in zip(row, percent, strict=True)
            ]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return deterministic_zip(buffer.getvalue())


def xlsx_cell(sheet, value, is_percent):
    if isinstance(value, str):
        cell = WriteOnlyCell(sheet, value=xml_text(value))
        cell.data_type = "s"  # text stays text, even "=1+1"
        return cell
    if isinstance(value, bool):
        return WriteOnlyCell(sheet, value="是" if value else "否")
    if is_percent and isinstance(value, (int, float, Decimal)):
        cell = WriteOnlyCell(sheet, value=Decimal(str(value)) / 100)
        cell.number_format = "0.00%"
        return cell
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, datetime.date):
        cell.number_format = "yyyy-mm-dd"
    return cell


CORE_TIMES = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)")


def deterministic_zip(data):
    """Rewrite an XLSX (a zip) with fixed entry times and document times (openpyxl stamps
    the time of saving), so equal data gives equal bytes."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = CORE_TIMES.sub(rb"\g<1>2000-01-01T00:00:00Z\g<2>", content)
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            target.writestr(fixed, content)
    return out.getvalue()


def read_xlsx(data):
    """(headers, rows) from the first sheet; a percent-formatted number becomes '96.55%'."""
    workbook = load_workbook(io.BytesIO(data), data_only=True)
    sheet = workbook.worksheets[0]
    rows = sheet.iter_rows()
    try:
        headers = [_header(cell.value) for cell in next(rows)]
    except StopIteration:
        return [], []
    values = []
    for row in rows:
        values.append([xlsx_value(cell) for cell in row])
    return headers, values


def xlsx_value(cell):
    value = cell.value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "%" in (cell.number_format or ""):
            return f"{(Decimal(str(value)) * 100).normalize():f}%"
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return Decimal(str(value)) if isinstance(value, float) else value
    return value


def _header(value):
    # Only spaces are trimmed here; the resource matches "(%)" and "（%）" alike.
    return value.strip() if isinstance(value, str) else value


def to_dataset(headers, rows):
    dataset = tablib.Dataset(headers=headers)
    width = len(headers)
    for row in rows:
        row = list(row)[:width] + [None] * (width - len(row))
        if all(is_blank(value) for value in row):
            continue  # blank rows are skipped, not errors
        dataset.append(row)
    return dataset


class SafeXLSX(base_formats.XLSX):
    def create_dataset(self, in_stream):
        return to_dataset(*read_xlsx(in_stream))

    def export_data(self, dataset, **kwargs):
        return write_xlsx(list(dataset.headers), [list(row) for row in dataset])


def write_csv(headers, rows):
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([csv_text(header) for header in headers])
    for row in rows:
        writer.writerow([csv_text(value) for value in row])
    return buffer.getvalue()


def csv_text(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Decimal):
        return f"{value.normalize():f}" if value == value.to_integral_value() else f"{value:f}"
    if isinstance(value, datetime.date):
        return value.isoformat()
    return defuse(value)


class SafeCSV(base_formats.CSV):
    def create_dataset(self, in_stream, **kwargs):
        text = in_stream.decode("utf-8-sig") if isinstance(in_stream, bytes) else in_stream
        text = text.lstrip("\ufeff")
        reader = csv.reader(io.StringIO(text))
        try:
            headers = [restore(_header(h)) for h in next(reader)]
        except StopIteration:
            return tablib.Dataset()
        rows = [[restore(value) if value != "" else None for value in row] for row in reader]
        return to_dataset(headers, rows)

    def export_data(self, dataset, **kwargs):
        return write_csv(list(dataset.headers), [list(row) for row in dataset])


FORMATS = [SafeXLSX, SafeCSV, base_formats.JSON]
