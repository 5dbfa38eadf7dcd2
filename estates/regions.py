"""Provinces and cities found by the names clerks write: 山东 or 山东省, 济南 or 济南市, 恩施 for
恩施土家族苗族自治州. Regions().province(text) and .city(text, province) return the model rows
or raise UnknownRegion with a Chinese message saying what is wrong and what was probably meant.
The rows are read once per Regions object (two queries), so an import makes one per file.
"""

import difflib
import re
import unicodedata

from django.utils.translation import gettext as _

from .pinyin import full_pinyin

# The 55 minority nationalities (GB/T 3304), as they appear in the names of autonomous
# prefectures and counties (恩施土家族苗族自治州, 伊犁哈萨克自治州): the place's own name is
# what comes before them. Longest first, so that 土家 is read before 土.
_NATIONALITY_NAMES = (
    "蒙古 回 藏 维吾尔 苗 彝 壮 布依 朝鲜 满 侗 瑶 白 土家 哈尼 哈萨克 傣 黎 傈僳 佤 畲 高山 "
    "拉祜 水 东乡 纳西 景颇 柯尔克孜 土 达斡尔 仫佬 羌 布朗 撒拉 毛南 仡佬 锡伯 阿昌 普米 "
    "塔吉克 怒 乌孜别克 俄罗斯 鄂温克 德昂 保安 裕固 京 塔塔尔 独龙 鄂伦春 赫哲 门巴 珞巴 基诺"
)
NATIONALITIES = sorted(_NATIONALITY_NAMES.split(), key=len, reverse=True)
_PEOPLES = "(?:" + "|".join(NATIONALITIES) + ")族?"
# A place's name has two characters at least: 陵水黎族自治县 is 陵水 of the 黎, not 陵 of the
# 水 and the 黎.
AUTONOMOUS = re.compile(rf"^(?P<place>.{{2,}}?)(?:{_PEOPLES})+自治(?:州|县|区)$")
# The other endings of a division's name (地区 before 区 would matter if 区 were one).
ENDINGS = ("地区", "林区", "省", "市", "盟", "县")

# A suggestion is made only for a name this close to a real one (difflib's ratio, on the
# characters or on their pinyin: 济楠 and 济南 read alike).
SUGGESTION_CUTOFF = 0.75


class UnknownRegion(ValueError):
    """A province or city name that matches none, or more than one; the message says why."""


def clean(text):
    """Full-width to half-width and no spaces anywhere: '山 东　省' → '山东省'."""
    if text is None:
        return ""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text)))


def short_name(name):
    """The name without its administrative ending: 济南市 → 济南, 大兴安岭地区 → 大兴安岭,
    锡林郭勒盟 → 锡林郭勒, 恩施土家族苗族自治州 → 恩施, 广西壮族自治区 → 广西, 内蒙古自治区 →
    内蒙古. A name whose remainder would be one character is kept whole."""
    match = AUTONOMOUS.match(name)
    if match:
        place = match.group("place")
    elif name.endswith(("自治区", "自治州", "自治县")):
        place = name[:-3]
    else:
        place = next((name[: -len(e)] for e in ENDINGS if name.endswith(e)), name)
    return place if len(place) >= 2 else name


def city_slug(name):
    """The pinyin of the short name, as the seed's cities have it: 临沂市 → linyi."""
    return full_pinyin(short_name(name))[:40]


def aliases(name):
    """The ways a clerk may write a division's name: 广西壮族自治区 → 广西壮族自治区, 广西,
    广西自治区; 山东省 → 山东省, 山东; 济南市 → 济南市, 济南."""
    short = short_name(name)
    found = {name, short}
    if name.endswith("自治区"):
        found.add(short + "自治区")
    if name.endswith("自治州") and short != name:
        found |= {short + "州", short + "自治州"}  # 恩施州, as the prefectures call themselves
    return found


