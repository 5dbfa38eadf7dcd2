"""A reviewer's review in Chromium, at 1280 px and at 390 px, through the UI only: from the work
list to the review, reading what the province wrote (as written: line breaks and full-width
indents kept, markup shown as text) beside each score, scoring, handing in. The page scrolls
only downwards: no horizontal scroll at either width."""

from datetime import date
from decimal import Decimal

import pytest

from estates.admin.nominations import create_missing_evidence
from estates.enums import CampaignPhase, NominationState
from estates.models import City, Metric, MetricType, Nomination
from estates.workflow import assign_reviewer

from ..builders import campaign_like, make_estate, make_staff
from .conftest import log_in, screenshot

pytestmark = pytest.mark.django_db(transaction=True)

INDENT = "\u3000\u3000"
FIRST_CRITERION = (
    f"{INDENT}成立小区党支部，社区“红领书记”兼任物业党支部党建指导员。\n"
    f"{INDENT}每月召开<b>联席会</b>，议定事项在宣传栏公示。"
)
STATEMENT = f"{INDENT}坚持党建引领，深入开展“沂蒙红管家”创建活动。\n截至2022年底满意度96.55%。"
COMMENT = f"{INDENT}材料翔实，机制清楚。\n建议补充联席会议纪要。"


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


def review_to_do():
    linyi = City.objects.get(slug="linyi")
    estate = make_estate(name="沂蒙红管家小区", province=linyi.province, city=linyi)
    Metric.objects.create(
        estate=estate,
        metric_type=MetricType.objects.get(code="satisfaction"),
        value=Decimal("96.55"),
        date=date(2022, 12, 31),
        source_note="发放问卷200余份",
    )
    campaign = campaign_like("shandong-2023", CampaignPhase.REVIEWING, slug="reading-journey")
    nomination = Nomination.objects.create(
        estate=estate, campaign=campaign, state=NominationState.UNDER_REVIEW, statement=STATEMENT
    )
    create_missing_evidence(nomination)
    nomination.criterion_evidence.update(text="已落实。")
    nomination.activity_evidence.update(text="已开展。")
    first = nomination.criterion_evidence.get(criterion__number=1)
    first.text = FIRST_CRITERION
    first.save()
    expert = make_staff("reviewer", "hebei", username="hebei-reader")
    expert.last_name = "评审专家（河北）"
    expert.save()
    return assign_reviewer(nomination, expert, make_staff("ministry"))


def horizontal_overflow(page):
    """How far the page, or any score card, reaches beyond the window's right edge."""
    return page.evaluate(
        """() => {
            const width = document.documentElement.clientWidth;
            const rights = [...document.querySelectorAll('#content, .score-card, .review-text')]
                .map(node => node.getBoundingClientRect().right);
            return Math.max(document.documentElement.scrollWidth, ...rights) - width;
        }"""
    )


@pytest.mark.parametrize("strict_page", ["desktop", "phone"], indirect=True)
def test_reviewer_reads_the_material_scores_and_hands_in(site, strict_page):
    page = strict_page
    review = review_to_do()
    log_in(page, site, "hebei-reader")

    page.click("th a:text('待完成的评审')")  # the work list
    page.click(f"#result_list a[href*='/review/{review.pk}/change/']")
    page.wait_for_url(f"**/review/{review.pk}/change/**")

    # The reviewer reads the province's text beside the first score, as it was written.
    first_card = page.locator("section.score-card").first
    assert first_card.locator(".review-text").inner_text() == FIRST_CRITERION
    assert page.locator("#material .review-text").first.inner_text() == STATEMENT
    assert "96.55%" in page.locator("#material table").inner_text()
    assert page.locator(".field-reviewer_name .readonly").inner_text() == "评审专家（河北）"
    assert page.locator(".field-reviewer_name a").count() == 0
    assert horizontal_overflow(page) <= 0
    first_card.scroll_into_view_if_needed()
    screenshot(page, "review-page-reading")

    scores = page.locator("input[name$='-score']")
    assert scores.count() == 9
    for index in range(scores.count()):
        scores.nth(index).fill(str(80 + index))
    page.fill("textarea[name='scores-0-comment']", COMMENT)
    page.fill("textarea[name='comment']", COMMENT)
    page.click("input[name=_submit_review]")
    page.wait_for_selector(".messagelist .success")
    screenshot(page, "review-page-handed-in")

    review.refresh_from_db()
    assert review.submitted_at is not None
    assert review.comment == COMMENT
    first_score = review.scores.get(criterion__number=1)
    assert (first_score.score, first_score.comment) == (Decimal("80"), COMMENT)
    assert horizontal_overflow(page) <= 0
    assert page.evaluate("window.__violations") == []
