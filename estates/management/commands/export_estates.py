import sys
from pathlib import Path

from django.core.management import BaseCommand, CommandError
from openpyxl import Workbook
from openpyxl.styles import Font

from estates.models import Campaign, Estate, Province
from estates.spreadsheets.formats import csv_text, is_percent_header, xlsx_cell
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
        rows = (
            resource.export_resource(estate)
            for estate in resource.with_latest(estates).iterator(chunk_size=2000)
        )
        total = estates.count()
        writer = write_csv_stream if path.suffix.lower() == ".csv" else write_xlsx_stream
        written = writer(path, headers, self.progress(rows, total))
        self.stdout.write(self.style.SUCCESS(f"已导出 {written} 个小区到 {path}"))

    def progress(self, rows, total):
        for number, row in enumerate(rows, 1):
            if number % PROGRESS_EVERY == 0:
                sys.stderr.write(f"\r已写出 {number}/{total} 行")
            yield row
        if total >= PROGRESS_EVERY:
            sys.stderr.write("\n")


def write_csv_stream(path, headers, rows):
    import csv

    # Streamed, so a column's places cannot be read ahead: each value keeps its field's places
    # (a DecimalField's values carry them), percentages at least two, as formats.write_csv.
    places = [2 if is_percent_header(header) else None for header in headers]
    count = 0
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow([csv_text(header) for header in headers])
        for row in rows:
            writer.writerow([csv_text(v, p) for v, p in zip(row, places, strict=True)])
            count += 1
    return count


def write_xlsx_stream(path, headers, rows):
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
    percent = [is_percent_header(h) for h in headers]
    count = 0
    for row in rows:
        sheet.append([xlsx_cell(sheet, v, p) for v, p in zip(row, percent, strict=True)])
        count += 1
    workbook.save(path)
    return count
