"""django-import-export resources with Chinese headers.

Every import is checked whole: a file with one bad row writes nothing, and each problem is
reported as "第 N 行「列」：…" naming the spreadsheet row (the header is row 1) and column.
Provincial staff import rows of their own province only.
"""

from diff_match_patch import diff_match_patch
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from import_export import fields, resources
from simple_history.utils import bulk_create_with_history

from .. import models
from ..enums import ActivityCategory, Approximation, DatePrecision, EstateType
from ..models.constraints import FORM_LIMITS
from ..models.estates import name_key
from ..publication import refresh_latest_metrics
from ..roles import Role, province_id_of, role_of
from . import cells
from .cells import CellError
from .importing import describe
from .widgets import (
    TEXT,
    CityWidget,
    CompanyWidget,
    LookupWidget,
    ParsingWidget,
    ProvinceWidget,
    choice_widget,
)

NUL_MESSAGE = "含有空字符（\\x00），无法保存，请删除后再导入"


def as_stored(value):
    """Two decimal places, as stored (SQLite hands subquery results back as long floats)."""
    return None if value is None else cells.parse_decimal(value)


def metric_column(kind):
    unit = "（%）" if kind.is_percentage else f"（{kind.unit}）"
    return f"{kind.name}{unit}"


class PreviewDiff(resources.Diff):
    """The preview's cell-by-cell changes, marked with classes (admin-extra.css) instead of the
    inline styles diff-match-patch writes, which the Content-Security-Policy blocks; an
    empty cell shows empty, not "None"."""

    MARKS = {
        diff_match_patch.DIFF_INSERT: "diff-added",
        diff_match_patch.DIFF_DELETE: "diff-removed",
    }

    def as_html(self):
        dmp = diff_match_patch()
        cells_html = []
        for before, after in zip(self.left, self.right, strict=False):
            if before != after and self.new:
                before = ""
            diff = dmp.diff_main(_shown(before), _shown(after))
            dmp.diff_cleanupSemantic(diff)
            cells_html.append(
                format_html_join(
                    "",
                    "{}",
                    (
                        (
                            format_html(
                                '<{0} class="{1}">{2}</{0}>',
                                "ins" if op > 0 else "del",
                                self.MARKS[op],
                                text,
                            )
                            if op
                            else text,
                        )
                        for op, text in diff
                        if text
                    ),
                )
            )
        return cells_html


def _shown(value):
    return "" if value is None else str(value)


