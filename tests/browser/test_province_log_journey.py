"""A province reads why, in Chromium on a phone (390 px): the ministry returns a Shandong
nomination with a reason; the clerk signs in, opens it and reads the reason at the top and in
the log, corrects nothing but submits again; the nomination is reviewed by two experts and the
ministry decides it is not selected; the clerk sees no review until the ministry ticks the
campaign's release, then reads the comments as 专家一 and 专家二, never the reviewers' names."""

import pytest
from axe_playwright_python.base import AXE_SCRIPT
from django.contrib.auth import get_user_model

from estates.admin.nominations import create_missing_evidence
from estates.enums import CampaignPhase, NominationState
from estates.models import City, Nomination, ReviewScore
from estates.roles import sync_role_groups
from estates.workflow import assign_reviewer, submit_review, transition

from ..builders import campaign_like, make_estate, make_staff
from .conftest import log_in, screenshot

pytestmark = pytest.mark.django_db(transaction=True)

ESTATE = "临沂市兰山区沂河新苑"
RETURN_REASON = (
    "一、业主满意度调查样本不足：问卷仅 12 份，请补充到 200 份以上；\n"
    "二、8个“一”中第三项（邻里节）缺少活动照片，请补充。"
)
REFUSAL = "综合评分 72.5 分，未达到入选线（80 分）。"
COMMENTS = {
    "zj-qianfeng": "　　党建引领扎实，议事协商有制度；满意度调查样本偏少，建议扩大问卷范围。",
    "zj-zhaojie": "物业服务规范，公示公开内容不全，建议按季度公开收支。",
}
CRITERION_COMMENT = "党支部每月召开联席会，记录完整。"

# The sections this journey reads; the admin's own breadcrumbs are another matter (they fail
# axe's link-in-text-block on every admin change page).
SECTIONS = [[".nomination-state"], ["#transitions-group"], ["#released-reviews"]]


def named_staff(role, province, username, family_name):
    user = make_staff(role, province, username=username)
    user.last_name = family_name
    user.save()
    return user


def open_nomination(page, site):
    page.goto(site + "/admin/estates/nomination/")
    page.click(f"#result_list a:text-is('{ESTATE}')")
    page.wait_for_selector("#nomination_form")


def move(page, label, reason=""):
    if reason:
        page.fill("textarea[name=_transition_reason]", reason)
    page.get_by_role("button", name=label).click()
    page.wait_for_selector(".messagelist .success")


