"""django-import-export resources with Chinese headers.

Every import is checked whole: a file with one bad row writes nothing, and each problem is
reported as "第 N 行「列」：…" naming the spreadsheet row (the header is row 1) and column.
Provincial staff import rows of their own province only.
"""

import operator
from collections.abc import Sequence
from decimal import Decimal

from diff_match_patch import diff_match_patch
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models as django_models
from django.db import transaction
from django.db.models import FilteredRelation, Prefetch, Q
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from import_export import fields, resources
from import_export.results import Error, RowResult
from simple_history.utils import bulk_create_with_history

from .. import models
from ..enums import ActivityCategory, Approximation, DatePrecision, EstateType
from ..models.constraints import FORM_LIMITS
from ..models.estates import name_key
from ..publication import refresh_latest_metrics
from ..roles import Role, province_id_of, role_of
from . import batches, cells
from .cells import CellError
from .importing import describe
from .layout import Columns, lay_out
from .reading import Sheet
from .widgets import (
    LONG_TEXT,
    TEXT,
    CityWidget,
    CompanyWidget,
    LookupWidget,
    ParsingWidget,
    ProvinceWidget,
    RegionWidget,
    choice_widget,
)

NUL_MESSAGE = "含有空字符（\\x00），无法保存，请删除后再导入"


def as_stored(value):
    """Two decimal places, as stored (SQLite hands subquery results back as long floats)."""
    return None if value is None else cells.parse_decimal(value)


def metric_column(kind):
    unit = "（%）" if kind.is_percentage else f"（{kind.unit}）"
    return f"{kind.name}{unit}"


def metric_date_column(kind):
    return f"{kind.name}数据截至日期"


def _plain(number):
    return f"{number.normalize():f}" if isinstance(number, Decimal) else str(number)


def plausible(kind, value, given):
    """The value, when it is plausible for its metric type; otherwise CellError saying what
    the portal would store and what the clerk probably meant (0.965 → 96.5%)."""
    low, high = kind.plausible_min, kind.plausible_max
    if value is None or ((low is None or value >= low) and (high is None or value <= high)):
        return value
    unit = "%" if kind.is_percentage else kind.unit
    bounds = "–".join("…" if bound is None else _plain(bound) for bound in (low, high))
    message = (
        f"{kind.name}“{given}”不在合理范围（{bounds}{unit}）内：照此导入将存为"
        f" {_plain(cells.parse_decimal(value))}{unit}"
    )
    as_percent = value * 100
    if (
        kind.is_percentage
        and value <= 1
        and (low is None or as_percent >= low)
        and (high is None or as_percent <= high)
    ):
        shown = _plain(as_percent)
        message += f"。如果是 {shown}%，请填 {shown} 或 {shown}%"
    raise CellError(message + "。请核对改正后重新上传")


class MetricWidget(ParsingWidget):
    """A metric type's value: a percentage for percent types ("96.5%", 96.5), a number
    otherwise, refused when outside the type's plausible range (MetricType.plausible_*)."""

    def __init__(self, kind):
        super().__init__(self.check, render=as_stored)
        self.kind = kind

    def check(self, value):
        # Checked as given (0.965, not the stored 0.97), so the suggestion is exact: 96.5%.
        given = cells.parse_percent(value, places=6) if self.kind.is_percentage else None
        if given is None:
            given = cells.parse_decimal(value, places=6)
        plausible(self.kind, given, value)
        return cells.parse_decimal(given)


class MetricDateField(fields.Field):
    """数据截至日期 of a metric column: the day (or month, or year) the value is of, kept as
    `latest_<code>_date` and `latest_<code>_precision`, as with_latest_metrics(dates=True)
    annotates them."""

    def __init__(self, kind):
        super().__init__(
            attribute=f"latest_{kind.code}_date",
            column_name=metric_date_column(kind),
            widget=ParsingWidget(cells.parse_period),
        )
        self.code = kind.code

    def save(self, instance, row, is_m2m=False, **kwargs):
        period = self.clean(row, **kwargs)
        day, precision = period if period else (None, None)
        setattr(instance, f"latest_{self.code}_date", day)
        setattr(instance, f"latest_{self.code}_precision", precision)

    def get_value(self, instance):
        return cells.show_period(
            getattr(instance, f"latest_{self.code}_date", None),
            getattr(instance, f"latest_{self.code}_precision", None),
        )

    def export(self, instance, **kwargs):
        return self.get_value(instance)