class ScopedResource(resources.ModelResource):
    """Remembers who imports, refuses rows of another province, and reports errors in
    Chinese with the spreadsheet's row number."""

    def get_diff_class(self):
        return PreviewDiff

    def __init__(self, user=None, **kwargs):
        super().__init__(**kwargs)
        self.user = user
        for field in self.fields.values():  # each resource has its own copy of its fields
            if isinstance(field.widget, LookupWidget) and field.widget.model is models.Estate:
                field.widget.scope = self.importable_estates()

    def importable_estates(self):
        """The estates this importer may name: every one for the ministry, their own
        province's for provincial staff. Any other answers exactly as one that does not
        exist, in every message, so an import tells nobody what another province holds."""
        allowed = self.import_province_id()
        estates = models.Estate.objects.all()
        return estates if allowed is None else estates.filter(province_id=allowed)

    def before_import(self, dataset, **kwargs):
        # Headers typed with half-width brackets or full-width letters match the columns.
        known = {cells.normalize(f.column_name): f.column_name for f in self.fields.values()}
        dataset.headers = [known.get(cells.normalize(h), h) for h in dataset.headers or []]
        missing = [
            self.fields[name].column_name
            for name in self.get_import_id_fields()
            if self.fields[name].column_name not in dataset.headers
        ]
        if missing:
            columns = "、".join(f"“{column}”" for column in missing)
            raise CellError(f"文件中没有{columns}列：请按填报模板填写，第一行的列名不要改动")

    def before_import_row(self, row, **kwargs):
        # PostgreSQL cannot store NUL in text, and no one means to type it: say so per cell
        # before the row's values are looked up or saved.
        nul = {
            str(column): NUL_MESSAGE
            for column, value in row.items()
            if isinstance(value, str) and "\x00" in value
        }
        if nul:
            raise ValidationError(nul)

    def import_data(self, dataset, **kwargs):
        result = super().import_data(dataset, **kwargs)
        # Every problem as "第 N 行「列」：…", for the admin's preview and confirmation.
        result.problems = describe(result, self)
        return result

    def validate_instance(self, instance, import_validation_errors=None, **kwargs):
        # A value outside a check constraint's bounds is a problem of its column (the
        # constraint alone would report it for the whole row, naming no column).
        errors = dict(import_validation_errors or {})
        for constraint in instance._meta.constraints:
            field, bounds = FORM_LIMITS.get(constraint.name, (None, {}))
            value = getattr(instance, field, None) if field else None
            if value is None or field in errors or "min_value" not in bounds:
                continue
            try:
                MinValueValidator(bounds["min_value"])(value)
            except ValidationError as error:
                errors[field] = error.error_list
        super().validate_instance(instance, errors, **kwargs)

    def skip_row(self, instance, original, row, import_validation_errors=None):
        """Provincial staff change a public estate only through review (estates/pending.py):
        a row of theirs that would change one is refused, naming each column that differs;
        one that changes nothing is left as it is, unsaved (a save would move the estate's
        version on, and a form open on it would then be refused as if someone had changed
        it)."""
        estate = self.public_estate(instance)
        if estate is None or original is None:
            return super().skip_row(instance, original, row, import_validation_errors)
        changed = self.changed_fields(instance, original)
        if changed:
            self.check_scope(instance, row)  # another province's row is refused as such
            refused = {field.attribute: self.public_refusal(estate) for field in changed}
            raise ValidationError({**(import_validation_errors or {}), **refused})
        return not import_validation_errors

    def public_estate(self, instance):
        """The public estate this row belongs to, when provincial staff import it; None
        otherwise (the ministry's imports are not reviewed, nor the rows of other estates)."""
        if self.user is None or role_of(self.user) != Role.PROVINCIAL:
            return None
        estate = self.estate_of(instance)
        return estate if estate is not None and estate.is_published else None

    def estate_of(self, instance):
        return None

    def changed_fields(self, instance, original):
        """The imported fields whose values differ from the row as it was."""
        return [
            field
            for field in self.get_import_fields()
            if field.attribute
            and not field.readonly
            and field.get_value(instance) != field.get_value(original)
        ]

    def public_refusal(self, estate):
        return _("“%(estate)s”已在公开网站展示，修改需经审核，请在小区页面中修改") % {
            "estate": estate
        }

    def check_scope(self, instance, row):
        """Refuse a row that this importer's province does not hold (before it is saved)."""

    def before_save_instance(self, instance, row, **kwargs):
        self.check_scope(instance, row)

    def import_province_id(self):
        if self.user is None or role_of(self.user) == Role.MINISTRY:
            return None
        return province_id_of(self.user)

    def check_province(self, province, row_number, column="省份"):
        """Refuse a row of another province, against the column that places it there."""
        allowed = self.import_province_id()
        if allowed is not None and (province is None or province.pk != allowed):
            raise ValidationError(
                {
                    column: f"只能导入本省（{models.Province.objects.get(pk=allowed)}）的数据，"
                    f"这一行是“{province}”"
                }
            )


