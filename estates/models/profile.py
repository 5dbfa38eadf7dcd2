"""What an estate's profile shows: mechanisms, metrics, key figures, activities, honors, photos."""

import contextlib
import datetime
import errno
import uuid

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.utils import dateformat
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext
from simple_history.models import HistoricalRecords

from ..enums import ActivityCategory, Approximation, DatePrecision, HonorLevel, choice_label
from ..images import STORAGE_FAILED_MESSAGE, STORAGE_FULL_MESSAGE
from ..numbers import plain_number
from ..validators import validate_not_future_date, validate_not_future_year
from .checks import CheckedModel
from .constraints import date_not_in_future, not_negative, year_not_in_future
from .estates import Estate
from .regions import localized


class ApproximateDate(CheckedModel):
    """A date of which the source may give only the year or the month."""

    date = models.DateField(
        _("日期"),
        null=True,
        blank=True,
        validators=[validate_not_future_date],
        help_text=_("只知道年份或月份时，填该年或该月的任一日，并在“日期精度”中注明。"),
    )
    date_precision = models.CharField(
        _("日期精度"), max_length=5, choices=DatePrecision.choices, default=DatePrecision.DAY
    )
    period_label = models.CharField(
        _("时间说明"),
        max_length=50,
        blank=True,
        help_text=_("没有确切日期时的说明，如“制度实施前”“每年4—11月”。"),
    )

    class Meta:
        abstract = True

    def date_display(self):
        """The date as precisely as the source gave it, else the period label, else ""."""
        if self.date is None:
            return self.period_label
        formats = {
            DatePrecision.YEAR: pgettext("year only", "Y年"),
            DatePrecision.MONTH: pgettext("year and month", "Y年n月"),
            DatePrecision.DAY: pgettext("full date", "Y年n月j日"),
        }
        return dateformat.format(self.date, formats[self.date_precision])


class MechanismTypeManager(models.Manager):
    def get_by_natural_key(self, slug):
        return self.get(slug=slug)


class MechanismType(models.Model):
    """A kind of governance practice (治理机制类别): 党建引领, 诉求联办, 开放日 …"""

    name = models.CharField(_("名称"), max_length=50, unique=True)
    name_en = models.CharField(_("英文名称"), max_length=80, blank=True)
    slug = models.SlugField(_("拼音标识"), max_length=80, unique=True)
    description = models.TextField(_("说明"), blank=True)
    description_en = models.TextField(_("英文说明"), blank=True)
    display_order = models.PositiveSmallIntegerField(_("排列顺序"), default=0)

    objects = MechanismTypeManager()

    class Meta:
        verbose_name = _("治理机制类别")
        verbose_name_plural = _("治理机制类别")
        ordering = ["display_order", "name"]

    def __str__(self):
        return self.name

    def natural_key(self):
        return (self.slug,)

    def display_name(self):
        return localized(self.name, self.name_en)

    def display_description(self):
        return localized(self.description, self.description_en)


class Mechanism(models.Model):
    """One estate's governance practice, e.g. "1+5 诉求联办机制" or "红黄绿三色工作法"."""

    estate = models.ForeignKey(
        Estate, on_delete=models.CASCADE, related_name="mechanisms", verbose_name=_("小区")
    )
    mechanism_type = models.ForeignKey(
        MechanismType,
        on_delete=models.PROTECT,
        related_name="mechanisms",
        verbose_name=_("机制类别"),
    )
    title = models.CharField(_("名称"), max_length=100)
    description = models.TextField(_("做法"), blank=True)
    title_en = models.CharField(
        _("英文名称"),
        max_length=150,
        blank=True,
        help_text=_("留空时英文页面显示中文名称并标注“中文原文”。"),
    )
    description_en = models.TextField(
        _("英文做法"),
        blank=True,
        help_text=_("做法的英文译文或概要；留空时英文页面显示中文并标注“中文原文”。"),
    )
    display_order = models.PositiveSmallIntegerField(_("排列顺序"), default=0)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("治理机制")
        verbose_name_plural = _("治理机制")
        ordering = ["estate", "display_order", "pk"]
        indexes = [
            # A mechanism page's estates and the statistics' count per kind: the estates
            # using a kind, from the index alone (the rows are wide: a kind's estates were
            # read from thousands of pages of the table).
            models.Index(fields=["mechanism_type", "estate"], name="mechanism_kind_estate"),
        ]

    def __str__(self):
        return self.title

    def display_title(self):
        return localized(self.title, self.title_en)

    def display_description(self):
        return localized(self.description, self.description_en)


