"""One national round from start to finish in Chromium, through the admin's pages and the public
notice page only, each person in their own browser and starting from their admin home page:

the ministry starts the 2026 round from the 2025 one and opens it; a Shandong and a Beijing clerk
each nominate an estate, filling the evidence boxes and submitting with the last one just typed;
ten other provinces have handed theirs in meanwhile (data); the ministry starts the review of all
twelve and assigns reviewers automatically; four reviewers hand in with one click each; the
ministry shortlists, moves to notice and puts the twelve on notice in bulk; a member of the
public files an objection, the ministry handles it; eleven are selected and one is not, the
results are published (early, with the override and a reason), one estate is revoked and its
province reads why on the nomination's own page.

Every click and drop-down choice is counted per role; the counts are asserted and written to
test-artifacts/clicks.json (README, "The admin", gives them)."""

import datetime
import json
from collections import Counter

import pytest
from django.utils import timezone

from estates.admin.nominations import create_missing_evidence
from estates.enums import CampaignPhase, NominationState, ObjectionState
from estates.models import Campaign, City, Estate, Nomination, Objection, Province, Review
from estates.roles import sync_role_groups

from ..builders import make_estate, make_staff
from ..test_campaign_copy import campaign_2025
from .conftest import SCREENSHOTS, log_in, screenshot

pytestmark = pytest.mark.django_db(transaction=True)

S = NominationState
# Evidence as pasted from a Word report: paragraphs, full-width punctuation.
EVIDENCE = (
    "社区党组织牵头成立业委会党支部，物业项目经理担任支部委员；\n"
    "每月召开一次“红色物业”联席会议，2025年共解决停车、加装电梯等事项27件。"
)
LAST_EVIDENCE = (
    "（八）开展一次活动开展情况宣传报道。\n"
    "2026年5月，《大众日报》刊发《党建引领聚合力　共建共治美家园》，阅读量逾1.2万次；\n"
    "小区宣传栏、电梯间张贴工作简报共计36期。"
)
REVOKE_REASON = "复核发现：该小区2025年度物业费收缴率填报为98%，\n经核实实际为81%，材料不实。"
OTHER_PROVINCES = [
    "tianjin",
    "shanxi",
    "liaoning",
    "shanghai",
    "anhui",
    "fujian",
    "henan",
    "hubei",
    "hunan",
    "sichuan",
]
REVIEWERS = [
    ("hebei", "张建国"),
    ("jiangsu", "陈静"),
    ("zhejiang", "李秀英"),
    ("guangdong", "欧阳明辉"),
]


class Person:
    """One staff member in a browser of their own, counting their clicks and choices."""

    def __init__(self, browser, site, username, role, width=1280):
        self.context = browser.new_context(
            viewport={"width": width, "height": 900 if width > 500 else 844}
        )
        self.page = self.context.new_page()
        self.site, self.username, self.role, self.clicks = site, username, role, 0
        log_in(self.page, site, username)

    def click(self, target):
        self.clicks += 1
        (self.page.locator(target) if isinstance(target, str) else target).first.click()

    def choose(self, selector, label):
        self.clicks += 1
        self.page.select_option(selector, label=label)

    def home(self):
        self.click("#site-name a")
        self.page.wait_for_url(self.site + "/admin/")

    def work_item(self, label):
        """Follow the home page's work-list line `label`; returns the count it showed."""
        row = self.page.locator(
            "div.work-list tr", has=self.page.locator(f"th a:text-is('{label}')")
        )
        count = row.locator("td.work-count").inner_text().strip()
        self.click(row.locator("th a"))
        self.page.wait_for_load_state()
        return count

    def bulk(self, action, submit_prefix, reason="", early=False):
        """Select every row of the list shown, run `action`, confirm it on its page (`early`:
        tick 在公示期结束前确定入选 there)."""
        self.click("#action-toggle")
        self.choose("select[name=action]", action)
        self.click("button[name=index]")
        self.page.wait_for_selector("p.nomination-summary")
        if early:
            assert "公示期还没有结束" in self.page.inner_text("#notice-running")
            screenshot(self.page, "year-early-selection")
            self.click("#id_early")
        if reason:
            self.page.fill("textarea[name=reason]", reason)
        self.click(f"input[type=submit][value^='{submit_prefix}']")
        self.page.wait_for_selector("p.nomination-summary")

    def close(self):
        self.context.close()