class EstateResource(ScopedResource):
    """One row per estate: region names, company, facts, and the latest value of each metric."""

    name = fields.Field("name", "小区名称", widget=TEXT)
    slug = fields.Field("slug", "网址标识", widget=TEXT)
    province = fields.Field("province", "省份", widget=ProvinceWidget())
    city = fields.Field("city", "城市", widget=CityWidget())
    district = fields.Field("district", "区/县", widget=TEXT)
    subdistrict = fields.Field("subdistrict", "街道/镇", widget=TEXT)
    community = fields.Field("community", "社区", widget=TEXT)
    address = fields.Field("address", "地址", widget=TEXT)
    estate_type = fields.Field(
        "estate_type", "小区类型", widget=choice_widget(EstateType.choices, "小区类型")
    )
    year_built = fields.Field("year_built", "建成年份", widget=ParsingWidget(cells.parse_count))
    construction_period = fields.Field("construction_period", "建成年代", widget=TEXT)
    buildings = fields.Field("buildings", "楼栋数（栋）", widget=ParsingWidget(cells.parse_count))
    building_note = fields.Field("building_note", "楼栋说明", widget=TEXT)
    units = fields.Field("units", "单元数", widget=ParsingWidget(cells.parse_count))
    households = fields.Field("households", "户数（户）", widget=ParsingWidget(cells.parse_count))
    residents = fields.Field("residents", "居住人数（人）", widget=ParsingWidget(cells.parse_count))
    land_area = fields.Field(
        "land_area", "占地面积（平方米）", widget=ParsingWidget(cells.parse_decimal)
    )
    land_area_in_mu = fields.Field(
        "land_area_in_mu", "占地面积以亩显示", widget=ParsingWidget(cells.parse_bool)
    )
    floor_area = fields.Field(
        "floor_area", "总建筑面积（平方米）", widget=ParsingWidget(cells.parse_decimal)
    )
    floor_area_is_approximate = fields.Field(
        "floor_area_is_approximate", "建筑面积为约数", widget=ParsingWidget(cells.parse_bool)
    )
    plot_ratio = fields.Field("plot_ratio", "容积率", widget=ParsingWidget(cells.parse_decimal))
    green_coverage = fields.Field(
        "green_coverage", "绿化覆盖率（%）", widget=ParsingWidget(cells.parse_percent)
    )
    property_company = fields.Field("property_company", "物业服务企业", widget=CompanyWidget())
    tagline = fields.Field("tagline", "标题语", widget=TEXT)
    overview = fields.Field("overview", "概况", widget=TEXT)
    highlights = fields.Field("highlights", "亮点", widget=TEXT)
    source_note = fields.Field("source_note", "资料来源", widget=TEXT)

    class Meta:
        model = models.Estate
        import_id_fields = ["slug"]
        fields = (
            "name",
            "slug",
            "province",
            "city",
            "district",
            "subdistrict",
            "community",
            "address",
            "estate_type",
            "year_built",
            "construction_period",
            "buildings",
            "building_note",
            "units",
            "households",
            "residents",
            "land_area",
            "land_area_in_mu",
            "floor_area",
            "floor_area_is_approximate",
            "plot_ratio",
            "green_coverage",
            "property_company",
            "tagline",
            "overview",
            "highlights",
            "source_note",
        )
        skip_unchanged = False
        use_transactions = True
        clean_model_instances = True

    def __init__(self, user=None, **kwargs):
        super().__init__(user=user, **kwargs)
        self.metric_types = list(models.MetricType.objects.all())
        for kind in self.metric_types:
            parse = cells.parse_percent if kind.is_percentage else cells.parse_decimal
            field = fields.Field(
                attribute=f"latest_{kind.code}",
                column_name=metric_column(kind),
                widget=ParsingWidget(parse, render=as_stored),
            )
            self.fields[f"metric_{kind.code}"] = field
        self._seen = set()
        self._city_names = {}  # city name: the name keys of its estates (models.name_key)

    def get_export_order(self):
        return list(self.fields)

    def filter_export(self, queryset, **kwargs):
        return self.with_latest(queryset)

    def with_latest(self, queryset):
        return (
            queryset.select_related("province", "city", "property_company")
            .with_latest_metrics(self.metric_types)
            .order_by("province__display_order", "name_pinyin", "pk")
        )

    def before_import(self, dataset, **kwargs):
        super().before_import(dataset, **kwargs)
        self._seen = set()
        self._city_names = {}  # city name: the name keys of its estates (models.name_key)
        self._new_values = set()  # estates given new metric values by this import

    def get_instance(self, instance_loader, row):
        slug = cells.normalize(row.get("网址标识"))
        if not slug:
            return None  # a new estate: the slug is made from the name
        estate = self.importable_estates().filter(slug=slug).first()
        if estate is None and self.import_province_id() is not None:
            # Provincial staff do not choose addresses (their form has no such field): a slug
            # they give names one of their estates, or nothing.
            raise ValidationError(
                {"网址标识": f"没有网址标识为“{slug}”的小区；新增小区请不要填写网址标识"}
            )
        return estate

    def before_import_row(self, row, **kwargs):
        super().before_import_row(row, **kwargs)
        name = cells.normalize(row.get("小区名称"))
        city = cells.normalize(row.get("城市"))
        key = (name_key(name), city)
        if name and key in self._seen:
            raise ValidationError({"小区名称": f"文件中“{city}{name}”出现了不止一次"})
        self._seen.add(key)
        new = name and not cells.normalize(row.get("网址标识"))
        # Names read as people read them (spaces and width aside), among the estates this
        # importer may name: another province's row is refused for its province whether or
        # not such an estate exists there. Each city's names are read once per file.
        if new and key[0] in self._names_in(city):
            raise ValidationError(
                {"小区名称": f"{city}已有名为“{name}”的小区；如要更新它，请填写其网址标识"}
            )

    def _names_in(self, city):
        if city not in self._city_names:
            names = self.importable_estates().filter(city__name=city).values_list("name")
            self._city_names[city] = {name_key(name) for (name,) in names}
        return self._city_names[city]

    def estate_of(self, instance):
        return instance if instance.pk else None

    def changed_fields(self, instance, original):
        # A metric column changes the estate when it adds a value (after_save_instance).
        metrics = {f"latest_{kind.code}" for kind in self.metric_types}
        changed = [
            field
            for field in super().changed_fields(instance, original)
            if field.attribute not in metrics
        ]
        return changed + [self.fields[f"metric_{kind.code}"] for kind in self.new_values(instance)]

    def check_scope(self, instance, row):
        self.check_province(instance.province, row)
        existing = instance.pk and models.Estate.objects.filter(pk=instance.pk).first()
        if existing and self.import_province_id() is not None:
            # A province's own row, but it may not move to another province.
            self.check_province(existing.province, row)

    def save_instance(self, instance, is_create, row, **kwargs):
        instance.created_by_import = is_create
        super().save_instance(instance, is_create, row, **kwargs)

    def new_values(self, instance, is_create=False):
        """{metric type: value} of the metric columns whose value differs from the estate's
        latest (an empty cell leaves the latest as it is)."""
        given = {kind: getattr(instance, f"latest_{kind.code}", None) for kind in self.metric_types}
        if all(value is None for value in given.values()):
            return {}
        latest = {}
        if not is_create:  # a new estate has no values yet
            latest = dict(
                models.Metric.objects.filter(estate=instance, is_latest=True).values_list(
                    "metric_type_id", "value"
                )
            )
        return {
            kind: value
            for kind, value in given.items()
            if value is not None and value != latest.get(kind.pk)
        }

    def after_save_instance(self, instance, row, **kwargs):
        """A metric column whose value differs from the estate's latest adds a new value."""
        given = self.new_values(instance, is_create=instance.created_by_import)
        if not given:
            return
        # The column holds the value as the sheet reports it today: dated so, it is the
        # latest, as the editor who typed it means (undated, every dated value would rank
        # above it and the profile would go on showing the old one).
        today = timezone.localdate()
        added = bulk_create_with_history(
            [
                models.Metric(
                    estate=instance,
                    metric_type=kind,
                    value=value,
                    is_percentage=kind.is_percentage,
                    source_note="表格导入",
                    date=today,
                    date_precision=DatePrecision.DAY,
                )
                for kind, value in given.items()
            ],
            models.Metric,
        )
        if added:
            self._new_values.add(instance.pk)

    def after_import(self, dataset, result, **kwargs):
        super().after_import(dataset, result, **kwargs)
        # bulk_create sends no signals: which values are the latest is worked out here, once
        # for the whole file, in its transaction (the preview's too, which is rolled back).
        estates = sorted(self._new_values)
        for start in range(0, len(estates), 2000):
            refresh_latest_metrics(estates[start : start + 2000])


