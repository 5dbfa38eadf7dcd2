"""File formats for django-import-export that keep numbers as numbers, show Chinese in Excel,
and never let a cell run as a formula.

- XLSX: real numbers and dates, percentages as 0.00% cells, a bold frozen header row (and an
  optional title row above it), readable widths, text cells typed as text; written
  byte-for-byte the same for the same data.
- CSV: UTF-8 with BOM (Excel then shows Chinese), text that looks like a formula prefixed with
  an apostrophe; the prefix is removed again on import.
- Both: every number of a column with the same decimal places (96.50 and 100.00).
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
from openpyxl.styles import Alignment, Font
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


def write_xlsx(headers, rows, sheet_title="数据", title=None):
    """rows: an iterable of lists. Returns the workbook's bytes (deterministic).

    A title, when given, is a bold row above the header, merged across the table."""
    workbook = Workbook(write_only=True)
    workbook.properties.created = workbook.properties.modified = FIXED_TIME
    sheet = workbook.create_sheet(sheet_title)
    rows = list(rows) if not isinstance(rows, list) else rows
    header_row = 2 if title else 1
    sheet.freeze_panes = f"A{header_row + 1}"
    sheet.print_title_rows = f"1:{header_row}"  # on every printed page
    for index, header in enumerate(headers, 1):
        column = [row[index - 1] for row in rows[:200]]
        sheet.column_dimensions[get_column_letter(index)].width = column_width(header, column)
    if title:
        cell = xlsx_cell(sheet, title, False)
        cell.font = Font(bold=True, size=14)
        cell.alignment = Alignment(horizontal="center", vertical="center")
        sheet.append([cell])
        sheet.merged_cells.add(f"A1:{get_column_letter(max(1, len(headers)))}1")
    bold = Font(bold=True)
    header_cells = []
    for header in headers:
        cell = xlsx_cell(sheet, header, False)  # headers name metric types: text too
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    percent = [is_percent_header(h) for h in headers]
    places = column_places(headers, rows)
    for row in rows:
        sheet.append(
            [
                xlsx_cell(sheet, value, is_percent, column)
                for value, is_percent, column in zip(row, percent, places, strict=True)
            ]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return deterministic_zip(buffer.getvalue())


def xlsx_cell(sheet, value, is_percent, places=None):
    """places: the column's decimal places (column_places); by default the value's own."""
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
    shown = decimal_places(value) if places is None else places
    if shown:
        cell.number_format = "0." + "0" * shown  # 12.50 stays 12.50, as in the CSV
    return cell


def decimal_places(value):
    """The places a number is written with (Decimal("96.50") → 2, 1250 → 0); None for text.
    A DecimalField's values carry its places, so the values of one column agree."""
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        return None
    number = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    if not number.is_finite():
        return None
    return max(0, -number.as_tuple().exponent)


def column_places(headers, rows):
    """Decimal places of each column: the most any of its numbers has, at least two for
    percentages, so that a column reads 96.50 and 100.00 rather than 96.5 and 100."""
    places = [2 if is_percent_header(header) else 0 for header in headers]
    for row in rows:
        for index, value in enumerate(row):
            own = decimal_places(value)
            if own is not None and own > places[index]:
                places[index] = own
    return places


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
    rows = list(rows) if not isinstance(rows, list) else rows
    places = column_places(headers, rows)
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([csv_text(header) for header in headers])
    for row in rows:
        writer.writerow(
            [csv_text(value, column) for value, column in zip(row, places, strict=True)]
        )
    return buffer.getvalue()


def csv_text(value, places=None):
    """One cell as text; a number with the column's decimal places (column_places), by
    default its own (a DecimalField's, so 100.00 stays 100.00)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (int, float, Decimal)):
        number = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
        if places is not None and number.is_finite():
            # Padded, never rounded: a number with more places keeps them.
            number = number.quantize(Decimal(1).scaleb(-max(places, decimal_places(number))))
        return f"{number:f}"
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
