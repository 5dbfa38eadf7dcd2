"""China at a glance: a tile map of the provincial-level divisions, equal squares in their
rough geographic places (no borders), shaded in steps by the number of published estates.

The layout is data (LAYOUT); tile_map() turns the provinces of a page, each carrying
.estate_count, into what templates/showcase/_tile_map.html draws: tiles, legend and the
table alternative."""

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

# GB/T 2260 code: (row, column, 简称, English abbreviation). The English abbreviations are
# the ISO 3166-2:CN codes; 兵团 (XPCC) has none and keeps its usual initials. 兵团 sits above
# 新疆, where its divisions are.
LAYOUT = {
    "230000": (0, 6, "黑", "HL"),
    "220000": (1, 6, "吉", "JL"),
    "660000": (2, 0, "兵", "XPCC"),
    "150000": (2, 3, "蒙", "NM"),
    "110000": (2, 4, "京", "BJ"),
    "120000": (2, 5, "津", "TJ"),
    "210000": (2, 6, "辽", "LN"),
    "650000": (3, 0, "新", "XJ"),
    "620000": (3, 1, "甘", "GS"),
    "640000": (3, 2, "宁", "NX"),
    "140000": (3, 3, "晋", "SX"),
    "130000": (3, 4, "冀", "HE"),
    "370000": (3, 5, "鲁", "SD"),
    "540000": (4, 0, "藏", "XZ"),
    "630000": (4, 1, "青", "QH"),
    "610000": (4, 2, "陕", "SN"),
    "410000": (4, 3, "豫", "HA"),
    "340000": (4, 4, "皖", "AH"),
    "320000": (4, 5, "苏", "JS"),
    "310000": (4, 6, "沪", "SH"),
    "510000": (5, 1, "川", "SC"),
    "500000": (5, 2, "渝", "CQ"),
    "420000": (5, 3, "鄂", "HB"),
    "360000": (5, 4, "赣", "JX"),
    "330000": (5, 5, "浙", "ZJ"),
    "530000": (6, 1, "滇", "YN"),
    "520000": (6, 2, "黔", "GZ"),
    "430000": (6, 3, "湘", "HN"),
    "350000": (6, 4, "闽", "FJ"),
    "710000": (6, 5, "台", "TW"),
    "450000": (7, 2, "桂", "GX"),
    "440000": (7, 3, "粤", "GD"),
    "460000": (8, 2, "琼", "HI"),
    "820000": (8, 3, "澳", "MO"),
    "810000": (8, 4, "港", "HK"),
}
COLUMNS = 7
# Shades of the steps, lightest first; a map of n steps uses n of them spread across.
SHADES = 4


@dataclass
class Tile:
    province: object
    count: int
    row: int
    column: int
    abbreviation: str
    shade: int  # 0: no published estate; 1 … SHADES: the step's shade

    @property
    def url(self):
        return f"{reverse('showcase:estate_list')}?province={self.province.slug}"

    @property
    def name(self):
        """What a screen reader says for the tile: 北京 4 个入选小区."""
        if not self.count:
            return _("%(province)s 暂无入选小区") % {"province": self.province.display_short_name()}
        return ngettext(
            "%(province)s %(count)s 个入选小区",
            "%(province)s %(count)s 个入选小区",
            self.count,
        ) % {"province": self.province.display_short_name(), "count": self.count}


def _nice_floor(value):
    """The largest of 1, 2, 3, 5 × 10ⁿ not above value (value ≥ 1)."""
    power = 1
    while power * 10 <= value:
        power *= 10
    return max(step * power for step in (1, 2, 3, 5) if step * power <= value)


def steps(maximum):
    """[(lowest, highest), …] of the shading steps for counts 1 … maximum: one step per
    count up to SHADES, else up to SHADES steps whose bounds grow geometrically and are round
    numbers, so that a few large provinces do not wash all others out."""
    if maximum < 1:
        return []
    if maximum <= SHADES:
        return [(n, n) for n in range(1, maximum + 1)]
    lows = [1]
    for k in range(1, SHADES):
        low = _nice_floor(maximum ** (k / SHADES))
        if low > lows[-1]:
            lows.append(low)
    highs = [low - 1 for low in lows[1:]] + [maximum]
    return list(zip(lows, highs, strict=True))


def _shade(index, count):
    """The shade (1 … SHADES) of the index-th of count steps, spread from light to dark."""
    return round((index + 1) * SHADES / count)


def _step_label(low, high):
    return str(low) if low == high else f"{low}–{high}"


def tile_map(provinces):
    """Tiles, legend and table of these provinces (every province of the registry, each with
    .estate_count, 0 where none is published), for _tile_map.html."""
    english = (get_language() or "").startswith("en")
    counts = [p.estate_count for p in provinces]
    bands = steps(max(counts, default=0))

    def shade(count):
        if not count:
            return 0
        index = max(i for i, (low, _high) in enumerate(bands) if low <= count)
        return _shade(index, len(bands))

    # A province the layout does not know yet still gets a tile, in a row below the map.
    spare_row = max(row for row, *_rest in LAYOUT.values()) + 1
    spare_column = 0
    tiles = []
    for province in provinces:
        if province.code in LAYOUT:
            row, column, chinese, latin = LAYOUT[province.code]
        else:
            row, column = spare_row + spare_column // COLUMNS, spare_column % COLUMNS
            chinese, latin = province.short_name[:1], province.name_en[:2].upper()
            spare_column += 1
        tiles.append(
            Tile(
                province=province,
                count=province.estate_count,
                row=row,
                column=column,
                abbreviation=latin if english and latin else chinese,
                shade=shade(province.estate_count),
            )
        )
    tiles.sort(key=lambda t: (t.row, t.column))  # reading order is the visual order
    legend = [(0, _("0（暂无入选小区）"))] + [
        (_shade(i, len(bands)), _step_label(low, high)) for i, (low, high) in enumerate(bands)
    ]
    ranked = sorted(
        (t for t in tiles if t.count), key=lambda t: (-t.count, t.province.display_order)
    )
    without = sorted((t for t in tiles if not t.count), key=lambda t: t.province.display_order)
    return {
        "tiles": tiles,
        "rows": max((t.row for t in tiles), default=0) + 1,
        "legend": legend,
        "ranked": ranked,
        "without": [t.province.display_short_name() for t in without],
    }