class EstateRowResource(ScopedResource):
    """Rows that belong to an estate, which the file names by its 网址标识."""

    estate = fields.Field(
        "estate", "小区网址标识", widget=LookupWidget(models.Estate, "slug", "小区网址标识")
    )
    estate_name = fields.Field("estate__name", "小区名称", readonly=True)

    def get_instance(self, instance_loader, row):
        # The columns that find an existing row are read here, before any other: a wrong
        # one is reported against its column rather than as an error of the whole row.
        problems = {}
        for name in self.get_import_id_fields():
            field = self.fields[name]
            if field.column_name not in row:
                problems[field.column_name] = "文件中没有这一列"
                continue
            try:
                field.clean(row)
            except ValueError as error:  # CellError included
                problems[field.column_name] = str(error)
        if problems:
            raise ValidationError(problems)
        return super().get_instance(instance_loader, row)

    def estate_of(self, instance):
        return self.fields["estate"].get_value(instance)

    def changed_fields(self, instance, original):
        if original.pk is None:  # a new row: the estate it is added to is what changes
            return [self.fields["estate"]]
        return super().changed_fields(instance, original)

    def public_refusal(self, estate):
        return _(
            "“%(estate)s”已在公开网站展示，增改它的%(rows)s需经审核：请在小区页面的"
            "“修改说明”中写明要增改的内容，由编辑或部级管理员审核"
        ) % {"estate": estate, "rows": self._meta.model._meta.verbose_name}

    def check_scope(self, instance, row):
        # Row sheets have no province column: the estate's 网址标识 places the row.
        self.check_province(instance.estate.province, row, column="小区网址标识")


