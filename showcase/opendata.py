"""Open data: published estates as JSON, CSV (UTF-8 with BOM) and XLSX.

One row per estate with the fields of the design; metrics hold each type's latest value as a
number; unknown values are null (JSON) or empty cells.
"""

import csv
import io
import json
from decimal import Decimal

from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from estates.enums import DatePrecision
from estates.models import Estate, Metric, MetricType
from estates.spreadsheets.cells import xml_text

from .cache import cached_page
from .presenters import metric_order_key, plain_number
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


def rows(request):
    """(metric_types, [record, …]) for every published estate, in a fixed number of queries."""
    kinds = list(MetricType.objects.all())
    estates = (
        Estate.objects.published()
        .select_related("province", "city", "property_company")
        .prefetch_related(
            Prefetch(
                "nominations",
                queryset=selected_nominations()
                .select_related("campaign")
                .order_by("campaign__results_published_at", "campaign__slug"),
                to_attr="public_nominations",
            ),
            Prefetch("metrics", queryset=Metric.objects.all()),
        )
        .order_by("province_order", "name_pinyin", "pk")
    )
    records = []
    for estate in estates:
        latest = latest_by_type(estate.metrics.all())
        records.append(
            {
                "name": estate.name,
                "slug": estate.slug,
                "url": request.build_absolute_uri(estate.get_absolute_url()),
                "province": estate.province.name,
                "city": estate.city.name,
                "district": estate.district or None,
                "year_built": estate.year_built,
                "construction_period": estate.construction_period or None,
                "buildings": estate.buildings,
                "units": estate.units,
                "households": estate.households,
                "residents": estate.residents,
                "property_company": estate.property_company.name
                if estate.property_company
                else None,
                "tagline": estate.tagline or None,
                "campaigns": [n.campaign.slug for n in estate.public_nominations],
                "metrics": {
                    kind.code: latest[kind.pk].value if kind.pk in latest else None
                    for kind in kinds
                },
                "metric_dates": {
                    kind.code: as_of(latest[kind.pk]) if kind.pk in latest else None
                    for kind in kinds
                },
            }
        )
    return kinds, records


def latest_by_type(metrics):
    """{metric_type_id: latest Metric}, latest as on the profile page."""
    latest = {}
    for metric in sorted(metrics, key=metric_order_key):
        latest[metric.metric_type_id] = metric
    return latest


def as_of(metric):
    """The latest value's date as precisely as the source gave it: 2021, 2021-05 or
    2021-12-31; None when the source gave no date."""
    if metric.date is None:
        return None
    if metric.date_precision == DatePrecision.YEAR:
        return f"{metric.date:%Y}"
    if metric.date_precision == DatePrecision.MONTH:
        return f"{metric.date:%Y-%m}"
    return metric.date.isoformat()


JSON_MARKUP_ESCAPES = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026"}


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


def attachment(response, extension):
    response["Content-Disposition"] = f'attachment; filename="{filename(extension)}"'
    return response


@require_safe
@cached_page
def estates_json(request):
    _kinds, records = rows(request)
    for record in records:
        record["metrics"] = {code: _number(v) for code, v in record["metrics"].items()}
    # <, > and & as \u escapes (still the same JSON strings), so no text can ever be read as
    # markup by a browser that sniffs or a page that embeds the file.
    body = json.dumps(records, ensure_ascii=False, indent=2).translate(JSON_MARKUP_ESCAPES)
    return HttpResponse(body, content_type="application/json; charset=utf-8")


def csv_cell(value):
    """Text that a spreadsheet would run as a formula is prefixed with an apostrophe."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    if isinstance(value, Decimal):
        return plain_number(value)
    return "" if value is None else value


@require_safe
@cached_page
def estates_csv(request):
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
    return attachment(
        HttpResponse(buffer.getvalue().encode("utf-8"), content_type="text/csv; charset=utf-8"),
        "csv",
    )


def _text_cell(sheet, value):
    # Typed as text, so no spreadsheet evaluates a value that starts with "="; without the
    # control characters an XLSX file cannot hold.
    cell = WriteOnlyCell(sheet, value=xml_text(value))
    if isinstance(value, str):
        cell.data_type = "s"
    return cell


@require_safe
@cached_page
def estates_xlsx(request):
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
    return attachment(
        HttpResponse(
            buffer.getvalue(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        "xlsx",
    )


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