class MetricTypeManager(models.Manager):
    def get_by_natural_key(self, code):
        return self.get(code=code)


class MetricType(models.Model):
    """A measured indicator (指标): satisfaction, fee collection rate, complaint rate …"""

    code = models.SlugField(
        _("代码"),
        max_length=40,
        unique=True,
        help_text=_("开放数据中使用的英文代码，如 satisfaction。"),
    )
    name = models.CharField(_("名称"), max_length=50, unique=True)
    name_en = models.CharField(_("英文名称"), max_length=80, blank=True)
    unit = models.CharField(_("单位"), max_length=10, help_text=_("如 %、分钟"))
    unit_en = models.CharField(_("英文单位"), max_length=20, blank=True, help_text=_("如 min"))
    is_percentage = models.BooleanField(
        _("百分比指标"), default=True, help_text=_("百分比指标的数值必须在 0 到 100 之间。")
    )
    higher_is_better = models.BooleanField(_("数值越高越好"), default=True)
    description = models.TextField(_("说明"), blank=True)
    description_en = models.TextField(_("英文说明"), blank=True)
    display_order = models.PositiveSmallIntegerField(_("排列顺序"), default=0)
    plausible_min = models.DecimalField(
        _("合理范围下限"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("低于此值的导入数值需填报人核对改正（如满意度 0.965 多半是 96.5%）。"),
    )
    plausible_max = models.DecimalField(
        _("合理范围上限"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("高于此值的导入数值需填报人核对改正。"),
    )

    objects = MetricTypeManager()

    class Meta:
        verbose_name = _("指标")
        verbose_name_plural = _("指标")
        ordering = ["display_order", "code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(plausible_min__isnull=True)
                | models.Q(plausible_max__isnull=True)
                | models.Q(plausible_min__lte=models.F("plausible_max")),
                name="metric_type_plausible_range_in_order",
                violation_error_message=_("合理范围的下限不能大于上限。"),
            ),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        # Metrics copy the flag so the database can check their range; keep the copies true.
        self.metrics.exclude(is_percentage=self.is_percentage).update(
            is_percentage=self.is_percentage
        )

    def clean(self):
        super().clean()
        low, high = self.plausible_min, self.plausible_max
        if low is not None and high is not None and low > high:
            # Next to its field (the check constraint alone would name none).
            raise ValidationError({"plausible_max": _("合理范围的下限不能大于上限。")})

    def natural_key(self):
        return (self.code,)

    def display_name(self):
        return localized(self.name, self.name_en)

    def display_description(self):
        return localized(self.description, self.description_en)

    def display_unit(self):
        unit = localized(self.unit, self.unit_en)
        # "15 min" reads better with a space; "96.55%" does not take one.
        return unit if unit == "%" or unit == self.unit else f" {unit}"


class MetricQuerySet(models.QuerySet):
    def update(self, **kwargs):
        """Keep is_latest true when an update moves values in time or between estates, in
        the same transaction, and tell the page cache (an update sends no signals)."""
        from ..publication import announce_public_change, lock_estates, refresh_latest_metrics

        with transaction.atomic(using=self.db):
            if {"estate", "estate_id", "metric_type", "metric_type_id", "date", "sequence"} & set(
                kwargs
            ):
                rows = dict(self.values_list("pk", "estate_id"))
                updated = super().update(**kwargs)
                moved = self.model.objects.filter(pk__in=list(rows)).values_list(
                    "estate_id", flat=True
                )
                estates = set(rows.values()) | set(moved)
                lock_estates(estates)
                refresh_latest_metrics(estates)
            else:
                updated = super().update(**kwargs)
            if updated:
                announce_public_change()
        return updated


class Metric(ApproximateDate):
    """One value of one indicator for one estate; two at two dates are a before/after pair."""

    estate = models.ForeignKey(
        Estate, on_delete=models.CASCADE, related_name="metrics", verbose_name=_("小区")
    )
    metric_type = models.ForeignKey(
        MetricType, on_delete=models.PROTECT, related_name="metrics", verbose_name=_("指标")
    )
    value = models.DecimalField(_("数值"), max_digits=12, decimal_places=2)
    # Copied from the metric type on save: a check constraint cannot look across tables.
    is_percentage = models.BooleanField(_("百分比指标"), default=True, editable=False)
    sequence = models.PositiveSmallIntegerField(
        _("先后次序"),
        default=0,
        help_text=_("没有日期的前后对比（如“由4.38%降至1.17%”）按此排序：先 1 后 2。"),
    )
    source_note = models.CharField(
        _("数据说明"), max_length=200, blank=True, help_text=_("如“发放调查问卷200余份”。")
    )
    # Kept copy: this is its estate's latest value of its type (metric_order_key), so pages
    # and exports read latest values with an indexed filter instead of a subquery per estate
    # and type. Recomputed by estates.publication.refresh_latest_metrics on every change.
    is_latest = models.BooleanField(_("最新值"), default=False, editable=False)

    objects = MetricQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["is_latest"])

    class Meta:
        verbose_name = _("指标数据")
        verbose_name_plural = _("指标数据")
        ordering = ["estate", "metric_type__display_order", "date", "sequence", "pk"]
        indexes = [
            # latest_metric_value(): one estate's values of one type, newest first. Without
            # it SQLite walks every value of the type for each estate (quadratic exports).
            models.Index(
                fields=["estate", "metric_type", "date", "sequence"],
                name="metric_latest_lookup",
            ),
            # The stats page's figures over every published estate's latest values
            # (showcase.views.stats) and latest_metric_value(): only latest rows, by type.
            models.Index(
                fields=["metric_type", "estate"],
                include=["value"],
                condition=models.Q(is_latest=True),
                name="metric_latest_by_type",
            ),
        ]
        constraints = [
            not_negative("value", "metric_value_not_negative"),
            models.CheckConstraint(
                condition=models.Q(is_percentage=False) | models.Q(value__lte=100),
                name="metric_percentage_at_most_100",
                violation_error_code="percentage_range",
                violation_error_message=_("百分比必须在 0 到 100 之间。"),
            ),
            date_not_in_future("date", "metric_date_not_in_future"),
        ]

    def __str__(self):
        return f"{self.metric_type}：{self.value}{self.metric_type.unit}"

    def save(self, *args, **kwargs):
        self.is_percentage = self.metric_type.is_percentage
        super().save(*args, **kwargs)

    @classmethod
    def from_db(cls, db, field_names, values):
        metric = super().from_db(db, field_names, values)
        # A save that moves the value to another estate refreshes both estates' latest values.
        metric.loaded_estate_id = metric.__dict__.get("estate_id")
        return metric

    def clean(self):
        super().clean()
        if self.metric_type_id:
            # Constraint validation after clean() reads the copied flag.
            self.is_percentage = self.metric_type.is_percentage
        if (
            self.metric_type_id
            and self.metric_type.is_percentage
            and self.value is not None
            and not 0 <= self.value <= 100
        ):
            raise ValidationError({"value": _("百分比必须在 0 到 100 之间。")})


def metric_order_key(metric):
    """Time order of one type's values: undated ones (a before/after pair) by their sequence,
    before any dated ones; the last is the latest. LATEST_FIRST is the same order in SQL,
    reversed; Metric.is_latest is kept from it (estates/publication.py) and is what every
    query asking for "the latest value" reads."""
    return (metric.date is not None, metric.date or datetime.date.min, metric.sequence, metric.pk)


LATEST_FIRST = (models.F("date").desc(nulls_last=True), "-sequence", "-pk")


def latest_metric_value(estate_path="pk", field="value", **metric_type):
    """Subquery: the latest value of one metric type for the estate of the outer query
    (reached from the outer row by `estate_path`).

    "Latest" is the latest date; undated values (a before/after pair) come before dated ones
    and among themselves follow their sequence, as on the profile page: the kept
    Metric.is_latest flag. `field` picks another column of that value (its date, …).
    """
    return models.Subquery(
        Metric.objects.filter(
            estate=models.OuterRef(estate_path),
            is_latest=True,
            **{f"metric_type__{key}": value for key, value in metric_type.items()},
        )
        .order_by()  # one row at most: the default ordering would only add joins
        .values(field)[:1]
    )


class KeyFigure(CheckedModel):
    """A counted result (成效数据): "监控摄像 739 台", "新增电动车棚 5 个"."""

    estate = models.ForeignKey(
        Estate, on_delete=models.CASCADE, related_name="key_figures", verbose_name=_("小区")
    )
    label = models.CharField(_("名称"), max_length=100, help_text=_("如“监控摄像”"))
    quantity = models.DecimalField(_("数量"), max_digits=14, decimal_places=2)
    approximation = models.CharField(
        _("约数"),
        max_length=10,
        choices=Approximation.choices,
        default=Approximation.EXACT,
        blank=True,
        help_text=_("来源写作“约1000”选“约”，“10余次”选“余”，“2000多名”选“多”。"),
    )
    unit = models.CharField(_("单位"), max_length=10, help_text=_("如“台”“个”“平方米”"))
    year = models.PositiveSmallIntegerField(
        _("年份"), null=True, blank=True, validators=[validate_not_future_year]
    )
    note = models.CharField(_("说明"), max_length=200, blank=True)
    display_order = models.PositiveSmallIntegerField(_("排列顺序"), default=0)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("成效数据")
        verbose_name_plural = _("成效数据")
        ordering = ["estate", "display_order", "pk"]
        constraints = [
            not_negative("quantity", "key_figure_quantity_not_negative"),
            year_not_in_future("year", "key_figure_year_not_in_future"),
        ]

    def __str__(self):
        return f"{self.label} {plain_number(self.quantity)}{self.unit}"


class Activity(ApproximateDate):
    """Something the estate organised: a festival, a volunteer service, a residents' meeting."""

    estate = models.ForeignKey(
        Estate, on_delete=models.CASCADE, related_name="activities", verbose_name=_("小区")
    )
    title = models.CharField(_("活动名称"), max_length=100)
    category = models.CharField(_("类别"), max_length=20, choices=ActivityCategory.choices)
    description = models.TextField(_("内容"), blank=True)
    participants = models.PositiveIntegerField(_("参与人数"), null=True, blank=True)
    requirement = models.ForeignKey(
        "estates.ActivityRequirement",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="activities",
        verbose_name=_("对应的规定活动"),
        help_text=_("该活动落实了哪一项 8个“一” 活动（可不填）。"),
    )
    display_order = models.PositiveSmallIntegerField(_("排列顺序"), default=0)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("活动")
        verbose_name_plural = _("活动")
        ordering = ["estate", "display_order", "pk"]
        constraints = [
            not_negative("participants", "activity_participants_not_negative"),
            date_not_in_future("date", "activity_date_not_in_future"),
        ]

    def __str__(self):
        return self.title

    def get_category_display(self):
        return choice_label(ActivityCategory, self.category)


class Honor(CheckedModel):
    """An honor the estate or its property service received."""

    estate = models.ForeignKey(
        Estate, on_delete=models.CASCADE, related_name="honors", verbose_name=_("小区")
    )
    title = models.CharField(_("荣誉名称"), max_length=100)
    level = models.CharField(_("级别"), max_length=20, choices=HonorLevel.choices)
    year = models.PositiveSmallIntegerField(
        _("年份"), null=True, blank=True, validators=[validate_not_future_year]
    )
    issuer = models.CharField(_("授予单位"), max_length=100, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("荣誉")
        verbose_name_plural = _("荣誉")
        ordering = ["estate", "-year", "pk"]
        constraints = [year_not_in_future("year", "honor_year_not_in_future")]

    def __str__(self):
        return self.title

    def get_level_display(self):
        return choice_label(HonorLevel, self.level)


def photo_upload_to(instance, filename):
    # Files are named by the upload process (a random stem), never by the sender's filename.
    return f"photos/{instance.estate.slug}/{filename}"


class Photo(models.Model):
    estate = models.ForeignKey(
        Estate, on_delete=models.CASCADE, related_name="photos", verbose_name=_("小区")
    )
    # Dimensions are recorded when an upload is processed, not read back from the file
    # each time a photo is loaded (ImageField's width_field would open every file).
    image = models.ImageField(
        _("图片"),
        upload_to=photo_upload_to,
        help_text=_("JPEG、PNG 或 WebP，不超过 15 MB。上传后自动转正方向、去除定位等信息。"),
    )
    image_medium = models.ImageField(
        _("中图"), upload_to=photo_upload_to, blank=True, editable=False
    )
    image_thumb = models.ImageField(
        _("缩略图"), upload_to=photo_upload_to, blank=True, editable=False
    )
    width = models.PositiveIntegerField(_("宽度（像素）"), null=True, editable=False)
    height = models.PositiveIntegerField(_("高度（像素）"), null=True, editable=False)
    caption = models.CharField(
        _("图片说明"), max_length=200, help_text=_("说明照片内容，也供读屏软件朗读。")
    )
    display_order = models.PositiveSmallIntegerField(_("排列顺序"), default=0)
    is_cover = models.BooleanField(_("封面"), default=False)
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("照片")
        verbose_name_plural = _("照片")
        ordering = ["estate", "display_order", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["estate"],
                condition=models.Q(is_cover=True),
                name="photo_one_cover_per_estate",
                violation_error_message=_("每个小区只能有一张封面照片。"),
            ),
        ]

    def __str__(self):
        return self.caption

    def store(self, clean):
        """Keep a cleaned upload (estates.images.clean_photo) and its renditions: all of them
        or none. When storage fails (a full disk above all), every file this call wrote, the
        cut-off one included, is removed, the photo keeps its former files, and a
        ValidationError says why (its cause is the OSError)."""
        stem = uuid.uuid4().hex
        renditions = [
            (self.image, f"{stem}.jpg", clean.files["full"]),
            (self.image_medium, f"{stem}-medium.jpg", clean.files["medium"]),
            (self.image_thumb, f"{stem}-thumb.jpg", clean.files["thumb"]),
        ]
        former = [file.name for file, _name, _content in renditions]
        written = []
        try:
            for file, name, content in renditions:
                target = file.field.generate_filename(self, name)
                if not file.storage.exists(target):
                    # Listed before writing: a write cut short leaves a file under this name.
                    written.append(target)
                file.save(name, content, save=False)
                written.append(file.name)
        except OSError as error:
            for name in dict.fromkeys(written):
                # A delete that fails too changes nothing: the upload is refused all the same.
                with contextlib.suppress(OSError):
                    self.image.storage.delete(name)
            for (file, _name, _content), name in zip(renditions, former, strict=True):
                file.name = name
            full = error.errno in (errno.ENOSPC, errno.EDQUOT)
            raise ValidationError(
                STORAGE_FULL_MESSAGE if full else STORAGE_FAILED_MESSAGE,
                code="storage_full" if full else "storage_failed",
            ) from error
        self.width, self.height = clean.width, clean.height

    @property
    def file_names(self):
        return [file.name for file in (self.image, self.image_medium, self.image_thumb) if file]

    @property
    def medium_url(self):
        return (self.image_medium or self.image).url

    @property
    def thumb_url(self):
        return (self.image_thumb or self.image_medium or self.image).url


def discard_photo_files(names):
    """Delete stored photo files that no photo row refers to (any longer, or ever: an upload
    written while its form was checked, in a request that then saved nothing)."""
    names = set(names)
    if not names:
        return
    referring = models.Q(image__in=names) | models.Q(image_medium__in=names)
    referring |= models.Q(image_thumb__in=names)
    kept = set()
    for row in Photo.objects.filter(referring).values_list("image", "image_medium", "image_thumb"):
        kept.update(row)
    storage = Photo._meta.get_field("image").storage
    for name in sorted(names - kept):
        storage.delete(name)


@receiver(post_delete, sender=Photo)
def delete_photo_files(sender, instance, using, **kwargs):
    # A deleted photo takes its files with it, once the deletion is committed: a rolled-back
    # delete keeps them. Also sent for each photo of a deleted estate and by queryset deletes.
    names = instance.file_names
    if names:
        transaction.on_commit(lambda: discard_photo_files(names), using=using, robust=True)
