"""Each estate's face in Chromium at 390 and 1280 px, in both languages: every card on the home
page and the list and every case of the province feature shows its cover, loaded and uncropped
(1200 × 630); each seed profile leads with its cover, and its og:image, the same file, answers
200 with a 1200 × 630 image."""

import io

import pytest
from PIL import Image

from .conftest import screenshot

pytestmark = pytest.mark.django_db(transaction=True)

LANGUAGES = {"zh-hans": "", "en": "/en"}
SEED_SLUGS = [
    "shuangqigandongli",
    "changwajie7haoyuan",
    "lijingchangan",
    "xichanganyihao",
    "aozhengchengyuannanqu",
]
# (page, what holds one estate, how many the seed shows there)
PAGES = [
    ("/", ".estate-card", 4),  # the national round's estates
    ("/estates/", ".estate-card", 5),
    ("/campaigns/quanguo-2021/beijing/", "section.case", 4),
]


def covers_shown(page, holder):
    """[(the holder's heading, image's natural width, shown width, shown height)] once every
    cover has loaded (they load lazily: scrolled past, as a reader would)."""
    for image in page.locator(f"{holder} img.estate-cover").all():
        image.scroll_into_view_if_needed()
    page.wait_for_function(
        "() => [...document.querySelectorAll('img.estate-cover')].every(i => i.complete)"
    )
    return page.eval_on_selector_all(
        holder,
        """holders => holders.map(h => {
            const image = h.querySelector('img.estate-cover');
            const box = image ? image.getBoundingClientRect() : {width: 0, height: 0};
            return [h.querySelector('h2, h3').textContent.trim(),
                    image ? image.naturalWidth : 0, box.width, box.height];
        })""",
    )


@pytest.mark.parametrize("language", list(LANGUAGES))
@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_every_card_and_case_shows_its_cover(request, site, device, language):
    page = request.getfixturevalue(device)
    for path, holder, count in PAGES:
        assert page.goto(site + LANGUAGES[language] + path).status == 200
        shown = covers_shown(page, holder)
        assert len(shown) == count, path
        for heading, natural, width, height in shown:
            assert natural > 0, f"{path}: the cover of {heading} did not load"
            assert width > 200, f"{path}: the cover of {heading} is {width} px wide"
            # The card's proportions: nothing of its text is cut off.
            assert abs(height / width - 630 / 1200) < 0.01, f"{path}: {heading}"
        name = path.strip("/").replace("/", "-") or "home"
        screenshot(page, f"covers-{name}-{language}")


@pytest.mark.parametrize("language", list(LANGUAGES))
@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_each_profile_shares_a_1200_by_630_image(request, site, device, language):
    page = request.getfixturevalue(device)
    for slug in SEED_SLUGS:
        assert page.goto(f"{site}{LANGUAGES[language]}/estates/{slug}/").status == 200
        # The profile leads with its cover: the same file as the share image.
        header = page.locator("img.estate-cover-header")
        header.wait_for()
        page.wait_for_function("() => document.querySelector('img.estate-cover-header').complete")
        assert header.evaluate("i => i.naturalWidth") > 0, slug
        address = page.get_attribute('meta[property="og:image"]', "content")
        assert header.get_attribute("src") == address.removeprefix(site)
        assert address.startswith(f"{site}/estates/{slug}/cover.png?v="), address
        response = page.request.get(address)
        assert response.status == 200, address
        assert response.headers["content-type"] == "image/png"
        assert Image.open(io.BytesIO(response.body())).size == (1200, 630)
