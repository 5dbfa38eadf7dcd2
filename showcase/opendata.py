"""Open data: published estates as JSON, CSV (UTF-8 with BOM) and XLSX.

One row per estate with the fields of the design; metrics hold each type's latest value as a
number, and metric_values every value with its date, so a before/after pair survives; the
estate's mechanisms and honours come with it. Unknown values are null (JSON) or empty cells.
Columns are only ever added after the existing ones. Each file is built once per change of
the published data and then served from disk (showcase/snapshots.py).
"""

import csv
import datetime
import io
import json
from collections import defaultdict
from decimal import Decimal

from django.conf import settings
from django.db.models import F, Max
from django.shortcuts import render
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.translation import get_language, pgettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from estates.enums import DatePrecision, EstateType, HonorLevel, NominationState
from estates.models import (
    Campaign,
    Estate,
    Honor,
    Mechanism,
    MechanismType,
    Metric,
    MetricType,
    Nomination,
)
from estates.models.estates import MU_PER_SQUARE_METRE
from estates.numbers import plain_number, two_places
from estates.spreadsheets.cells import defuse, xml_text

from . import statistics
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

# Added later, so in CSV and XLSX they follow the metric columns: a reader that takes the
# columns by position still finds the earlier ones where they were.
MORE_FIELDS = [
    ("subdistrict", _("街道/镇")),
    ("community", _("社区")),
    ("address", _("地址")),
    ("estate_type", _("小区类型的代码，含义见下表")),
    ("land_area", _("占地面积（平方米）；来源以亩给出时已换算为平方米")),
    ("land_area_mu", _("来源以亩给出占地面积时，以亩计的面积；否则为空")),
    ("floor_area", _("总建筑面积（平方米）")),
    (
        "floor_area_is_approximate",
        _("总建筑面积是否为来源给出的约数（true 或 false）；没有建筑面积时为空"),
    ),
    ("plot_ratio", _("容积率")),
    ("green_coverage", _("绿化覆盖率（%），0 到 100 之间的数")),
    (
        "mechanism_types",
        _("治理机制类别的代码，每类一次；JSON 中为列表，CSV 与 XLSX 中以分号分隔"),
    ),
    (
        "mechanisms",
        _(
            "治理机制。JSON 中为列表，每项有 type（类别代码）、title（名称）和 description"
            "（做法）；CSV 中每项一行，为名称；XLSX 另有 mechanisms 工作表，含类别和做法。"
        ),
    ),
    (
        "honors",
        _(
            "荣誉。JSON 中为列表，每项有 title（名称）、level（级别代码）、year（年份）和 "
            "issuer（授予单位）；CSV 中每项一行，名称后的括号里是级别代码、年份和授予单位；"
            "XLSX 另有 honors 工作表。"
        ),
    ),
]

# Added after the metric histories, so in CSV and XLSX they come last.
LAST_FIELDS = [
    (
        "illustrative",
        _(
            "true 表示此小区只在标注为示例数据的评选中入选：演示用的数据，评选的日期和入选结果"
            "并非来自原始资料（网站上标注“示例”）；否则为 false"
        ),
    ),
    # Empty (null) until an editor translates them.
    ("name_en", _("英文名称")),
    ("tagline_en", _("英文标题语")),
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
    "subdistrict",
    "community",
    "address",
    "estate_type",
    "land_area",
    "land_area_in_mu",
    "floor_area",
    "floor_area_is_approximate",
    "plot_ratio",
    "green_coverage",
    "name_en",
    "tagline_en",
]

METRIC_COLUMNS = [
    "estate_id",
    "metric_type_id",
    "value",
    "date",
    "date_precision",
    "period_label",
    "sequence",
    "source_note",
    "is_latest",
]


