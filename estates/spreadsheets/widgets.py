"""How one cell is read and written: parsed with estates.spreadsheets.cells (numbers stay numbers
in XLSX), regions and companies by name, other rows by their slug or code."""

from import_export import widgets

from .. import models
from . import cells
from .cells import CellError


class ParsingWidget(widgets.Widget):
    """Reads a cell with one of estates.spreadsheets.cells' parsers; writes the value as is,
    so numbers stay numbers in XLSX."""

    def __init__(self, parse=None, render=None):
        super().__init__()
        self.parse = parse or cells.text
        self.render_value = render

    def clean(self, value, row=None, **kwargs):
        return self.parse(value)

    def render(self, value, obj=None, **kwargs):
        if self.render_value is not None:
            return self.render_value(value)
        return value


TEXT = ParsingWidget()


def choice_widget(choices, what):
    by_label = {str(label): code for code, label in choices}
    codes = {code for code, _label in choices}

    def parse(value):
        text = cells.normalize(value)
        if text in ("", None):
            return ""
        if text in codes:
            return text
        if text in by_label:
            return by_label[text]
        allowed = "、".join(by_label)
        raise CellError(f"{what}应为以下之一：{allowed}；而不是“{value}”")

    labels = {code: str(label) for code, label in choices}
    return ParsingWidget(parse, lambda code: labels.get(code, ""))


class RegionWidget(widgets.Widget):
    """A region named in a cell. Each name is looked up once per import (its resource holds
    its own widgets): a file of thousands of rows names a few dozen regions, and no import
    adds one. A name not found is asked again, so its error is the row's own."""

    def __init__(self):
        super().__init__()
        self.found = {}

    def province(self, text):
        if text not in self.found:
            province = models.Province.objects.filter(name=text).first() or (
                models.Province.objects.filter(short_name=text).first()
            )
            if province is None:
                return None
            self.found[text] = province
        return self.found[text]

    def render(self, value, obj=None, **kwargs):
        return value.name if value else ""


class ProvinceWidget(RegionWidget):
    def clean(self, value, row=None, **kwargs):
        text = cells.normalize(value)
        if not text:
            raise CellError("省份不能为空")
        province = self.province(text)
        if province is None:
            raise CellError(f"没有名为“{value}”的省份，请填写如“山东省”或“山东”")
        return province


class CityWidget(RegionWidget):
    def clean(self, value, row=None, **kwargs):
        text = cells.normalize(value)
        province_text = cells.normalize((row or {}).get("省份"))
        if not text:
            raise CellError("城市不能为空")
        province = self.province(province_text) if province_text else None
        if province_text and province is None:
            raise CellError("省份有误，无法核对城市")
        key = ("city", province.pk if province else None, text)
        if key not in self.found:
            cities = models.City.objects.filter(name=text)
            if province is not None:
                cities = cities.filter(province=province)
            city = cities.first()
            if city is None:
                raise CellError(f"“{province_text}”没有名为“{value}”的城市，请先在城市表中添加")
            self.found[key] = city
        return self.found[key]


class CompanyWidget(widgets.Widget):
    """A company by name; a name not yet in the registry is added with the import."""

    def clean(self, value, row=None, **kwargs):
        text = cells.normalize(value)
        if not text:
            return None
        limit = models.PropertyCompany._meta.get_field("name").max_length
        if len(text) > limit:
            raise CellError(f"企业名称最多 {limit} 个字（现在 {len(text)} 个）")
        company, _created = models.PropertyCompany.objects.get_or_create(name=text)
        return company

    def render(self, value, obj=None, **kwargs):
        return value.name if value else ""


class LookupWidget(widgets.ForeignKeyWidget):
    """A row named by its slug or code; one that does not exist is a problem of this cell."""

    def __init__(self, model, field, what):
        super().__init__(model, field)
        self.what = what
        self.scope = None  # the rows that may be named, when not all (ScopedResource)

    def get_queryset(self, value, row, *args, **kwargs):
        if self.scope is not None:
            return self.scope
        return super().get_queryset(value, row, *args, **kwargs)

    def clean(self, value, row=None, **kwargs):
        text = cells.normalize(value)
        if text in ("", None):
            raise CellError(f"请填写{self.what}")
        try:
            return super().clean(text, row, **kwargs)
        except self.model.DoesNotExist:
            raise CellError(f"没有{self.what}为“{value}”的记录") from None