def province_estate(slug, name):
    province = Province.objects.get(slug=slug)
    city = City.objects.filter(province=province).first() or City.objects.create(
        province=province, slug=f"{slug}-city", name=f"{province.short_name}市"
    )
    return make_estate(name=name, province=province, city=city)


def handed_in_elsewhere(campaign):
    """Ten provinces' nominations, handed in with every box written (their clerks' work)."""
    for slug in OTHER_PROVINCES:
        estate = province_estate(slug, f"{Province.objects.get(slug=slug).short_name}和美家园")
        nomination = Nomination.objects.create(
            campaign=campaign, estate=estate, state=S.SUBMITTED, submitted_at=timezone.now()
        )
        create_missing_evidence(nomination)
        nomination.criterion_evidence.update(text=EVIDENCE)
        nomination.activity_evidence.update(text=EVIDENCE)


def nominate(clerk, estate, campaign):
    """A clerk nominates an estate: new nomination, campaign and estate chosen, saved, every
    box filled, submitted with the last box just typed."""
    page = clerk.page
    clerk.click("a[href$='/admin/estates/nomination/add/']")
    clerk.choose("#id_campaign", str(campaign))
    clerk.click(".field-estate .select2-selection")
    page.fill(".select2-search__field", estate.name)
    clerk.click(page.locator(".select2-results__option", has_text=estate.name))
    clerk.click("input[name=_save]")
    page.wait_for_selector("textarea[name$='-text']")
    boxes = page.locator("textarea[name$='-text']")
    assert boxes.count() == 17
    for i in range(boxes.count() - 1):
        boxes.nth(i).fill(EVIDENCE)
    boxes.last.fill(LAST_EVIDENCE)
    clerk.click("button[name=_transition][value=submitted]")
    page.wait_for_selector(".messagelist .success")
    return Nomination.objects.get(campaign=campaign, estate=estate)


def hand_in_reviews(reviewer):
    page = reviewer.page
    assert reviewer.work_item("待完成的评审") == "6"
    for _ in range(6):
        reviewer.click("#result_list tbody tr th a")
        scores = page.locator("input[name$='-score']")
        page.wait_for_selector("input[name$='-score']")
        for i in range(scores.count()):
            scores.nth(i).fill(str(85 + i))
        reviewer.click("input[name=_submit_review]")
        page.wait_for_selector(".messagelist .success")
        page.goto(reviewer.site + "/admin/estates/review/?handed_in=no")  # back (not a click)


