"""A nomination's report (推荐材料) as a Word document, in the structure provinces write it:
a title, 一、基本情况 (a table of facts, then the overview), 二、the campaign's principle
requirements and 三、its required activities, each with the nomination's text, 四、工作成效及
亮点 with the metrics and key figures, 五、图片资料.

Texts are written as stored, one paragraph per non-empty line, so the reader
(reading.py) gets back what was written. The document is the same for the same data (its
dates come from the rows, not the clock), so its PDF can be cached by content (pdf.py).
"""

import datetime
import io
import re

from django.conf import settings
from django.db.models import Prefetch
from django.utils import translation
from django.utils.translation import gettext as _
from docx import Document
from docx.shared import Emu, Mm
from PIL import Image

from ..enums import Approximation
from ..models import (
    ActivityEvidence,
    ActivityRequirement,
    Criterion,
    CriterionEvidence,
    KeyFigure,
    Metric,
    Photo,
)
from ..models.campaigns import title_begins_with_year
from ..models.profile import metric_order_key
from ..numbers import floor_area_text, land_area_text, plain_number, two_places
from . import structure, typography

# What the report says for a fact its sources do not give: never 0, never a blank cell.
UNKNOWN = "未提供"

# A photo takes the column's width (less a little: LibreOffice sets the picture a few points
# in from the column's left edge, and a full-width one would cross the right margin), but no
# more than about half the type area's height.
PHOTO_MAX_WIDTH = int(typography.COLUMN_WIDTH * 0.96)
PHOTO_MAX_HEIGHT = int(typography.TEXT_HEIGHT * 0.55)

# Characters XML 1.0 cannot hold (a stray control character pasted from elsewhere); python-docx
# refuses them, and they show as nothing anyway.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def report_queryset(nominations):
    """`nominations` with everything a report reads, in a fixed number of queries however
    many there are (the archive writes a campaign's reports from one such queryset). Its
    own prefetches replace any the queryset had, so it may be applied twice."""
    return (
        nominations.prefetch_related(None)
        .select_related(
            "campaign__province",
            "campaign__city",
            "estate__province",
            "estate__city",
            "estate__property_company",
        )
        .prefetch_related(
            Prefetch("criterion_evidence", queryset=CriterionEvidence.objects.order_by()),
            Prefetch("activity_evidence", queryset=ActivityEvidence.objects.order_by()),
            Prefetch("campaign__criteria", queryset=Criterion.objects.order_by("number")),
            Prefetch(
                "campaign__activity_requirements",
                queryset=ActivityRequirement.objects.order_by("number"),
            ),
            Prefetch(
                "estate__metrics",
                queryset=Metric.objects.select_related("metric_type").order_by(
                    "metric_type__display_order", "metric_type_id"
                ),
            ),
            Prefetch(
                "estate__key_figures", queryset=KeyFigure.objects.order_by("display_order", "pk")
            ),
            Prefetch("estate__photos", queryset=Photo.objects.order_by("display_order", "pk")),
        )
    )


def report_title(estate):
    """The estate as a report's title names it: city and name, ending in 小区, each once
    ("临沂市奥正诚园南区小区", not "临沂市临沂…" or "…小区小区")."""
    name, city = estate.name.strip(), estate.city.name
    if not name.startswith((city, city.removesuffix("市"))):
        name = city + name
    return name if name.endswith("小区") else f"{name}小区"


def campaign_title(campaign):
    """ "2023年山东省“加强物业管理 共建美好家园”活动", the year once."""
    if title_begins_with_year(campaign.title, campaign.year):
        return campaign.title
    return f"{campaign.year}年{campaign.title}"


# Characters Windows, macOS or a ZIP reader refuse or misread in a file name.
UNSAFE_IN_FILE_NAMES = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


def safe_file_name(text):
    return UNSAFE_IN_FILE_NAMES.sub("_", text).strip(" .") or "report"


def report_filename(nomination, extension):
    """The download's name: "临沂市奥正诚园南区小区推荐材料-2023.docx" (or .pdf)."""
    title = report_title(nomination.estate)
    return safe_file_name(f"{title}推荐材料-{nomination.campaign.year}") + f".{extension}"


