"""The nomination workspace in Chromium, through the UI only: the ministry shortlists a dozen
nominations at once and reads the threshold warnings and every row's result; it assigns
reviewers to a campaign automatically, previewing the plan; a provincial clerk pastes the last
evidence text and submits with one click; a reviewer hands a review in with one click.

Each journey counts the clicks (and choices in a drop-down) its person makes, from the page
the work starts on; the counts are in the assertions."""

import itertools
from collections import Counter
from decimal import Decimal

import pytest

from estates.admin.nominations import create_missing_evidence
from estates.enums import CampaignPhase, NominationState
from estates.models import City, Metric, MetricType, Nomination, Province, Review
from estates.workflow import assign_reviewer

from ..builders import campaign_like, make_estate, make_staff
from .conftest import log_in, screenshot

pytestmark = pytest.mark.django_db(transaction=True)

S = NominationState
_serial = itertools.count(1)

# Pasted from the Word report: line breaks, full-width punctuation, a long sentence.
PASTED = (
    "（八）开展一次活动开展情况宣传报道。\n"
    "2023年7月，社区联合物业服务企业在“临沂发布”微信公众号、《临沂日报》刊发"
    "《党建引领聚合力　共建共治美家园——兰山区阳光花园小区物业管理纪实》，"
    "阅读量逾1.2万次；\n"
    "同时在小区宣传栏、电梯间张贴活动照片和工作简报共计36期。"
)


class Clicks:
    """Counts what a person does on the page: clicks, and choices in drop-downs."""

    def __init__(self, page):
        self.page, self.count = page, 0

    def click(self, selector):
        self.count += 1
        self.page.click(selector)

    def choose(self, selector, label):
        self.count += 1
        self.page.select_option(selector, label=label)


def city(province_slug, slug, name):
    province = Province.objects.get(slug=province_slug)
    return City.objects.get_or_create(province=province, slug=slug, defaults={"name": name})[0]


CITIES = [
    ("beijing", "beijing", "北京市"),
    ("shandong", "linyi", "临沂市"),
    ("jiangsu", "nanjing", "南京市"),
    ("zhejiang", "hangzhou", "杭州市"),
    ("guangdong", "guangzhou", "广州市"),
]


def nomination(campaign, where, state, satisfaction=None, fee=None):
    place = city(*where)
    estate = make_estate(
        name=f"{place.name}幸福里第{next(_serial)}社区小区", province=place.province, city=place
    )
    for code, value in (("satisfaction", satisfaction), ("fee_collection", fee)):
        if value is not None:
            Metric.objects.create(
                estate=estate,
                metric_type=MetricType.objects.get(code=code),
                value=Decimal(value),
                sequence=1,
            )
    return Nomination.objects.create(estate=estate, campaign=campaign, state=state)


def violations_of(page):
    return page.evaluate("window.__violations || []")


@pytest.fixture
def strict_page(browser, request):
    """A page at the device's width that enforces the site's CSP and records violations."""
    width, height = (390, 844) if request.param == "phone" else (1280, 900)
    context = browser.new_context(viewport={"width": width, "height": height})
    context.add_init_script(
        "window.__violations = [];"
        "document.addEventListener('securitypolicyviolation', e => window.__violations.push("
        "e.violatedDirective + ' ' + (e.blockedURI || 'inline')));"
    )
    page = context.new_page()
    yield page
    context.close()


@pytest.mark.parametrize("strict_page", ["phone", "desktop"], indirect=True)
def test_ministry_shortlists_twelve_nominations_at_once(site, strict_page):
    page = strict_page
    campaign = campaign_like(
        "quanguo-2021",
        CampaignPhase.REVIEWING,
        slug="workspace-2026",
        title="2026年度“加强物业管理 共建美好家园”活动",
        year=2026,
        min_satisfaction=Decimal("90"),
        min_fee_collection=Decimal("85"),
    )
    rows = [
        nomination(campaign, CITIES[i % 5], S.UNDER_REVIEW, satisfaction="96.5", fee="97")
        for i in range(10)
    ]
    low = nomination(campaign, CITIES[1], S.UNDER_REVIEW, satisfaction="88.5", fee="92")
    unknown = nomination(campaign, CITIES[2], S.UNDER_REVIEW, satisfaction="95")
    rows += [low, unknown]
    make_staff("ministry", username="ministry-wang")
    log_in(page, site, "ministry-wang")

    page.goto(f"{site}/admin/estates/nomination/?campaign__id__exact={campaign.pk}")
    marks = page.locator("td.field-threshold_mark").all_inner_texts()
    assert sorted(marks) == [""] * 10 + ["低于门槛"] * 2
    screenshot(page, "workspace-list")
    person = Clicks(page)
    person.click("#action-toggle")
    person.choose("select[name=action]", "所选推荐：列为拟入选")
    person.click("button[name=index]")

    page.wait_for_selector("p.nomination-summary")
    screenshot(page, "workspace-bulk-confirm")
    assert (
        page.inner_text("p.nomination-summary")
        == "选中 12 项推荐，其中 12 项现在可以“列为拟入选”。"
    )
    warnings = page.locator("div.nomination-warnings li").all_inner_texts()
    assert warnings == [  # in the list's order: provinces in official order
        f"{unknown.estate.name}（江苏）：物业费收缴率未知，本次评选的门槛是 85%。",
        f"{low.estate.name}（山东）：业主满意度为 88.5%，低于本次评选的门槛 90%。",
    ]
    assert all(n.state == S.UNDER_REVIEW for n in Nomination.objects.filter(campaign=campaign))
    person.click("input[type=submit][value='列为拟入选（12 项）']")

    page.wait_for_selector("text=完成 12 项")
    screenshot(page, "workspace-bulk-result")
    assert page.inner_text("p.nomination-summary") == "“列为拟入选”：完成 12 项，未执行 0 项。"
    assert page.locator("span.result-done").count() == 12
    assert set(Nomination.objects.filter(campaign=campaign).values_list("state", flat=True)) == {
        S.SHORTLISTED
    }
    assert person.count == 4  # select all, choose the action, 执行, confirm
    assert violations_of(page) == []


