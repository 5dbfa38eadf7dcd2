"""How one cell is read and written: parsed with estates.spreadsheets.cells (numbers stay numbers
in XLSX), regions and companies by name, other rows by their slug or code."""

from import_export import widgets

from .. import models
from ..regions import Regions, UnknownRegion, clean
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
LONG_TEXT = ParsingWidget(cells.long_text)


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
    """A region named in a cell, as clerks write it (estates.regions: 山东 for 山东省, 济南
    for 济南市). Every province and city is read once per import, on the first row (its
    resource holds its own widgets): a file of thousands of rows makes two queries."""

    def __init__(self):
        super().__init__()
        self._regions = None

    @property
    def regions(self):
        if self._regions is None:
            self._regions = Regions()
        return self._regions

    def render(self, value, obj=None, **kwargs):
        return value.name if value else ""


class ProvinceWidget(RegionWidget):
    def clean(self, value, row=None, **kwargs):
        try:
            return self.regions.province(value)
        except UnknownRegion as error:
            raise CellError(str(error)) from None


class CityWidget(RegionWidget):
    """The city of the row's province (its 省份 cell); one of another province is refused
    naming the province it is in."""

    def clean(self, value, row=None, **kwargs):
        province_text = clean((row or {}).get("省份"))
        try:
            province = self.regions.province(province_text) if province_text else None
        except UnknownRegion:
            raise CellError("省份有误，无法核对城市") from None
        try:
            return self.regions.city(value, province)
        except UnknownRegion as error:
            raise CellError(str(error)) from None


class CompanyWidget(widgets.Widget):
    """A company by name; a name not yet in the registry is added with the import.

    An import finds (and adds) the companies of a batch of rows at once (`prepare`); a name
    it was not told of is looked up on its own."""

    def __init__(self):
        super().__init__()
        self.known = {}  # name: company, of the rows read so far

    @staticmethod
    def name_of(value):
        text = cells.normalize(value)
        if not text:
            return None
        limit = models.PropertyCompany._meta.get_field("name").max_length
        if len(text) > limit:
            raise CellError(f"企业名称最多 {limit} 个字（现在 {len(text)} 个）")
        return text

    def prepare(self, values):
        """Find the companies these cells name, adding those not yet in the registry: two
        queries (four when some are new), however many rows."""
        names = set()
        for value in values:
            try:
                name = self.name_of(value)
            except CellError:
                continue  # its row reports it
            if name and name not in self.known:
                names.add(name)
        if not names:
            return
        companies = models.PropertyCompany.objects
        found = {company.name: company for company in companies.filter(name__in=names)}
        missing = names - set(found)
        if missing:
            # Another import adding the same name at the same time is no error: its row is
            # found again below.
            companies.bulk_create(
                [models.PropertyCompany(name=name) for name in sorted(missing)],
                ignore_conflicts=True,
            )
            found |= {company.name: company for company in companies.filter(name__in=missing)}
        self.known |= found

    def clean(self, value, row=None, **kwargs):
        text = self.name_of(value)
        if not text:
            return None
        company = self.known.get(text)
        if company is None:
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
