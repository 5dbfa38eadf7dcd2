"""Open data: published estates as JSON, CSV (UTF-8 with BOM) and XLSX.

One row per estate with the fields of the design; metrics hold each type's latest value as a
number; unknown values are null (JSON) or empty cells. Each file is built once per change of
the published data and then served from disk (showcase/snapshots.py).
"""

import csv
import io
import json
from collections import defaultdict
from decimal import Decimal

from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from estates.enums import DatePrecision
from estates.models import Estate, Metric, MetricType
from estates.numbers import plain_number
from estates.spreadsheets.cells import defuse, xml_text

from .cache import cached_page
from .snapshots import serve_snapshot
from .views import selected_nominations

FIELDS = [
    ("name", _("小区名称")),
    ("slug", _("网址标识，也是展示页地址的一部分")),
    ("url", _("展示页地址")),
    ("province", _("省份")),
    ("city", _("城市")),
    ("district", _("区/县")),
    ("year_built", _("建成年份")),
    ("construction_period", _("建成年代（来源只给出年代时，如“上世纪70年代”）")),
    ("buildings", _("楼栋数（栋）")),
    ("units", _("单元数")),
    ("households", _("户数（户）")),
    ("residents", _("居住人数（人）")),
    ("property_company", _("物业服务企业")),
    ("tagline", _("标题语")),
    ("campaigns", _("入选的评选活动的网址标识；JSON 中为列表，CSV 与 XLSX 中以分号分隔")),
]


ESTATE_COLUMNS = [
    "pk",
    "name",
    "slug",
    "province__name",
    "city__name",
    "district",
    "year_built",
    "construction_period",
    "buildings",
    "units",
    "households",
    "residents",
    "property_company__name",
    "tagline",
]


def rows(request):
    """(metric_types, [record, …]) for every published estate, in four queries.

    Plain values, not model instances: the files hold every published estate (tens of
    thousands), and building their instances and prefetches took most of the time."""
    kinds = list(MetricType.objects.all())
    codes = [(kind.code, kind.pk) for kind in kinds]
    published = Estate.objects.published()
    campaigns = defaultdict(list)
    for estate_id, slug in (
        selected_nominations()
        .filter(estate__in=published)
        .order_by("campaign__results_published_at", "campaign__slug")
        .values_list("estate_id", "campaign__slug")
    ):
        campaigns[estate_id].append(slug)
    latest = defaultdict(dict)
    for estate_id, kind_id, value, date, precision in (
        Metric.objects.filter(is_latest=True, estate__in=published)
        .order_by()
        .values_list("estate_id", "metric_type_id", "value", "date", "date_precision")
    ):
        latest[estate_id][kind_id] = (value, as_of(date, precision))
    # Every profile address is the same but for the slug (a-z, 0-9 and "-": nothing to quote).
    before, after = reverse("showcase:estate_detail", kwargs={"slug": "slug"}).rsplit("slug", 1)
    base = request.build_absolute_uri(before)
    records = []
    for row in published.order_by("province_order", "name_pinyin", "pk").values_list(
        *ESTATE_COLUMNS
    ):
        estate = dict(zip(ESTATE_COLUMNS, row, strict=True))
        values = latest.get(estate["pk"], {})
        records.append(
            {
                "name": estate["name"],
                "slug": estate["slug"],
                "url": f"{base}{estate['slug']}{after}",
                "province": estate["province__name"],
                "city": estate["city__name"],
                "district": estate["district"] or None,
                "year_built": estate["year_built"],
                "construction_period": estate["construction_period"] or None,
                "buildings": estate["buildings"],
                "units": estate["units"],
                "households": estate["households"],
                "residents": estate["residents"],
                "property_company": estate["property_company__name"],
                "tagline": estate["tagline"] or None,
                "campaigns": campaigns.get(estate["pk"], []),
                "metrics": {code: values.get(pk, NONE)[0] for code, pk in codes},
                "metric_dates": {code: values.get(pk, NONE)[1] for code, pk in codes},
            }
        )
    return kinds, records


DATE_LENGTHS = {DatePrecision.YEAR: 4, DatePrecision.MONTH: 7}  # of "2021-12-31"
NONE = (None, None)  # no value of this type, so no date either


def as_of(date, precision):
    """The latest value's date as precisely as the source gave it: 2021, 2021-05 or
    2021-12-31; None when the source gave no date."""
    if date is None:
        return None
    return date.isoformat()[: DATE_LENGTHS.get(precision, 10)]