@pytest.mark.parametrize("strict_page", ["phone", "desktop"], indirect=True)
def test_ministry_assigns_reviewers_to_a_campaign_automatically(site, strict_page):
    page = strict_page
    campaign = campaign_like(
        "quanguo-2021",
        CampaignPhase.REVIEWING,
        slug="assign-journey",
        title="2026年度“加强物业管理 共建美好家园”活动",
        year=2026,
        reviewers_per_nomination=3,
    )
    rows = [nomination(campaign, CITIES[i % 4], S.SUBMITTED) for i in range(15)]
    experts = {}
    for username, province, name in [
        ("expert-hebei", "hebei", "张建国"),
        ("expert-shandong", "shandong", "李秀英"),
        ("expert-beijing", "beijing", "王志强"),
        ("expert-jiangsu", "jiangsu", "陈静"),
        ("expert-guangdong", "guangdong", "欧阳明辉"),
    ]:
        experts[username] = make_staff("reviewer", province, username=username)
        experts[username].last_name = name
        experts[username].save()
    # One nomination already has a reviewer, given by hand last week.
    assign_reviewer(rows[0], experts["expert-guangdong"], make_staff("ministry"))
    make_staff("ministry", username="ministry-li")
    log_in(page, site, "ministry-li")

    page.goto(f"{site}/admin/estates/nomination/?campaign__id__exact={campaign.pk}")
    person = Clicks(page)
    person.click("#action-toggle")
    person.choose("select[name=action]", "所选推荐：自动分配评审专家")
    person.click("button[name=index]")

    page.wait_for_selector("p.nomination-summary")
    screenshot(page, "workspace-assign-preview")
    summary = page.inner_text("p.nomination-summary")
    assert summary.startswith("所选推荐中 15 项需要评审专家，每项 3 位：将新分配 44 位次。")
    loads = page.locator("table.nomination-table").first.locator("tbody tr").all_inner_texts()
    assert len(loads) == 5
    assert Review.objects.filter(nomination__campaign=campaign).count() == 1  # nothing saved yet
    person.click("input[name=_assign_confirm]")

    page.wait_for_selector(".messagelist .success")
    screenshot(page, "workspace-assign-done")
    assert page.inner_text(".messagelist .success") == "已为 15 项推荐分配了 44 位次评审专家。"
    assert person.count == 4  # select all, choose the action, 执行, 确认分配
    reviews = Review.objects.filter(nomination__campaign=campaign).select_related(
        "nomination__estate", "reviewer__staff_profile"
    )
    per_nomination = Counter(r.nomination_id for r in reviews)
    assert set(per_nomination.values()) == {3} and len(per_nomination) == 15
    assert not [
        r
        for r in reviews
        if r.reviewer.staff_profile.province_id == r.nomination.estate.province_id
    ]
    load = Counter(r.reviewer.username for r in reviews)
    assert max(load.values()) - min(load.values()) <= 1  # 45 places over 5 reviewers: 9 each
    assert violations_of(page) == []


