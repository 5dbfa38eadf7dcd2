"""Every kind and state of the domain, in one place.

States that belong together are grouped as named sets, so code says ``in PUBLIC_STATES``
rather than repeating lists of states.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


def choice_label(choices, value):
    """What get_FOO_display() gives for `value` of a field with these choices, in one look-up.
    Django's get_FOO_display() builds a dict of every choice on each call, hashing each lazy
    label (a translation look-up per choice); on the estate page that was a fifth of the
    template's time. A value that is not a choice is given back as it is, as Django does."""
    try:
        return choices(value).label
    except ValueError:
        return value


class EstateType(models.TextChoices):
    OLD = "old", _("老旧小区")
    COMMERCIAL = "commercial", _("商品住宅")
    AFFORDABLE = "affordable", _("保障性住房")
    RESETTLEMENT = "resettlement", _("安置房")
    WORK_UNIT = "work_unit", _("单位宿舍/房改房")
    MIXED = "mixed", _("混合类型")
    OTHER = "other", _("其他")


class DatePrecision(models.TextChoices):
    """How much of a stored date the source actually gave."""

    DAY = "day", _("日")
    MONTH = "month", _("月")
    YEAR = "year", _("年")


class Approximation(models.TextChoices):
    """How the source qualified a number: "10余次", "约1000平方米", "2000多名"."""

    EXACT = "", _("精确")
    ABOUT = "about", _("约")
    MORE_THAN = "more_than", _("余")
    MORE = "more", _("多")


class ActivityCategory(models.TextChoices):
    FESTIVAL = "festival", _("节日活动")
    VOLUNTEER = "volunteer", _("志愿服务")
    ELDERLY = "elderly", _("为老服务")
    CHILDREN = "children", _("为小服务")
    MEETING = "meeting", _("议事会议")
    SURVEY = "survey", _("满意度调查")
    PUBLICITY = "publicity", _("宣传报道")
    CONVENIENCE = "convenience", _("便民服务")
    PRACTICAL = "practical", _("为民办实事")
    DISCLOSURE = "disclosure", _("公示公开")
    CULTURE = "culture", _("文明创建与文化活动")
    SAFETY = "safety", _("安全宣传")
    GOVERNANCE = "governance", _("社区治理")
    OTHER = "other", _("其他")


class HonorLevel(models.TextChoices):
    NATIONAL = "national", _("国家级")
    PROVINCIAL = "provincial", _("省级")
    MUNICIPAL = "municipal", _("市级")
    DISTRICT = "district", _("区县级")
    OTHER = "other", _("其他")


class CampaignLevel(models.TextChoices):
    NATIONAL = "national", _("全国")
    PROVINCIAL = "provincial", _("省级")
    MUNICIPAL = "municipal", _("市级")


class CampaignPhase(models.TextChoices):
    DRAFT = "draft", _("筹备中")
    NOMINATING = "nominating", _("推荐申报")
    REVIEWING = "reviewing", _("评审中")
    NOTICE = "notice", _("公示中")
    PUBLISHED = "published", _("结果已发布")
    ARCHIVED = "archived", _("已归档")


# A campaign's selected estates are public only in these phases.
RESULTS_PUBLIC_PHASES = frozenset({CampaignPhase.PUBLISHED, CampaignPhase.ARCHIVED})


class NominationState(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("已提交")
    UNDER_REVIEW = "under_review", _("评审中")
    SHORTLISTED = "shortlisted", _("拟入选")
    ON_NOTICE = "on_notice", _("公示中")
    SELECTED = "selected", _("入选")
    NOT_SELECTED = "not_selected", _("未入选")
    WITHDRAWN = "withdrawn", _("已撤回")
    REVOKED = "revoked", _("已撤销")


# States in which a province may still edit its nomination.
EDITABLE_STATES = frozenset({NominationState.DRAFT})
# States of a nomination the ministry is working on.
IN_PROCESS_STATES = frozenset(
    {
        NominationState.SUBMITTED,
        NominationState.UNDER_REVIEW,
        NominationState.SHORTLISTED,
        NominationState.ON_NOTICE,
    }
)


# A nomination's outcome: after it, reviewers' comments may be released to its province.
DECIDED_STATES = frozenset(
    {NominationState.SELECTED, NominationState.NOT_SELECTED, NominationState.REVOKED}
)


class ObjectionState(models.TextChoices):
    RECEIVED = "received", _("已收到")
    CHECKING = "checking", _("核查中")
    UPHELD = "upheld", _("异议成立")
    DISMISSED = "dismissed", _("异议不成立")


# An objection in one of these states still blocks selection of its nomination.
OPEN_OBJECTION_STATES = frozenset({ObjectionState.RECEIVED, ObjectionState.CHECKING})
