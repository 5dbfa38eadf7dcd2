"""Turn estates into what pages show: fact lists, metric series, latest values."""

from itertools import groupby

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from estates.models.profile import metric_order_key
from estates.numbers import plain_number, two_places

from .templatetags.showcase import display_number


def _plain(value):
    return None if value is None else display_number(value)


def _english():
    return (get_language() or "").startswith("en")


def _with_unit(value, unit, note=""):
    if value is None:
        return None
    text = _("%(value)s%(unit)s") % {"value": _plain(value), "unit": unit}
    return _("%(text)s（%(note)s）") % {"text": text, "note": note} if note else text


def location_text(estate):
    parts = [estate.province.display_name()]
    if estate.city.name != estate.province.name:
        parts.append(estate.city.name)
    parts += [estate.district, estate.subdistrict]
    # Chinese addresses run together (北京市西城区德胜街道); English separates the parts.
    return (", " if _english() else "").join(part for part in parts if part)


def built_text(estate):
    if estate.year_built is not None:
        return _("%(year)s年") % {"year": estate.year_built}
    return estate.construction_period or None


def area_text(square_metres, approximate=False):
    """'约34万平方米' as the sources write large areas; exact digits when 万 would round.
    English has no 万: it shows the square metres with thousands separators."""
    if _english():
        digits = f"{square_metres:,.0f}" if approximate else f"{square_metres.normalize():,f}"
        text = _("%(value)s平方米") % {"value": digits}
    elif square_metres >= 10000 and (approximate or square_metres % 100 == 0):
        value = two_places(square_metres / 10000)
        text = _("%(value)s万平方米") % {"value": plain_number(value)}
    else:
        text = _("%(value)s平方米") % {"value": plain_number(square_metres)}
    return _("约%(text)s") % {"text": text} if approximate else text


def land_area_text(estate):
    if estate.land_area is None:
        return None
    if estate.land_area_in_mu:
        return _("%(mu)s亩（%(area)s）") % {
            "mu": plain_number(estate.land_area_mu),
            "area": area_text(estate.land_area, approximate=True),
        }
    return area_text(estate.land_area)


def floor_area_text(estate):
    if estate.floor_area is None:
        return None
    return area_text(estate.floor_area, approximate=estate.floor_area_is_approximate)


def estate_facts(estate):
    """The facts panel as (label, value) pairs; a value of None reads as unknown."""
    return [
        (_("所在地区"), location_text(estate)),
        (_("社区"), estate.community or None),
        (_("地址"), estate.address or None),
        (_("小区类型"), estate.get_estate_type_display() or None),
        (_("建成时间"), built_text(estate)),
        (_("楼栋数"), _with_unit(estate.buildings, _("栋"), estate.building_note)),
        (_("单元数"), _with_unit(estate.units, _("个"))),
        (_("户数"), _with_unit(estate.households, _("户"))),
        (_("居住人数"), _with_unit(estate.residents, _("人"))),
        (_("占地面积"), land_area_text(estate)),
        (_("总建筑面积"), floor_area_text(estate)),
        (_("容积率"), _plain(estate.plot_ratio)),
        (_("绿化覆盖率"), _with_unit(estate.green_coverage, "%")),
        (_("物业服务企业"), estate.property_company.name if estate.property_company else None),
    ]


def metric_series(metrics):
    """Metrics grouped by type, each group in time order: [(metric_type, [metric, …]), …]."""
    ordered = sorted(
        metrics,
        key=lambda m: (m.metric_type.display_order, m.metric_type_id, *metric_order_key(m)),
    )
    return [(kind, list(group)) for kind, group in groupby(ordered, key=lambda m: m.metric_type)]
