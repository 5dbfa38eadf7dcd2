"""The public frame in Chromium at 390 and 1280 px, in both languages: the navigation without an
item alone on a second row, tap targets of at least 24 × 24 CSS px, the footer's institutional
facts from the settings, and the addresses search results and a missing page give."""

import pytest
from django.utils import timezone

from .conftest import screenshot

pytestmark = pytest.mark.django_db(transaction=True)

LANGUAGES = {"zh": "", "en": "/en"}
PAGES = ["/", "/estates/", "/estates/?q=changan&province=beijing", "/estates/lijingchangan/"]
# Links and buttons of the frame and the list's filter form (the skip link shows only on focus).
TARGETS = (
    ".main-nav a, .languages a, .brand, .site-footer a, form.filters :is(a, button, select, input)"
)


def nav_rows(page):
    """The main navigation's items, grouped by the row they sit on (by their top edge)."""
    tops = page.eval_on_selector_all(
        ".main-nav a", "links => links.map(a => Math.round(a.getBoundingClientRect().top))"
    )
    rows = {}
    for top in tops:
        rows[top] = rows.get(top, 0) + 1
    return [rows[top] for top in sorted(rows)]


def small_targets(page):
    """(text, width, height) of every visible target smaller than 24 × 24 CSS px."""
    return page.eval_on_selector_all(
        TARGETS,
        """elements => elements.filter(e => e.getClientRects().length).map(e => {
            const box = e.getBoundingClientRect();
            return [e.textContent.trim() || e.name, Math.round(box.width * 10) / 10,
                    Math.round(box.height * 10) / 10];
        }).filter(([, width, height]) => width < 24 || height < 24)""",
    )


@pytest.mark.parametrize("language", list(LANGUAGES))
@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_navigation_leaves_no_item_alone_and_every_target_is_big_enough(
    request, site, device, language
):
    page = request.getfixturevalue(device)
    for path in PAGES:
        assert page.goto(site + LANGUAGES[language] + path).status == 200
        rows = nav_rows(page)
        assert sum(rows) == 6, path
        assert len(rows) == 1 or min(rows) > 1, f"{path}: nav rows {rows}"
        assert small_targets(page) == [], path
    page.goto(site + LANGUAGES[language] + "/estates/?province=beijing")
    screenshot(page, f"frame-filtered-list-{language}")
    if device == "phone":
        assert nav_rows(page) == [3, 3]
    else:
        assert nav_rows(page) == [6]


def footer_facts(page):
    return dict(
        zip(
            page.locator(".footer-facts dt").all_inner_texts(),
            page.locator(".footer-facts dd").all_inner_texts(),
            strict=True,
        )
    )


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_footer_shows_the_deployments_settings(request, site, device, settings):
    from showcase.opendata import last_updated

    settings.SITE_ORGANISER = "某市住房和城乡建设局"
    settings.SITE_ORGANISER_EN = "Municipal Housing Bureau"
    settings.SITE_CONTACT_EMAIL = "wuye@zjj.example.gov.cn"
    settings.SITE_CONTACT_PHONE = "0539-1234567"
    settings.SITE_CONTACT_ADDRESS = "临沂市河东区九曲街道示范路1号"
    settings.SITE_ICP_NUMBER = "鲁ICP备12345678号-1"
    # The newest change of published data (not of a draft), as /data/ says it.
    day = timezone.localdate(last_updated())
    page = request.getfixturevalue(device)

    page.goto(site + "/estates/lijingchangan/")
    footer = page.locator(".site-footer")
    footer.scroll_into_view_if_needed()
    screenshot(page, "frame-footer-zh")
    assert footer_facts(page) == {
        "主办单位": "某市住房和城乡建设局",
        "联系电话": "0539-1234567",
        "电子邮箱": "wuye@zjj.example.gov.cn",
        "通信地址": "临沂市河东区九曲街道示范路1号",
        "更新日期": f"{day.year}年{day.month}月{day.day}日",
    }
    assert footer.locator("time").get_attribute("datetime") == f"{day:%Y-%m-%d}"
    assert footer.locator("a[href^='tel:']").get_attribute("href") == "tel:05391234567"
    assert footer.locator("a[href^='mailto:']").get_attribute("href") == (
        "mailto:wuye@zjj.example.gov.cn"
    )
    icp = footer.locator(".icp a")
    assert icp.inner_text() == "鲁ICP备12345678号-1"
    assert icp.get_attribute("href") == "https://beian.miit.gov.cn/"

    page.goto(site + "/en/stats/")
    screenshot(page, "frame-footer-en")
    facts = footer_facts(page)
    assert facts["Organizer"] == "Municipal Housing Bureau"
    assert facts["Address"] == "临沂市河东区九曲街道示范路1号"
    assert page.locator(".footer-facts dd[lang='zh-Hans']").inner_text() == facts["Address"]

    settings.SITE_ORGANISER_EN = ""
    settings.SITE_CONTACT_PHONE = ""
    page.goto(site + "/en/mechanisms/")
    facts = footer_facts(page)
    assert facts["Organizer"] == "某市住房和城乡建设局"
    assert "Telephone" not in facts
    organiser = page.locator(".footer-facts dd", has_text="某市住房和城乡建设局")
    assert organiser.get_attribute("lang") == "zh-Hans"