class MetricResource(EstateRowResource):
    metric_type = fields.Field(
        "metric_type", "指标代码", widget=LookupWidget(models.MetricType, "code", "指标代码")
    )
    value = fields.Field("value", "数值", widget=ParsingWidget(cells.parse_decimal))
    date = fields.Field("date", "日期", widget=ParsingWidget(cells.parse_date))
    date_precision = fields.Field(
        "date_precision", "日期精度", widget=choice_widget(DatePrecision.choices, "日期精度")
    )
    period_label = fields.Field("period_label", "时间说明", widget=TEXT)
    sequence = fields.Field("sequence", "先后次序", widget=ParsingWidget(cells.parse_count))
    source_note = fields.Field("source_note", "数据说明", widget=TEXT)

    class Meta:
        model = models.Metric
        import_id_fields = ("estate", "metric_type", "date", "sequence")
        fields = (
            "estate",
            "estate_name",
            "metric_type",
            "value",
            "date",
            "date_precision",
            "period_label",
            "sequence",
            "source_note",
        )
        use_transactions = True
        clean_model_instances = True

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("estate", "metric_type").order_by("estate__pk", "pk")


class NominationResource(ScopedResource):
    """Nominations with their evidence texts, one column per criterion and required activity
    (export only: evidence is entered on the nomination's page)."""

    campaign = fields.Field("campaign__title", "评选活动", readonly=True)
    year = fields.Field("campaign__year", "年度", readonly=True)
    province = fields.Field("estate__province__name", "省份", readonly=True)
    city = fields.Field("estate__city__name", "城市", readonly=True)
    estate = fields.Field("estate__name", "小区名称", readonly=True)
    authority = fields.Field("nominating_authority", "推荐单位", readonly=True)
    sequence = fields.Field("province_sequence", "省内序号", readonly=True)
    state = fields.Field("state", "状态", readonly=True)
    statement = fields.Field("statement", "推荐理由", readonly=True)

    class Meta:
        model = models.Nomination
        fields = (
            "campaign",
            "year",
            "province",
            "city",
            "estate",
            "authority",
            "sequence",
            "state",
            "statement",
        )

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related(
            "campaign", "estate__province", "estate__city"
        ).prefetch_related(
            Prefetch(
                "criterion_evidence",
                queryset=models.CriterionEvidence.objects.select_related("criterion"),
            ),
            Prefetch(
                "activity_evidence",
                queryset=models.ActivityEvidence.objects.select_related("requirement"),
            ),
        )

    def dehydrate_state(self, nomination):
        return nomination.get_state_display()

    def export_resource(self, nomination, **kwargs):
        row = super().export_resource(nomination, **kwargs)
        criteria = {e.criterion.number: e.text for e in nomination.criterion_evidence.all()}
        activities = {e.requirement.number: e.text for e in nomination.activity_evidence.all()}
        row += [criteria.get(n, "") for n in range(1, 10)]
        row += [activities.get(n, "") for n in range(1, 9)]
        return row

    def get_export_headers(self, **kwargs):
        headers = super().get_export_headers(**kwargs)
        numerals = "一二三四五六七八九"
        headers += [f"原则要求（{numerals[n - 1]}）" for n in range(1, 10)]
        headers += [f"8个“一”（{numerals[n - 1]}）" for n in range(1, 9)]
        return headers