JSON_MARKUP_ESCAPES = [("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")]


def _number(value):
    # Two-decimal values print exactly as stored: float repr is the shortest round trip.
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def metric_headers(kinds):
    headers = []
    for kind in kinds:
        headers += [f"metric_{kind.code}", f"metric_{kind.code}_as_of"]
    return headers


def filename(extension):
    return f"meihao-jiayuan-estates-{timezone.localdate():%Y%m%d}.{extension}"


@require_safe
def estates_json(request):
    return serve_snapshot(
        request,
        "json",
        lambda: json_body(request),
        "application/json; charset=utf-8",
        filename("json"),
        download=False,
    )


def json_body(request):
    _kinds, records = rows(request)
    for record in records:
        record["metrics"] = {code: _number(v) for code, v in record["metrics"].items()}
    # One estate per line: readable and diffable, and each line encoded by json's C encoder
    # (indent= would switch to the pure-Python one, a quarter of the time at 36,000 estates).
    body = "[\n" + ",\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n]\n"
    # <, > and & as \u escapes (still the same JSON strings), so no text can ever be read as
    # markup by a browser that sniffs or a page that embeds the file.
    for character, escape in JSON_MARKUP_ESCAPES:
        body = body.replace(character, escape)
    return body.encode("utf-8")


def csv_cell(value):
    """Text that a spreadsheet would run as a formula is prefixed with an apostrophe."""
    if isinstance(value, str):
        return defuse(value)
    if isinstance(value, Decimal):
        return plain_number(value)
    return "" if value is None else value


@require_safe
def estates_csv(request):
    return serve_snapshot(
        request, "csv", lambda: csv_body(request), "text/csv; charset=utf-8", filename("csv")
    )


def csv_body(request):
    kinds, records = rows(request)
    buffer = io.StringIO()
    buffer.write("\ufeff")  # BOM: Excel then reads the file as UTF-8 and shows Chinese
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([key for key, _ in FIELDS] + metric_headers(kinds))
    for record in records:
        cells = [record[key] for key, _ in FIELDS[:-1]] + [";".join(record["campaigns"])]
        for kind in kinds:
            cells += [record["metrics"][kind.code], record["metric_dates"][kind.code]]
        writer.writerow([csv_cell(cell) for cell in cells])
    return buffer.getvalue().encode("utf-8")


def _text_cell(sheet, value):
    # Typed as text, so no spreadsheet evaluates a value that starts with "="; without the
    # control characters an XLSX file cannot hold.
    cell = WriteOnlyCell(sheet, value=xml_text(value))
    if isinstance(value, str):
        cell.data_type = "s"
    return cell


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@require_safe
def estates_xlsx(request):
    # An xlsx file is a zip archive already: compressing it again saves nothing.
    return serve_snapshot(
        request,
        "xlsx",
        lambda: xlsx_body(request),
        XLSX_TYPE,
        filename("xlsx"),
        compressible=False,
    )


def xlsx_body(request):
    kinds, records = rows(request)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("estates")
    sheet.freeze_panes = "A2"
    headers = [key for key, _ in FIELDS] + metric_headers(kinds)
    for index, header in enumerate(headers, 1):
        wide = header in {"name", "url", "tagline", "property_company", "campaigns"}
        sheet.column_dimensions[get_column_letter(index)].width = 30 if wide else 14
    bold = Font(bold=True)
    header_row = []
    for header in headers:
        cell = _text_cell(sheet, header)
        cell.font = bold
        header_row.append(cell)
    sheet.append(header_row)
    for record in records:
        cells = [_text_cell(sheet, record[key]) for key, _ in FIELDS[:-1]]
        cells.append(_text_cell(sheet, ";".join(record["campaigns"])))
        for kind in kinds:
            value = record["metrics"][kind.code]
            if value is not None and kind.is_percentage:
                value = value / 100
            cell = WriteOnlyCell(sheet, value=value)
            if value is not None and kind.is_percentage:
                cell.number_format = "0.00%"
            cells += [cell, _text_cell(sheet, record["metric_dates"][kind.code])]
        sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@require_safe
@cached_page
def data_page(request):
    kinds = list(MetricType.objects.all())
    return render(
        request,
        "showcase/data.html",
        {
            "fields": FIELDS,
            "kinds": kinds,
            "count": Estate.objects.published().count(),
        },
    )
