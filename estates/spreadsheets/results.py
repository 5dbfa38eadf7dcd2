"""A campaign's result list (入选名单) as the ministry sends it on."""

from ..enums import NominationState
from ..models import Nomination
from ..numbers import two_places
from .formats import write_xlsx

RESULT_HEADERS = [
    "序号",
    "省份",
    "城市",
    "小区名称",
    "物业服务企业",
    "户数",
    "业主满意度（%）",
    "物业费收缴率（%）",
    "推荐单位",
]


def result_rows(campaign):
    nominations = Nomination.objects.filter(
        campaign=campaign, state=NominationState.SELECTED
    ).with_headline_metrics()
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
                two_places(nomination.satisfaction),
                two_places(nomination.fee_collection),
                nomination.nominating_authority or None,
            ]
        )
    return rows


def result_list_xlsx(campaign):
    return write_xlsx(RESULT_HEADERS, result_rows(campaign), sheet_title="入选名单")
