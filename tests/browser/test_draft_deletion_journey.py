"""A provincial clerk in Chromium: the new nomination's campaign choice lists only the
campaign taking nominations, and a draft started by mistake is deleted from its page after a
confirmation that says what goes (the add form and the confirmation at 390 and 1280 px)."""

import pytest

from estates.enums import CampaignPhase
from estates.models import Campaign, Estate, Nomination

from ..builders import campaign_like, make_staff
from .conftest import log_in, screenshot

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_clerk_nominates_only_into_an_open_campaign_and_deletes_a_draft(site, desktop, phone):
    make_staff("provincial", "beijing", username="beijing-li")
    open_campaign = campaign_like(
        "quanguo-2021", CampaignPhase.NOMINATING, title="申报中的全国评选", year=2026
    )
    estate = Estate.objects.get(slug="lijingchangan")  # public since 2021: its draft is not
    for page in (desktop, phone):
        log_in(page, site, "beijing-li")
    page = desktop

    page.goto(site + "/admin/estates/nomination/add/")
    options = page.locator("#id_campaign option").all_inner_texts()
    assert options == ["---------", str(open_campaign)]
    assert "只列出处于“推荐申报”阶段的评选活动" in page.locator(".field-campaign").inner_text()
    phone.goto(page.url)
    screenshot(page, "nomination-add-open-campaigns")
    screenshot(phone, "nomination-add-open-campaigns")

    page.select_option("#id_campaign", label=str(open_campaign))
    page.click(".field-estate .select2-selection")
    page.fill(".select2-search__field", estate.name)
    page.locator(".select2-results__option", has_text=estate.name).click()
    page.click("input[name=_save]")
    page.wait_for_selector("textarea[name$='-text']")
    nomination = Nomination.objects.get(campaign=open_campaign, estate=estate)

    page.click("a.deletelink")
    page.wait_for_selector(".delete-summary")
    assert page.locator(".delete-question").inner_text() == (
        f"确定要删除“{estate.name}”参加“{open_campaign}”的推荐草稿吗？"
    )
    phone.goto(page.url)
    screenshot(page, "nomination-draft-delete")
    screenshot(phone, "nomination-draft-delete")
    page.click("input[type=submit][value='确认删除这份草稿']")
    page.wait_for_selector(".messagelist .success")
    assert not Nomination.objects.filter(pk=nomination.pk).exists()
    assert Campaign.objects.get(slug="quanguo-2021").nominations.filter(estate=estate).exists()
