"""Two tables that ran off a phone's screen, in Chromium at 390 px and 1280 px: the public
notice list (公示) and the criteria, required activities and quotas on the campaign's admin
page. On a phone their rows are labelled blocks; every cell is inside the window, none scrolled
out of sight in a box; at 1280 px they are tables that fit."""

from datetime import timedelta

import pytest
from django.utils import timezone

from estates.enums import CampaignPhase, NominationState
from estates.models import Estate, Nomination

from ..builders import campaign_like, make_staff
from .conftest import log_in, screenshot

pytestmark = pytest.mark.django_db(transaction=True)

# Every cell of the tables asked about, with how far it reaches past the window's right edge
# and the label it carries (the column's name, shown before it on a phone).
CELLS = """selector => [...document.querySelectorAll(selector)]
    .filter(cell => cell.offsetParent !== null)
    .map(cell => ({
        text: cell.innerText.trim(),
        beyond: cell.getBoundingClientRect().right - document.documentElement.clientWidth,
        label: cell.dataset.label || null,
    }))"""


def on_notice():
    today = timezone.localdate()
    campaign = campaign_like(
        "quanguo-2021",
        CampaignPhase.NOTICE,
        slug="narrow-notice",
        notice_starts_on=today - timedelta(days=1),
        notice_ends_on=today + timedelta(days=6),
    )
    for estate in Estate.objects.order_by("pk"):
        Nomination.objects.create(estate=estate, campaign=campaign, state=NominationState.ON_NOTICE)
    return campaign


@pytest.mark.parametrize("width", [390, 1280])
def test_notice_list_fits_the_screen(site, browser, width):
    campaign = on_notice()
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.goto(f"{site}/campaigns/{campaign.slug}/notice/")
    screenshot(page, "notice-list")

    cells = page.evaluate(CELLS, ".notice-table tbody th, .notice-table tbody td")
    context.close()
    # Seven columns, and while the notice is open each row's link to object to its estate.
    assert len(cells) == 8 * Estate.objects.count()
    assert [cell for cell in cells if cell["beyond"] > 0] == []
    assert "奥正诚园南区" in [cell["text"] for cell in cells]
    assert [cell["text"] for cell in cells].count("对此提出异议") == Estate.objects.count()
    labels = {cell["label"] for cell in cells}
    assert labels == {None, "省份", "城市", "户数", "满意度", "物业费收缴率", "物业服务企业"}


@pytest.mark.parametrize("width", [390, 1280])
def test_campaign_criteria_fit_the_screen(site, browser, width):
    campaign = campaign_like("shandong-2023", CampaignPhase.NOMINATING, slug="narrow-criteria")
    make_staff("ministry", username="narrow-ministry")
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    log_in(page, site, "narrow-ministry")
    page.goto(f"{site}/admin/estates/campaign/{campaign.pk}/change/")
    page.locator("#criteria-group").scroll_into_view_if_needed()
    screenshot(page, "campaign-criteria")

    cells = page.evaluate(CELLS, "#criteria-group tbody td, #activity_requirements-group tbody td")
    widest = page.evaluate("document.documentElement.scrollWidth")
    context.close()
    assert widest <= width
    inputs = [cell for cell in cells if cell["label"]]
    assert len(inputs) == 9 * 5 + 8 * 4  # number, title, description, weight, delete; no weight
    assert [cell for cell in cells if cell["beyond"] > 0] == []
