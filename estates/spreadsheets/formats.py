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
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from . import reading
from .cells import defuse, xml_text

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


class WorkbookDataset(tablib.Dataset):
    """A dataset that carries the file's sheets as read (reading.py): the import finds the
    header row and names the columns (layout.py) once it knows which columns it takes. A file
    that cannot be read carries the reason, which the import reports as the file's problem.
    It has no rows of its own yet, and is not "empty" for that (an empty file is reported by
    the import, in its own words)."""

    def __bool__(self):
        return True


def workbook_dataset(data, kind):
    dataset = WorkbookDataset()
    try:
        dataset.workbook = reading.read_workbook(data, kind)
    except reading.SheetError as error:
        dataset.workbook, dataset.unreadable = [], str(error)
    return dataset


class SafeXLSX(base_formats.XLSX):
    def create_dataset(self, in_stream):
        return workbook_dataset(in_stream, "xlsx")

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
    # Read as bytes: the encoding (UTF-8, GBK, UTF-16) is found from the file itself.
    def get_read_mode(self):
        return "rb"

    def is_binary(self):
        return True

    def create_dataset(self, in_stream, **kwargs):
        return workbook_dataset(in_stream, "csv")

    def export_data(self, dataset, **kwargs):
        return write_csv(list(dataset.headers), [list(row) for row in dataset])


class ReadOnlySheet(base_formats.Format):
    """A format the import reads (reading.py) and the export never writes: exports are .xlsx.
    import-export's own XLS and ODS classes need tablib's writers for them (xlwt) too."""

    kind = ""
    content_type = "application/octet-stream"

    def __init__(self, encoding=None):
        self.encoding = encoding

    def get_title(self):
        return self.kind

    def get_extension(self):
        return self.kind

    def get_content_type(self):
        return self.content_type

    def is_binary(self):
        return True

    def get_read_mode(self):
        return "rb"

    def can_import(self):
        return True

    def can_export(self):
        return False

    def create_dataset(self, in_stream):
        return workbook_dataset(in_stream, self.kind)


class SafeXLS(ReadOnlySheet):
    """Excel 97-2003 (.xls)."""

    kind = "xls"
    content_type = "application/vnd.ms-excel"


class SafeODS(ReadOnlySheet):
    """OpenDocument spreadsheets (.ods) of LibreOffice and WPS."""

    kind = "ods"
    content_type = "application/vnd.oasis.opendocument.spreadsheet"


FORMATS = [SafeXLSX, SafeCSV, SafeXLS, SafeODS, base_formats.JSON]