def rows(request):
    """(metric_types, [record, …]) for every published estate, in six queries, however many
    estates there are.

    Plain values, not model instances: the files hold every published estate (tens of
    thousands), and building their instances and prefetches took most of the time."""
    kinds = list(MetricType.objects.all())
    codes = [(kind.code, kind.pk) for kind in kinds]
    published = Estate.objects.published()
    campaigns = defaultdict(list)
    real = set()  # estates selected in at least one campaign that is not illustrative
    for estate_id, slug, illustrative in (
        selected_nominations()
        .filter(estate__in=published)
        .order_by("campaign__results_published_at", "campaign__slug")
        .values_list("estate_id", "campaign__slug", "campaign__is_illustrative")
    ):
        campaigns[estate_id].append(slug)
        if not illustrative:
            real.add(estate_id)
    latest = defaultdict(dict)
    values = defaultdict(lambda: defaultdict(list))
    # Each type's values in time order (metric_order_key): undated ones (a before/after
    # pair) by their sequence, then the dated ones; the kept is_latest marks the latest.
    for row in (
        Metric.objects.filter(estate__in=published)
        .order_by("estate_id", "metric_type_id", F("date").asc(nulls_first=True), "sequence", "pk")
        .values_list(*METRIC_COLUMNS)
    ):
        metric = dict(zip(METRIC_COLUMNS, row, strict=True))
        date = as_of(metric["date"], metric["date_precision"])
        if metric["is_latest"]:
            latest[metric["estate_id"]][metric["metric_type_id"]] = (metric["value"], date)
        values[metric["estate_id"]][metric["metric_type_id"]].append(
            {
                "value": metric["value"],
                "date": date,
                "period": metric["period_label"] or None,
                "sequence": metric["sequence"],
                "note": metric["source_note"] or None,
                "latest": metric["is_latest"],
            }
        )
    mechanisms = defaultdict(list)
    for estate_id, kind, title, description in (
        Mechanism.objects.filter(estate__in=published)
        .order_by("estate_id", "display_order", "pk")
        .values_list("estate_id", "mechanism_type__slug", "title", "description")
    ):
        mechanisms[estate_id].append(
            {"type": kind, "title": title, "description": description or None}
        )
    honors = defaultdict(list)
    for estate_id, title, level, year, issuer in (
        Honor.objects.filter(estate__in=published)
        .order_by("estate_id", F("year").desc(nulls_last=True), "pk")
        .values_list("estate_id", "title", "level", "year", "issuer")
    ):
        honors[estate_id].append(
            {"title": title, "level": level, "year": year, "issuer": issuer or None}
        )
    # Every profile address is the same but for the slug (a-z, 0-9 and "-": nothing to quote).
    before, after = reverse("showcase:estate_detail", kwargs={"slug": "slug"}).rsplit("slug", 1)
    base = request.build_absolute_uri(before)
    records = []
    for row in published.order_by("province_order", "name_pinyin", "pk").values_list(
        *ESTATE_COLUMNS
    ):
        estate = dict(zip(ESTATE_COLUMNS, row, strict=True))
        pk = estate["pk"]
        newest = latest.get(pk, {})
        history = values.get(pk, {})
        estate_mechanisms = mechanisms.get(pk, [])
        floor_area = estate["floor_area"]
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
                "campaigns": campaigns.get(pk, []),
                "metrics": {code: newest.get(kind, NONE)[0] for code, kind in codes},
                "metric_dates": {code: newest.get(kind, NONE)[1] for code, kind in codes},
                "subdistrict": estate["subdistrict"] or None,
                "community": estate["community"] or None,
                "address": estate["address"] or None,
                "estate_type": estate["estate_type"] or None,
                "land_area": estate["land_area"],
                # As the profile shows it (Estate.land_area_mu): the source's own figure.
                "land_area_mu": (
                    two_places(estate["land_area"] * MU_PER_SQUARE_METRE)
                    if estate["land_area_in_mu"] and estate["land_area"] is not None
                    else None
                ),
                "floor_area": floor_area,
                # Says something only about a known area.
                "floor_area_is_approximate": (
                    None if floor_area is None else estate["floor_area_is_approximate"]
                ),
                "plot_ratio": estate["plot_ratio"],
                "green_coverage": estate["green_coverage"],
                "mechanism_types": list(dict.fromkeys(m["type"] for m in estate_mechanisms)),
                "mechanisms": estate_mechanisms,
                "honors": honors.get(pk, []),
                "metric_values": {code: history.get(kind, []) for code, kind in codes},
                "illustrative": pk not in real,
                "name_en": estate["name_en"] or None,
                "tagline_en": estate["tagline_en"] or None,
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
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def metric_headers(kinds):
    headers = []
    for kind in kinds:
        headers += [f"metric_{kind.code}", f"metric_{kind.code}_as_of"]
    return headers