def section_violations(page):
    page.evaluate(AXE_SCRIPT)
    results = page.evaluate(
        "sections => axe.run({include: sections}, {runOnly: {type: 'tag', values: "
        "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})",
        SECTIONS,
    )
    return [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def fits(page):
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0


@pytest.fixture
def submitted(site):
    sync_role_groups()
    named_staff("ministry", None, "wangming", "王明")
    clerk = named_staff("provincial", "shandong", "liqing", "李青")
    named_staff("reviewer", "hebei", "zj-qianfeng", "钱锋")
    named_staff("reviewer", "beijing", "zj-zhaojie", "赵洁")
    linyi = City.objects.get(slug="linyi")
    estate = make_estate(name=ESTATE, province=linyi.province, city=linyi)
    campaign = campaign_like("shandong-2023", CampaignPhase.NOMINATING, slug="sd-why", year=2026)
    nomination = Nomination.objects.create(estate=estate, campaign=campaign)
    create_missing_evidence(nomination)
    nomination.criterion_evidence.update(text="已落实。")
    nomination.activity_evidence.update(text="已开展。")
    transition(nomination, NominationState.SUBMITTED, clerk)
    return nomination


def reviewed_by_two(nomination, ministry):
    """The reviewers' part, done as their own journey tests do it through the admin."""
    for username, score in (("zj-qianfeng", 75), ("zj-zhaojie", 70)):
        reviewer = get_user_model().objects.get(username=username)
        review = assign_reviewer(nomination, reviewer, ministry)
        review.comment = COMMENTS[username]
        review.save()
        ReviewScore.objects.filter(review=review).update(score=score)
        if username == "zj-qianfeng":
            ReviewScore.objects.filter(review=review, criterion__number=1).update(
                comment=CRITERION_COMMENT
            )
        submit_review(review, reviewer)


def test_a_province_reads_the_reason_then_the_released_comments(site, submitted, phone, desktop):
    # The ministry returns the nomination with a reason.
    log_in(desktop, site, "wangming")
    open_nomination(desktop, site)
    move(desktop, "退回修改", RETURN_REASON)

    # The clerk signs in on a phone, opens it and reads why, at the top and in the log.
    log_in(phone, site, "liqing")
    open_nomination(phone, site)
    panel = phone.locator(".nomination-state")
    assert panel.locator(".last-move-reason").inner_text() == RETURN_REASON
    assert "王明（部级管理员）“退回修改”，理由：" in panel.locator(".last-move-title").inner_text()
    panel.get_by_role("link", name="全部状态变更记录").click()
    returned = phone.locator("#transitions-group tbody tr").nth(1)
    assert returned.locator(".field-change").inner_text() == "已提交 → 草稿"
    assert returned.locator(".field-who").inner_text() == "王明（部级管理员）"
    assert returned.locator(".field-reason_text").inner_text() == RETURN_REASON
    assert phone.locator("#released-reviews").count() == 0
    assert fits(phone)
    assert section_violations(phone) == []
    screenshot(phone, "province-log-returned")
    move(phone, "提交推荐")

    # Reviewed by two experts; the ministry decides it is not selected.
    submitted.campaign.phase = CampaignPhase.REVIEWING
    submitted.campaign.save()
    ministry = get_user_model().objects.get(username="wangming")
    transition(submitted, NominationState.UNDER_REVIEW, ministry)
    reviewed_by_two(submitted, ministry)
    open_nomination(desktop, site)
    move(desktop, "确定未入选", REFUSAL)

    # Decided, but the comments are not released: the clerk reads the decision's reason only.
    open_nomination(phone, site)
    assert phone.locator(".last-move-reason").inner_text() == REFUSAL
    assert phone.locator("#released-reviews").count() == 0
    assert COMMENTS["zj-zhaojie"] not in phone.locator("#content").inner_text()

    # The ministry ticks the release on the campaign's page.
    desktop.goto(site + f"/admin/estates/campaign/{submitted.campaign.pk}/change/")
    desktop.check("#id_review_comments_released")
    desktop.click("input[name=_save]")
    desktop.wait_for_selector(".messagelist .success")

    # The clerk reads the comments, numbered, never named.
    open_nomination(phone, site)
    phone.locator(".nomination-state").get_by_role("link", name="评审意见（已公开）").click()
    reviews = phone.locator("#released-reviews article")
    assert reviews.count() == 2
    assert reviews.nth(0).locator("h3").inner_text() == "专家一 · 加权总分 75.00"
    assert reviews.nth(1).locator("h3").inner_text() == "专家二 · 加权总分 70.00"
    texts = reviews.nth(0).locator(".released-text")
    assert texts.nth(0).inner_text() == COMMENTS["zj-qianfeng"]
    assert texts.nth(1).inner_text() == CRITERION_COMMENT
    content = phone.content()
    for identity in ("钱锋", "赵洁", "zj-qianfeng", "zj-zhaojie", "河北"):
        assert identity not in content
    assert fits(phone)
    assert section_violations(phone) == []
    phone.locator("#released-reviews").scroll_into_view_if_needed()
    screenshot(phone, "province-log")

    desktop.context.clear_cookies()
    log_in(desktop, site, "liqing")
    open_nomination(desktop, site)
    assert desktop.locator("#released-reviews article").count() == 2
    assert fits(desktop)
    screenshot(desktop, "province-log")
