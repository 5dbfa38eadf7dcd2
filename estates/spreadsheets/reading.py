"""Reading the sheets provinces send: .xlsx, .xls (old Excel), .ods (LibreOffice) and CSV in
UTF-8 (with or without BOM), GBK/GB18030 or Excel's UTF-16 "Unicode text".

Each reader returns the workbook's sheets as they are, every row at its own number (row 1 is
the sheet's first row, blank rows kept), so that what follows can find the header row below a
title, skip notes, and name rows as the clerk sees them in Excel, WPS or LibreOffice. Cells keep
what the clerk sees:

- a number in a percent-formatted cell is text "96.5%" (the cell holds 0.965);
- a number is an int when whole, else the Decimal of its shortest form (0.1, not the float's
  0.1000000000000000055);
- a date is a datetime.date; a formula cell gives the value it last showed;
- a merged range's value is in its first cell; `Sheet.merged` says which cells it covers;
- hidden columns are listed in `Sheet.hidden_columns`.

django-import-export reads these formats through tablib, which keeps only values: no
percent formats (0.965 and 96.5% would be the same), no merged ranges, no hidden columns, and
its CSV reader knows one encoding. Hence these readers, on the parsers tablib itself uses
(openpyxl, xlrd, odfpy).
"""

import csv
import datetime
import functools
import io
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal

from .cells import CellError, restore

# At most this many sheets of a workbook are looked at, and rows per sheet read.
MAX_SHEETS = 20
MAX_ROWS = 100_000

CSV_RESAVE = (
    "请在 Excel 中“另存为”“CSV UTF-8（逗号分隔）”，或在 WPS、LibreOffice 中保存为 CSV 并选择"
    " UTF-8 编码；也可以直接上传 .xlsx 文件"
)


class SheetError(CellError):
    """A file that cannot be read at all; the message says why and what to do, in Chinese."""


@dataclass
class Sheet:
    name: str
    rows: list  # lists of cell values; rows[0] is the sheet's row 1
    hidden_columns: set = field(default_factory=set)  # 0-based column indexes
    # (first row, last row, first column, last column), 0-based and inclusive
    merged: list = field(default_factory=list)


def kind_of(data, chosen):
    """What the file is, by its first bytes rather than by the format chosen on the page or
    its name's ending (an .xls that is really .xlsx, a .csv saved as Excel): zip files are
    .xlsx or .ods, the OLE2 signature is old Excel, anything else is read as CSV."""
    if data[:4] == b"PK\x03\x04":
        return "ods" if b"application/vnd.oasis.opendocument.spreadsheet" in data[:100] else "xlsx"
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return "xls"
    return "csv" if chosen == "csv" or _looks_like_text(data) else chosen


def _looks_like_text(data):
    """Text in one of the encodings a CSV may have (a photo or a damaged workbook is not)."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return True
    head = data[:4096]
    for encoding in ("utf-8", "gb18030"):
        try:
            head.decode(encoding)
            return b"\x00" not in head
        except UnicodeDecodeError as error:
            if error.start >= len(head) - 4:  # a character cut at the end of the sample
                return b"\x00" not in head
    return False


def read_workbook(data, kind):
    """The visible sheets of a file ('xlsx', 'xls', 'ods' or 'csv' as chosen; see kind_of)."""
    readers = {"xlsx": read_xlsx, "xls": read_xls, "ods": read_ods, "csv": read_csv}
    if isinstance(data, str):
        data = data.encode("utf-8")
    kind = kind_of(data, kind)
    try:
        return readers[kind](data)
    except SheetError:
        raise
    except Exception as error:  # whatever a parser raises on a file it cannot read
        raise SheetError(unreadable(kind)) from error


def unreadable(kind):
    names = {"xlsx": "Excel（.xlsx）", "xls": "Excel 97-2003（.xls）", "ods": "ODS", "csv": "CSV"}
    return (
        f"无法按{names.get(kind, kind)}文件读取：文件可能已损坏，或与所选格式不符。"
        "请用 Excel、WPS 或 LibreOffice 打开后重新保存为 .xlsx 再上传"
    )


def number(value):
    """int when whole, else the Decimal of the float's shortest form."""
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        return value
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return int(value)
        return Decimal(repr(value))
    return value


def percent_text(value):
    """0.965 in a percent-formatted cell → '96.5%', as the clerk sees it."""
    shown = (Decimal(repr(value)) if isinstance(value, float) else Decimal(value)) * 100
    return f"{shown.normalize():f}%"


# ---------------------------------------------------------------- .xlsx


