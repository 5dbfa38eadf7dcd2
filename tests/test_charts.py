"""Charts: text the page's size (never scaled), bars from zero without stubs for empty bins,
two values as a before/after pair, distributions only from enough values, data escaped."""

import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse

from estates.models import Metric, MetricType
from showcase import charts

from .builders import make_estate, nominate
from .html import parse

CSS = Path(__file__).resolve().parents[1] / "static" / "css" / "charts.css"


def cells(row):
    return [cell.clean_text() for cell in row.children if not isinstance(cell, str)]


def bar_widths(table):
    return [[rect.attrs["width"] for rect in row.find_all("rect")] for row in table.find_all("tr")]


def test_bar_chart_is_a_table_of_caption_bar_and_value():
    table = parse(charts.bar_chart([("北京", 4), ("山东", 1)], "个", "各省份")).find("table")
    assert table.find("caption").clean_text() == "各省份"
    assert [cells(row) for row in table.find_all("tr")] == [
        ["北京", "", "4个"],
        ["山东", "", "1个"],
    ]
    assert bar_widths(table) == [["100.0%"], ["25.0%"]]


def test_an_empty_bin_has_no_bar_at_all():
    table = parse(charts.bar_chart([("≥ 98%", 3), ("95–98%", 0), ("< 90%", 1)], "个")).find("table")
    assert bar_widths(table) == [["100.0%"], [], ["33.3%"]]
    assert cells(table.find_all("tr")[1]) == ["95–98%", "", "0个"]


def test_two_values_are_a_before_and_after_pair_with_both_labels():
    html = charts.line_chart(
        [("巡检制度实施前", Decimal("4.38")), ("巡检制度实施以来", Decimal("1.17"))],
        "%",
        "公共区域报修率",
    )
    table = parse(html).find("table")
    assert table.classes == ["chart", "bar-chart", "change-chart"]
    assert [cells(row) for row in table.find_all("tr")] == [
        ["巡检制度实施前", "", "4.38%"],
        ["巡检制度实施以来", "", "1.17%"],
    ]
    # Both bars from zero: the later value is 1.17 / 4.38 of the earlier one's length.
    assert bar_widths(table) == [["100.0%"], ["26.7%"]]
    assert html == charts.change_chart(
        [("巡检制度实施前", Decimal("4.38")), ("巡检制度实施以来", Decimal("1.17"))],
        "%",
        "公共区域报修率",
    )


def test_three_values_are_a_line_whose_text_is_never_scaled():
    tree = parse(
        charts.line_chart([("2019年", 71), ("2020年", 90.5), ("2022年", 96.55)], "%", "满意度")
    )
    svg = tree.find("svg")
    # No viewBox: one SVG unit is one CSS px, so the stylesheet's font size is what is drawn.
    assert "viewbox" not in svg.attrs and "viewBox" not in svg.attrs
    assert svg.attrs["aria-label"] == "满意度：2019年 71%，2020年 90.5%，2022年 96.55%"
    assert [t.clean_text() for t in svg.find_all("text")] == ["71%", "90.5%", "96.55%"]
    assert all("font-size" not in t.attrs for t in svg.find_all("text"))
    assert [c.attrs["cx"] for c in svg.find_all("circle")] == ["16.7%", "50.0%", "83.3%"]
    assert len(svg.find_all("line", class_="line")) == 2
    assert [li.clean_text() for li in tree.find("ol").find_all("li")] == [
        "2019年",
        "2020年",
        "2022年",
    ]
    # 71 … 96.55 are far above zero: the axis starts lower down and says where.
    assert tree.find("p", class_="axis-note").clean_text() == "纵轴自 50% 起"


def test_a_line_of_small_values_starts_at_zero():
    tree = parse(charts.line_chart([("一", 4), ("二", 1), ("三", 2)], "%", "报修率"))
    assert tree.find("p", class_="axis-note").clean_text() == "纵轴自 0% 起"
    axis = tree.find("line", class_="axis")
    lowest = max(float(c.attrs["cy"]) for c in tree.find_all("circle"))
    assert float(axis.attrs["y1"]) > lowest  # the lowest point, 1, sits above the zero line


def test_data_text_is_escaped():
    hostile = '<script>alert("x")</script>'
    for html in (
        charts.bar_chart([(hostile, 1)], "个", hostile),
        charts.line_chart([(hostile, 1), ("后", 2)], "%", hostile),
        charts.line_chart([(hostile, 1), ("中", 2), ("后", 3)], "%", hostile),
    ):
        assert "<script>" not in html
        assert "&lt;script&gt;" in html


def font_sizes(css):
    """Every font-size the chart stylesheet sets, in px (1rem = 16px)."""
    sizes = []
    for number, unit in re.findall(r"font-size:\s*([\d.]+)(rem|px)", css):
        sizes.append(float(number) * (16 if unit == "rem" else 1))
    return sizes


def test_chart_stylesheet_sets_text_between_12_and_16_px():
    sizes = font_sizes(CSS.read_text(encoding="utf-8"))
    assert sizes, "charts.css sets no font size"
    assert [s for s in sizes if not 12 <= s <= 16] == []


@pytest.mark.parametrize(("known", "enough"), [(0, False), (4, False), (5, True), (500, True)])
def test_distribution_threshold(known, enough):
    assert charts.enough_for_distribution(known) is enough


def satisfaction_section(client):
    response = client.get(reverse("showcase:stats"))
    assert response.status_code == 200
    return parse(response.content).find("section", **{"aria-labelledby": "metric-satisfaction"})


@pytest.mark.django_db
def test_stats_draw_a_distribution_from_five_values_and_not_from_four(
    client, django_capture_on_commit_callbacks
):
    kind = MetricType.objects.get(code="satisfaction")
    with django_capture_on_commit_callbacks(execute=True):
        Metric.objects.filter(metric_type=kind).delete()
        for value in ("99", "99.5", "96", "91"):
            estate = make_estate(name=f"满意度{value}")
            nominate(estate)
            Metric.objects.create(estate=estate, metric_type=kind, value=value, sequence=1)
    section = satisfaction_section(client)
    assert section.find("table") is None
    assert section.find("p", class_="note").clean_text() == "有此数据的小区少于 5 个，暂不画分布。"

    with django_capture_on_commit_callbacks(execute=True):
        estate = make_estate(name="满意度98.5")
        nominate(estate)
        Metric.objects.create(estate=estate, metric_type=kind, value="98.5", sequence=1)
    table = satisfaction_section(client).find("table")
    assert [cells(row) for row in table.find_all("tr")] == [
        ["≥ 98%", "", "3个"],
        ["95–98%", "", "1个"],
        ["90–95%", "", "1个"],
        ["< 90%", "", "0个"],
    ]
    assert bar_widths(table) == [["100.0%"], ["33.3%"], ["33.3%"], []]