def head_addresses(page):
    return page.evaluate(
        """() => ({
            canonical: [...document.querySelectorAll('link[rel=canonical]')].map(l => l.href),
            ogUrl: [...document.querySelectorAll('meta[property="og:url"]')].map(m => m.content),
            robots: [...document.querySelectorAll('meta[name=robots]')].map(m => m.content),
            alternates: Object.fromEntries([...document.querySelectorAll(
                'link[rel=alternate][hreflang]')].map(l => [l.hreflang, l.href])),
        })"""
    )


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_search_results_name_one_address_and_are_not_indexed(site, phone, language):
    prefix = LANGUAGES[language]
    phone.goto(site + prefix + "/estates/")
    phone.fill("input[name=q]", "changan")
    phone.select_option("select[name=province]", "beijing")
    phone.click("form.filters button")
    phone.wait_for_url("**/estates/?q=changan&province=beijing**")
    names = {"": ["丽景长安", "西长安壹号"], "/en": ["Lijing Chang'an", "Xi Chang'an No. 1"]}
    assert phone.locator(".estate-cards h3").all_inner_texts() == names[prefix]
    head = head_addresses(phone)
    address = f"{site}{prefix}/estates/?q=changan&province=beijing"
    assert head["canonical"] == [address]
    assert head["ogUrl"] == [address]
    assert head["robots"] == ["noindex, follow"]
    assert head["alternates"] == {
        "zh-Hans": f"{site}/estates/?q=changan&province=beijing",
        "en": f"{site}/en/estates/?q=changan&province=beijing",
        "x-default": f"{site}/estates/?q=changan&province=beijing",
    }
    # The list itself stays indexed, under one address.
    phone.goto(site + prefix + "/estates/?utm_source=wechat")
    head = head_addresses(phone)
    assert head["canonical"] == head["ogUrl"] == [f"{site}{prefix}/estates/"]
    assert head["robots"] == []


def test_filter_form_names_the_list_it_submits_to(site, desktop):
    desktop.goto(site + "/en/estates/?page=1&type=old")
    assert desktop.locator("form.filters").get_attribute("action") == "/en/estates/"
    desktop.select_option("select[name=type]", "")
    desktop.click("form.filters button")
    desktop.wait_for_url("**/en/estates/?q=**")
    assert desktop.locator(".estate-cards h3").count() == 5


@pytest.mark.parametrize("path", ["/estates/lijingchangan/", "/en/stats/", "/"])
def test_every_page_names_a_default_language_version(site, desktop, path):
    desktop.goto(site + path)
    head = head_addresses(desktop)
    chinese = site + path.removeprefix("/en")
    assert head["alternates"]["x-default"] == chinese
    assert head["alternates"]["zh-Hans"] == chinese
    assert head["canonical"] == head["ogUrl"] == [site + path]


@pytest.mark.parametrize(
    ("path", "switch"),
    [
        # The same missing estate in English; a path that is nothing leads home.
        ("/estates/no-such-estate/", "/en/estates/no-such-estate/"),
        ("/en/no-such-page/", "/"),
    ],
)
def test_missing_page_has_no_canonical(site, phone, path, switch):
    assert phone.goto(site + path).status == 404
    head = head_addresses(phone)
    assert head == {"canonical": [], "ogUrl": [], "robots": ["noindex"], "alternates": {}}
    assert phone.locator(".languages a").get_attribute("href") == site + switch
    assert small_targets(phone) == []
    screenshot(phone, "frame-not-found" + ("-en" if path.startswith("/en/") else ""))