def read_xlsx(data):
    from openpyxl import load_workbook

    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise SheetError(unreadable("xlsx"))
    workbook = load_workbook(io.BytesIO(data), data_only=True)
    sheets = []
    for worksheet in workbook.worksheets[:MAX_SHEETS]:
        if worksheet.sheet_state != "visible":
            continue
        hidden = set()
        for dimension in worksheet.column_dimensions.values():
            if dimension.hidden and dimension.min:
                hidden.update(range(dimension.min - 1, dimension.max))
        rows = [
            [_xlsx_value(cell) for cell in row]
            for row in worksheet.iter_rows(max_row=min(worksheet.max_row, MAX_ROWS))
        ]
        merged = [
            (r.min_row - 1, r.max_row - 1, r.min_col - 1, r.max_col - 1)
            for r in worksheet.merged_cells.ranges
        ]
        sheets.append(Sheet(worksheet.title, rows, hidden, merged))
    return sheets


def _xlsx_value(cell):
    value = cell.value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "%" in (cell.number_format or ""):
            return percent_text(value)
        return number(value)
    if isinstance(value, datetime.datetime) and value.time() == datetime.time(0):
        return value.date()
    return value


# ---------------------------------------------------------------- .xls


def read_xls(data):
    import xlrd

    try:
        book = xlrd.open_workbook(file_contents=data, formatting_info=True, on_demand=True)
    except xlrd.XLRDError as error:
        if "xlsx" in str(error).lower():  # an .xlsx file saved with the wrong extension
            return read_xlsx(data)
        raise
    sheets = []
    for index in range(min(book.nsheets, MAX_SHEETS)):
        worksheet = book.sheet_by_index(index)
        if worksheet.visibility:
            continue
        rows = [
            [_xls_value(book, worksheet, r, c) for c in range(worksheet.row_len(r))]
            for r in range(min(worksheet.nrows, MAX_ROWS))
        ]
        hidden = {c for c, info in worksheet.colinfo_map.items() if info.hidden}
        merged = [(rlo, rhi - 1, clo, chi - 1) for rlo, rhi, clo, chi in worksheet.merged_cells]
        sheets.append(Sheet(worksheet.name, rows, hidden, merged))
    return sheets


def _xls_value(book, worksheet, r, c):
    import xlrd

    cell = worksheet.cell(r, c)
    if cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
        return None
    if cell.ctype == xlrd.XL_CELL_TEXT:
        return cell.value
    if cell.ctype == xlrd.XL_CELL_BOOLEAN:
        return bool(cell.value)
    if cell.ctype == xlrd.XL_CELL_ERROR:
        return xlrd.error_text_from_code.get(cell.value, "#错误")
    if cell.ctype == xlrd.XL_CELL_DATE:
        moment = xlrd.xldate_as_datetime(cell.value, book.datemode)
        return moment.date() if moment.time() == datetime.time(0) else moment
    xf = book.xf_list[cell.xf_index]
    shown_as = book.format_map.get(xf.format_key)
    if shown_as is not None and "%" in shown_as.format_str:
        return percent_text(cell.value)
    return number(cell.value)


# ---------------------------------------------------------------- .ods


def read_ods(data):
    from odf import opendocument, table

    document = opendocument.load(io.BytesIO(data))
    sheets = []
    for worksheet in document.spreadsheet.getElementsByType(table.Table)[:MAX_SHEETS]:
        sheets.append(_ods_sheet(worksheet))
    return sheets


def _attribute(element, name):
    return element.attributes.get(_odf_names()[name])


def _repeat(element, name):
    try:
        return max(1, int(_attribute(element, name) or 1))
    except ValueError:
        return 1


def _ods_sheet(worksheet):
    from odf import table

    hidden, column = set(), 0
    for item in worksheet.getElementsByType(table.TableColumn):
        count = _repeat(item, "columns-repeated")
        if _attribute(item, "visibility") in ("collapse", "filter"):
            hidden.update(range(column, column + min(count, 1024)))
        column += count
    rows, merged, pending_blank = [], [], 0
    for row_element in worksheet.getElementsByType(table.TableRow):
        cells, spans = _ods_row(row_element)
        count = _repeat(row_element, "rows-repeated")
        if not any(value is not None for value in cells):
            # Files end in a row "repeated" a million times: blank rows count only when
            # something follows them.
            pending_blank += count
            continue
        rows.extend([] for _ in range(pending_blank))
        pending_blank = 0
        for _ in range(min(count, MAX_ROWS)):
            r = len(rows)
            merged.extend((r, r + down - 1, c, c + across - 1) for c, down, across in spans)
            rows.append(list(cells))
        if len(rows) >= MAX_ROWS:
            break
    name = _attribute(worksheet, "name") or ""
    return Sheet(name, rows, hidden, merged)


