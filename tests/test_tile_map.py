"""The province tile map on home and stats: every province once in a place of its own,
shaded by its published estates, linked to its list, with a table saying the same."""

import json
from pathlib import Path

import pytest
from django.core.cache import cache

from estates.models import Province
from showcase import tilemap

from .html import parse

pytestmark = pytest.mark.django_db

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "regions.json"


def page(client, url):
    cache.clear()
    response = client.get(url)
    assert response.status_code == 200, url
    return parse(response.content)


def tiles(tree):
    return tree.find("ul", class_="tile-map").find_all("li")


def test_every_province_of_the_fixture_has_a_place_of_its_own():
    codes = [
        row["fields"]["code"]
        for row in json.loads(FIXTURE.read_text(encoding="utf-8"))
        if row["model"] == "estates.province"
    ]
    assert len(codes) == 32
    assert [code for code in codes if code not in tilemap.LAYOUT] == []
    places = [(row, column) for row, column, _zh, _en in tilemap.LAYOUT.values()]
    assert len(set(places)) == len(places)
    assert all(0 <= column < tilemap.COLUMNS for _row, column in places)
    abbreviations = [zh for *_place, zh, _en in tilemap.LAYOUT.values()]
    assert len(set(abbreviations)) == len(abbreviations)
    assert all(len(zh) == 1 for zh in abbreviations)


@pytest.mark.parametrize("url", ["/", "/stats/"])
def test_each_province_appears_once_in_its_place(client, url):
    items = tiles(page(client, url))
    provinces = list(Province.objects.order_by("display_order"))
    assert len(items) == len(provinces) == 32
    names = sorted(li.find("span", class_="visually-hidden").clean_text() for li in items)
    assert len(set(names)) == 32
    places = [tuple(li.classes) for li in items]
    assert len(set(places)) == 32
    beijing = next(li for li in items if "京" in li.clean_text())
    row, column, _zh, _en = tilemap.LAYOUT["110000"]
    assert beijing.classes == [f"r{row}", f"c{column}"]


def test_tiles_are_shaded_counted_and_linked(client):
    items = tiles(page(client, "/"))
    links = {
        li.find("a").attrs["href"]: (
            li.find("span", class_="abbr").clean_text(),
            li.find("span", class_="n").clean_text(),
            li.find("span", class_="visually-hidden").clean_text(),
            li.find("a").classes,
        )
        for li in items
        if li.find("a")
    }
    # The seed publishes four Beijing estates and one in Shandong: steps 1, 2, 3, 4.
    assert links == {
        "/estates/?province=beijing": ("京", "4", "北京 4 个入选小区", ["tile", "shade-4"]),
        "/estates/?province=shandong": ("鲁", "1", "山东 1 个入选小区", ["tile", "shade-1"]),
    }
    tibet = next(li for li in items if li.find("span", class_="abbr").clean_text() == "藏")
    assert tibet.find("a") is None
    assert tibet.find("span").classes == ["tile", "shade-0"]
    assert tibet.find("span", class_="visually-hidden").clean_text() == "西藏 暂无入选小区"


def test_english_tiles_use_the_iso_abbreviations(client):
    items = tiles(page(client, "/en/"))
    beijing = next(li for li in items if li.find("a") and "beijing" in li.find("a").attrs["href"])
    assert beijing.find("a").attrs["href"] == "/en/estates/?province=beijing"
    assert beijing.find("span", class_="abbr").clean_text() == "BJ"
    assert (
        beijing.find("span", class_="visually-hidden").clean_text() == "Beijing: 4 selected estates"
    )
    corps = next(li for li in items if li.find("span", class_="abbr").clean_text() == "XPCC")
    assert corps.find("span", class_="visually-hidden").clean_text() == (
        "Xinjiang Production and Construction Corps: no selected estates yet"
    )


def test_table_alternative_ranks_the_provinces_and_names_the_rest(client):
    details = page(client, "/stats/").find("details", class_="tile-table")
    assert "open" in details.attrs
    rows = [
        ([a.attrs["href"] for a in row.find_all("a")], row.clean_text())
        for row in details.find("tbody").find_all("tr")
    ]
    assert rows == [
        (["/estates/?province=beijing"], "北京市4"),
        (["/estates/?province=shandong"], "山东省1"),
    ]
    rest = details.find("p", class_="note").clean_text()
    assert rest.startswith("暂无入选小区：天津、河北、山西、")
    assert rest.endswith("新疆、兵团。")
    assert "北京" not in rest and "山东" not in rest
    home_details = page(client, "/").find("details", class_="tile-table")
    assert "open" not in home_details.attrs


def test_legend_names_the_steps_and_what_zero_means(client):
    legend = page(client, "/").find("ul", class_="tile-legend")
    assert [li.clean_text() for li in legend.find_all("li")] == [
        "0（暂无入选小区）",
        "1",
        "2",
        "3",
        "4",
    ]


def test_no_map_before_anything_is_published(client, django_capture_on_commit_callbacks):
    from estates.models import Estate
    from showcase.cache import bump

    with django_capture_on_commit_callbacks(execute=True):
        Estate.objects.update(is_published=False)
        bump()
    assert page(client, "/").find("ul", class_="tile-map") is None
    assert page(client, "/stats/").find("ul", class_="tile-map") is None


@pytest.mark.parametrize(
    ("maximum", "expected"),
    [
        (0, []),
        (1, [(1, 1)]),
        (4, [(1, 1), (2, 2), (3, 3), (4, 4)]),
        (5, [(1, 1), (2, 2), (3, 5)]),
        (100, [(1, 2), (3, 9), (10, 29), (30, 100)]),
        (1000, [(1, 4), (5, 29), (30, 99), (100, 1000)]),
    ],
)
def test_steps_grow_in_round_numbers(maximum, expected):
    assert tilemap.steps(maximum) == expected


def test_shades_spread_from_light_to_dark():
    class P:
        def __init__(self, code, count, order):
            self.code, self.estate_count, self.display_order = code, count, order
            self.short_name = self.name_en = self.slug = code

        def display_short_name(self):
            return self.short_name

    provinces = [P("110000", 100, 1), P("120000", 3, 2), P("130000", 0, 3), P("140000", 30, 4)]
    shades = {t.province.code: t.shade for t in tilemap.tile_map(provinces)["tiles"]}
    assert shades == {"110000": 4, "120000": 2, "130000": 0, "140000": 4}


def test_a_province_the_layout_does_not_know_gets_a_tile_below_the_map():
    class P:
        def __init__(self, code, count, order, short_name, name_en):
            self.code, self.estate_count, self.display_order = code, count, order
            self.short_name, self.name_en, self.slug = short_name, name_en, code

        def display_short_name(self):
            return self.short_name

    provinces = [P("110000", 2, 1, "北京", "Beijing"), P("990000", 1, 2, "新设", "Newland")]
    tiles = tilemap.tile_map(provinces)["tiles"]
    lowest = max(row for row, *_rest in tilemap.LAYOUT.values())
    assert [(t.abbreviation, t.row, t.column) for t in tiles] == [
        ("京", 2, 4),
        ("新", lowest + 1, 0),
    ]