def write_report(nomination):
    """The nomination's report as the bytes of a .docx file."""
    # The filed report is Chinese whichever language the admin is in.
    with translation.override(settings.LANGUAGE_CODE):
        document = Document()
        typography.set_up(document)
        _properties(document, nomination)
        _title(document, nomination)
        writers = {
            structure.BASIC: _basic,
            structure.CRITERIA: _criteria,
            structure.ACTIVITIES: _activities,
            structure.RESULTS: _results,
            structure.PHOTOS: _photos,
        }
        for index, section in enumerate(structure.SECTIONS):
            typography.add_paragraph(
                document, structure.numbered_section(index, section), style="Heading 1"
            )
            writers[section](document, nomination)
        output = io.BytesIO()
        document.save(output)
    return output.getvalue()


def _properties(document, nomination):
    properties = document.core_properties
    properties.title = report_title(nomination.estate)
    properties.subject = campaign_title(nomination.campaign)
    properties.author = nomination.nominating_authority or _(
        "“加强物业管理 共建美好家园”典型案例展示平台"
    )
    properties.last_modified_by = properties.author
    properties.comments = properties.keywords = properties.category = ""
    properties.language = "zh-CN"
    properties.revision = 1
    properties.created = _utc(nomination.created_at)
    properties.modified = _utc(max(nomination.updated_at, nomination.estate.updated_at))


def _utc(moment):
    # python-docx writes the time as UTC ("…Z") without converting it.
    return moment.astimezone(datetime.UTC).replace(tzinfo=None)


def _title(document, nomination):
    typography.add_paragraph(document, report_title(nomination.estate), style="Title")
    line = typography.add_paragraph(document, campaign_title(nomination.campaign), style="Subtitle")
    if nomination.nominating_authority:
        line.add_run().add_break()
        line.add_run(_("推荐单位：%(authority)s") % {"authority": nomination.nominating_authority})


def _lines(text):
    """Stored text as paragraphs: one per non-empty line, each exactly as stored."""
    return [NOT_XML.sub("", line) for line in (text or "").splitlines() if line.strip()]


def _body(document, text):
    """Paragraphs of stored text, or the empty box's mark when there is none."""
    lines = _lines(text)
    for line in lines:
        typography.add_paragraph(document, line, style="Normal")
    if not lines:
        run = typography.add_paragraph(document, style="Normal").add_run(structure.EMPTY_BOX)
        run.font.color.rgb = typography.GREY


def _number(value, unit=""):
    return UNKNOWN if value is None else f"{plain_number(two_places(value))}{unit}"


def _location(estate):
    parts = [estate.province.name]
    if estate.city.name != estate.province.name:
        parts.append(estate.city.name)
    parts += [estate.district, estate.subdistrict, estate.community]
    return "".join(part for part in parts if part)


def _buildings(estate):
    count = None if estate.buildings is None else _("%(n)s栋") % {"n": estate.buildings}
    if count and estate.building_note:
        return f"{count}（{estate.building_note}）"
    return count or estate.building_note or UNKNOWN


def basic_facts(nomination):
    """The rows of 一、基本情况's table: (项目, 内容), unknown facts as 未提供."""
    estate = nomination.estate
    if estate.year_built is None and estate.construction_period:
        built = (_("建成年代"), estate.construction_period)
    else:
        year = estate.year_built
        built = (_("建成年份"), UNKNOWN if year is None else _("%(year)s年") % {"year": year})
    return [
        (_("所在地区"), _location(estate)),
        (_("小区类型"), estate.get_estate_type_display() or UNKNOWN),
        built,
        (_("占地面积"), land_area_text(estate) or UNKNOWN),
        (_("总建筑面积"), floor_area_text(estate) or UNKNOWN),
        (_("户数"), _number(estate.households, _("户"))),
        (_("楼栋"), _buildings(estate)),
        (_("容积率"), _number(estate.plot_ratio)),
        (_("绿化覆盖率"), _number(estate.green_coverage, "%")),
        (
            _("物业服务企业"),
            estate.property_company.name if estate.property_company else UNKNOWN,
        ),
        (_("推荐单位"), nomination.nominating_authority or UNKNOWN),
    ]


def _basic(document, nomination):
    typography.table(
        document, basic_facts(nomination), [Mm(36), Mm(120)], header=(_("项目"), _("内容"))
    )
    _body(document, nomination.estate.overview)