def history_headers(kinds):
    return [f"metric_{kind.code}_values" for kind in kinds]


def headers(kinds):
    """The CSV and XLSX columns: the first ones as they always were, then the added ones."""
    return (
        [key for key, _ in FIELDS]
        + metric_headers(kinds)
        + [key for key, _ in MORE_FIELDS]
        + history_headers(kinds)
        + [key for key, _ in LAST_FIELDS]
    )


def history_text(values):
    """Every value of one metric in time order, one a line: the value, then its date or,
    without one, the source's words for when ("4.38 (巡检制度实施前)")."""
    lines = []
    for item in values:
        when = item["date"] or item["period"]
        number = plain_number(item["value"])
        lines.append(f"{number} ({when})" if when else number)
    return "\n".join(lines)


def honor_text(honor):
    details = [honor["level"], honor["year"], honor["issuer"]]
    return f"{honor['title']} ({', '.join(str(d) for d in details if d is not None)})"


def one_line(text):
    # Items of a list cell are one a line: a line break inside an item would split it.
    return " ".join(text.split("\n"))


def spreadsheet_row(kinds, record):
    """The cells of one estate in a CSV or XLSX row, as values (lists joined into text)."""
    cells = [record[key] for key, _ in FIELDS[:-1]] + [";".join(record["campaigns"])]
    for kind in kinds:
        cells += [record["metrics"][kind.code], record["metric_dates"][kind.code]]
    cells += [record[key] for key, _ in MORE_FIELDS[:-3]]
    cells += [
        ";".join(record["mechanism_types"]),
        "\n".join(one_line(m["title"]) for m in record["mechanisms"]),
        "\n".join(one_line(honor_text(h)) for h in record["honors"]),
    ]
    cells += [history_text(record["metric_values"][kind.code]) for kind in kinds]
    cells += [record[key] for key, _ in LAST_FIELDS]
    return cells


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
    # One estate per line: readable and diffable, and each line encoded by json's C encoder
    # (indent= would switch to the pure-Python one, a quarter of the time at 36,000 estates).
    lines = (json.dumps(r, ensure_ascii=False, default=_number) for r in records)
    body = "[\n" + ",\n".join(lines) + "\n]\n"
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
    if isinstance(value, bool):
        return "true" if value else "false"  # as in the JSON file
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
    writer.writerow(headers(kinds))
    for record in records:
        writer.writerow([csv_cell(cell) for cell in spreadsheet_row(kinds, record)])
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


WIDE_COLUMNS = {"name", "url", "tagline", "property_company", "campaigns", "address"}
WIDE_COLUMNS |= {"name_en", "tagline_en"}
WIDE_COLUMNS |= {"mechanisms", "honors", "title", "description", "note", "issuer"}


def _sheet(workbook, title, header):
    sheet = workbook.create_sheet(title)
    sheet.freeze_panes = "A2"
    for index, name in enumerate(header, 1):
        wide = name in WIDE_COLUMNS or name.endswith("_values")
        sheet.column_dimensions[get_column_letter(index)].width = 30 if wide else 14
    bold = Font(bold=True)
    header_row = []
    for name in header:
        cell = _text_cell(sheet, name)
        cell.font = bold
        header_row.append(cell)
    sheet.append(header_row)
    return sheet


def _number_cell(sheet, value, percentage=False):
    if value is not None and percentage:
        value = value / 100
    cell = WriteOnlyCell(sheet, value=value)
    if value is not None and percentage:
        cell.number_format = "0.00%"
    return cell


