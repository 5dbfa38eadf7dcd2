"""A season's day of saves, in Chromium, through the pages only, and what readers meet: a
Shandong clerk types into a draft nomination of an estate that is already public and saves it
twice, then edits an estate nobody sees yet; readers on phones keep getting every public page
from the page cache. Then an editor changes one public estate's tagline: its page and the pages
that list it are rendered again and show it at once, while the other estates' pages stay
cached (estates/publication.py public_reach, showcase/cache.py)."""

import pytest

from estates.admin.nominations import create_missing_evidence
from estates.enums import CampaignPhase
from estates.enums import NominationState as S
from estates.models import City, Estate, Nomination
from estates.roles import sync_role_groups

from ..builders import campaign_like, make_estate, make_staff
from .conftest import log_in, screenshot

pytestmark = pytest.mark.django_db(transaction=True)

LINYI = "aozhengchengyuannanqu"
OTHER = "shuangqigandongli"
# Pasted from the province's Word draft: full-width spaces, a no-break space, two paragraphs.
FROM_WORD = (
    "\u3000\u3000小区党支部牵头成立“红管家”议事会，每月第一个周六召开，\u00a0业委会、物业服务企业"
    "和居民代表共同协商停车、加装电梯等事项。\n"
    "\u3000\u30002025年全年办结居民诉求312件，满意率98.2%。"
)
NEW_TAGLINE = "“红管家”议事会让停车难题有了解法"


class Reader:
    """A phone reader who notes, for each page, whether it came from the page cache."""

    def __init__(self, browser, site):
        self.context = browser.new_context(viewport={"width": 390, "height": 844})
        self.page = self.context.new_page()
        self.site = site

    def visit(self, path):
        response = self.page.goto(self.site + path)
        assert response.status == 200, path
        return response.headers.get("x-page-cache")

    def round(self, paths):
        return {path: self.visit(path) for path in paths}


def test_drafts_leave_readers_cached_and_an_edit_reaches_only_its_pages(site, browser):
    sync_role_groups()
    linyi = Estate.objects.get(slug=LINYI)
    other = Estate.objects.get(slug=OTHER)
    city = City.objects.get(slug="linyi")
    hidden = make_estate(name="兰山区阳光花园小区", province=city.province, city=city)
    campaign = campaign_like("shandong-2023", CampaignPhase.NOMINATING, slug="cache-journey")
    draft = Nomination.objects.create(estate=linyi, campaign=campaign, state=S.DRAFT)
    create_missing_evidence(draft)
    make_staff("provincial", "shandong", username="linyi-clerk")
    make_staff("editor", username="zhang-editor")

    public = [
        "/",
        "/estates/",
        f"/estates/{LINYI}/",
        f"/estates/{OTHER}/",
        "/campaigns/",
        "/mechanisms/",
        "/stats/",
    ]
    reader = Reader(browser, site)
    reader.round(public)  # the first visits render and keep the pages
    assert set(reader.round(public).values()) == {"hit"}

    # The clerk's morning: the draft's first box pasted from Word, saved twice, then the
    # introduction of an estate that is not public yet.
    clerk_context = browser.new_context(viewport={"width": 1280, "height": 900})
    clerk = clerk_context.new_page()
    log_in(clerk, site, "linyi-clerk")
    clerk.goto(f"{site}/admin/estates/nomination/")
    clerk.click(f"a[href$='/nomination/{draft.pk}/change/']")
    box = clerk.locator("textarea[name^=criterion_evidence][name$='-text']").first
    box.fill(FROM_WORD)
    clerk.click("input[name=_continue]")
    clerk.wait_for_selector(".messagelist .success")
    clerk.locator("textarea[name^=criterion_evidence][name$='-text']").first.press("Control+End")
    clerk.locator("textarea[name^=criterion_evidence][name$='-text']").first.type(
        "另有志愿者32名。"
    )
    clerk.click("input[name=_continue]")
    clerk.wait_for_selector(".messagelist .success")
    screenshot(clerk, "cache-journey-draft-saved")
    clerk.goto(f"{site}/admin/estates/estate/{hidden.pk}/change/")
    clerk.fill("#id_overview", "兰山区阳光花园小区建成于2005年，共有住户860户。")
    clerk.click("input[name=_continue]")
    clerk.wait_for_selector(".messagelist .success")
    clerk_context.close()
    text = draft.criterion_evidence.order_by("criterion__number").first().text
    assert text.replace("\r\n", "\n").endswith("满意率98.2%。另有志愿者32名。")

    # Nothing the clerk saved is public: every page still comes from the cache.
    assert reader.round(public) == dict.fromkeys(public, "hit")

    # The editor changes one public estate's tagline.
    editor_context = browser.new_context(viewport={"width": 1280, "height": 900})
    editor = editor_context.new_page()
    log_in(editor, site, "zhang-editor")
    editor.goto(f"{site}/admin/estates/estate/{linyi.pk}/change/")
    editor.fill("#id_tagline", NEW_TAGLINE)
    editor.click("input[name=_continue]")
    editor.wait_for_selector(".messagelist .success")
    editor_context.close()

    after = reader.round(public)
    # Its page and the pages that list or count estates are rendered again …
    assert after[f"/estates/{LINYI}/"] == "miss"
    assert after["/estates/"] == "miss"
    assert after["/"] == "miss"
    # … and show the new tagline at once; the other estate's page is still the kept one.
    reader.visit(f"/estates/{LINYI}/")
    assert reader.page.locator(".tagline").inner_text() == NEW_TAGLINE
    screenshot(reader.page, "cache-journey-edited-profile")
    assert after[f"/estates/{OTHER}/"] == "hit"
    reader.visit(f"/estates/{OTHER}/")
    assert reader.page.locator("h1").inner_text() == other.name
    reader.context.close()