@pytest.mark.parametrize("strict_page", ["phone", "desktop"], indirect=True)
def test_clerk_pastes_the_last_evidence_and_submits_with_one_click(site, strict_page):
    page = strict_page
    linyi = City.objects.get(slug="linyi")
    estate = make_estate(name="兰山区阳光花园小区", province=linyi.province, city=linyi)
    campaign = campaign_like("shandong-2023", CampaignPhase.NOMINATING, slug="submit-journey")
    draft = Nomination.objects.create(estate=estate, campaign=campaign, state=S.DRAFT)
    create_missing_evidence(draft)
    draft.criterion_evidence.update(text="已落实。")
    last = draft.activity_evidence.order_by("requirement__number").last()
    draft.activity_evidence.exclude(pk=last.pk).update(text="已开展。")
    make_staff("provincial", "shandong", username="linyi-clerk")
    log_in(page, site, "linyi-clerk")

    page.goto(f"{site}/admin/estates/nomination/")
    person = Clicks(page)
    person.click(f"a[href$='/nomination/{draft.pk}/change/']")
    page.wait_for_selector("#moves")
    screenshot(page, "workspace-nomination-draft")
    box = page.locator("textarea[name^=activity_evidence][name$='-text']").last
    box.fill(PASTED)  # the clerk's paste (filling a box is not a click)
    person.click("button[name=_transition][value=submitted]")

    page.wait_for_selector(".messagelist .success")
    screenshot(page, "workspace-nomination-submitted")
    assert page.inner_text(".messagelist .success") == f"“{draft}”现在是“已提交”。"
    draft.refresh_from_db()
    last.refresh_from_db()
    assert draft.state == S.SUBMITTED
    # Browsers send a textarea's line breaks as CRLF; every character typed is kept.
    assert last.text.replace("\r\n", "\n") == PASTED
    assert person.count == 2  # open the nomination, 提交推荐
    assert violations_of(page) == []


@pytest.mark.parametrize("strict_page", ["phone", "desktop"], indirect=True)
def test_ministry_reads_the_threshold_warning_beside_the_shortlist_button(site, strict_page):
    page = strict_page
    campaign = campaign_like(
        "quanguo-2021", CampaignPhase.REVIEWING, slug="page-warning", min_satisfaction=Decimal("90")
    )
    low = nomination(campaign, CITIES[1], S.UNDER_REVIEW, satisfaction="88.5", fee="92")
    make_staff("ministry", username="ministry-zhao")
    log_in(page, site, "ministry-zhao")
    page.goto(f"{site}/admin/estates/nomination/{low.pk}/change/")
    page.locator("#moves").scroll_into_view_if_needed()
    screenshot(page, "workspace-nomination-warning")
    warning = page.locator("#threshold-warnings")
    button = page.locator("button[name=_transition][value=shortlisted]")
    assert warning.is_visible() and button.is_visible()
    assert warning.inner_text().endswith("业主满意度为 88.5%，低于本次评选的门槛 90%。")
    # Beside the button: directly above it, within one screen.
    gap = button.bounding_box()["y"] - (
        warning.bounding_box()["y"] + warning.bounding_box()["height"]
    )
    assert 0 <= gap < 200
    assert violations_of(page) == []


@pytest.mark.parametrize("strict_page", ["phone", "desktop"], indirect=True)
def test_reviewer_scores_everything_and_hands_in_with_one_click(site, strict_page):
    page = strict_page
    campaign = campaign_like("shandong-2023", CampaignPhase.REVIEWING, slug="review-journey")
    reviewing = nomination(campaign, CITIES[1], S.UNDER_REVIEW)
    expert = make_staff("reviewer", "hebei", username="hebei-expert")
    review = assign_reviewer(reviewing, expert, make_staff("ministry"))
    log_in(page, site, "hebei-expert")
    page.goto(f"{site}/admin/estates/review/?handed_in=no")
    person = Clicks(page)
    person.click(f"a[href*='/review/{review.pk}/change/']")
    page.wait_for_url(f"**/review/{review.pk}/change/**")
    scores = page.locator("input[name$='-score']")
    assert scores.count() == 9
    for index in range(scores.count()):
        scores.nth(index).fill(str(80 + index))
    person.click("input[name=_submit_review]")
    page.wait_for_selector(".messagelist .success")
    screenshot(page, "workspace-review-handed-in")
    review.refresh_from_db()
    assert review.submitted_at is not None
    assert sorted(review.scores.values_list("score", flat=True)) == [
        Decimal(80 + i) for i in range(9)
    ]
    assert person.count == 2  # open the review, 保存并提交评审
    assert violations_of(page) == []


@pytest.mark.parametrize("strict_page", ["phone", "desktop"], indirect=True)
def test_ministry_picks_one_reviewer_by_province_and_load(site, strict_page):
    page = strict_page
    campaign = campaign_like("quanguo-2021", CampaignPhase.REVIEWING, slug="picker-journey")
    rows = [nomination(campaign, CITIES[1], S.SUBMITTED) for _ in range(3)]
    wang = make_staff("reviewer", "jiangsu", username="wangwu")
    wang.last_name = "王五"
    wang.save()
    boss = make_staff("ministry", username="ministry-sun")
    for row in rows[1:]:
        assign_reviewer(row, wang, boss)
    log_in(page, site, "ministry-sun")
    page.goto(f"{site}/admin/estates/review/add/?nomination={rows[0].pk}")
    # A screenshot does not show an opened drop-down: show its options as a list instead.
    page.locator("select[name=reviewer]").evaluate(
        "select => { select.size = 4; select.style.height = 'auto'; }"
    )
    screenshot(page, "workspace-review-picker")
    options = page.locator("select[name=reviewer] option").all_inner_texts()
    assert "王五（江苏，已分配 2 项，未提交 2 项）" in options
    assert violations_of(page) == []
