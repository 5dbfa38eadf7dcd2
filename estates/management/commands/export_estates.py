import datetime
import sys
from decimal import Decimal
from pathlib import Path

from django.core.management import BaseCommand, CommandError
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from estates.models import Campaign, Estate, Province
from estates.spreadsheets.cells import FORMULA_STARTS, NOT_IN_XML, defuse, xml_text
from estates.spreadsheets.formats import (
    csv_text,
    decimal_places,
    is_percent_header,
    xlsx_cell,
)
from estates.spreadsheets.resources import EstateResource

PROGRESS_EVERY = 1000


class Command(BaseCommand):
    help = (
        "导出小区表（每个小区一行），格式按文件扩展名：.xlsx 或 .csv。"
        "逐行写出，查询次数固定，大文件也不会占满内存。"
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="输出文件，如 estates.xlsx 或 estates.csv")
        parser.add_argument("--campaign", help="只导出在该评选活动中被推荐的小区（网址标识）")
        parser.add_argument("--province", help="只导出该省份的小区（拼音标识，如 shandong）")

    def handle(self, path, campaign=None, province=None, **options):
        path = Path(path)
        if path.suffix.lower() not in (".xlsx", ".csv"):
            raise CommandError("请用 .xlsx 或 .csv 作为文件扩展名。")
        estates = Estate.objects.all()
        if campaign:
            if not Campaign.objects.filter(slug=campaign).exists():
                raise CommandError(f"没有网址标识为“{campaign}”的评选活动。")
            estates = estates.filter(nominations__campaign__slug=campaign).distinct()
        if province:
            if not Province.objects.filter(slug=province).exists():
                raise CommandError(f"没有拼音标识为“{province}”的省份。")
            estates = estates.filter(province__slug=province)
        resource = EstateResource()
        headers = resource.get_export_headers()
        rows = resource.export_rows(estates)
        total = estates.count()
        writer = write_csv_stream if path.suffix.lower() == ".csv" else write_xlsx_stream
        written = writer(path, headers, self.progress(rows, total), resource.export_kinds())
        self.stdout.write(self.style.SUCCESS(f"已导出 {written} 个小区到 {path}"))

    def progress(self, rows, total):
        for number, row in enumerate(rows, 1):
            if number % PROGRESS_EVERY == 0:
                sys.stderr.write(f"\r已写出 {number}/{total} 行")
            yield row
        if total >= PROGRESS_EVERY:
            sys.stderr.write("\n")


def write_csv_stream(path, headers, rows, kinds=None):
    import csv

    # Streamed, so a column's places cannot be read ahead: each value keeps its field's places
    # (a DecimalField's values carry them), percentages at least two, as formats.write_csv.
    places = [2 if is_percent_header(header) else None for header in headers]
    kinds = kinds or ["any"] * len(headers)
    # The csv module writes None as empty, numbers and dates with str() (a DecimalField's
    # value with its places, at least two in a percentage column): the text csv_text() gives.
    # Text that may look like a formula, and yes/no, are converted here.
    text = [i for i, kind in enumerate(kinds) if kind == "text"]
    yes_no = [i for i, kind in enumerate(kinds) if kind == "bool"]
    other = [i for i, kind in enumerate(kinds) if kind == "any"]
    count = 0
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow([csv_text(header) for header in headers])
        for row in rows:
            if count == 0 and not _plain_as_csv_text(row, kinds, places):
                text, yes_no, other = [], [], list(range(len(headers)))
            for index in text:
                value = row[index]
                if value and value[0] in _FORMULA_FIRST:
                    row[index] = defuse(value)
            for index in yes_no:
                value = row[index]
                if value is not None:
                    row[index] = "是" if value else "否"
            for index in other:
                row[index] = csv_text(row[index], places[index])
            writer.writerow(row)
            count += 1
    return count


def _plain_as_csv_text(row, kinds, places):
    """Whether the first row's plain values are written by the csv module as csv_text() writes
    them. They are, for values read from the database's columns (a DecimalField's keep its
    places); the first row is checked, and should it differ every cell goes through
    csv_text()."""
    return all(
        ("" if value is None else str(value)) == csv_text(value, p)
        for value, p, kind in zip(row, places, kinds, strict=True)
        if kind == "plain"
    )


# What a text that a spreadsheet program may run as a formula begins with (cells.defuse).
_FORMULA_FIRST = {"'"} | {start[0] for start in FORMULA_STARTS}


def write_xlsx_stream(path, headers, rows, kinds=None):
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("小区")
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header_cells = []
    for header in headers:
        cell = xlsx_cell(sheet, header, False)
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    cells = XlsxCells(sheet, [is_percent_header(h) for h in headers], kinds)
    count = 0
    for row in rows:
        sheet.append(cells.row(row))
        count += 1
    workbook.save(path)
    return count


class XlsxCells:
    """A row's cells as formats.xlsx_cell writes them, made cheaply: a value openpyxl writes
    the same way by itself (a number without places, text that is neither a formula nor
    holds characters XML cannot carry) goes as it is; a styled cell (a percentage, a number
    with places) is one cell object per column and format, filled anew for each row.
    (A write-only sheet writes each row as it is appended, so a cell can be filled again.)"""

    def __init__(self, sheet, percent, kinds=None):
        self.sheet = sheet
        self.percent = percent
        self.styled = {}  # (column, number format): a cell
        # Text columns: only a text that starts with "=" or holds what XML cannot carry is
        # made a cell; the others' values all go through cell().
        kinds = kinds or ["any"] * len(percent)
        self.text = [i for i, kind in enumerate(kinds) if kind == "text"]
        self.other = [i for i, kind in enumerate(kinds) if kind != "text"]

    def row(self, values):
        for column in self.text:
            value = values[column]
            if not value:
                values[column] = None  # an empty text is an empty cell, not a cell of ""
            elif value[0] == "=" or NOT_IN_XML.search(value):
                values[column] = xlsx_cell(self.sheet, value, False)
        for column in self.other:
            value = values[column]
            if value is not None:
                values[column] = self.cell(column, value, self.percent[column])
        return values

    def cell(self, column, value, is_percent):
        kind = type(value)
        if kind is int and not is_percent:
            return value
        if kind is str:
            if value.startswith("=") or xml_text(value) != value:
                return xlsx_cell(self.sheet, value, is_percent)
            return value
        if kind is bool:
            return "是" if value else "否"
        if kind in (int, float, Decimal):
            if is_percent:
                value, number_format = Decimal(str(value)) / 100, "0.00%"
            else:
                places = decimal_places(value)
                if not places:
                    return value
                number_format = "0." + "0" * places
        elif isinstance(value, datetime.date):
            number_format = "yyyy-mm-dd"
        else:
            return xlsx_cell(self.sheet, value, is_percent)
        cell = self.styled.get((column, number_format))
        if cell is None:
            cell = self.styled[column, number_format] = WriteOnlyCell(self.sheet)
            cell.number_format = number_format
        cell.value = value
        return cell
