"""A reader's journey on a phone, as someone sent the link in WeChat would take it: the home
page, the map of China, a province's estates, one estate's profile read through its section
menu, its English page, and what a shared link shows. Then the illustrative Shandong round."""

import struct
from urllib.request import urlopen

import pytest

from .conftest import screenshot

pytestmark = pytest.mark.django_db(transaction=True)


def png_size(data):
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def in_view(page, selector):
    return page.evaluate(
        """(selector) => {
            const box = document.querySelector(selector).getBoundingClientRect();
            return box.top >= 0 && box.top < window.innerHeight;
        }""",
        selector,
    )


def no_sideways_scroll(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_a_reader_finds_an_estate_on_the_map_and_reads_its_profile(site, device, request):
    page = request.getfixturevalue(device)
    page.goto(site + "/")
    screenshot(page, "reader-home")
    assert no_sideways_scroll(page)

    # China at a glance: Beijing's tile leads to Beijing's four estates.
    page.locator("ul.tile-map a", has_text="京").click()
    page.wait_for_url("**/estates/?province=beijing")
    cards = page.locator("ul.estate-cards li")
    assert cards.count() == 4
    covers = page.locator("ul.estate-cards img")
    assert covers.count() == 4
    for i in range(4):
        covers.nth(i).scroll_into_view_if_needed()
        covers.nth(i).evaluate("img => img.decode()")
        assert covers.nth(i).evaluate("img => img.naturalWidth") > 0

    page.locator("ul.estate-cards a", has_text="丽景长安").click()
    page.wait_for_url("**/estates/lijingchangan/")
    screenshot(page, "reader-profile")
    assert no_sideways_scroll(page)

    # The cover leads the page, loaded and large: the body's first image, which WeChat
    # shows with a shared link (it reads the src, the share image itself).
    cover = page.locator("article img").first
    assert "estate-cover" in cover.get_attribute("class")
    assert cover.evaluate("img => img.complete && img.naturalWidth") > 0
    assert cover.evaluate("img => img.getBoundingClientRect().width") >= 300
    share = page.locator('meta[property="og:image"]').get_attribute("content")
    assert share.endswith(cover.get_attribute("src"))

    # The key facts sit under the title, with their dates.
    strip = page.locator("ul.key-facts")
    assert "1599户" in strip.inner_text()
    assert "2021年" in strip.inner_text()

    # The section menu takes the reader to the results and stays in reach while reading.
    page.locator("nav.section-menu a", has_text="成效").click()
    page.wait_for_function("location.hash === '#results'")
    page.wait_for_timeout(300)
    assert in_view(page, "#results")
    assert in_view(page, "nav.section-menu")
    results = page.locator("section.results-section")
    assert "报修率" in results.inner_text()
    screenshot(page, "reader-results")

    # The same estate in English: its English name, and the numbers in English.
    page.locator("nav.languages a", has_text="English").click()
    page.wait_for_url("**/en/estates/lijingchangan/")
    assert page.locator("h1").inner_text() == "Lijing Chang'an"
    assert "1,599 households" in page.locator("ul.key-facts").inner_text()
    assert no_sideways_scroll(page)
    screenshot(page, "reader-profile-en")

    # What a shared link shows: the estate's own 1200×630 image, and its name.
    image = page.locator('meta[property="og:image"]').get_attribute("content")
    title = page.locator('meta[property="og:title"]').get_attribute("content")
    assert "/estates/lijingchangan/" in image
    assert title.startswith("Lijing Chang'an")
    with urlopen(image) as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "image/png"
        assert png_size(response.read()) == (1200, 630)


def test_a_reader_sees_what_is_illustrative_and_reads_the_report(site, phone):
    page = phone
    page.goto(site + "/campaigns/")
    shandong = page.locator("ul.campaigns li", has_text="山东省")
    assert "示例" in shandong.inner_text()
    shandong.locator("a").first.click()
    assert "示例" in page.locator("h1").inner_text()
    assert page.locator("p.example-note").is_visible()

    page.locator(".estate-cards a", has_text="奥正诚园南区").click()
    page.wait_for_url("**/estates/aozhengchengyuannanqu/")
    assert page.locator("p.badge .example-mark").is_visible()

    # The nomination report as its own sections: nine requirements, eight activities.
    page.locator("nav.section-menu a", has_text="原则要求").click()
    page.wait_for_function("location.hash === '#requirements'")
    page.wait_for_timeout(300)
    assert in_view(page, "#requirements")
    requirements = page.locator("section.report-section").first.locator("ol > li > h3")
    assert requirements.count() == 9
    assert requirements.first.inner_text() == "（一）发挥党建引领物业管理作用"
    activities = page.locator("section.report-section").nth(1).locator("ol > li > h3")
    assert activities.count() == 8
    screenshot(page, "reader-report")
    # The view count is a quiet line of the article's meta, not a headline.
    views = page.locator(".article-meta .views")
    assert views.inner_text().startswith("查看 ")
    size = views.evaluate("node => parseFloat(getComputedStyle(node).fontSize)")
    assert size < 15
