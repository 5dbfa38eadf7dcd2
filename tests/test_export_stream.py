"""The streamed estate export (manage.py export_estates) writes what the resource's own
export_resource() writes, cell for cell, with the latest values read from Metric.is_latest a
chunk at a time: as many queries for many estates as for few, but one per chunk."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import QuerySet
from django.test.utils import CaptureQueriesContext
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font

from estates.enums import DatePrecision
from estates.models import Estate, Metric, MetricType, PropertyCompany
from estates.spreadsheets.formats import csv_text, is_percent_header, xlsx_cell
from estates.spreadsheets.resources import EstateResource

from .builders import make_estate
from .growth import grow

pytestmark = pytest.mark.django_db


def varied_estates():
    """Estates whose cells take every form: empty facts, decimals with and without places,
    booleans, a choice, a company or none, a formula-like text, a text XML cannot carry, and
    latest values of a day, a month and a year, undated, and older values behind them."""
    kinds = {kind.code: kind for kind in MetricType.objects.all()}
    company = PropertyCompany.objects.create(name="=公司")
    full = make_estate(
        name="全小区",
        households=1250,
        land_area=Decimal("12000.50"),
        floor_area=Decimal("35"),
        plot_ratio=Decimal("1.25"),
        green_coverage=Decimal("39"),
        land_area_in_mu=True,
        estate_type="commercial",
        property_company=company,
        tagline="=1+1",
        overview="第一段\n第二段\x0b",
    )
    make_estate(name="空小区")
    values = [
        (full, "satisfaction", Decimal("96.5"), datetime.date(2024, 6, 30), DatePrecision.DAY),
        (full, "satisfaction", Decimal("90"), datetime.date(2020, 1, 1), DatePrecision.DAY),
        (full, "fee_collection", Decimal("88"), datetime.date(2024, 6, 30), DatePrecision.MONTH),
        (full, "response_time", Decimal("30"), datetime.date(2023, 12, 31), DatePrecision.YEAR),
        (full, "complaint_rate", Decimal("1.5"), None, DatePrecision.DAY),
    ]
    for estate, code, value, day, precision in values:
        Metric.objects.create(
            estate=estate, metric_type=kinds[code], value=value, date=day, date_precision=precision
        )
    return Estate.objects.all()


def reference_rows(queryset):
    resource = EstateResource()
    return [resource.export_resource(e) for e in resource.with_latest(queryset)]


def test_streamed_rows_are_the_resources_own_cell_for_cell():
    estates = varied_estates()
    streamed = list(EstateResource().export_rows(estates))
    assert streamed == reference_rows(estates)
    # The cases are there: a month and a year, a day's date, an empty estate.
    flat = [cell for row in streamed for cell in row]
    assert "2024年6月" in flat and "2023年" in flat and datetime.date(2024, 6, 30) in flat


@pytest.mark.parametrize("extension", ["csv", "xlsx"])
def test_the_command_writes_the_cells_the_plain_writers_write(tmp_path, extension):
    estates = varied_estates()
    path = tmp_path / f"estates.{extension}"
    call_command("export_estates", str(path))
    resource = EstateResource()
    headers = resource.get_export_headers()
    rows = reference_rows(estates)
    places = [2 if is_percent_header(h) else None for h in headers]
    if extension == "csv":
        written = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
        expected = [[csv_text(h) for h in headers]] + [
            [csv_text(v, p) for v, p in zip(row, places, strict=True)] for row in rows
        ]
        assert written == expected
        return
    reference = tmp_path / "reference.xlsx"
    plain_xlsx(reference, headers, rows)
    assert cells_of(path) == cells_of(reference)


def plain_xlsx(path, headers, rows):
    """The export as it was written before it was streamed: formats.xlsx_cell for each cell."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("小区")
    sheet.freeze_panes = "A2"
    header_cells = []
    for header in headers:
        cell = xlsx_cell(sheet, header, False)
        cell.font = Font(bold=True)
        header_cells.append(cell)
    sheet.append(header_cells)
    percent = [is_percent_header(h) for h in headers]
    for row in rows:
        sheet.append([xlsx_cell(sheet, v, p) for v, p in zip(row, percent, strict=True)])
    workbook.save(path)


def cells_of(path):
    """Each cell's value, number format, type and boldness; an empty text is an empty cell."""
    sheet = load_workbook(path).active
    return [
        [
            (None, "General", "n", False)
            if c.value in (None, "")
            else (c.value, c.number_format, c.data_type, c.font.b)
            for c in row
        ]
        for row in sheet.iter_rows()
    ]


def test_the_command_runs_as_many_queries_for_many_estates_as_for_few(tmp_path, monkeypatch):
    monkeypatch.setattr(EstateResource, "EXPORT_CHUNK", 10)  # read ten rows at a time

    def count():
        with CaptureQueriesContext(connection) as queries:
            call_command("export_estates", str(tmp_path / "e.csv"))
        return len(queries)

    small = count()
    grow(30)
    assert count() == small


def test_an_estate_with_two_values_marked_latest_is_written_once(tmp_path):
    """Metric.is_latest is kept by the code, not a constraint: should two values of one type
    be marked latest for a moment, the estate is still one row."""
    estates = varied_estates()
    full = estates.get(name="全小区")
    values = Metric.objects.filter(estate=full, metric_type__code="satisfaction")
    QuerySet.update(values, is_latest=True)  # not MetricQuerySet.update, which keeps the flag
    assert values.filter(is_latest=True).count() == 2
    rows = list(EstateResource().export_rows(estates))
    assert [row[0] for row in rows].count("全小区") == 1
    assert len(rows) == estates.count()
