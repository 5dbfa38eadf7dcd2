"""History people can read, in Chromium: the ministry returns a Shandong nomination for
correction with a reason pasted from Word and later decides it is not selected; the clerk
reads both reasons on the nomination's page from a phone; the ministry reads the estate's
history, where the clerk's corrections show as labels with old → new values."""

import re

import pytest

from estates.admin.nominations import create_missing_evidence
from estates.enums import CampaignPhase, NominationState
from estates.models import City, Nomination
from estates.roles import sync_role_groups
from estates.workflow import transition

from ..builders import campaign_like, make_estate, make_staff
from .conftest import log_in, screenshot
from .test_site_in_chromium import serious_violations

pytestmark = pytest.mark.django_db(transaction=True)

ESTATE = "临沂市兰山区金雀山街道沂河新苑（二期）"
# As pasted from a Word letter: numbered paragraphs, a blank line, full-width punctuation.
RETURN_REASON = (
    "一、业主满意度调查样本不足：问卷仅 12 份，请按《评选办法》补充到 200 份以上；\n"
    "二、8个“一”中第三项（邻里节）缺少活动照片，请补充。\n"
    "\n"
    "请于 12 月 10 日前修改后重新提交。"
)
NOT_SELECTED_REASON = "综合评分 72.5 分，未达到入选线（80 分）。"
OVERVIEW = "沂河新苑位于兰山区金雀山街道，共 18 栋楼，2003 年建成。"
OVERVIEW_ADDED = "2026年新增：加装电梯 12 部，改造雨污管网 3.2 公里。"


def open_nomination(page, site):
    page.goto(site + "/admin/estates/nomination/")
    page.click(f"#result_list a:text-is('{ESTATE}')")
    page.wait_for_selector("#nomination_form")


def move(page, label, reason=""):
    if reason:
        page.fill("textarea[name=_transition_reason]", reason)
    page.get_by_role("button", name=label).click()
    page.wait_for_selector(".messagelist .success")


def named_staff(role, province, username, family_name):
    user = make_staff(role, province, username=username)
    user.last_name = family_name
    user.save()
    return user


@pytest.fixture
def submitted(site):
    """A Linyi estate's nomination, every box filled and submitted by its clerk."""
    sync_role_groups()  # the groups as the permissions migration leaves them
    named_staff("ministry", None, "wangming", "王明")
    clerk = named_staff("provincial", "shandong", "liqing", "李青")
    linyi = City.objects.get(slug="linyi")
    estate = make_estate(
        name=ESTATE, province=linyi.province, city=linyi, households=800, overview=OVERVIEW
    )
    campaign = campaign_like("shandong-2023", CampaignPhase.NOMINATING, slug="sd-2026", year=2026)
    nomination = Nomination.objects.create(estate=estate, campaign=campaign)
    create_missing_evidence(nomination)
    nomination.criterion_evidence.update(text="已落实。")
    nomination.activity_evidence.update(text="已开展。")
    transition(nomination, NominationState.SUBMITTED, clerk)
    return nomination


def test_a_clerk_reads_the_reasons_and_the_ministry_reads_the_estates_history(
    site, submitted, phone, desktop
):
    # The ministry returns the nomination for correction.
    log_in(desktop, site, "wangming")
    open_nomination(desktop, site)
    move(desktop, "退回修改", RETURN_REASON)

    # The clerk corrects the estate (a count, a paragraph added) and submits again.
    log_in(phone, site, "liqing")
    phone.goto(site + "/admin/estates/estate/")
    phone.click(f"#result_list a:text-is('{ESTATE}')")
    phone.fill("#id_households", "1250")
    phone.fill("#id_overview", f"{OVERVIEW}\n{OVERVIEW_ADDED}")
    phone.click("input[name=_save]")
    phone.wait_for_selector(".messagelist .success")
    open_nomination(phone, site)
    move(phone, "提交推荐")

    # The campaign moves on to review (its own journey is the campaign helper's); the
    # ministry starts the review and decides.
    submitted.campaign.phase = CampaignPhase.REVIEWING
    submitted.campaign.save()
    open_nomination(desktop, site)
    move(desktop, "开始评审")
    move(desktop, "确定未入选", NOT_SELECTED_REASON)
    screenshot(desktop, "history-journey-nomination-log")

    # The clerk opens the nomination and reads both reasons, in full, in Chinese.
    open_nomination(phone, site)
    log = phone.locator(".history-log")
    screenshot(phone, "history-journey-nomination-log")
    rows = log.locator("tbody tr")
    assert rows.count() == 5
    returned, refused = rows.nth(1), rows.nth(4)
    assert returned.locator(".field-change").inner_text() == "已提交 → 草稿"
    assert returned.locator(".field-who").inner_text() == "王明（部级管理员）"
    assert returned.locator(".field-reason_text").inner_text() == RETURN_REASON
    assert refused.locator(".field-change").inner_text() == "评审中 → 未入选"
    assert refused.locator(".field-reason_text").inner_text() == NOT_SELECTED_REASON
    assert rows.nth(2).locator(".field-who").inner_text() == "李青（省级填报员）"
    assert re.fullmatch(
        r"\d{4}年\d{1,2}月\d{1,2}日 \d\d:\d\d", rows.nth(0).locator(".field-at").inner_text()
    )

    # The ministry opens the estate's history from its page.
    for page in (desktop, phone):
        if page is phone:
            page.context.clear_cookies()
            log_in(page, site, "wangming")
        page.goto(site + "/admin/estates/estate/")
        page.click(f"#result_list a:text-is('{ESTATE}')")
        page.click("a.historylink")
        page.wait_for_selector("#change-history")
        screenshot(page, "history-journey-estate-history")
        newest = page.locator("#change-history tbody tr").first
        assert newest.locator(".col-who").inner_text() == "李青（省级填报员）"
        changes = newest.locator(".history-changes").inner_text()
        assert "户数（户）：\n800 → 1250" in changes or "户数（户）： 800 → 1250" in changes
        assert f"新增段落：{OVERVIEW_ADDED}" in changes
        text = page.locator("#content").inner_text()
        assert "None" not in text and "households" not in text and "Changes" not in text
        assert serious_violations(page) == []
        assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
