"""Campaigns (评选活动) and what they judge by: criteria and required activities."""

import unicodedata

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from ..enums import RESULTS_PUBLIC_PHASES, CampaignLevel, CampaignPhase
from ..validators import percentage_validators
from .checks import CheckedModel
from .constraints import year_not_after_next
from .regions import City, Province, localized
from .versions import Versioned


class CampaignQuerySet(models.QuerySet):
    def public(self):
        """Campaigns whose results are public."""
        return self.filter(phase__in=RESULTS_PUBLIC_PHASES)

    def update(self, **kwargs):
        """A bulk update may change a phase: keep Estate.is_published true in the same
        transaction (estates/publication.py), as saving one campaign does."""
        from ..publication import announce_public_change, refresh_publication
        from .nominations import Nomination

        with transaction.atomic(using=self.db):
            estate_ids = list(
                Nomination.objects.filter(campaign__in=self.values("pk")).values_list(
                    "estate_id", flat=True
                )
            )
            rows = super().update(**kwargs)
            refresh_publication(estate_ids)
            if rows:
                announce_public_change()
        return rows


class CampaignManager(models.Manager.from_queryset(CampaignQuerySet)):
    def get_by_natural_key(self, slug):
        return self.get(slug=slug)


class Campaign(Versioned, CheckedModel):
    title = models.CharField(_("活动名称"), max_length=150)
    title_en = models.CharField(_("英文名称"), max_length=200, blank=True)
    slug = models.SlugField(_("网址标识"), max_length=80, unique=True)
    year = models.PositiveSmallIntegerField(_("年度"))
    level = models.CharField(_("级别"), max_length=20, choices=CampaignLevel.choices)
    province = models.ForeignKey(
        Province,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="campaigns",
        verbose_name=_("省份"),
        help_text=_("省级和市级活动填写；全国活动留空。"),
    )
    city = models.ForeignKey(
        City,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="campaigns",
        verbose_name=_("城市"),
        help_text=_("仅市级活动填写。"),
    )
    organizer = models.CharField(
        _("主办单位"), max_length=100, blank=True, help_text=_("如：住房和城乡建设部")
    )
    organizer_en = models.CharField(_("主办单位（英文）"), max_length=150, blank=True)
    document_number = models.CharField(
        _("文号"), max_length=50, blank=True, help_text=_("如：建办房函〔2021〕xxx号")
    )
    description = models.TextField(_("活动说明"), blank=True)
    description_en = models.TextField(_("活动说明（英文）"), blank=True)
    quota = models.PositiveIntegerField(
        _("入选名额"), null=True, blank=True, help_text=_("留空表示不限。")
    )
    phase = models.CharField(
        _("阶段"), max_length=20, choices=CampaignPhase.choices, default=CampaignPhase.DRAFT
    )
    min_satisfaction = models.DecimalField(
        _("满意度门槛（%）"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=percentage_validators,
        help_text=_("列为拟入选时，低于此值会提示；留空表示不设门槛。"),
    )
    min_fee_collection = models.DecimalField(
        _("物业费收缴率门槛（%）"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=percentage_validators,
        help_text=_("列为拟入选时，低于此值会提示；留空表示不设门槛。"),
    )
    reviewers_per_nomination = models.PositiveSmallIntegerField(
        _("每项推荐的评审专家人数"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(15)],
        help_text=_("自动分配评审专家时，每项推荐分给几位专家（1–15）。"),
    )
    review_ends_on = models.DateField(
        _("评审截止日期"),
        null=True,
        blank=True,
        help_text=_("截止前两天，尚未提交评审意见的专家会收到提醒。"),
    )
    review_comments_released = models.BooleanField(
        _("向省级填报员公开评审意见"),
        default=False,
        help_text=_("勾选后，作出决定的推荐的评审意见（不含专家姓名）在该省的推荐页面上显示。"),
    )
    notice_starts_on = models.DateField(_("公示开始日期"), null=True, blank=True)
    notice_ends_on = models.DateField(_("公示结束日期"), null=True, blank=True)
    results_published_at = models.DateTimeField(_("结果发布时间"), null=True, blank=True)
    is_illustrative = models.BooleanField(
        _("示例数据"),
        default=False,
        help_text=_(
            "勾选后，公开网站在显示此活动及其入选结果的每一处（页面、卡片、开放数据）都标注“示例”。"
            "用于演示数据，正式活动不要勾选。"
        ),
    )

    objects = CampaignManager()

    class Meta:
        verbose_name = _("评选活动")
        verbose_name_plural = _("评选活动")
        ordering = ["-year", "level", "slug"]
        constraints = [
            year_not_after_next("year", "campaign_year_not_after_next_year"),
            models.CheckConstraint(
                condition=models.Q(notice_starts_on__isnull=True)
                | models.Q(notice_ends_on__isnull=True)
                | models.Q(notice_ends_on__gte=models.F("notice_starts_on")),
                name="campaign_notice_ends_after_start",
                violation_error_message=_("公示结束日期不能早于开始日期。"),
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(level=CampaignLevel.NATIONAL, province__isnull=True, city__isnull=True)
                    | models.Q(
                        level=CampaignLevel.PROVINCIAL, province__isnull=False, city__isnull=True
                    )
                    | models.Q(
                        level=CampaignLevel.MUNICIPAL, province__isnull=False, city__isnull=False
                    )
                ),
                name="campaign_region_matches_level",
                violation_error_message=_(
                    "全国活动不填省份和城市；省级活动只填省份；市级活动填省份和城市。"
                ),
            ),
            models.CheckConstraint(
                condition=~models.Q(phase__in=sorted(RESULTS_PUBLIC_PHASES))
                | models.Q(results_published_at__isnull=False),
                name="campaign_published_has_date",
                violation_error_message=_("结果已发布的活动必须有发布时间。"),
            ),
        ]

    def __str__(self):
        return self.label()

    def natural_key(self):
        return (self.slug,)

    def label(self, title=None):
        """The campaign's name wherever it is listed, chosen or linked: "2021 全国“…”活动",
        or the title alone when it already begins with its year ("2026年度全国…"), never
        "2026 2026年度…". `title` is the title to label (by default the Chinese one)."""
        title = self.title if title is None else title
        if title_begins_with_year(title, self.year):
            return title
        return f"{self.year} {title}"

    def display_label(self):
        """label() of the title in the page's language (the public pages)."""
        return self.label(self.display_title())

    def display_title_has_year(self):
        """Whether the title in the page's language begins with the year (for sentences that
        name the year themselves, such as "入选 2023 年……典型案例")."""
        return title_begins_with_year(self.display_title(), self.year)

    def short_label(self):
        """'2023 山东' or '2021 全国': enough to tell campaigns apart in a narrow column."""
        if self.city_id:
            return f"{self.year} {self.city.name}"
        if self.province_id:
            return f"{self.year} {self.province.short_name}"
        return f"{self.year} {CampaignLevel.NATIONAL.label}"

    def clean(self):
        super().clean()
        if self.city_id and self.province_id and self.city.province_id != self.province_id:
            raise ValidationError({"city": _("所选城市不属于所选省份。")})
        if self.phase == CampaignPhase.NOTICE:
            # The public notice page announces these dates, and publication waits for the end.
            missing = {
                name: _("公示期间不能清空公示日期：公开网站正在展示它，发布结果也以它为准。")
                for name in ("notice_starts_on", "notice_ends_on")
                if getattr(self, name) is None
            }
            if missing:
                raise ValidationError(missing)

    def display_title(self):
        return localized(self.title, self.title_en)

    def display_organizer(self):
        return localized(self.organizer, self.organizer_en)

    def display_description(self):
        return localized(self.description, self.description_en)

    @property
    def results_are_public(self):
        return self.phase in RESULTS_PUBLIC_PHASES


class CampaignPhaseChange(models.Model):
    """One phase change of a campaign: who, when, from, to, and why when a rule was overridden
    (publishing before the announced end of the notice period)."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="phase_changes", verbose_name=_("评选活动")
    )
    from_phase = models.CharField(_("原阶段"), max_length=20, choices=CampaignPhase.choices)
    to_phase = models.CharField(_("新阶段"), max_length=20, choices=CampaignPhase.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("操作人"),
    )
    reason = models.TextField(_("理由"), blank=True)
    overridden = models.BooleanField(
        _("越过规则"), default=False, help_text=_("在公示期结束前发布结果等越过规则的操作。")
    )
    at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("评选阶段变更")
        verbose_name_plural = _("评选阶段变更")
        ordering = ["campaign", "at", "pk"]

    def __str__(self):
        return f"{self.get_from_phase_display()} → {self.get_to_phase_display()}"


class ProvinceQuota(models.Model):
    """An optional limit on how many estates of one province a campaign selects."""

    campaign = models.ForeignKey(
        Campaign,
        on_delete=models.CASCADE,
        related_name="province_quotas",
        verbose_name=_("评选活动"),
    )
    province = models.ForeignKey(
        Province, on_delete=models.PROTECT, related_name="quotas", verbose_name=_("省份")
    )
    quota = models.PositiveIntegerField(_("入选名额"))

    class Meta:
        verbose_name = _("分省名额")
        verbose_name_plural = _("分省名额")
        ordering = ["campaign", "province__display_order"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "province"],
                name="province_quota_one_per_campaign",
                violation_error_message=_("该活动已为这个省份设定了名额。"),
            ),
        ]

    def __str__(self):
        return f"{self.province}：{self.quota}"


class Criterion(CheckedModel):
    """A principle requirement (原则要求) of a campaign, e.g. "发挥党建引领物业管理作用"."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="criteria", verbose_name=_("评选活动")
    )
    number = models.PositiveSmallIntegerField(_("序号"))
    title = models.CharField(_("要求"), max_length=100)
    description = models.TextField(_("说明"), blank=True)
    weight = models.DecimalField(
        _("权重（%）"),
        max_digits=5,
        decimal_places=2,
        validators=percentage_validators,
        help_text=_("评审总分中所占百分比；同一活动各项权重之和应为 100。"),
    )

    class Meta:
        verbose_name = _("原则要求")
        verbose_name_plural = _("原则要求")
        ordering = ["campaign", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "number"],
                name="criterion_unique_number_per_campaign",
                violation_error_message=_("该活动已有相同序号的原则要求。"),
            ),
            models.CheckConstraint(
                condition=models.Q(weight__gte=0, weight__lte=100),
                name="criterion_weight_percentage",
                violation_error_code="percentage_range",
                violation_error_message=_("百分比必须在 0 到 100 之间。"),
            ),
        ]

    def __str__(self):
        return f"（{chinese_numeral(self.number)}）{self.title}"

    def choice_label(self):
        """The label in a choice among several campaigns' criteria (dropdowns, filters):
        "（一）发挥党建引领作用 · 2021 全国". Needs the campaign (and its region) loaded."""
        return campaign_part_label(self)