class MechanismResource(EstateRowResource):
    mechanism_type = fields.Field(
        "mechanism_type",
        "机制类别标识",
        widget=LookupWidget(models.MechanismType, "slug", "机制类别标识"),
    )
    title = fields.Field("title", "名称", widget=TEXT)
    description = fields.Field("description", "做法", widget=TEXT)
    display_order = fields.Field(
        "display_order", "排列顺序", widget=ParsingWidget(cells.parse_count)
    )

    class Meta:
        model = models.Mechanism
        import_id_fields = ("estate", "title")
        fields = (
            "estate",
            "estate_name",
            "mechanism_type",
            "title",
            "description",
            "display_order",
        )
        use_transactions = True
        clean_model_instances = True

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("estate", "mechanism_type").order_by("estate__pk", "pk")


class KeyFigureResource(EstateRowResource):
    label = fields.Field("label", "名称", widget=TEXT)
    quantity = fields.Field("quantity", "数量", widget=ParsingWidget(cells.parse_decimal))
    approximation = fields.Field(
        "approximation", "约数", widget=choice_widget(Approximation.choices, "约数")
    )
    unit = fields.Field("unit", "单位", widget=TEXT)
    year = fields.Field("year", "年份", widget=ParsingWidget(cells.parse_count))
    note = fields.Field("note", "说明", widget=TEXT)

    class Meta:
        model = models.KeyFigure
        import_id_fields = ("estate", "label")
        fields = (
            "estate",
            "estate_name",
            "label",
            "quantity",
            "approximation",
            "unit",
            "year",
            "note",
        )
        use_transactions = True
        clean_model_instances = True

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("estate").order_by("estate__pk", "pk")


class ActivityResource(EstateRowResource):
    title = fields.Field("title", "活动名称", widget=TEXT)
    category = fields.Field(
        "category", "类别", widget=choice_widget(ActivityCategory.choices, "活动类别")
    )
    date = fields.Field("date", "日期", widget=ParsingWidget(cells.parse_date))
    date_precision = fields.Field(
        "date_precision", "日期精度", widget=choice_widget(DatePrecision.choices, "日期精度")
    )
    period_label = fields.Field("period_label", "时间说明", widget=TEXT)
    description = fields.Field("description", "内容", widget=TEXT)
    participants = fields.Field("participants", "参与人数", widget=ParsingWidget(cells.parse_count))

    class Meta:
        model = models.Activity
        import_id_fields = ("estate", "title")
        fields = (
            "estate",
            "estate_name",
            "title",
            "category",
            "date",
            "date_precision",
            "period_label",
            "description",
            "participants",
        )
        use_transactions = True
        clean_model_instances = True

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("estate").order_by("estate__pk", "pk")