def test_a_national_round_from_copy_to_revocation(site, browser):
    previous = campaign_2025()
    sync_role_groups()  # permissions newer than the seed's accounts
    make_staff("ministry", username="ministry-wang")
    make_staff("provincial", "shandong", username="clerk-shandong")
    make_staff("provincial", "beijing", username="clerk-beijing")
    for province, name in REVIEWERS:
        expert = make_staff("reviewer", province, username=f"expert-{province}")
        expert.last_name = name
        expert.save()
    lanshan = province_estate("shandong", "兰山区阳光花园小区")
    chaoyang = province_estate("beijing", "朝阳区和平里社区小区")
    today = timezone.localdate()
    clicks = Counter()

    # --- The ministry starts the round from last year's. ---------------------------------
    ministry = Person(browser, site, "ministry-wang", "ministry")
    page = ministry.page
    ministry.click("a[href$='/admin/estates/campaign/']")
    ministry.click(f"a[href$='/campaign/{previous.pk}/copy/']")
    ministry.click("input[type=submit]")
    page.wait_for_selector(".messagelist .success")
    campaign = Campaign.objects.get(year=2026, level=previous.level)
    assert campaign.criteria.count() == previous.criteria.count() == 9
    page.fill("#id_reviewers_per_nomination", "2")
    page.fill("#id_notice_starts_on", today.isoformat())
    page.fill("#id_notice_ends_on", (today + datetime.timedelta(days=7)).isoformat())
    ministry.click("input[name=_continue]")
    page.wait_for_selector(".messagelist .success")
    ministry.home()
    assert "推进到“推荐申报”" in page.locator("#content-main").inner_text()
    ministry.work_item("下一步")
    ministry.click(".phase-form input[type=submit]")
    page.wait_for_selector(".messagelist .success")
    campaign.refresh_from_db()
    assert campaign.phase == CampaignPhase.NOMINATING

    # --- Two provinces nominate (and ten more have meanwhile). ---------------------------
    for username, estate in (("clerk-shandong", lanshan), ("clerk-beijing", chaoyang)):
        clerk = Person(browser, site, username, "provincial")
        clerk.click("a[href$='/admin/estates/nomination/']")
        nomination = nominate(clerk, estate, campaign)
        assert nomination.state == S.SUBMITTED
        assert nomination.activity_evidence.order_by("requirement__number").last().text == (
            LAST_EVIDENCE
        )
        clicks[f"provincial ({username})"] = clerk.clicks
        clerk.close()
    handed_in_elsewhere(campaign)

    # --- The ministry opens the review, starts it for all twelve, assigns reviewers. -----
    ministry.home()
    screenshot(page, "year-ministry-index")
    ministry.work_item("下一步")
    ministry.click(".phase-form input[type=submit]")
    page.wait_for_selector(".messagelist .success")
    ministry.home()
    assert ministry.work_item("已提交、尚未开始评审的推荐") == "12"
    ministry.bulk("所选推荐：开始评审", "开始评审（12 项）")
    assert "完成 12 项，未执行 0 项" in page.inner_text("p.nomination-summary")
    ministry.home()
    assert ministry.work_item("评审专家不足 2 位的推荐") == "12"
    ministry.click("#action-toggle")
    ministry.choose("select[name=action]", "所选推荐：自动分配评审专家")
    ministry.click("button[name=index]")
    page.wait_for_selector("p.nomination-summary")
    ministry.click("input[name=_assign_confirm]")
    page.wait_for_selector(".messagelist .success")
    reviews = Review.objects.filter(nomination__campaign=campaign)
    assert reviews.count() == 24
    assert sorted(Counter(reviews.values_list("reviewer__username", flat=True)).values()) == [
        6,
        6,
        6,
        6,
    ]

    # --- Reviewers hand in, one click per review. --------------------------------------
    for province, _name in REVIEWERS:
        reviewer = Person(browser, site, f"expert-{province}", "reviewer")
        if province == "hebei":
            screenshot(reviewer.page, "year-reviewer-index")
        hand_in_reviews(reviewer)
        clicks["reviewer (per 6 reviews)"] = max(
            clicks["reviewer (per 6 reviews)"], reviewer.clicks
        )
        reviewer.close()
    assert not reviews.filter(submitted_at__isnull=True).exists()

    # --- Shortlist, notice, objection, decisions, publication. --------------------------
    ministry.home()
    ministry.click("a[href$='/admin/estates/nomination/']")
    page.goto(f"{site}/admin/estates/nomination/?campaign__id__exact={campaign.pk}")  # filter
    ministry.clicks += 1  # choosing the campaign in the filter
    ministry.bulk("所选推荐：列为拟入选", "列为拟入选（12 项）")
    ministry.home()
    ministry.work_item("下一步")
    ministry.click(".phase-form input[type=submit]")
    page.wait_for_selector(".messagelist .success")
    page.goto(f"{site}/admin/estates/nomination/?campaign__id__exact={campaign.pk}")
    ministry.clicks += 2  # 推荐, the campaign filter
    ministry.bulk("所选推荐：进入公示", "进入公示（12 项）")
    screenshot(page, "year-bulk-result")
    assert "完成 12 项，未执行 0 项" in page.inner_text("p.nomination-summary")
    assert set(campaign.nominations.values_list("state", flat=True)) == {S.ON_NOTICE}

    visitor = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    visitor.goto(f"{site}/campaigns/{campaign.slug}/notice/")
    choice = visitor.locator("#id_nomination option", has_text=lanshan.name)
    visitor.select_option("#id_nomination", value=choice.get_attribute("value"))
    visitor.fill(
        "#id_text", "该小区公示的物业费收缴率与业主了解的情况不符，请核查2025年度的收缴台账。"
    )
    visitor.click(".objection-form [type=submit]")
    visitor.wait_for_selector("text=受理编号")
    visitor.context.close()

    ministry.home()
    assert ministry.work_item("未处理完的异议") == "1"
    ministry.click("#result_list tbody tr th a")
    page.select_option("#id_state", value=ObjectionState.UPHELD.value)
    ministry.clicks += 1
    page.fill("#id_response", "经核查台账，收缴率填报不实，异议成立。")
    ministry.click("input[name=_save]")
    page.wait_for_selector(".messagelist .success")
    assert Objection.objects.get().state == ObjectionState.UPHELD

    page.goto(f"{site}/admin/estates/nomination/?campaign__id__exact={campaign.pk}")
    ministry.clicks += 2
    # The notice runs for a week yet: the page says what selecting now means, and the
    # ministry decides to, deliberately, with its reason.
    ministry.bulk(
        "所选推荐：确定入选",
        "确定入选（12 项）",
        reason="异议已办结，经部务会研究提前确定。",
        early=True,
    )
    assert "完成 12 项，未执行 0 项" in page.inner_text("p.nomination-summary")

    ministry.home()
    ministry.work_item("下一步")  # 发布评选结果
    page.check("#id_override")
    ministry.clicks += 1
    page.fill("#id_reason", "异议已办结，经部务会研究提前发布。")
    ministry.click(".phase-form input[type=submit]")
    page.wait_for_selector(".messagelist .success")
    campaign.refresh_from_db()
    assert campaign.phase == CampaignPhase.PUBLISHED
    assert Estate.objects.published().filter(pk=lanshan.pk).exists()

    # The objection was upheld: the estate is revoked with a reason.
    ministry.click("a[href$='/admin/estates/nomination/']")
    ministry.click(page.locator("#result_list a", has_text=lanshan.name))
    page.fill("#id_transition_reason", REVOKE_REASON)
    ministry.click("button[name=_transition][value=revoked]")
    page.wait_for_selector(".messagelist .success")
    assert Nomination.objects.get(campaign=campaign, estate=lanshan).state == S.REVOKED
    assert not Estate.objects.published().filter(pk=lanshan.pk).exists()
    clicks["ministry (whole round)"] = ministry.clicks
    ministry.close()

    # --- The province reads why. ------------------------------------------------------
    clerk = Person(browser, site, "clerk-shandong", "provincial", width=390)
    screenshot(clerk.page, "year-province-index")
    assert clerk.work_item("已撤销入选") == "1"
    clerk.click(clerk.page.locator("#result_list a", has_text=lanshan.name))
    log = clerk.page.locator("#content-main").inner_text()
    for line in REVOKE_REASON.split("\n"):
        assert line in log
    assert "入选 → 已撤销" in log
    screenshot(clerk.page, "year-province-reads-why")
    clicks["provincial (reading why)"] = clerk.clicks
    clerk.close()

    # The editor's home page asks for the selected estates' missing texts and photos.
    make_staff("editor", username="editor-zhou")
    for width in (390, 1280):
        editor = Person(browser, site, "editor-zhou", "editor", width=width)
        assert "没有照片的入选小区" in editor.page.locator("#content-main").inner_text()
        screenshot(editor.page, "year-editor-index")
        editor.close()
    SCREENSHOTS.parent.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS.parent / "clicks.json").write_text(
        json.dumps(dict(clicks), ensure_ascii=False, indent=2), encoding="utf-8"
    )
    assert clicks["provincial (clerk-shandong)"] <= 9
    assert clicks["reviewer (per 6 reviews)"] <= 13
    assert clicks["ministry (whole round)"] <= 60
