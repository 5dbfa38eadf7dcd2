"""A campaign's year in Chromium, as the ministry runs it: the 2025 round copied into 2027 with
one form (the year typed, the title and address following it), a weight edited, each phase
confirmed on a page that says what happens and what is unfinished, the step to notice refused
while a nomination is still under review, and the results published before the end of the
notice period with an override and a reason.

The provinces' and reviewers' part (nominating, reviewing, deciding single nominations) has
its own journeys; here it is done with the workflow between the ministry's steps."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from estates.enums import CampaignPhase, NominationState
from estates.models import Campaign, City, Nomination
from estates.roles import sync_role_groups
from estates.workflow import transition

from ..builders import make_estate, make_staff
from ..test_campaign_copy import campaign_2025
from .conftest import log_in, screenshot

pytestmark = pytest.mark.django_db(transaction=True)

S = NominationState
TITLE = "{}年度全国“加强物业管理 共建美好家园”典型案例评选"
# An override reason as pasted from a Word minute: line breaks, full-width punctuation.
OVERRIDE_REASON = (
    "经部务会研究（2026年第12次），公示期内收到的2件异议均已核查办结；\r\n"
    "为赶在“美好家园”现场会前发布，决定提前结束公示。\r\n"
    "——住房和城乡建设部房地产市场监管司"
)


def shandong_estate(name):
    linyi = City.objects.get(slug="linyi")
    return make_estate(name=name, province=linyi.province, city=linyi)


class Pages:
    """The ministry clerk at a desk (1280 px) and on a phone (390 px): each page changed here
    is shot at both widths."""

    def __init__(self, site, desktop, phone):
        self.site, self.desktop, self.phone = site, desktop, phone
        for page in (desktop, phone):
            log_in(page, site, "ministry-wang")

    def shoot(self, name, again=None):
        """Both widths of the desktop's page; `again` repeats on the phone what led to a
        refusal (a page answered to a POST)."""
        self.phone.goto(self.desktop.url)
        if again is not None:
            again(self.phone)
        screenshot(self.desktop, name)
        screenshot(self.phone, name)


def confirm_step(page, button_text, reason=""):
    page.get_by_role("link", name=button_text).click()
    page.wait_for_selector(".phase-confirm")
    if reason:
        page.fill("#id_reason", reason)
    page.locator(".phase-form input[type=submit]").click()
    page.wait_for_selector(".messagelist .success")


def copy_into_2027(page):
    page.fill("#id_year", "2027")


def mistaken_copy(page):
    copy_into_2027(page)
    page.fill("#id_slug", "quanguo-2025")
    page.click("input[type=submit]")
    page.wait_for_selector(".errornote")


def early_publication(page):
    page.fill("#id_reason", OVERRIDE_REASON)
    page.locator(".phase-form input[type=submit]").click()
    page.wait_for_selector(".form-row.errors")


def test_ministry_runs_the_2027_round_from_the_2025_one(site, desktop, phone):
    source = campaign_2025()
    sync_role_groups()  # the ministry reads the phase log (a permission newer than the seed's)
    make_staff("ministry", username="ministry-wang")
    pages = Pages(site, desktop, phone)
    page = desktop

    # Copy: the list's link, one form with the year, title and address prefilled: the year
    # after the source, or this year if that is later.
    page.goto(site + "/admin/estates/campaign/")
    pages.shoot("campaign-list")
    page.locator(f"a[href$='/campaign/{source.pk}/copy/']").click()
    year = max(2026, timezone.localdate().year)
    assert page.input_value("#id_year") == str(year)
    assert page.input_value("#id_title") == TITLE.format(year)
    assert page.input_value("#id_slug") == f"quanguo-{year}"
    pages.shoot("campaign-copy-form")
    # In December the clerk prepares next year's round: the title and address follow the year
    # as it is typed.
    copy_into_2027(page)
    assert page.input_value("#id_title") == TITLE.format(2027)
    assert page.input_value("#id_slug") == "quanguo-2027"
    pages.shoot("campaign-copy-form-year-typed", again=copy_into_2027)
    # Last year's address pasted by mistake: refused, with what was typed kept.
    mistaken_copy(page)
    assert page.locator(".field-slug .errorlist").inner_text() == (
        "网址标识“quanguo-2025”已被评选活动“2025年度全国“加强物业管理 共建美好家园”"
        "典型案例评选”使用，请换一个。"
    )
    assert (page.input_value("#id_year"), page.input_value("#id_title")) == (
        "2027",
        TITLE.format(2027),
    )
    pages.shoot("campaign-copy-form-refused", again=mistaken_copy)
    page.fill("#id_slug", "quanguo-2027")
    page.click("input[type=submit]")
    page.wait_for_selector(".messagelist .success")
    new = Campaign.objects.get(slug="quanguo-2027")
    assert (new.year, new.title) == (2027, TITLE.format(2027))
    assert page.url.endswith(f"/admin/estates/campaign/{new.pk}/change/")
    assert new.criteria.count() == 9 and new.province_quotas.count() == 2

    # A weight up by 2 is refused until another comes down by 2.
    page.fill("#id_criteria-0-weight", str(Decimal(page.input_value("#id_criteria-0-weight")) + 2))
    page.click("input[name=_continue]")
    page.wait_for_selector(".errornote")
    assert "权重之和应为 100，现在 9 项合计 102" in page.locator(".errorlist.nonform").inner_text()
    page.fill("#id_criteria-8-weight", str(Decimal(page.input_value("#id_criteria-8-weight")) - 2))
    page.click("input[name=_continue]")
    page.wait_for_selector(".messagelist .success")
    assert sum(new.criteria.values_list("weight", flat=True)) == 100
    pages.shoot("campaign-change-page")

    # 筹备中 → 推荐申报, with a note for the log.
    confirm_step(page, "推进到“推荐申报”", reason="通知已印发（建办房函〔2026〕12号）")
    new.refresh_from_db()
    assert new.phase == CampaignPhase.NOMINATING

    # The provinces nominate: one draft is never finished.
    lanshan = Nomination.objects.create(
        campaign=new, estate=shandong_estate("兰山区阳光花园小区"), state=S.SUBMITTED
    )
    hedong = Nomination.objects.create(
        campaign=new, estate=shandong_estate("河东区滨河家园（二期）"), state=S.SUBMITTED
    )
    Nomination.objects.create(campaign=new, estate=shandong_estate("罗庄区草稿小区"))

    page.get_by_role("link", name="推进到“评审中”").click()
    page.wait_for_selector(".phase-confirm")
    warnings = page.locator("ul.warnings").inner_text()
    assert "1 份草稿尚未提交，推进后将不能再提交（只能撤回）。" in warnings
    pages.shoot("campaign-confirm-reviewing")
    page.locator(".phase-form input[type=submit]").click()
    page.wait_for_selector(".messagelist .success")

    # Reviewing: one nomination is shortlisted, the other is still under review.
    ministry = make_staff("ministry")
    for nomination in (lanshan, hedong):
        transition(nomination, S.UNDER_REVIEW, ministry)
    transition(lanshan, S.SHORTLISTED, ministry)

    # The notice dates (announced to start tomorrow), then the step to notice: refused,
    # naming the nomination in the way.
    today = timezone.localdate()
    page.fill("#id_notice_starts_on", (today + datetime.timedelta(days=1)).isoformat())
    page.fill("#id_notice_ends_on", (today + datetime.timedelta(days=7)).isoformat())
    page.click("input[name=_continue]")
    page.wait_for_selector(".messagelist .success")
    page.get_by_role("link", name="推进到“公示中”").click()
    page.wait_for_selector(".phase-confirm")
    rows = page.locator("table.phase-blockers tbody tr")
    assert rows.count() == 1
    assert rows.first.locator("td").all_inner_texts() == [
        "河东区滨河家园（二期）",
        "山东",
        "评审中",
        "列为拟入选、确定未入选",
    ]
    assert page.locator(".phase-form input[type=submit]").count() == 0
    pages.shoot("campaign-confirm-notice-blocked")
    new.refresh_from_db()
    assert new.phase == CampaignPhase.REVIEWING

    # Decided; the step goes through.
    transition(hedong, S.NOT_SELECTED, ministry, reason="综合得分未进入前列")
    page.reload()
    # The notice starts tomorrow: the page says from when the public can object.
    caution = page.locator(".phase-caution").inner_text()
    assert caution.startswith("请注意：公示开始日期是 ") and "起才能提出异议" in caution
    pages.shoot("campaign-confirm-notice")
    page.locator(".phase-form input[type=submit]").click()
    page.wait_for_selector(".messagelist .success")
    transition(lanshan, S.ON_NOTICE, ministry)
    # Selected while the notice runs: deliberate, with a reason (the workflow asks for both).
    transition(lanshan, S.SELECTED, ministry, reason="异议已核查", early=True)

    # Publishing two days into the notice period: only with the override and a reason.
    page.get_by_role("link", name="发布评选结果").click()
    page.wait_for_selector(".phase-confirm")
    pages.shoot("campaign-confirm-publish")
    early_publication(page)  # with a reason, without the override
    assert "结束前不能发布结果" in page.locator(".form-row.errors").first.inner_text()
    assert page.input_value("#id_reason") == OVERRIDE_REASON.replace("\r\n", "\n")
    pages.shoot("campaign-confirm-publish-refused", again=early_publication)
    page.check("#id_override")
    page.fill("#id_reason", OVERRIDE_REASON)
    page.locator(".phase-form input[type=submit]").click()
    page.wait_for_selector(".messagelist .success")
    new.refresh_from_db()
    assert new.phase == CampaignPhase.PUBLISHED

    # The log on the campaign's page.
    log = page.locator("#phase_changes-group")
    log.scroll_into_view_if_needed()
    rows = log.locator("tbody tr")
    assert rows.count() == 4
    assert "通知已印发（建办房函〔2026〕12号）" in rows.nth(0).inner_text()
    last = rows.nth(3).inner_text()
    assert "公示中 → 结果已发布" in last and "ministry-wang" in last
    assert "提前结束公示" in last
    change = new.phase_changes.get(to_phase=CampaignPhase.PUBLISHED)
    assert change.overridden and change.reason == OVERRIDE_REASON.replace("\r\n", "\n")
    pages.shoot("campaign-change-page-published")

    # The public campaign page: the estate, and the title once.
    page.goto(f"{site}/campaigns/quanguo-2027/")
    assert page.locator("h1").inner_text() == TITLE.format(2027)
    assert "兰山区阳光花园小区" in page.locator("main").inner_text()
