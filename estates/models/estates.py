import unicodedata
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from ..enums import EstateType, choice_label
from ..numbers import two_places
from ..pinyin import full_pinyin, pinyin_initials, pinyin_slug
from ..search import search_keys
from ..validators import percentage_validators, validate_credit_code, validate_not_future_year
from .checks import CheckedModel
from .constraints import not_negative, percentage_between_0_and_100, year_not_in_future
from .regions import City, Province, localized
from .versions import Versioned

# 1 亩 = 10000/15 平方米 ≈ 666.67 m²; kept as a fraction so conversions stay exact.
MU_PER_SQUARE_METRE = Decimal(15) / Decimal(10000)


def name_key(name):
    """Two names that read the same name one estate: width, case and every kind of space
    (a no-break or en space pasted from Word, a full-width one) make no difference."""
    return "".join(unicodedata.normalize("NFKC", name or "").casefold().split())


def same_name_in_city(estates, name, city):
    """The estates among `estates` in `city` (a City or its name) whose name reads as `name`."""
    key = name_key(name)
    where = {"city": city} if isinstance(city, City) else {"city__name": city}
    candidates = estates.filter(**where).values_list("pk", "name")
    return [pk for pk, other in candidates if name_key(other) == key]


def published_nominations(estate):
    """The nominations that make `estate` (a pk or an OuterRef) public."""
    from .nominations import Nomination

    return Nomination.objects.public().filter(estate=estate)


class PropertyCompany(models.Model):
    """A property service company (物业服务企业)."""

    name = models.CharField(_("企业名称"), max_length=100, unique=True)
    credit_code = models.CharField(
        _("统一社会信用代码"),
        max_length=18,
        blank=True,
        validators=[validate_credit_code],
        help_text=_("18 位，选填；不清楚时留空。"),
    )

    class Meta:
        verbose_name = _("物业服务企业")
        verbose_name_plural = _("物业服务企业")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["credit_code"],
                condition=~models.Q(credit_code=""),
                name="company_unique_credit_code",
                violation_error_message=_("已有企业使用该统一社会信用代码。"),
            ),
        ]

    def __str__(self):
        return self.name


class EstateQuerySet(models.QuerySet):
    def published(self):
        """Estates the public may see: selected in a campaign whose results are published.

        Public pages read estates only through this method. It reads the kept flag
        ``is_published`` (one indexed column instead of a join per estate); the flag is
        recomputed from the nominations whenever one of them or its campaign changes
        (estates/publication.py), and ``truly_published()`` is its definition.
        """
        return self.filter(is_published=True)

    def with_latest_metrics(self, metric_types, dates=False):
        """Each estate with `latest_<code>`: its latest value of each of these metric types
        (the kept Metric.is_latest), for exports and data files; with dates, also
        `latest_<code>_date` and `latest_<code>_precision`, the day that value is of."""
        from .profile import latest_metric_value

        annotations = {}
        for kind in metric_types:
            annotations[f"latest_{kind.code}"] = latest_metric_value(pk=kind.pk)
            if dates:
                for part, field in (("date", "date"), ("precision", "date_precision")):
                    annotations[f"latest_{kind.code}_{part}"] = latest_metric_value(
                        field=field, pk=kind.pk
                    )
        return self.annotate(**annotations)

    def with_headline_metrics(self):
        """Each estate with `latest_satisfaction` and `latest_fee_collection`, the two figures
        lists show beside a name."""
        from .profile import latest_metric_value

        return self.annotate(
            latest_satisfaction=latest_metric_value(code="satisfaction"),
            latest_fee_collection=latest_metric_value(code="fee_collection"),
        )

    def rows_of_published(self, rows, path="estate"):
        """`rows` (metrics, mechanisms …) of published estates, through the same kept flag:
        for the statistics, which aggregate rows rather than estates."""
        return rows.filter(**{f"{path}__is_published": True})

    def truly_published(self):
        """The definition ``is_published`` keeps: selected in a campaign whose results are
        public."""
        return self.filter(models.Exists(published_nominations(models.OuterRef("pk"))))

    def with_illustrative(self, path="pk"):
        """Annotate `is_illustrative`: public only through selections in campaigns marked
        示例数据 (Campaign.is_illustrative), so every page listing it marks it 示例. `path`
        names the estate's key where the rows are not estates (``"estate"``)."""
        real = published_nominations(models.OuterRef(path)).filter(campaign__is_illustrative=False)
        return self.annotate(is_illustrative=~models.Exists(real))

    def selected_in(self, campaign):
        """Estates selected in this campaign, when its results are published."""
        return self.filter(
            models.Exists(published_nominations(models.OuterRef("pk")).filter(campaign=campaign))
        )

    def using_mechanism(self, mechanism_type):
        from .profile import Mechanism

        return self.filter(
            models.Exists(
                Mechanism.objects.filter(
                    estate=models.OuterRef("pk"), mechanism_type=mechanism_type
                )
            )
        )

    def search(self, query):
        """Match a name, its full pinyin or its initials (shuangqigan, sqg → 双旗杆东里), or
        the district, subdistrict, community, city or property company (estates/search.py)."""
        from ..search import estate_condition

        condition = estate_condition(query, self.db)
        return self if condition is None else self.filter(condition)

    def published_since(self):
        """Annotate each estate with when it first became public (its campaign's publication)."""
        from .nominations import Nomination

        first = (
            Nomination.objects.public()
            .filter(estate=models.OuterRef("pk"))
            .order_by("campaign__results_published_at")
            .values("campaign__results_published_at")[:1]
        )
        return self.annotate(published_at=models.Subquery(first))

    def get_by_natural_key(self, slug):
        return self.get(slug=slug)