class PreviewDiff(resources.Diff):
    """The preview's cell-by-cell changes, marked with classes (admin-extra.css) instead of the
    inline styles diff-match-patch writes, which the Content-Security-Policy blocks; an
    empty cell shows empty, not "None"."""

    MARKS = {
        diff_match_patch.DIFF_INSERT: "diff-added",
        diff_match_patch.DIFF_DELETE: "diff-removed",
    }

    # The cells before and after are read when the preview shows them (a third of the time
    # of a large import goes to reading them otherwise): the row as it was is a copy nothing
    # changes; a new estate's row is its own, so it is read late as well, a changed one's
    # now (a later row of the file may name the same estate).
    def __init__(self, resource, instance, new):
        self.resource, self.original, self.new = resource, instance, new
        self.instance = self._right = None

    def compare_with(self, resource, instance):
        self.instance = instance
        if not self.new:
            self._right = self._read_field_values(resource, instance)

    @cached_property
    def left(self):
        return self._read_field_values(self.resource, self.original)

    @property
    def right(self):
        if getattr(self, "_right", None) is None and getattr(self, "instance", None) is not None:
            self._right = self._read_field_values(self.resource, self.instance)
        return getattr(self, "_right", None) or []

    @right.setter
    def right(self, cells):
        self._right = cells

    def as_html(self):
        # Worked out when the preview shows it: an import run from the command line, or
        # confirmed, shows no cells, and 10,000 rows of diffs cost a third of its time.
        return DiffCells(self)

    def cells(self):
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


class DiffCells(Sequence):
    """A row's diff cells (PreviewDiff.cells), made on first use."""

    def __init__(self, diff):
        self.diff = diff
        self.made = None

    def _cells(self):
        if self.made is None:
            self.made, self.diff = self.diff.cells(), None
        return self.made

    def __getitem__(self, index):
        return self._cells()[index]

    def __len__(self):
        return len(self._cells())

    def __eq__(self, other):
        return list(self) == list(other) if isinstance(other, Sequence) else NotImplemented

    __hash__ = None

    def __repr__(self):
        return repr(self._cells())


def _shown(value):
    if isinstance(value, bool):
        return "是" if value else "否"
    return "" if value is None else str(value)


