"""Charts and the province tile map in Chromium at 390 and 1280 px, in Chinese and English:
chart text drawn at 12–16 CSS px, nothing scrolls sideways, axe finds nothing serious, and
each tile leads to its province's estates."""

import datetime

import pytest

from .conftest import SCREENSHOTS, screenshot
from .test_site_in_chromium import serious_violations

pytestmark = pytest.mark.django_db(transaction=True)

LINYI = "/estates/aozhengchengyuannanqu/"
PAGES = {"home": "/", "stats": "/stats/", "linyi": LINYI, "profile": "/estates/lijingchangan/"}
LANGUAGES = {"zh": "", "en": "/en"}

# Every piece of chart and map text as drawn: its font size times the scale of the drawing
# it sits in (an SVG with a viewBox scales its text with its width; these must not). Hidden
# text (screen readers only) and elements without text of their own are left out.
DRAWN_TEXT_SIZES = """() => {
    const scope = '.chart, .tile-map, .tile-legend';
    const found = [];
    for (const element of document.querySelectorAll(`${scope}, :is(${scope}) *`)) {
        const own = [...element.childNodes].some(
            n => n.nodeType === Node.TEXT_NODE && n.textContent.trim());
        const box = element.getBoundingClientRect();
        if (!own || box.width <= 1 || box.height <= 1) continue;
        const size = parseFloat(getComputedStyle(element).fontSize);
        const scale = element instanceof SVGElement ? element.getScreenCTM().a : 1;
        found.push([element.textContent.trim(), Math.round(size * scale * 10) / 10]);
    }
    return found;
}"""


@pytest.fixture
def linyi_history(site):
    """Earlier values for the Linyi estate (test data, not from its sources): satisfaction
    71% → 96.55%, a before/after pair; fee collection 65% → 90.5% → 98.63%, a line."""
    from estates.models import Metric, MetricType

    estate_id = Metric.objects.filter(estate__slug="aozhengchengyuannanqu").first().estate_id
    for code, values in (("satisfaction", ["71"]), ("fee_collection", ["65", "90.5"])):
        kind = MetricType.objects.get(code=code)
        for year, value in zip((2018, 2019), values, strict=False):
            Metric.objects.create(
                estate_id=estate_id,
                metric_type=kind,
                value=value,
                date=datetime.date(year, 12, 31),
                date_precision="year",
            )
    return site


@pytest.mark.parametrize("device", ["phone", "desktop"])
@pytest.mark.parametrize("language", list(LANGUAGES))
@pytest.mark.parametrize("name", list(PAGES))
def test_chart_text_is_page_sized_and_the_page_fits(request, linyi_history, device, language, name):
    page = request.getfixturevalue(device)
    response = page.goto(linyi_history + LANGUAGES[language] + PAGES[name])
    assert response.status == 200
    screenshot(page, f"charts-{name}-{language}")
    sizes = page.evaluate(DRAWN_TEXT_SIZES)
    assert sizes, "no chart or map text on the page"
    assert [(text, size) for text, size in sizes if not 12 <= size <= 16] == []
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{name} scrolls sideways by {overflow}px"
    assert serious_violations(page) == []


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_linyi_metrics_are_a_pair_and_a_line(request, linyi_history, device):
    page = request.getfixturevalue(device)
    page.goto(linyi_history + LINYI)
    pair = page.locator("table.change-chart")
    rows = pair.locator("tr").evaluate_all(
        "rs => rs.map(r => [...r.cells].map(c => c.innerText.trim()))"
    )
    assert rows == [["2018年", "", "71%"], ["2022年12月31日", "", "96.55%"]]
    bars = pair.locator("rect").evaluate_all("rs => rs.map(r => r.getBoundingClientRect().width)")
    assert bars[0] < bars[1]
    # Both bars start at the same zero axis.
    starts = pair.locator("rect").evaluate_all("rs => rs.map(r => r.getBoundingClientRect().x)")
    assert starts[0] == starts[1]
    line = page.locator(".line-chart")
    assert line.locator("svg text").all_text_contents() == ["65%", "90.5%", "98.63%"]
    assert line.locator(".axis-note").inner_text() == "纵轴自 40% 起"
    # The captions sit under their points.
    dots = line.locator("circle").evaluate_all(
        "cs => cs.map(c => { const b = c.getBoundingClientRect(); return b.x + b.width / 2; })"
    )
    captions = line.locator(".captions li").evaluate_all(
        "ls => ls.map(l => { const b = l.getBoundingClientRect(); return b.x + b.width / 2; })"
    )
    assert [round(c - d) for c, d in zip(captions, dots, strict=True)] == [0, 0, 0]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    width = page.viewport_size["width"]
    page.locator("ul.metrics").screenshot(
        path=str(SCREENSHOTS / f"charts-linyi-metrics-{width}.png")
    )


@pytest.mark.parametrize("device", ["phone", "desktop"])
@pytest.mark.parametrize("language", list(LANGUAGES))
def test_tiles_are_tappable_and_lead_to_the_province(request, site, device, language):
    page = request.getfixturevalue(device)
    page.goto(site + LANGUAGES[language] + "/")
    tiles = page.locator(".tile-map .tile")
    assert tiles.count() == 32
    boxes = tiles.evaluate_all(
        "ts => ts.map(t => { const b = t.getBoundingClientRect(); return [b.width, b.height]; })"
    )
    assert min(min(w, h) for w, h in boxes) >= 24
    # Equal squares.
    assert max(abs(w - h) for w, h in boxes) < 1
    assert len({round(w) for w, _h in boxes}) == 1
    beijing = page.locator(".tile-map a", has_text="BJ" if language == "en" else "京")
    beijing.click()
    page.wait_for_url(f"**{LANGUAGES[language]}/estates/?province=beijing")
    assert page.locator(".estate-cards h3").count() == 4


def test_tile_map_keyboard_order_follows_the_map(site, desktop):
    """Tab goes through the linked tiles from the top row down: 京 (row 2) before 鲁 (row 3)."""
    desktop.goto(site + "/")
    desktop.locator(".tile-map a").first.focus()
    first = desktop.evaluate("document.activeElement.textContent")
    desktop.keyboard.press("Tab")
    second = desktop.evaluate("document.activeElement.textContent")
    assert (first, second) == ("京4北京 4 个入选小区", "鲁1山东 1 个入选小区")