class Estate(Versioned, CheckedModel):
    """A residential estate (小区), with the facts its sources give; unknown numbers are NULL."""

    name = models.CharField(_("小区名称"), max_length=100)
    slug = models.SlugField(
        _("拼音标识"),
        max_length=80,
        unique=True,
        blank=True,
        help_text=_("网址中使用的小区名称拼音；留空时按名称自动生成。"),
    )
    # Up to six letters per character ("zhuang"): 100 characters need 600.
    name_pinyin = models.CharField(_("名称全拼"), max_length=600, blank=True, editable=False)
    # Indexed for search by initials from the start of the name (sqg → 双旗杆东里); on
    # PostgreSQL db_index adds the pattern index that LIKE 'sqg%' needs.
    name_initials = models.CharField(
        _("名称拼音首字母"), max_length=100, blank=True, editable=False, db_index=True
    )
    # Kept by save() for search (estates/search.py): characters, character pairs and pinyin
    # syllable suffixes; on PostgreSQL a GIN index (migration 0012) answers searches on it.
    search_keys = models.TextField(_("搜索索引词"), blank=True, editable=False)
    # Kept copies for the public list, so it is read in index order without joins:
    # is_published from the nominations (estates/publication.py), province_order from the
    # province's display order.
    is_published = models.BooleanField(_("已公开"), default=False, editable=False)
    province_order = models.PositiveSmallIntegerField(_("省份排序"), default=0, editable=False)

    province = models.ForeignKey(
        Province, on_delete=models.PROTECT, related_name="estates", verbose_name=_("省份")
    )
    city = models.ForeignKey(
        City, on_delete=models.PROTECT, related_name="estates", verbose_name=_("城市")
    )
    district = models.CharField(_("区/县"), max_length=50, blank=True, help_text=_("如：西城区"))
    subdistrict = models.CharField(
        _("街道/镇"), max_length=50, blank=True, help_text=_("如：德胜街道、永定镇")
    )
    community = models.CharField(_("社区"), max_length=50, blank=True, help_text=_("如：北广社区"))
    address = models.CharField(_("地址"), max_length=200, blank=True)

    estate_type = models.CharField(
        _("小区类型"), max_length=20, choices=EstateType.choices, blank=True
    )
    year_built = models.PositiveSmallIntegerField(
        _("建成年份"),
        null=True,
        blank=True,
        validators=[validate_not_future_year],
        help_text=_("只知道年代时留空，填写下方的建成年代。"),
    )
    construction_period = models.CharField(
        _("建成年代"),
        max_length=50,
        blank=True,
        help_text=_("来源只给出年代时填写，如“上世纪70年代”。"),
    )
    buildings = models.PositiveIntegerField(_("楼栋数（栋）"), null=True, blank=True)
    building_note = models.CharField(
        _("楼栋说明"),
        max_length=100,
        blank=True,
        help_text=_("如“6栋叠加别墅和47栋电梯花园洋房”。"),
    )
    units = models.PositiveIntegerField(_("单元数"), null=True, blank=True)
    households = models.PositiveIntegerField(_("户数（户）"), null=True, blank=True)
    residents = models.PositiveIntegerField(_("居住人数（人）"), null=True, blank=True)
    land_area = models.DecimalField(
        _("占地面积（平方米）"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    land_area_in_mu = models.BooleanField(
        _("占地面积以亩显示"),
        default=False,
        help_text=_("来源以“亩”给出占地面积时勾选；数值仍按平方米保存（1 亩 ≈ 666.67 平方米）。"),
    )
    floor_area = models.DecimalField(
        _("总建筑面积（平方米）"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    floor_area_is_approximate = models.BooleanField(
        _("建筑面积为约数"), default=False, help_text=_("来源写作“约……”时勾选。")
    )
    plot_ratio = models.DecimalField(
        _("容积率"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    green_coverage = models.DecimalField(
        _("绿化覆盖率（%）"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=percentage_validators,
        help_text=_("0 到 100 之间，如 39 表示 39%。"),
    )
    property_company = models.ForeignKey(
        PropertyCompany,
        on_delete=models.PROTECT,
        related_name="estates",
        null=True,
        blank=True,
        verbose_name=_("物业服务企业"),
    )

    tagline = models.CharField(
        _("标题语"),
        max_length=100,
        blank=True,
        help_text=_("展示页标题中的一句话，如“以党建引领，让老旧小区换新颜”。"),
    )
    overview = models.TextField(_("概况"), blank=True, help_text=_("小区基本情况，每段一行。"))
    highlights = models.TextField(_("亮点"), blank=True, help_text=_("治理做法与成效，每段一行。"))
    # English for English pages (blank: not yet translated; the page shows the Chinese,
    # marked as such). A summary rather than overview and highlights paragraph by paragraph.
    name_en = models.CharField(
        _("英文名称"),
        max_length=150,
        blank=True,
        help_text=_(
            "英文页面显示的名称，一般按拼音书写，如 Shuangqigan Dongli；"
            "留空时英文页面显示中文名称并标注“中文原文”。"
        ),
    )
    tagline_en = models.CharField(
        _("英文标题语"),
        max_length=200,
        blank=True,
        help_text=_("标题语的英文译文；留空时英文页面显示中文标题语并标注“中文原文”。"),
    )
    summary_en = models.TextField(
        _("英文简介"),
        blank=True,
        help_text=_(
            "给英文读者的简短介绍，两三段，每段一行：概括概况及亮点，不必逐段翻译。"
            "留空时英文页面显示中文概况及亮点并标注“中文原文”。"
        ),
    )
    source_note = models.CharField(
        _("资料来源"),
        max_length=300,
        blank=True,
        help_text=_("如：中国物业管理协会《全国百家“美好家园” 北京篇》，2022年3月18日。"),
    )

    # Incremented by UPDATE … SET view_count = view_count + n with the views each server
    # process has counted since its last write (showcase/viewcounts.py).
    view_count = models.PositiveBigIntegerField(_("查看次数"), default=0, editable=False)

    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    objects = EstateQuerySet.as_manager()

    history = HistoricalRecords(
        excluded_fields=["view_count", "search_keys", "is_published", "province_order"]
    )

    class Meta:
        verbose_name = _("小区")
        verbose_name_plural = _("小区")
        ordering = ["name_pinyin"]
        indexes = [
            # The duplicate check of forms and imports: an estate of this name in this city.
            models.Index(fields=["city", "name"], name="estate_city_name"),
            # The admin's estate list in its default order (Meta.ordering), a page at a time.
            models.Index(fields=["name_pinyin", "id"], name="estate_pinyin_order"),
            # The public list (/estates/, the home page's featured estates) and its count:
            # published estates in province order, then by pinyin.
            models.Index(
                fields=["province_order", "name_pinyin", "id"],
                condition=models.Q(is_published=True),
                name="estate_public_list",
            ),
            # Every public selection with its estate's province (the kept figures' campaign
            # counts and province feature pages, showcase/statistics.py): the published
            # estates' provinces from the index alone, not the wide table.
            models.Index(
                fields=["id"],
                include=["province"],
                condition=models.Q(is_published=True),
                name="estate_public_province",
            ),
        ]
        constraints = [
            year_not_in_future("year_built", "estate_year_built_not_in_future"),
            not_negative("buildings", "estate_buildings_not_negative"),
            not_negative("units", "estate_units_not_negative"),
            not_negative("households", "estate_households_not_negative"),
            not_negative("residents", "estate_residents_not_negative"),
            not_negative("land_area", "estate_land_area_not_negative"),
            not_negative("floor_area", "estate_floor_area_not_negative"),
            not_negative("plot_ratio", "estate_plot_ratio_not_negative"),
            percentage_between_0_and_100("green_coverage", "estate_green_coverage_percentage"),
        ]

    # The basic facts a profile shows when known; unknown ones are listed for editors only.
    FACT_FIELDS = [
        "community",
        "address",
        "estate_type",
        "year_built",
        "buildings",
        "units",
        "households",
        "residents",
        "land_area",
        "floor_area",
        "plot_ratio",
        "green_coverage",
        "property_company",
    ]

    def unknown_facts(self):
        """The names of the basic facts its sources do not give (empty), for the admin: the
        public profile leaves unknown facts out rather than listing them."""
        missing = []
        for name in self.FACT_FIELDS:
            field = self._meta.get_field(name)
            if name == "year_built" and self.construction_period:
                continue  # "上世纪70年代" answers when it was built
            if getattr(self, field.attname) in (None, ""):
                missing.append(str(field.verbose_name))
        return missing

    def __str__(self):
        return self.name

    def get_estate_type_display(self):
        return choice_label(EstateType, self.estate_type)

    def save(self, *args, **kwargs):
        self.name_pinyin = full_pinyin(self.name)
        self.name_initials = pinyin_initials(self.name)
        self.search_keys = search_keys(self)
        if self.province_id:
            self.province_order = self.province.display_order
        if not self.slug:
            self.slug = self._unique_slug()
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("showcase:estate_detail", kwargs={"slug": self.slug})

    def natural_key(self):
        return (self.slug,)

    def clean(self):
        super().clean()
        if self.city_id and self.province_id and self.city.province_id != self.province_id:
            raise ValidationError(
                {"city": _("所选城市不属于%(province)s。") % {"province": self.province}}
            )

    def _unique_slug(self):
        base = pinyin_slug(self.name, max_length=70) or "xiaoqu"
        if not Estate.objects.filter(slug=base).exclude(pk=self.pk).exists():
            return base  # the usual case, answered by the unique index
        taken = set(
            Estate.objects.filter(slug__startswith=base)
            .exclude(pk=self.pk)
            .values_list("slug", flat=True)
        )
        if base not in taken:
            return base
        # Same name elsewhere: add the city, then a number.
        with_city = f"{base}-{self.city.slug}"[:76] if self.city_id else base
        candidate, n = with_city, 2
        while candidate in taken:
            candidate, n = f"{with_city}-{n}", n + 1
        return candidate

    def display_name(self):
        """The name in the page's language: the English name on English pages when there is one."""
        return localized(self.name, self.name_en)

    def display_tagline(self):
        return localized(self.tagline, self.tagline_en)

    def display_headline(self):
        """Name and tagline as a page title or feed entry gives them: "双旗杆东里：以党建引领……",
        or on English pages "Shuangqigan Dongli: Led by …" where either is in English."""
        name, tagline = self.display_name(), self.display_tagline()
        if not tagline:
            return name
        english = (get_language() or "").startswith("en") and (self.name_en or self.tagline_en)
        return f"{name}{': ' if english else '：'}{tagline}"

    def display_summary(self):
        """What a page's description says: the English summary on English pages when there
        is one, else the Chinese overview."""
        return localized(self.overview, self.summary_en)

    def chinese_text(self):
        """Overview and highlights, one paragraph a line: what the English summary sums up."""
        return "\n".join(text for text in (self.overview, self.highlights) if text)

    @property
    def land_area_mu(self):
        if self.land_area is None:
            return None
        return two_places(self.land_area * MU_PER_SQUARE_METRE)
