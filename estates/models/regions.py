from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


def localized(chinese, english):
    """Reference data carries an English name; pages in English show it when there is one."""
    language = get_language() or ""
    return english if english and language.startswith("en") else chinese


class ProvinceManager(models.Manager):
    def get_by_natural_key(self, code):
        return self.get(code=code)


class Province(models.Model):
    """A provincial-level division (省级行政区), identified by its GB/T 2260 code."""

    code = models.CharField(
        _("行政区划代码"),
        max_length=6,
        unique=True,
        help_text=_("GB/T 2260 六位代码，如北京市为 110000。"),
    )
    name = models.CharField(_("名称"), max_length=30, unique=True, help_text=_("如：北京市"))
    short_name = models.CharField(_("简称"), max_length=10, help_text=_("如：北京"))
    name_en = models.CharField(_("英文名称"), max_length=50, blank=True, help_text=_("如：Beijing"))
    slug = models.SlugField(_("拼音标识"), max_length=40, unique=True)
    display_order = models.PositiveSmallIntegerField(
        _("排列顺序"), unique=True, help_text=_("按国家公布的省份顺序排列。")
    )

    objects = ProvinceManager()

    class Meta:
        verbose_name = _("省份")
        verbose_name_plural = _("省份")
        ordering = ["display_order"]

    def __str__(self):
        return self.name

    def natural_key(self):
        return (self.code,)

    def display_name(self):
        """The name in the active language: 北京市, or Beijing on English pages."""
        return localized(self.name, self.name_en)

    def display_short_name(self):
        return localized(self.short_name, self.name_en)


class CityManager(models.Manager):
    def get_by_natural_key(self, province_code, slug):
        return self.get(province__code=province_code, slug=slug)


class City(models.Model):
    """A prefecture-level division (地级市, 地区, 自治州, 盟), as the national list names it
    (fixtures/regions.json, made by `manage.py build_regions_fixture`). For a municipality
    such as 北京市 the city is the municipality; a county-level city or county that its
    province governs directly (济源市, 仙桃市, 琼海市) is a city of its own, as it has no
    prefecture above it."""

    province = models.ForeignKey(
        Province, on_delete=models.PROTECT, related_name="cities", verbose_name=_("省份")
    )
    code = models.CharField(
        _("行政区划代码"),
        max_length=6,
        unique=True,
        validators=[RegexValidator(r"^[0-9]{6}\Z", _("行政区划代码应为六位数字。"))],
        help_text=_(
            "GB/T 2260 六位代码，如临沂市为 371300；直辖市的代码即其本身的，如北京市为 110000。"
        ),
    )
    name = models.CharField(_("名称"), max_length=30, help_text=_("如：临沂市"))
    slug = models.SlugField(_("拼音标识"), max_length=40)

    objects = CityManager()

    class Meta:
        verbose_name = _("城市")
        verbose_name_plural = _("城市")
        ordering = ["province__display_order", "code"]  # the national list's order
        constraints = [
            models.UniqueConstraint(
                fields=["province", "slug"],
                name="city_unique_slug_per_province",
                violation_error_message=_("该省份已有相同拼音标识的城市。"),
            ),
            models.UniqueConstraint(
                fields=["province", "name"],
                name="city_unique_name_per_province",
                violation_error_message=_("该省份已有同名城市。"),
            ),
        ]

    def __str__(self):
        return self.name

    def natural_key(self):
        return (self.province.code, self.slug)

    natural_key.dependencies = ["estates.province"]
