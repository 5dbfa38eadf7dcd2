"""Selecting an estate while its notice period runs takes it off the public notice page, and
the public's chance to object to it with it. The workflow refuses it unless the ministry
chooses it deliberately with a reason, as for publishing results early; the bulk confirmation
page and the nomination page warn where the decision is made."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from estates.enums import CampaignPhase, NominationState
from estates.models import Nomination, NominationTransition, Review, ReviewScore
from estates.workflow import transition

from .builders import campaign_like, make_staff
from .html import parse
from .test_bulk_moves import confirm, nomination, run_action, states, table_rows
from .test_lost_updates import form_post_data

pytestmark = pytest.mark.django_db

S = NominationState
REASON = "国务院督查组要求本周报送名单，经部务会研究提前确定。"


def notice_campaign(ends_in_days, slug="notice-2026"):
    today = timezone.localdate()
    return campaign_like(
        "shandong-2023",
        CampaignPhase.NOTICE,
        slug=slug,
        notice_starts_on=today - datetime.timedelta(days=3),
        notice_ends_on=today + datetime.timedelta(days=ends_in_days),
    )


@pytest.fixture
def ministry_user():
    return make_staff("ministry")


@pytest.fixture
def ministry(ministry_user):
    client = Client()
    client.force_login(ministry_user)
    return client


def end_text(campaign):
    day = campaign.notice_ends_on
    return f"{day.year}年{day.month}月{day.day}日"


def test_selecting_during_the_notice_needs_the_override_and_a_reason(ministry_user):
    campaign = notice_campaign(ends_in_days=5)
    row = nomination(campaign, state=S.ON_NOTICE)

    with pytest.raises(ValidationError) as refused:
        transition(row, S.SELECTED, ministry_user)
    assert refused.value.code == "notice_running"
    assert refused.value.messages == [
        f"公示期到 {end_text(campaign)} 结束。结束前确定入选，这个小区就不再列在公示名单上，"
        "公众也不能再对它提出异议。如确需提前确定，请勾选“在公示期结束前确定入选”并填写理由。"
    ]
    with pytest.raises(ValidationError) as no_reason:
        transition(row, S.SELECTED, ministry_user, "  ", early=True)
    assert no_reason.value.messages == ["在公示期结束前确定入选需要填写理由。"]
    assert states([row]) == [S.ON_NOTICE]

    transition(row, S.SELECTED, ministry_user, REASON, early=True)
    assert states([row]) == [S.SELECTED]
    assert NominationTransition.objects.get(nomination=row).reason == REASON


def test_after_the_notice_ends_selection_needs_no_override(ministry_user):
    campaign = notice_campaign(ends_in_days=-1)
    row = nomination(campaign, state=S.ON_NOTICE)
    transition(row, S.SELECTED, ministry_user)
    assert states([row]) == [S.SELECTED]


def test_not_selecting_during_the_notice_stays_possible(ministry_user):
    # An objection upheld during the notice ends in 确定未入选 at once.
    row = nomination(notice_campaign(ends_in_days=5), state=S.ON_NOTICE)
    transition(row, S.NOT_SELECTED, ministry_user, "异议成立：小区存在违建。")
    assert states([row]) == [S.NOT_SELECTED]


def test_bulk_selection_page_warns_and_refuses_without_the_override(ministry):
    campaign = notice_campaign(ends_in_days=5)
    rows = [nomination(campaign, state=S.ON_NOTICE) for _ in range(3)]
    page = run_action(ministry, "move_to_selected", rows)

    html = parse(page.content)
    warning = html.find("div", id="notice-running")
    assert [li.clean_text() for li in warning.find_all("li")] == [
        f"“{campaign.display_label()}”的公示期到 {end_text(campaign)} 结束。"
    ]
    assert html.find("label", **{"for": "id_early"}).clean_text() == "在公示期结束前确定入选"

    # Confirmed without the box: each row is refused with the workflow's reason.
    result = confirm(ministry, page)
    assert states(rows) == [S.ON_NOTICE] * 3
    notes = {row[-1] for row in table_rows(result)}
    assert len(notes) == 1 and notes.pop().startswith(f"公示期到 {end_text(campaign)} 结束。")


def test_bulk_selection_with_the_override_needs_the_reason_and_logs_it(ministry):
    campaign = notice_campaign(ends_in_days=5)
    rows = [nomination(campaign, state=S.ON_NOTICE) for _ in range(2)]
    page = run_action(ministry, "move_to_selected", rows)

    refused = confirm(ministry, page, early="on")
    assert refused.status_code == 200
    assert refused.context["form"].errors == {"reason": ["在公示期结束前确定入选需要填写理由。"]}
    assert states(rows) == [S.ON_NOTICE] * 2
    # The box stays ticked on the page shown again.
    box = parse(refused.content).find("input", id="id_early")
    assert "checked" in box.attrs

    confirm(ministry, refused, reason=REASON, early="on")
    assert states(rows) == [S.SELECTED] * 2
    assert [NominationTransition.objects.get(nomination=n).reason for n in rows] == [REASON] * 2


def test_bulk_selection_after_the_notice_shows_no_override(ministry):
    rows = [nomination(notice_campaign(ends_in_days=-1), state=S.ON_NOTICE)]
    page = run_action(ministry, "move_to_selected", rows)
    html = parse(page.content)
    assert html.find("div", id="notice-running") is None
    assert html.find("input", id="id_early") is None
    confirm(ministry, page)
    assert states(rows) == [S.SELECTED]


def test_bulk_confirmation_shows_the_review_average_and_spread(ministry):
    campaign = notice_campaign(ends_in_days=-1)
    scored, unscored = (nomination(campaign, state=S.ON_NOTICE) for _ in range(2))
    first = campaign.criteria.order_by("number").first()
    for lost in (0, 2):
        review = Review.objects.create(nomination=scored, reviewer=make_staff("reviewer"))
        # As handed in during the review phase (save() refuses scoring in the notice phase).
        ReviewScore.objects.bulk_create(
            [ReviewScore(review=review, criterion=first, score=first.weight - lost)]
        )
        Review.objects.filter(pk=review.pk).update(submitted_at=timezone.now())
    page = run_action(ministry, "move_to_selected", [scored, unscored])
    html = parse(page.content)
    heads = [th.clean_text() for th in html.find("table", class_="nomination-table").find_all("th")]
    assert heads[5:7] == ["评审均分", "分差"]
    by_name = {row[0]: row[5:7] for row in table_rows(page)}
    assert by_name[unscored.estate.name] == ["—", "—"]
    # As the list's 评审均分 and 分差 columns show them (weighted totals, two handed in).
    assert by_name[scored.estate.name] == ["2.10（2）", "0.30"]


def change_url(row):
    return f"/admin/estates/nomination/{row.pk}/change/"


def test_nomination_page_offers_the_override_beside_the_button(ministry):
    row = nomination(notice_campaign(ends_in_days=5), state=S.ON_NOTICE)
    page = ministry.get(change_url(row))
    moves = parse(page.content).find("section", id="moves")
    assert moves.find("div", id="notice-running") is not None
    assert moves.find("input", id="id_transition_early") is not None

    data = form_post_data(page)
    data["_transition"] = S.SELECTED
    refused = ministry.post(change_url(row), data, follow=True)
    assert states([row]) == [S.ON_NOTICE]
    [message] = [str(m) for m in refused.context["messages"]]
    assert message.startswith("本页填写的内容已保存，但没有执行“确定入选”：公示期到")

    data.update({"_transition_early": "1", "_transition_reason": REASON})
    done = ministry.post(change_url(row), data, follow=True)
    assert states([row]) == [S.SELECTED]
    assert Nomination.objects.get(pk=row.pk).transitions.get().reason == REASON
    assert [str(m) for m in done.context["messages"]] == [f"“{row}”现在是“入选”。"]


def test_nomination_page_after_the_notice_has_no_override(ministry):
    row = nomination(notice_campaign(ends_in_days=-1), state=S.ON_NOTICE)
    moves = parse(ministry.get(change_url(row)).content).find("section", id="moves")
    assert moves.find("div", id="notice-running") is None
