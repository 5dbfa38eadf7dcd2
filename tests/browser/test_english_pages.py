"""English pages at a phone's and a desktop's width, with an estate, a mechanism and a campaign
that nobody has translated yet: each shows its Chinese marked 中文原文 · Chinese original,
visibly and inside the page, the translated seed estates show their English, axe finds nothing
serious and nothing scrolls sideways."""

import pytest

from estates.models import Mechanism, MechanismType

from ..builders import make_campaign, make_estate, nominate
from .conftest import screenshot
from .test_site_in_chromium import serious_violations

pytestmark = pytest.mark.django_db(transaction=True)

MARK = "中文原文 · Chinese original"


@pytest.fixture
def untranslated(site):
    """A newer national round, in Chinese only, selecting an estate in Chinese only: the home
    page features it."""
    campaign = make_campaign(title="全国第二届美好家园评选", slug="quanguo-2024", year=2024)
    estate = make_estate(
        name="未译的示范小区", tagline="一句尚未翻译的标题语", overview="尚未翻译的概况。"
    )
    nominate(estate, campaign=campaign)
    Mechanism.objects.create(
        estate=estate,
        mechanism_type=MechanismType.objects.get(slug="dangjianyinling"),
        title="尚未翻译的治理机制名称",
        description="尚未翻译的做法说明。",
    )
    return campaign, estate


PAGES = {
    "home": "/en/",
    "estates": "/en/estates/",
    "campaign": "/en/campaigns/quanguo-2024/",
    "mechanism": "/en/mechanisms/dangjianyinling/",
}


@pytest.mark.parametrize("device", ["phone", "desktop"])
@pytest.mark.parametrize("name", list(PAGES))
def test_english_page_marks_untranslated_texts(request, site, untranslated, device, name):
    page = request.getfixturevalue(device)
    assert page.goto(site + PAGES[name]).status == 200
    assert page.locator("html").get_attribute("lang") == "en"
    marks = page.locator(".original-mark")
    assert marks.count() >= 1
    width = page.viewport_size["width"]
    for index in range(marks.count()):
        mark = marks.nth(index)
        assert mark.is_visible()
        assert " ".join(mark.inner_text().split()) == MARK
        box = mark.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width
        # Beside Chinese text marked as Chinese, so it is read and drawn as Chinese.
        assert mark.evaluate("m => m.previousElementSibling.getAttribute('lang')") == "zh-Hans"
    untranslated_name = page.locator("[lang='zh-Hans']", has_text="未译的示范小区")
    assert untranslated_name.count() >= 1
    screenshot(page, f"english-{name}")
    assert serious_violations(page) == []
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{name} scrolls sideways by {overflow}px"


def test_translated_estates_read_in_english(site, untranslated, phone):
    phone.goto(site + "/en/estates/")
    card = phone.locator(".estate-card", has_text="Shuangqigan Dongli")
    assert card.locator("h3 [lang='en']").inner_text() == "Shuangqigan Dongli"
    assert card.locator(".original-mark").count() == 0
    phone.goto(site + "/en/mechanisms/dangjianyinling/")
    titles = phone.locator(".mechanism-use h3").all_inner_texts()
    assert "The red–yellow–green method" in titles
    phone.goto(site + "/mechanisms/dangjianyinling/")
    assert phone.locator(".original-mark").count() == 0
    assert "红黄绿三色工作法" in phone.locator(".mechanism-use h3").all_inner_texts()