def _evidence(document, parts, evidence, key):
    texts = {getattr(row, key): row.text for row in evidence}
    for part in sorted(parts, key=lambda part: part.number):
        typography.add_paragraph(document, str(part), style="Heading 2")
        _body(document, texts.get(part.pk, ""))


def _criteria(document, nomination):
    _evidence(
        document,
        nomination.campaign.criteria.all(),
        nomination.criterion_evidence.all(),
        "criterion_id",
    )


def _activities(document, nomination):
    _evidence(
        document,
        nomination.campaign.activity_requirements.all(),
        nomination.activity_evidence.all(),
        "requirement_id",
    )


def _quantity(figure):
    number, unit = plain_number(two_places(figure.quantity)), figure.unit
    if figure.approximation == Approximation.ABOUT:
        return _("约%(number)s%(unit)s") % {"number": number, "unit": unit}
    if figure.approximation == Approximation.MORE_THAN:
        return _("%(number)s余%(unit)s") % {"number": number, "unit": unit}
    if figure.approximation == Approximation.MORE:
        return _("%(number)s多%(unit)s") % {"number": number, "unit": unit}
    return f"{number}{unit}"


def metric_rows(estate):
    """(指标, 数值, 时间, 说明) per metric, each type's values in time order, dates as the
    portal states them (a day, a month, a year or the period's label)."""
    metrics = sorted(
        estate.metrics.all(),
        key=lambda m: (m.metric_type.display_order, m.metric_type_id, *metric_order_key(m)),
    )
    return [
        (
            metric.metric_type.name,
            _number(metric.value, metric.metric_type.unit),
            metric.date_display() or UNKNOWN,
            metric.source_note,
        )
        for metric in metrics
    ]


def key_figure_rows(estate):
    return [
        (
            figure.label,
            _quantity(figure),
            "" if figure.year is None else _("%(year)s年") % {"year": figure.year},
            figure.note,
        )
        for figure in estate.key_figures.all()
    ]


def _results(document, nomination):
    estate = nomination.estate
    _body(document, estate.highlights)
    typography.add_paragraph(document, _("主要指标"), style="Heading 3")
    rows = metric_rows(estate)
    if rows:
        typography.table(
            document,
            rows,
            [Mm(32), Mm(24), Mm(38), Mm(62)],
            header=(_("指标"), _("数值"), _("时间"), _("说明")),
        )
    else:
        typography.add_paragraph(document, _("未提供指标数据。"), style="Normal")
    figures = key_figure_rows(estate)
    if figures:
        typography.add_paragraph(document, _("成效数据"), style="Heading 3")
        typography.table(
            document,
            figures,
            [Mm(50), Mm(34), Mm(22), Mm(50)],
            header=(_("名称"), _("数量"), _("年份"), _("说明")),
        )


def _jpeg(photo):
    """The photo's medium rendition (else the full image) as JPEG bytes and its pixel size,
    or None when neither file can be read."""
    for image_file in (photo.image_medium, photo.image):
        if not image_file:
            continue
        try:
            with image_file.storage.open(image_file.name, "rb") as handle:
                data = handle.read()
            with Image.open(io.BytesIO(data)) as image:
                size = image.size
                if image.format != "JPEG":
                    converted = io.BytesIO()
                    image.convert("RGB").save(converted, format="JPEG", quality=85)
                    data = converted.getvalue()
        except (OSError, ValueError, Image.DecompressionBombError):
            continue  # missing or unreadable: try the other file, else leave the photo out
        return data, size
    return None


def _photos(document, nomination):
    number = 0
    for photo in nomination.estate.photos.all():
        picture = _jpeg(photo)
        if picture is None:
            continue
        data, (width, height) = picture
        number += 1
        shown_width = min(PHOTO_MAX_WIDTH, PHOTO_MAX_HEIGHT * width // max(height, 1))
        shown_height = shown_width * height // max(width, 1)
        run = typography.add_paragraph(document, style=typography.FIGURE).add_run()
        run.add_picture(io.BytesIO(data), width=Emu(shown_width), height=Emu(shown_height))
        caption = NOT_XML.sub("", photo.caption)
        typography.add_paragraph(
            document,
            _("图%(number)s　%(caption)s") % {"number": number, "caption": caption},
            style="Caption",
        )
    if not number:
        typography.add_paragraph(document, _("（无图片）"), style="Normal")