def _ods_row(row_element):
    from odf import table

    cells, spans = [], []
    for cell in row_element.childNodes:
        if cell.qname not in (table.TableCell().qname, table.CoveredTableCell().qname):
            continue
        value = _ods_value(cell)
        count = _repeat(cell, "columns-repeated")
        if value is None and count > 1:
            # Trailing empty cells are "repeated" to the sheet's last column.
            cells.extend([None] * min(count, 1024))
            continue
        down, across = _repeat(cell, "rows-spanned"), _repeat(cell, "columns-spanned")
        for _ in range(min(count, 1024)):
            if down > 1 or across > 1:
                spans.append((len(cells), down, across))
            cells.append(value)
    while cells and cells[-1] is None:
        cells.pop()
    return cells, spans


def _ods_value(cell):
    kind = _attribute(cell, "value-type")
    if kind is None:
        return None
    if kind == "percentage":
        return percent_text(Decimal(_attribute(cell, "value")))
    if kind in ("float", "currency"):
        return number(Decimal(_attribute(cell, "value")).normalize())
    if kind == "date":
        text = _attribute(cell, "date-value")
        moment = datetime.datetime.fromisoformat(text)
        return moment.date() if "T" not in text else moment
    if kind == "boolean":
        return _attribute(cell, "boolean-value") == "true"
    text = "\n".join(_ods_text(paragraph) for paragraph in _paragraphs(cell))
    return text if text != "" else None


def _paragraphs(cell):
    from odf import text

    return [node for node in cell.childNodes if node.qname == text.P().qname]


def _ods_text(node):
    """A paragraph's text as shown: <text:s text:c="3"/> is three spaces, a tab a tab."""
    parts = []
    for child in node.childNodes:
        if child.nodeType == child.TEXT_NODE:
            parts.append(str(child.data))
            continue
        local = child.qname[1]
        if local == "s":
            parts.append(" " * _repeat(child, "c"))
        elif local == "tab":
            parts.append("\t")
        elif local == "line-break":
            parts.append("\n")
        else:
            parts.append(_ods_text(child))
    return "".join(parts)


@functools.cache
def _odf_names():
    # Read when an .ods is, not when the site starts.
    from odf.namespaces import OFFICENS, TABLENS, TEXTNS

    return {
        "columns-repeated": (TABLENS, "number-columns-repeated"),
        "rows-repeated": (TABLENS, "number-rows-repeated"),
        "rows-spanned": (TABLENS, "number-rows-spanned"),
        "columns-spanned": (TABLENS, "number-columns-spanned"),
        "visibility": (TABLENS, "visibility"),
        "name": (TABLENS, "name"),
        "value-type": (OFFICENS, "value-type"),
        "value": (OFFICENS, "value"),
        "date-value": (OFFICENS, "date-value"),
        "boolean-value": (OFFICENS, "boolean-value"),
        "c": (TEXTNS, "c"),
    }


# ---------------------------------------------------------------- CSV


def decode_csv(data):
    """The text of a CSV file: UTF-8 (with or without BOM), UTF-16 with BOM (Excel's "Unicode
    text"), or GBK/GB18030 as detected; anything else is refused, saying how to re-save."""
    from charset_normalizer import from_bytes

    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    guess = from_bytes(data).best()
    found = guess.encoding if guess is not None else None
    if found in ("gb18030", "gbk", "gb2312", "hz") or found is None:
        try:
            return data.decode("gb18030")
        except UnicodeDecodeError:
            pass
    names = {"big5": "繁体中文 Big5", "cp950": "繁体中文 Big5", "big5hkscs": "繁体中文 Big5"}
    names |= {"shift_jis": "日文 Shift-JIS", "cp932": "日文 Shift-JIS", "euc_kr": "韩文 EUC-KR"}
    shown = f"（看起来是{names[found]} 编码）" if found in names else ""
    raise SheetError(f"CSV 文件既不是 UTF-8 也不是 GBK 编码{shown}，无法读取。{CSV_RESAVE}")


def read_csv(data):
    text = decode_csv(data).lstrip("\ufeff")
    sample = text[:8192]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",\t;")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = []
    for row in reader:
        rows.append([_csv_cell(value) for value in row])
        if len(rows) >= MAX_ROWS:
            break
    return [Sheet("", rows)]  # a CSV has one table and no sheet name


def _csv_cell(value):
    """A CSV cell as the clerk typed it: a line break inside it (\r\n from Excel, \r from old
    Macs) is a line break."""
    if value == "":
        return None
    return restore(value.replace("\r\n", "\n").replace("\r", "\n"))
