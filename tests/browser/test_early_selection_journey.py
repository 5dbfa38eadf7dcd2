"""In Chromium: a ministry clerk opens an estate on public notice while the notice still runs
and clicks 确定入选. The page said beside the button what that means; the click is refused
with the reason, and nothing typed is lost. Ticking 在公示期结束前确定入选 with a reason selects
it, and the public notice page no longer lists it."""

import datetime

import pytest
from django.utils import timezone

from estates.enums import CampaignPhase, NominationState
from estates.models import City, Nomination

from ..builders import campaign_like, make_estate, make_staff
from .conftest import log_in, screenshot

pytestmark = pytest.mark.django_db(transaction=True)

REASON = "国务院督查组要求本周报送名单，\n经部务会研究提前确定。"


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_selecting_before_the_notice_ends_is_deliberate(site, viewport, request):
    page = request.getfixturevalue(viewport)
    today = timezone.localdate()
    campaign = campaign_like(
        "shandong-2023",
        CampaignPhase.NOTICE,
        slug="notice-journey",
        notice_starts_on=today - datetime.timedelta(days=2),
        notice_ends_on=today + datetime.timedelta(days=5),
    )
    linyi = City.objects.get(slug="linyi")
    estate = make_estate(name="兰山区阳光花园小区", province=linyi.province, city=linyi)
    nomination = Nomination.objects.create(
        estate=estate, campaign=campaign, state=NominationState.ON_NOTICE
    )
    make_staff("ministry", username="ministry-li")

    notice_url = f"{site}/campaigns/{campaign.slug}/notice/"
    page.goto(notice_url)
    assert estate.name in page.inner_text(".notice-table")

    log_in(page, site, "ministry-li")
    page.goto(f"{site}/admin/estates/nomination/{nomination.pk}/change/")
    warning = page.inner_text("#notice-running")
    end = campaign.notice_ends_on
    assert f"公示期到 {end.year}年{end.month}月{end.day}日 结束" in warning
    screenshot(page, "early-selection-page")

    page.fill("#id_transition_reason", REASON)
    page.click("button[name=_transition][value=selected]")
    error = page.inner_text(".messagelist .error")
    assert "没有执行“确定入选”" in error and "请勾选“在公示期结束前确定入选”" in error
    # The reason typed is still there to send again.
    assert page.input_value("#id_transition_reason") == REASON
    nomination.refresh_from_db()
    assert nomination.state == NominationState.ON_NOTICE

    page.check("#id_transition_early")
    page.click("button[name=_transition][value=selected]")
    assert page.inner_text(".messagelist .success") == f"“{nomination}”现在是“入选”。"
    nomination.refresh_from_db()
    assert nomination.state == NominationState.SELECTED
    assert nomination.transitions.get().reason == REASON

    page.goto(notice_url)
    assert estate.name not in page.inner_text("#content, main")
