"""A campaign's result list (入选名单) as the ministry sends it on to other offices: a title
row, then one row per selected estate in the official order, as XLSX or CSV."""

from ..enums import DatePrecision, NominationState
from ..models import Nomination
from ..models.campaigns import title_begins_with_year
from ..models.profile import latest_metric_value
from ..numbers import two_places
from .downloads import file_name
from .formats import write_csv, write_xlsx

RESULT_HEADERS = [
    "序号",
    "省份",
    "城市",
    "小区名称",
    "物业服务企业",
    "户数（户）",
    "居住人数（人）",
    "业主满意度（%）",
    "物业费收缴率（%）",
    "数据截至",
    "推荐单位",
]
# The two figures of the list, by metric code, with the short name 数据截至 uses when their
# dates differ.
HEADLINE_METRICS = [("satisfaction", "满意度"), ("fee_collection", "收缴率")]


def result_title(campaign):
    """'2026年度全国美好家园典型案例入选名单': the campaign as it names itself, with its year
    in front unless the title begins with it."""
    title = campaign.title.strip()
    if not title_begins_with_year(title, campaign.year):
        title = f"{campaign.year}年度{title}"
    return f"{title}入选名单"


def result_file_name(campaign, extension):
    return f"{file_name(result_title(campaign))}.{extension}"


def date_text(date, precision):
    """A metric's date as precisely as it was recorded: 2022年, 2022年12月 or 2022-12-31."""
    if date is None:
        return None
    if precision == DatePrecision.YEAR:
        return f"{date.year}年"
    if precision == DatePrecision.MONTH:
        return f"{date.year}年{date.month}月"
    return date.isoformat()


def as_of(nomination):
    """数据截至: the date of the figures shown; each named when the two differ; None (an empty
    cell) when no figure shown has a date."""
    dates = []
    for code, short_name in HEADLINE_METRICS:
        if getattr(nomination, code) is None:
            continue
        shown = date_text(
            getattr(nomination, f"{code}_date"), getattr(nomination, f"{code}_precision")
        )
        if shown:
            dates.append((short_name, shown))
    if len({shown for _name, shown in dates}) == 1:
        return dates[0][1]
    return "；".join(f"{name} {shown}" for name, shown in dates) or None


def result_rows(campaign):
    dated = {}
    for code, _short_name in HEADLINE_METRICS:
        for part, field in (("date", "date"), ("precision", "date_precision")):
            dated[f"{code}_{part}"] = latest_metric_value(
                estate_path="estate", field=field, code=code
            )
    nominations = (
        Nomination.objects.filter(campaign=campaign, state=NominationState.SELECTED)
        .with_headline_metrics()
        .annotate(**dated)
    )
    rows = []
    for number, nomination in enumerate(nominations, 1):
        estate = nomination.estate
        rows.append(
            [
                number,
                estate.province.name,
                estate.city.name,
                estate.name,
                estate.property_company.name if estate.property_company else None,
                estate.households,
                estate.residents,
                two_places(nomination.satisfaction),
                two_places(nomination.fee_collection),
                as_of(nomination),
                nomination.nominating_authority or None,
            ]
        )
    return rows


def result_list_xlsx(campaign):
    return write_xlsx(
        RESULT_HEADERS, result_rows(campaign), sheet_title="入选名单", title=result_title(campaign)
    )


def result_list_csv(campaign):
    """The table alone, header first, so that any program reads its columns; the title is
    the file's name."""
    return write_csv(RESULT_HEADERS, result_rows(campaign))


CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


def result_list_file(campaign, extension):
    """(content, content type) of the result list as .xlsx or .csv."""
    if extension == "xlsx":
        return result_list_xlsx(campaign), CONTENT_TYPES["xlsx"]
    return result_list_csv(campaign).encode("utf-8"), CONTENT_TYPES["csv"]