class ScopedResource(resources.ModelResource):
    """Remembers who imports, refuses rows of another province, and reports errors in
    Chinese with the spreadsheet's row number."""

    def get_diff_class(self):
        return PreviewDiff

    def get_import_fields(self):
        # Asked three times a row; the fields do not change once the resource is made.
        fields_ = getattr(self, "_import_fields", None)
        if fields_ is None or len(self.fields) != self._import_fields_of:
            fields_ = self._import_fields = super().get_import_fields()
            self._import_fields_of = len(self.fields)
        return fields_

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

    # Other names clerks give the columns ({column: [names]}); the column's own header, its
    # field name, and the header without its unit (户数 for 户数（户）) are known anyway.
    COLUMN_ALIASES = {}
    # Columns a file must have; by default those that find an existing row.
    REQUIRED_COLUMNS = None
    # Columns that find an existing row but may be left out (added empty).
    OPTIONAL_KEY_COLUMNS = ()

    def import_columns(self):
        headers = [field.column_name for field in self.fields.values()]
        return Columns(
            headers,
            self.column_aliases(),
            set(self.required_columns()),
            set(self.OPTIONAL_KEY_COLUMNS),
        )

    def column_aliases(self):
        """{column: [other names]}: COLUMN_ALIASES, and each field's name and attribute."""
        aliases = {}
        for name, field in self.fields.items():
            aliases[field.column_name] = [name, *self.COLUMN_ALIASES.get(field.column_name, [])]
            if field.attribute:
                aliases[field.column_name].append(field.attribute)
        return aliases

    def required_columns(self):
        """The columns a file must have (a tuple: one of them)."""
        if self.REQUIRED_COLUMNS is not None:
            return list(self.REQUIRED_COLUMNS)
        keys = [self.fields[name].column_name for name in self.get_import_id_fields()]
        return [key for key in keys if key not in self.OPTIONAL_KEY_COLUMNS]

    def lay_out(self, dataset):
        """The file's table (see layout.py): a dataset read from a file carries its sheets; one
        made in code is laid out as a sheet whose first row is its header."""
        if getattr(dataset, "unreadable", None):
            return lay_out([], self.import_columns()).with_problem(dataset.unreadable)
        sheets = getattr(dataset, "workbook", None)
        if sheets is None:
            rows = [list(dataset.headers or [])] + [list(row) for row in dataset]
            return lay_out([Sheet("", rows)], self.import_columns())
        layout = lay_out(sheets, self.import_columns())
        layout.from_file = True
        return layout

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
        """Import the file's table; every problem as "第 N 行「列」：…", N the row as the
        clerk's program numbers it, for the admin's preview and confirmation and the command."""
        self.layout = layout = self.lay_out(dataset)
        if layout.problems:
            result = self.get_result_class()()
            for problem in layout.problems:
                result.append_base_error(Error(CellError(problem)))
        else:
            result = super().import_data(layout.dataset, **kwargs)
        result.layout = layout
        result.notices = layout.notices
        result.problems = list(layout.problems) or describe(result, self, layout)
        return result

    def import_row(self, row, instance_loader, **kwargs):
        row_result = super().import_row(row, instance_loader, **kwargs)
        numbers = self.layout.row_numbers
        number = kwargs.get("row_number")
        row_result.sheet_row = numbers[number - 1] if number and number <= len(numbers) else None
        return row_result

    def validate_instance(self, instance, import_validation_errors=None, **kwargs):
        errors = self.limit_errors(instance, import_validation_errors)
        super().validate_instance(instance, errors, **kwargs)

    def limit_errors(self, instance, import_validation_errors=None):
        """The row's errors so far, and each value outside a check constraint's bounds as a
        problem of its column (the constraint alone would report it for the whole row,
        naming no column)."""
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
        return errors

    def skip_row(self, instance, original, row, import_validation_errors=None):
        """A row that changes nothing is left as it is, unsaved, and counted as 未变 (a save
        would move the record's version on, and a form open on it would then be refused as if
        someone had changed it; and a re-imported export is not a file of updates).

        Provincial staff change a public estate only through review (estates/pending.py): a
        row of theirs that would change one is refused, naming each column that differs."""
        if original is None:
            return False
        estate = self.public_estate(instance)
        if estate is None and original.pk is None:
            return False  # a new row
        changed = self.changed_fields(instance, original)
        if estate is not None and changed:
            self.check_scope(instance, row)  # another province's row is refused as such
            refused = {field.attribute: self.public_refusal(estate) for field in changed}
            raise ValidationError({**(import_validation_errors or {}), **refused})
        return original.pk is not None and not import_validation_errors and not changed

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
    year_built = fields.Field("year_built", "建成年份", widget=ParsingWidget(cells.parse_year))
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
    overview = fields.Field("overview", "概况", widget=LONG_TEXT)
    highlights = fields.Field("highlights", "亮点", widget=LONG_TEXT)
    source_note = fields.Field("source_note", "资料来源", widget=TEXT)

    COLUMN_ALIASES = {
        "小区名称": ["小区", "小区名", "名称", "项目名称", "小区（项目）名称", "小区全称"],
        "网址标识": ["标识", "拼音标识"],
        "省份": ["省", "省份名称", "所在省份", "省（区、市）", "省区市", "省级"],
        "城市": ["市", "地级市", "城市名称", "所在城市", "市（州）", "市州", "市（州、盟）"],
        "区/县": ["区县", "区", "县", "县区", "区（县）", "县（市、区）", "县（区）", "所在区县"],
        "街道/镇": ["街道", "乡镇", "街道（镇）", "街镇", "街道（乡镇）", "所属街道"],
        "社区": ["社区（村）", "所属社区", "社区名称"],
        "地址": ["详细地址", "小区地址", "地点"],
        "小区类型": ["类型", "类别", "小区类别"],
        "建成年份": ["建成时间", "竣工年份", "建成年度", "建成年", "竣工时间"],
        "楼栋数（栋）": ["栋数", "楼栋", "楼栋数量", "楼宇数"],
        "户数（户）": ["总户数", "住户数", "户数合计", "住户"],
        "居住人数（人）": ["人口", "居民人数", "常住人口", "居住人口", "入住人数"],
        "总建筑面积（平方米）": ["建筑面积"],
        "绿化覆盖率（%）": ["绿化率", "绿地率"],
        "物业服务企业": [
            *("物业企业", "物业公司", "物业服务企业名称", "物业服务单位", "物业企业名称"),
            "物业服务公司",
        ],
    }
    REQUIRED_COLUMNS = ["小区名称", "省份", "城市"]
    OPTIONAL_KEY_COLUMNS = ("网址标识",)

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
        # Rows are read and checked a batch at a time (prepare_batch) and new estates
        # inserted a batch at a time (bulk_create): no savepoint per row, the queries of a
        # batch do not grow with its rows. A changed estate is saved in its row (save_instance).
        use_bulk = True
        batch_size = batches.BATCH_ROWS

    def __init__(self, user=None, **kwargs):
        super().__init__(user=user, **kwargs)
        self.metric_types = list(models.MetricType.objects.all())
        for kind in self.metric_types:
            self.fields[f"metric_{kind.code}"] = fields.Field(
                attribute=f"latest_{kind.code}",
                column_name=metric_column(kind),
                widget=MetricWidget(kind),
            )
            self.fields[f"metric_{kind.code}_date"] = MetricDateField(kind)
        self._seen = set()
        self._city_names = {}  # city pk: {name key: (name, slug, is public)} of its estates

    def get_export_order(self):
        return list(self.fields)

    def filter_export(self, queryset, **kwargs):
        return self.with_latest(queryset)

    def column_aliases(self):
        aliases = super().column_aliases()
        for kind in self.metric_types:
            name = kind.name.removeprefix("业主").removeprefix("物业")
            aliases[metric_column(kind)] += [kind.code, kind.name, name]
            aliases[metric_date_column(kind)] += [
                f"{kind.name}截至日期",
                f"{kind.name}数据日期",
                f"{kind.name}日期",
                f"{name}数据截至日期",
                f"{name}截至日期",
            ]
        return aliases

    def with_latest(self, queryset):
        return (
            queryset.select_related("province", "city", "property_company")
            .with_latest_metrics(self.metric_types, dates=True)
            .order_by("province__display_order", "name_pinyin", "pk")
        )

    EXPORT_CHUNK = 2000  # rows read from the database at a time

    def export_rows(self, queryset):
        """Each estate of `queryset`, in with_latest()'s order, as export_resource() of it
        writes it, streamed: one query, read a chunk at a time (a server-side cursor), of the
        estates' columns as plain values with each metric type's latest value joined through
        the kept Metric.is_latest, rather than subqueries per estate and value.
        (tests/test_export_stream.py compares the two on every column.)"""
        paths, copied, rendered, periods = ["pk"], [], [], []
        joins = {}
        for position, field in enumerate(self.get_export_fields()):
            method = field.get_dehydrate_method(self.get_field_name(field))
            if callable(method) or hasattr(self, method):
                raise ValueError(f"export_rows cannot dehydrate {field.column_name}")
            copied.append(0)  # filled below unless copied from the row as it is
            if isinstance(field, MetricDateField):
                joins[field.code] = f"latest_value_{field.code}"
                paths += [f"{joins[field.code]}__date", f"{joins[field.code]}__date_precision"]
                periods.append((position, len(paths) - 2))
            elif field.attribute.startswith("latest_"):
                code = field.attribute.removeprefix("latest_")
                joins[code] = f"latest_value_{code}"
                # As the value's field stores it (a Decimal of its places): as render() writes it.
                paths.append(f"{joins[code]}__value")
                copied[position] = len(paths) - 1
            elif isinstance(field.widget, (RegionWidget, CompanyWidget)):
                paths.append(f"{field.attribute}__name")
                rendered.append((position, len(paths) - 1, _name_or_blank))
            else:
                paths.append(field.attribute)
                if _plain_render(field.widget):
                    copied[position] = len(paths) - 1
                else:
                    rendered.append((position, len(paths) - 1, field.widget.render))
        kinds = {kind.code: kind.pk for kind in self.metric_types}
        latest = {
            name: FilteredRelation(
                "metrics",
                condition=Q(metrics__is_latest=True, metrics__metric_type_id=kinds[code]),
            )
            for code, name in joins.items()
        }
        take = operator.itemgetter(*copied) if len(copied) > 1 else lambda row: (row[copied[0]],)
        rows = (
            queryset.annotate(**latest)
            .order_by("province__display_order", "name_pinyin", "pk")
            .values_list(*paths)
            .iterator(chunk_size=self.EXPORT_CHUNK)
        )
        show_period = cells.show_period
        previous = None
        for row in rows:
            if row[0] == previous:
                continue  # a second value marked latest (for a moment): the estate once
            previous = row[0]
            out = list(take(row))
            for position, index, render in rendered:
                out[position] = render(row[index])
            for position, index in periods:
                day = row[index]
                out[position] = None if day is None else show_period(day, row[index + 1])
            yield out

    def export_kinds(self):
        """What each export column holds, for a writer that converts only what needs it:
        "text" (may look like a formula), "bool", or "plain" (numbers, dates, None; for a
        number column, a DecimalField's values with its places)."""
        kinds = []
        for field in self.get_export_fields():
            if isinstance(field, MetricDateField) or field.attribute.startswith("latest_"):
                kinds.append("plain")
                continue
            model_field = self._meta.model._meta.get_field(field.attribute)
            if isinstance(field.widget, (RegionWidget, CompanyWidget)) or not _plain_render(
                field.widget
            ):
                kinds.append("text")
            elif isinstance(model_field, django_models.BooleanField):
                kinds.append("bool")
            elif isinstance(model_field, (django_models.CharField, django_models.TextField)):
                kinds.append("text")
            else:
                kinds.append("plain")
        return kinds

    def before_import(self, dataset, **kwargs):
        super().before_import(dataset, **kwargs)
        self._seen = set()
        self._city_names = {}  # city pk: {name key: (name, slug, is public)} of its estates
        self._new_values = set()  # estates given new metric values by this import
        self._prepared = 0  # rows of the dataset whose batch is prepared
        self._by_slug = {}  # slug: estate, of the slugs the prepared rows give
        self._new_slugs = set()  # slugs rows gave for new estates
        self._slugs = batches.Slugs()
        self._waiting = {}  # row number: its result, of the new estates not yet inserted
        self.fields["property_company"].widget.known = {}

    def prepare_batch(self, row_number):
        """Before the first row of each batch of BATCH_ROWS rows: what its rows look up, in
        one query per look-up for the batch: the estates their 网址标识 name, the names already
        in their cities, the slugs their names would have, their companies."""
        if not row_number or row_number <= self._prepared:
            return
        dataset = self.layout.dataset
        start = row_number - 1
        rows = [
            dict(zip(dataset.headers, values, strict=False))
            for values in dataset[start : start + batches.BATCH_ROWS]
        ]
        self._prepared = start + len(rows)
        # A row with a NUL in a cell is refused on its own (before_import_row); PostgreSQL
        # cannot even be asked about its values.
        rows = [
            row
            for row in rows
            if not any(isinstance(value, str) and "\x00" in value for value in row.values())
        ]
        given = {cells.normalize(row.get("网址标识")) for row in rows} - {""}
        given -= set(self._by_slug)
        if given:
            # With their latest metric values, so the preview shows what a column changes
            # (and an unchanged value is seen as unchanged).
            found = self.with_latest(self.importable_estates()).filter(slug__in=given)
            self._by_slug |= {estate.slug: estate for estate in found}
        new = [row for row in rows if cells.is_blank(row.get("网址标识"))]
        self._read_city_names(new)
        names = []
        for row in new:
            try:
                names.append(self.fields["name"].clean(row))
            except (KeyError, ValueError, ValidationError):
                continue  # the 小区名称 column reports it
        self._slugs.prepare([name for name in names if name])
        if "物业服务企业" in dataset.headers:
            self.fields["property_company"].widget.prepare(row.get("物业服务企业") for row in rows)

    def _read_city_names(self, rows):
        """The names of the estates in these rows' cities, one query for the cities not yet
        read."""
        cities = set()
        for row in rows:
            try:
                city = self.fields["city"].clean(row)
            except (KeyError, ValueError, ValidationError):
                continue  # the 城市 column reports its own problem
            if city.pk not in self._city_names:
                cities.add(city.pk)
        if not cities:
            return
        for pk in cities:
            self._city_names[pk] = {}
        names = self.importable_estates().filter(city__in=cities)
        for city, name, slug, published in names.values_list(
            "city_id", "name", "slug", "is_published"
        ):
            self._city_names[city][name_key(name)] = (name, slug, published)

    def get_instance(self, instance_loader, row):
        slug = cells.normalize(row.get("网址标识"))
        if not slug:
            return None  # a new estate: the slug is made from the name
        if slug in self._new_slugs:
            raise ValidationError({"网址标识": f"文件中网址标识“{slug}”出现了不止一次"})
        if slug not in self._by_slug and self._prepared == 0:
            # Rows imported without a batch (a single row): looked up alone.
            found = self.with_latest(self.importable_estates()).filter(slug=slug).first()
            if found is not None:
                self._by_slug[slug] = found
        estate = self._by_slug.get(slug)
        if estate is None and self.import_province_id() is not None:
            # Provincial staff do not choose addresses (their form has no such field): a slug
            # they give names one of their estates, or nothing.
            raise ValidationError(
                {"网址标识": f"没有网址标识为“{slug}”的小区；新增小区请不要填写网址标识"}
            )
        if estate is None:
            self._new_slugs.add(slug)
            self._slugs.reserve(slug)
        return estate

    def before_import_row(self, row, **kwargs):
        super().before_import_row(row, **kwargs)
        self.prepare_batch(kwargs.get("row_number"))
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
        existing = self._names_in(row).get(key[0]) if new else None
        if existing:
            name, slug, published = existing
            found = f"{city}已有名为“{name}”的小区（网址标识 {slug}）。"
            if published and self.import_province_id() is not None:
                # It cannot be updated by a province's import either: say so now.
                how = "它已在公开网站展示，修改需经审核：请在小区页面中修改，不要重复导入"
            else:
                how = (
                    f"如要更新它，请在这一行的“网址标识”列填写 {slug}；"
                    "如确是另一个小区，请在名称中加以区分"
                )
            raise ValidationError({"小区名称": found + how})

    def _names_in(self, row):
        """{name key: (name, slug, is public)} of the estates in the row's city (as the 城市
        column finds it: 济南 is 济南市), among those this importer may name; each city read
        once."""
        try:
            city = self.fields["city"].clean(row)
        except (ValueError, ValidationError):
            return {}  # the 城市 column reports its own problem
        if city.pk not in self._city_names:  # a row read without its batch
            names = self.importable_estates().filter(city=city)
            self._city_names[city.pk] = {
                name_key(name): (name, slug, published)
                for name, slug, published in names.values_list("name", "slug", "is_published")
            }
        return self._city_names[city.pk]

    def estate_of(self, instance):
        return instance if instance.pk else None

    def changed_fields(self, instance, original):
        # A metric column changes the estate when it adds or corrects a value
        # (after_save_instance); its 数据截至日期 only together with it.
        changed = [
            field
            for field in super().changed_fields(instance, original)
            if not field.attribute.startswith("latest_")
        ]
        return changed + [self.fields[f"metric_{kind.code}"] for kind in self.new_values(instance)]

    def check_scope(self, instance, row):
        self.check_province(instance.province, row)
        existing = instance.pk and models.Estate.objects.filter(pk=instance.pk).first()
        if existing and self.import_province_id() is not None:
            # A province's own row, but it may not move to another province.
            self.check_province(existing.province, row)

    def import_instance(self, instance, row, **kwargs):
        # Without its 数据截至日期 column, a metric column's value is of no date given (the
        # estate's latest date, read for the preview, is not the new value's).
        for kind in self.metric_types:
            if metric_date_column(kind) not in row:
                setattr(instance, f"latest_{kind.code}_date", None)
                setattr(instance, f"latest_{kind.code}_precision", None)
        super().import_instance(instance, row, **kwargs)

    def validate_instance(self, instance, import_validation_errors=None, **kwargs):
        """A changed estate is validated as Django validates it. A new one is too, but for
        what its batch asks at once: its slug is made unique among the estates (Slugs) and
        its check constraints are asked when its batch is inserted (bulk_create); and the
        province, city and company this import read from the database are not asked for
        again."""
        if instance.pk is not None:
            return super().validate_instance(instance, import_validation_errors, **kwargs)
        errors = self.limit_errors(instance, import_validation_errors)
        exclude = set(errors)
        for name in ("province", "city", "property_company"):
            field = instance._meta.get_field(name)
            related = field.get_cached_value(instance, None)
            if related is not None and not related._state.adding:
                exclude.add(name)  # read (or added) by this import, in its transaction
        try:
            instance.clean_fields(exclude=exclude)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        try:
            instance.clean()
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    def save_instance(self, instance, is_create, row, **kwargs):
        """A new estate waits for its batch's insert (bulk_create below); a changed one is
        saved now, with its signals, its values and its history, undone alone if it fails."""
        instance.created_by_import = is_create
        self.before_save_instance(instance, row, **kwargs)
        if is_create:
            if not instance.slug:
                instance.slug = self._slugs.slug_for(instance)
            instance.import_row_number = kwargs.get("row_number")
            instance.import_row = row
            self._waiting[instance.import_row_number] = None
            self.create_instances.append(instance)
            return
        with transaction.atomic():
            self.do_instance_save(instance, is_create)
            self.after_save_instance(instance, row, **kwargs)

    def import_row(self, row, instance_loader, **kwargs):
        row_result = super().import_row(row, instance_loader, **kwargs)
        number = kwargs.get("row_number")
        if number in self._waiting:
            self._waiting[number] = row_result
        return row_result

    def bulk_create(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
        """Insert the batch's new estates: their check constraints asked in one query (a row
        that breaks one is refused as full_clean() would refuse it), the fields Estate.save()
        keeps filled in, estates and history records and metric values inserted together."""
        estates, self.create_instances = self.create_instances, []
        if not estates:
            return
        try:
            refused = batches.constraint_errors(estates, models.Estate)
            for index, error in refused.items():
                self._refuse(estates[index], error, result)
            estates = [estate for index, estate in enumerate(estates) if index not in refused]
            for estate in estates:
                batches.fill_kept_fields(estate)
            bulk_create_with_history(estates, models.Estate, batch_size=batches.BATCH_ROWS)
            metrics = []
            for estate in estates:
                metrics += self.add_values(estate, is_create=True)
                row_result = self._waiting.pop(estate.import_row_number, None)
                if row_result is not None:
                    row_result.object_id = estate.pk
            if metrics:
                bulk_create_with_history(metrics, models.Metric, batch_size=batches.BATCH_ROWS)
        except Exception as error:  # as import-export's own bulk_create: the import fails
            self.handle_import_error(result, error, raise_errors)

    def _refuse(self, instance, error, result):
        """A row found wrong only when its batch was inserted: counted and reported as the
        rows refused when they were read."""
        number = instance.import_row_number
        row_result = self._waiting.pop(number, None)
        if row_result is None:
            return
        if any(counted is row_result for counted in result.rows):
            result.totals[row_result.import_type] -= 1
            result.totals[RowResult.IMPORT_TYPE_INVALID] += 1
            result.append_invalid_row(number, instance.import_row, error)
        # (Otherwise it is the row just read, which import-export counts next.)
        row_result.import_type = RowResult.IMPORT_TYPE_INVALID
        row_result.validation_error = error

    def new_values(self, instance, is_create=False):
        """{metric type: (value, date, precision)} of the metric columns that differ from the
        estate's latest value. An empty cell leaves the latest as it is. A value without its
        数据截至日期 is, for an estate that has values, of the day of the import (and new only
        when it differs from the latest); for a new estate, undated."""
        given = {}
        for kind in self.metric_types:
            value = getattr(instance, f"latest_{kind.code}", None)
            if value is not None:
                day = getattr(instance, f"latest_{kind.code}_date", None)
                precision = getattr(instance, f"latest_{kind.code}_precision", None)
                given[kind] = (value, day, precision)
        if not given:
            return {}
        latest = {}
        if not is_create:  # a new estate has no values yet
            rows = models.Metric.objects.filter(estate=instance, is_latest=True)
            latest = {
                kind: (value, day, precision)
                for kind, value, day, precision in rows.values_list(
                    "metric_type_id", "value", "date", "date_precision"
                )
            }
        today = timezone.localdate()
        new = {}
        for kind, (value, day, precision) in given.items():
            before_value, before_day, before_precision = latest.get(kind.pk, (None, None, None))
            if day is None and (is_create or instance.pk is None):
                # A new estate's value of unknown date stays undated (unknown, not made up).
                new[kind] = (value, None, DatePrecision.DAY)
            elif day is None:
                if value != before_value:
                    new[kind] = (value, today, DatePrecision.DAY)
            elif cells.show_period(day, precision) == cells.show_period(
                before_day, before_precision
            ):
                # The latest value's own period (2021年 is the value of 2021-12-31 kept with
                # the precision of a year): a different value corrects it.
                if value != before_value:
                    new[kind] = (value, before_day, before_precision)
            else:
                new[kind] = (value, day, precision)
        return new

    def after_save_instance(self, instance, row, **kwargs):
        added = self.add_values(instance, is_create=instance.created_by_import)
        if added:
            bulk_create_with_history(added, models.Metric)

    def add_values(self, instance, is_create=False):
        """A metric column that differs from the estate's latest value adds a value of its
        数据截至日期 (of the import's day when none is given: so dated, it is the latest, as the
        clerk who typed it means), or corrects the value the estate already has of that date.
        Returns the values to add (the corrections are saved here)."""
        given = self.new_values(instance, is_create=is_create)
        if not given:
            return []
        dated = {}
        if not is_create:  # a new estate has no values yet
            dated = {
                (metric.metric_type_id, metric.date): metric
                for metric in models.Metric.objects.filter(
                    estate=instance,
                    sequence=0,
                    metric_type__in=list(given),
                    date__in=[day for _value, day, _precision in given.values() if day],
                )
            }
        added = []
        for kind, (value, day, precision) in given.items():
            metric = dated.get((kind.pk, day))
            if metric is None:
                added.append(
                    models.Metric(
                        estate=instance,
                        metric_type=kind,
                        value=value,
                        is_percentage=kind.is_percentage,
                        source_note="表格导入",
                        date=day,
                        date_precision=precision,
                    )
                )
                continue
            metric.value, metric.date_precision = value, precision
            metric.full_clean()
            metric.save()
        self._new_values.add(instance.pk)
        return added

    def after_import(self, dataset, result, **kwargs):
        super().after_import(dataset, result, **kwargs)
        # bulk_create sends no signals: which values are the latest is worked out here, once
        # for the whole file, in its transaction (the preview's too, which is rolled back).
        estates = sorted(self._new_values)
        for start in range(0, len(estates), 2000):
            refresh_latest_metrics(estates[start : start + 2000])


def _name_or_blank(name):
    return name or ""


def _plain_render(widget):
    """Whether the widget writes a value as it is (numbers stay numbers, text stays text)."""
    return type(widget) is ParsingWidget and widget.render_value is None


class EstateWidget(LookupWidget):
    """The estate of a row: by its 网址标识, or, when that cell is empty, by its 小区名称 among
    the estates this importer may name (refused when two have that name)."""

    def __init__(self):
        super().__init__(models.Estate, "slug", "小区网址标识")
        self.names = None

    def clean(self, value, row=None, **kwargs):
        if not cells.is_blank(value):
            return super().clean(value, row, **kwargs)
        name = cells.normalize((row or {}).get("小区名称"))
        if not name:
            raise CellError("请填写小区网址标识，或在“小区名称”列填写小区名称")
        if self.names is None:  # read once per import
            self.names = {}
            for pk, each in self.scope.values_list("pk", "name"):
                self.names.setdefault(name_key(each), []).append(pk)
        pks = self.names.get(name_key(name), [])
        found = list(self.scope.filter(pk__in=pks).select_related("city")) if pks else []
        if not found:
            raise CellError(f"没有名为“{name}”的小区；请核对名称，或填写小区网址标识")
        if len(found) > 1:
            places = "、".join(f"{e.city}（{e.slug}）" for e in found)
            raise CellError(f"名为“{name}”的小区不止一个：{places}；请填写小区网址标识")
        return found[0]


class EstateRowResource(ScopedResource):
    """Rows that belong to an estate, which the file names by its 网址标识."""

    estate = fields.Field("estate", "小区网址标识", widget=EstateWidget())
    estate_name = fields.Field("estate__name", "小区名称", readonly=True)

    # A clerk who has no 网址标识 names the estate by its name.
    OPTIONAL_KEY_COLUMNS = ("小区网址标识",)

    def required_columns(self):
        return [*super().required_columns(), ("小区网址标识", "小区名称")]

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
            # Every other column's problem too, so the clerk sees all of the row's at once.
            for field in self.get_import_fields():
                if field.readonly or field.column_name in problems or field.column_name not in row:
                    continue
                try:
                    field.clean(row)
                except ValueError as error:
                    problems[field.column_name] = str(error)
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


class MetricTypeWidget(ParsingWidget):
    """A metric type by its code (satisfaction) or its name (业主满意度); an unknown one is
    refused with the list of codes there are."""

    def __init__(self):
        super().__init__(self.find, render=lambda kind: kind.code if kind else "")
        self.kinds = None

    def by_text(self):
        if self.kinds is None:
            self.kinds = {}
            for kind in models.MetricType.objects.all():
                self.kinds[kind.code.lower()] = self.kinds[cells.normalize(kind.name)] = kind
        return self.kinds

    def find(self, value):
        text = cells.normalize(value)
        if not text:
            raise CellError("请填写指标代码")
        kinds = self.by_text()
        kind = kinds.get(str(text).lower())
        if kind is None:  # 满意度 for 业主满意度, 收缴率 for 物业费收缴率: a unique ending
            endings = {k for name, k in kinds.items() if len(text) >= 2 and name.endswith(text)}
            kind = endings.pop() if len(endings) == 1 else None
        if kind is None:
            names = "、".join(
                f"{kind.name}（{kind.code}）"
                for kind in sorted(set(kinds.values()), key=lambda k: k.display_order)
            )
            raise CellError(f"没有“{value}”这个指标；可填写指标名称或代码：{names}")
        return kind


class MetricValueWidget(ParsingWidget):
    """数值 as its row's metric type takes it: "96.5%" or 96.5 for a percentage, a number for
    others, within the type's plausible range (see MetricWidget)."""

    def __init__(self, types):
        super().__init__(cells.parse_decimal, render=as_stored)
        self.types = types
        self.by_kind = {}

    def clean(self, value, row=None, **kwargs):
        try:
            kind = self.types.find((row or {}).get("指标代码"))
        except CellError:
            kind = None  # the 指标代码 column reports it
        if kind is None:
            return cells.parse_percent(value) if "%" in str(value or "") else self.parse(value)
        if kind not in self.by_kind:
            self.by_kind[kind] = MetricWidget(kind)
        return self.by_kind[kind].clean(value)


class PeriodField(fields.Field):
    """日期 as the sheet gives it: a day, or 2025年12月 / 2025年, whose precision goes to
    date_precision when the 日期精度 cell does not say it."""

    def __init__(self, attribute, column_name):
        super().__init__(
            attribute,
            column_name,
            widget=ParsingWidget(lambda value: (cells.parse_period(value) or (None,))[0]),
        )

    def save(self, instance, row, is_m2m=False, **kwargs):
        super().save(instance, row, is_m2m, **kwargs)
        period = cells.parse_period(row.get(self.column_name))
        if period and cells.is_blank(row.get("日期精度")):
            instance.date_precision = period[1]


class MetricResource(EstateRowResource):
    metric_type = fields.Field("metric_type", "指标代码", widget=MetricTypeWidget())
    value = fields.Field("value", "数值", widget=ParsingWidget(cells.parse_decimal))
    date = PeriodField("date", "日期")
    date_precision = fields.Field(
        "date_precision", "日期精度", widget=choice_widget(DatePrecision.choices, "日期精度")
    )
    period_label = fields.Field("period_label", "时间说明", widget=TEXT)
    sequence = fields.Field(
        "sequence", "先后次序", widget=ParsingWidget(lambda value: cells.parse_count(value) or 0)
    )
    source_note = fields.Field("source_note", "数据说明", widget=TEXT)

    COLUMN_ALIASES = {
        "指标代码": ["指标", "指标名称", "代码"],
        "数值": ["值", "指标值", "数据"],
        "先后次序": ["次序", "顺序"],
        "小区网址标识": ["网址标识"],
    }
    # Most values have a date and are one of their day: the order only tells apart a
    # before/after pair without dates.
    OPTIONAL_KEY_COLUMNS = ("小区网址标识", "先后次序")

    def __init__(self, user=None, **kwargs):
        super().__init__(user=user, **kwargs)
        self.fields["value"].widget = MetricValueWidget(self.fields["metric_type"].widget)

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
    description = fields.Field("description", "做法", widget=LONG_TEXT)
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
    description = fields.Field("description", "内容", widget=LONG_TEXT)
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
