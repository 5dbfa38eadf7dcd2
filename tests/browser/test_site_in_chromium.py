"""Each page type in headless Chromium at phone and desktop width: accessible, no sideways
scrolling, and the path a visitor takes from search to a province feature."""

import pytest
from axe_playwright_python.base import AXE_SCRIPT

from .conftest import screenshot

pytestmark = pytest.mark.django_db(transaction=True)

PAGES = {
    "home": "/",
    "estate-list": "/estates/",
    "search": "/estates/?q=sqg",
    "profile": "/estates/lijingchangan/",
    "profile-linyi": "/estates/aozhengchengyuannanqu/",
    "campaigns": "/campaigns/",
    "campaign": "/campaigns/quanguo-2021/",
    "province-feature": "/campaigns/quanguo-2021/beijing/",
    "mechanisms": "/mechanisms/",
    "mechanism": "/mechanisms/dangjianyinling/",
    "stats": "/stats/",
    "data": "/data/",
    "profile-en": "/en/estates/lijingchangan/",
    "stats-en": "/en/stats/",
    "not-found": "/estates/no-such-estate/",
}


def serious_violations(page):
    page.evaluate(AXE_SCRIPT)
    results = page.evaluate(
        "axe.run(document, {runOnly: {type: 'tag', values: "
        "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"
    )
    return [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("device", ["phone", "desktop"])
@pytest.mark.parametrize("name", list(PAGES))
def test_page_is_accessible_and_fits(request, site, device, name):
    page = request.getfixturevalue(device)
    response = page.goto(site + PAGES[name])
    assert response.status == (404 if name == "not-found" else 200)
    screenshot(page, name)
    assert serious_violations(page) == []
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{name} scrolls sideways by {overflow}px"
    assert clipped_chart_text(page) == []


def clipped_chart_text(page):
    """Texts of SVG charts that stick out of their drawing (charts draw unscaled, without a
    viewBox, so the drawing's box on the page is the area)."""
    return page.evaluate(
        """() => [...document.querySelectorAll('.chart svg')].flatMap(svg => {
            const box = svg.getBoundingClientRect();
            return [...svg.querySelectorAll('text')].filter(t => {
                const b = t.getBoundingClientRect();
                return b.left < box.left - 0.5 || b.right > box.right + 0.5;
            }).map(t => t.textContent);
        })"""
    )


def test_search_to_profile_to_province_feature(site, phone):
    phone.goto(site + "/")
    phone.fill("#home-q", "sqg")
    phone.click("form.search button")
    phone.wait_for_url("**/estates/?q=sqg")
    assert phone.locator(".estate-cards h3").all_inner_texts() == ["双旗杆东里"]
    phone.click("text=双旗杆东里")
    phone.wait_for_url("**/estates/shuangqigandongli/")
    assert phone.locator("h1").inner_text() == "双旗杆东里"
    assert phone.locator(".facts div", has_text="户数").locator("dd").inner_text() == "407户"
    phone.click(".badge a")
    phone.wait_for_url("**/campaigns/quanguo-2021/beijing/")
    assert phone.locator("h1").inner_text() == "北京篇"
    assert phone.locator(".case-number").all_inner_texts() == ["01", "02", "03", "04"]
    screenshot(phone, "flow-feature")


def test_language_switch_keeps_the_page(site, desktop):
    desktop.goto(site + "/estates/lijingchangan/")
    desktop.click("nav.languages >> text=English")
    desktop.wait_for_url("**/en/estates/lijingchangan/")
    assert desktop.locator("html").get_attribute("lang") == "en"
    assert desktop.locator("#story").inner_text() == "Overview"
    assert desktop.locator("h1").inner_text() == "Lijing Chang'an"
    desktop.click("nav.languages >> text=中文")
    desktop.wait_for_url("**/estates/lijingchangan/")
    assert desktop.locator("#story").inner_text() == "概况"
    assert desktop.locator("h1").inner_text() == "丽景长安"


def test_keyboard_reaches_the_skip_link_first(site, desktop):
    desktop.goto(site + "/estates/")
    desktop.keyboard.press("Tab")
    focused = desktop.evaluate("document.activeElement.textContent")
    assert focused == "跳到正文"


@pytest.mark.parametrize(
    "slug",
    [
        "shuangqigandongli",
        "changwajie7haoyuan",
        "lijingchangan",
        "xichanganyihao",
        "aozhengchengyuannanqu",
    ],
)
def test_profile_prints_as_a_brief_of_one_or_two_pages(site, desktop, tmp_path, slug):
    desktop.goto(f"{site}/estates/{slug}/")
    pdf = tmp_path / "brief.pdf"
    desktop.pdf(path=str(pdf), format="A4")
    data = pdf.read_bytes()
    pages = data.count(b"/Type /Page") - data.count(b"/Type /Pages")
    assert 1 <= pages <= 2