def xlsx_body(request):
    kinds, records = rows(request)
    workbook = Workbook(write_only=True)
    sheet = _sheet(workbook, "estates", headers(kinds))
    percentages = {f"metric_{kind.code}" for kind in kinds if kind.is_percentage}
    percentages.add("green_coverage")
    numbers = {"land_area", "land_area_mu", "floor_area", "plot_ratio", "floor_area_is_approximate"}
    numbers.add("illustrative")  # true or false, as floor_area_is_approximate
    numbers |= {f"metric_{kind.code}" for kind in kinds}
    for record in records:
        cells = []
        for name, value in zip(headers(kinds), spreadsheet_row(kinds, record), strict=True):
            if name in numbers or name in percentages:
                cells.append(_number_cell(sheet, value, name in percentages))
            else:
                cells.append(_text_cell(sheet, value))
        sheet.append(cells)
    # The lists as tables of their own, one row per item, for sorting and filtering.
    by_code = {kind.code: kind for kind in kinds}
    values = _sheet(
        workbook,
        "metric_values",
        ["slug", "name", "metric", "value", "as_of", "period", "sequence", "note", "latest"],
    )
    for record in records:
        for code, items in record["metric_values"].items():
            for item in items:
                values.append(
                    [_text_cell(values, record["slug"]), _text_cell(values, record["name"])]
                    + [
                        _text_cell(values, code),
                        _number_cell(values, item["value"], by_code[code].is_percentage),
                    ]
                    + [
                        _text_cell(values, item[key])
                        for key in ("date", "period", "sequence", "note")
                    ]
                    + [WriteOnlyCell(values, value=item["latest"])]
                )
    mechanisms = _sheet(workbook, "mechanisms", ["slug", "name", "type", "title", "description"])
    for record in records:
        for item in record["mechanisms"]:
            mechanisms.append(
                [
                    _text_cell(mechanisms, value)
                    for value in (record["slug"], record["name"], item["type"], item["title"])
                ]
                + [_text_cell(mechanisms, item["description"])]
            )
    honors = _sheet(workbook, "honors", ["slug", "name", "title", "level", "year", "issuer"])
    for record in records:
        for item in record["honors"]:
            honors.append(
                [
                    _text_cell(honors, value)
                    for value in (record["slug"], record["name"], item["title"], item["level"])
                ]
                + [WriteOnlyCell(honors, value=item["year"]), _text_cell(honors, item["issuer"])]
            )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def last_updated():
    """When the data in the files last changed: the newest save of a published estate, of a
    metric, mechanism or honour of one (deletions included, from their history), of a
    selection or revocation, or a publication of results; None when nothing is published.
    Seven queries, however many estates. (The content version moves on with any change,
    drafts included, and keeps no time.)"""
    published = Estate.objects.published()
    public = Campaign.objects.public()
    decisions = Nomination.objects.filter(
        campaign__in=public, state__in=[NominationState.SELECTED, NominationState.REVOKED]
    )
    times = [
        published.aggregate(at=Max("updated_at"))["at"],
        public.aggregate(at=Max("results_published_at"))["at"],
        decisions.aggregate(at=Max("updated_at"))["at"],
    ]
    for model in (Metric, Mechanism, Honor):
        rows = model.history.filter(estate_id__in=published.values("pk"))
        times.append(rows.aggregate(at=Max("history_date"))["at"])
    known = [time for time in times if time is not None]
    return max(known) if known else None


def licence():
    """The licence of the files from settings.OPEN_DATA_LICENCE, its statement in the page's
    language (else in Chinese)."""
    terms = settings.OPEN_DATA_LICENCE
    texts = terms["text"]
    language = get_language() or settings.LANGUAGE_CODE
    text = texts.get(language) or texts.get(language.split("-")[0])
    return {
        "name": terms["name"],
        "url": terms["url"],
        "text": text or texts[settings.LANGUAGE_CODE],
    }


@require_safe
@cached_page
def data_page(request):
    kinds = list(MetricType.objects.all())
    # When the data changed and how many estates it has: kept with the statistics' figures
    # (showcase/statistics.py), not aggregated again for each reader.
    figures = statistics.current_figures(request.content_version)
    updated = figures["updated"] and datetime.datetime.fromisoformat(figures["updated"])
    return render(
        request,
        "showcase/data.html",
        {
            "fields": FIELDS,
            "more_fields": MORE_FIELDS,
            "last_fields": LAST_FIELDS,
            "kinds": kinds,
            "mechanism_types": MechanismType.objects.all(),
            "estate_types": EstateType.choices,
            "honor_levels": HonorLevel.choices,
            "count": sum(row[1] for row in figures["provinces"]),
            "licence": licence(),
            "updated": updated and timezone.localtime(updated),
            "updated_text": updated
            and dateformat.format(
                timezone.localtime(updated), pgettext("date and time", "Y年n月j日 H:i")
            ),
        },
    )