class Regions:
    """Every province and city, by each name a clerk may write for it."""

    def __init__(self, provinces=None, cities=None):
        from . import models

        if provinces is None:
            provinces = list(models.Province.objects.all())
        if cities is None:
            cities = list(models.City.objects.all())
        self.provinces_by_name = {}
        for province in provinces:
            names = aliases(province.name) | {province.short_name}
            for alias in names:
                self.provinces_by_name.setdefault(clean(alias), set()).add(province)
        by_id = {province.pk: province for province in provinces}
        self.cities_of = {province.pk: [] for province in provinces}
        self.cities_by_name = {}
        for city in cities:
            city.province = by_id[city.province_id]  # no query per city for its province
            self.cities_of[city.province_id].append(city)
            for alias in aliases(city.name):
                self.cities_by_name.setdefault(clean(alias), set()).add(city)

    def province(self, text):
        """The province written as `text`: 山东省, 山东, ＳＨＡＮＤＯＮＧ aside."""
        key = clean(text)
        if not key:
            raise UnknownRegion(_("省份不能为空"))
        found = self.provinces_by_name.get(key, set())
        if len(found) == 1:
            return next(iter(found))
        raise UnknownRegion(
            _("没有名为“%(name)s”的省份，请填写如“山东省”或“山东”") % {"name": text}
        )

    def city(self, text, province=None):
        """The city written as `text` in `province` (a Province, or None when the sheet gives
        no province: then the name must be the only one of its kind in the country)."""
        key = clean(text)
        if not key:
            raise UnknownRegion(_("城市不能为空"))
        everywhere = self.cities_by_name.get(key, set())
        if province is None:
            if len(everywhere) == 1:
                return next(iter(everywhere))
            if everywhere:
                raise UnknownRegion(
                    _("“%(name)s”不止一个省份有（%(provinces)s），请填写省份")
                    % {"name": text, "provinces": "、".join(sorted_provinces(everywhere))}
                )
            raise UnknownRegion(_("没有名为“%(name)s”的城市（地级市）") % {"name": text})
        here = [city for city in everywhere if city.province_id == province.pk]
        if len(here) == 1:
            return here[0]
        if len(here) > 1:  # no two cities of one province share a name today; said if so
            raise UnknownRegion(
                _("%(province)s有不止一个城市可写作“%(name)s”（%(cities)s），请写全称")
                % {
                    "province": province,
                    "name": text,
                    "cities": "、".join(sorted(c.name for c in here)),
                }
            )
        if everywhere:
            elsewhere = sorted(everywhere, key=lambda c: c.province.display_order)[0]
            return self._refuse_other_province(elsewhere, province)
        cities = self.cities_of.get(province.pk, [])
        if len(cities) == 1 and cities[0].name == province.name:
            # A municipality is its own and only city; its districts are not cities here.
            raise UnknownRegion(
                _("%(province)s的城市请填写“%(province)s”；区县请填写在“区县”一列")
                % {"province": province}
            )
        message = _("%(province)s没有名为“%(name)s”的城市（地级市）") % {
            "province": province,
            "name": text,
        }
        suggestion = nearest(key, cities)
        if suggestion is not None:
            message += _("；您是否要填“%(city)s”？") % {"city": suggestion.name}
        raise UnknownRegion(message)

    def _refuse_other_province(self, city, province):
        raise UnknownRegion(
            _("“%(city)s”属于%(real)s，不属于%(given)s；请核对省份或城市")
            % {"city": city.name, "real": city.province, "given": province}
        )


def sorted_provinces(cities):
    provinces = {city.province for city in cities}
    return [p.name for p in sorted(provinces, key=lambda p: p.display_order)]


def nearest(key, cities):
    """The city whose name (or short name) is closest to `key` in characters or in pinyin, if
    any is close enough; of two equally close, the first in code order."""
    sound = full_pinyin(key)
    best, best_score = None, SUGGESTION_CUTOFF
    for city in sorted(cities, key=lambda c: c.code):
        for alias in aliases(city.name):
            score = max(
                difflib.SequenceMatcher(None, key, alias).ratio(),
                difflib.SequenceMatcher(None, sound, full_pinyin(alias)).ratio() if sound else 0,
            )
            if score > best_score:
                best, best_score = city, score
    return best