class ActivityRequirement(models.Model):
    """One of a campaign's required activities (8个“一”), e.g. "组织一次业主满意度调查"."""

    campaign = models.ForeignKey(
        Campaign,
        on_delete=models.CASCADE,
        related_name="activity_requirements",
        verbose_name=_("评选活动"),
    )
    number = models.PositiveSmallIntegerField(_("序号"))
    title = models.CharField(_("活动要求"), max_length=100)
    description = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("规定活动")
        verbose_name_plural = _("规定活动")
        ordering = ["campaign", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "number"],
                name="requirement_unique_number_per_campaign",
                violation_error_message=_("该活动已有相同序号的规定活动。"),
            ),
        ]

    def __str__(self):
        return f"（{chinese_numeral(self.number)}）{self.title}"

    def choice_label(self):
        """As Criterion.choice_label(): "（一）组织一次业主满意度调查 · 2021 全国"."""
        return campaign_part_label(self)


def campaign_part_label(part):
    return f"{part} · {part.campaign.short_label()}"


def title_begins_with_year(title, year):
    """Whether a title begins with its year, as typed or pasted ("2026年度…", "２０２６年…")."""
    return unicodedata.normalize("NFKC", title).lstrip().startswith(str(year))


_NUMERALS = "零一二三四五六七八九"


def chinese_numeral(number):
    """1 → 一, 9 → 九, 10 → 十, 12 → 十二, 20 → 二十 (enough for numbering sections); from
    100 on, plain digits."""
    if number >= 100:
        return str(number)
    if number < 10:
        return _NUMERALS[number]
    tens, ones = divmod(number, 10)
    return ("" if tens == 1 else _NUMERALS[tens]) + "十" + (_NUMERALS[ones] if ones else "")
