"""A province reads why (issue 21): on its own nomination's page the full log of moves (who,
when, from, to, reason) and the last move's reason at the top; once the nomination is decided
and the ministry has released its campaign's comments, each handed-in review as 专家一, 专家二 …
with its overall comment, scores and per-criterion comments, and never who the reviewers are.
Before that, or for another province, nothing of the reviews at all."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from estates.access import reviews_released_to
from estates.admin.nomination_reasons import reviewer_number
from estates.admin.nominations import create_missing_evidence
from estates.enums import CampaignPhase, NominationState
from estates.models import City, Nomination, NominationTransition, ReviewScore
from estates.roles import sync_role_groups
from estates.workflow import assign_reviewer, submit_review, transition

from .builders import campaign_like, make_estate, make_staff
from .html import parse

pytestmark = pytest.mark.django_db

S = NominationState
RETURN_REASON = "满意度调查样本不足：问卷仅 12 份，请补充到 200 份以上。\n请于 12 月 10 日前提交。"
REFUSAL = "综合评分 72.5 分，未达到入选线（80 分）。"
# Two reviewers, each with a name, an account and an address that must never reach a province.
REVIEWERS = {
    "qian": ("zj-qianfeng", "钱锋", "qianfeng@example.org", "hebei"),
    "zhao": ("zj-zhaojie", "赵洁", "zhaojie@example.org", "beijing"),
}
COMMENTS = {
    "qian": "　　党建引领扎实，议事协商有制度。\n满意度调查样本偏少。",
    "zhao": "物业服务规范，但<b>公示公开</b>内容不全。",
}
FIRST_CRITERION_COMMENT = "党支部每月召开联席会，记录完整。"


@pytest.fixture(autouse=True)
def _role_permissions_as_migrated():
    sync_role_groups()


def named(role, province, username, family_name, email=""):
    user = make_staff(role, province, username=username)
    user.last_name, user.email = family_name, email
    user.save()
    return user


@pytest.fixture
def people():
    return {
        "ministry": named("ministry", None, "wangming", "王明"),
        "clerk": named("provincial", "shandong", "sd-liqing", "李青"),
        **{key: named("reviewer", p, u, n, e) for key, (u, n, e, p) in REVIEWERS.items()},
    }


def submitted_nomination(clerk, name="临沂沂河新苑"):
    linyi = City.objects.get(slug="linyi")
    estate = make_estate(name=name, province=linyi.province, city=linyi)
    campaign = campaign_like("shandong-2023", CampaignPhase.NOMINATING, slug=f"why-{name}")
    nomination = Nomination.objects.create(estate=estate, campaign=campaign)
    create_missing_evidence(nomination)
    nomination.criterion_evidence.update(text="已落实。")
    nomination.activity_evidence.update(text="已开展。")
    return transition(nomination, S.SUBMITTED, clerk)


def reviewed(people, name="临沂沂河新苑", scores=(80, 70)):
    """Returned once, submitted again, reviewed by 钱锋 (assigned first) and 赵洁; a third
    reviewer never hands in. The nomination is under review."""
    nomination = submitted_nomination(people["clerk"], name)
    transition(nomination, S.DRAFT, people["ministry"], RETURN_REASON)
    transition(nomination, S.SUBMITTED, people["clerk"])
    nomination.campaign.phase = CampaignPhase.REVIEWING
    nomination.campaign.save()
    transition(nomination, S.UNDER_REVIEW, people["ministry"])
    for key, score in zip(("qian", "zhao"), scores, strict=True):
        review = assign_reviewer(nomination, people[key], people["ministry"])
        review.comment = COMMENTS[key]
        review.save()
        ReviewScore.objects.filter(review=review).update(score=score)
        if key == "qian":
            first = review.scores.get(criterion__number=1)
            first.comment = FIRST_CRITERION_COMMENT
            first.save()
        submit_review(review, people[key])
    idle = named("reviewer", "jiangsu", f"zj-sunli-{name}", "孙立", f"sunli-{name}@example.org")
    assign_reviewer(nomination, idle, people["ministry"])
    return nomination


def decided(people, released=True, **kwargs):
    nomination = reviewed(people, **kwargs)
    transition(nomination, S.NOT_SELECTED, people["ministry"], REFUSAL)
    nomination.campaign.review_comments_released = released
    nomination.campaign.save()
    return nomination


def page(client, user, nomination):
    client.force_login(user)
    return client.get(reverse("admin:estates_nomination_change", args=[nomination.pk]))


def html(response):
    assert response.status_code == 200
    return response.content.decode()


def identities(people):
    """Every way a reviewer could be recognised: account names, names, addresses."""
    found = []
    for key in ("qian", "zhao"):
        user = people[key]
        found += [user.username, user.last_name, user.email, user.email.split("@")[0]]
    return [*found, "zj-sunli", "孙立", "sunli"]


def assert_nothing_of_reviews(content, people):
    assert 'id="released-reviews"' not in content
    for text in [*COMMENTS.values(), FIRST_CRITERION_COMMENT, "专家一", "加权总分"]:
        assert text not in content
    for identity in identities(people):
        assert identity not in content


# --- The log -------------------------------------------------------------------------------


def test_log_lists_every_move_with_who_when_from_to_and_reason(client, people):
    nomination = decided(people)

    content = html(page(client, people["clerk"], nomination))

    log = parse(content).find("div", class_="history-log")
    rows = [
        {cell.attrs["class"]: cell.clean_text() for cell in row.find_all("td")}
        for row in log.find("tbody").find_all("tr")
    ]
    ministry, clerk = "王明（部级管理员）", "李青（省级填报员）"
    assert [(r["field-who"], r["field-change"], r["field-reason_text"]) for r in rows] == [
        (clerk, "草稿 → 已提交", "（空）"),
        (ministry, "已提交 → 草稿", RETURN_REASON.replace("\n", "")),
        (clerk, "草稿 → 已提交", "（空）"),
        (ministry, "已提交 → 评审中", "（空）"),
        (ministry, "评审中 → 未入选", REFUSAL),
    ]
    assert all("年" in r["field-at"] and ":" in r["field-at"] for r in rows)
    returned = log.find("tbody").find_all("tr")[1].find("td", class_="field-reason_text")
    assert len(returned.find_all("br")) == 1  # the reason's line break, kept


def test_state_panel_gives_the_reason_of_the_move_that_brought_it_there(client, people):
    nomination = submitted_nomination(people["clerk"])
    transition(nomination, S.DRAFT, people["ministry"], RETURN_REASON)

    panel = parse(html(page(client, people["clerk"], nomination))).find(
        "section", class_="nomination-state"
    )

    title = panel.find("p", class_="last-move-title").clean_text()
    assert title.endswith("王明（部级管理员）“退回修改”，理由：")
    assert panel.find("div", class_="last-move-reason").text() == RETURN_REASON
    assert panel.find("a", href="#transitions-group").clean_text() == "全部状态变更记录"


def test_state_panel_says_no_reason_when_the_last_move_had_none(client, people):
    nomination = submitted_nomination(people["clerk"])
    transition(nomination, S.DRAFT, people["ministry"], RETURN_REASON)
    transition(nomination, S.SUBMITTED, people["clerk"])

    panel = parse(html(page(client, people["clerk"], nomination))).find(
        "section", class_="nomination-state"
    )

    assert panel.find("div", class_="last-move") is None  # the old return is in the log
    assert RETURN_REASON.split("\n")[0] not in panel.clean_text()


def test_an_editor_who_may_not_read_the_log_gets_no_reason_either(client, people):
    nomination = decided(people)
    Nomination.objects.filter(pk=nomination.pk).update(state=S.SELECTED)
    NominationTransition.objects.create(
        nomination=nomination,
        from_state=S.ON_NOTICE,
        to_state=S.SELECTED,
        actor=people["ministry"],
        reason="公示期内无异议，提前确定入选。",
    )
    editor = named("editor", None, "bianji", "周编")

    content = html(page(client, editor, nomination))

    assert "提前确定入选" not in content and 'class="last-move"' not in content
    assert 'id="transitions-group"' not in content
    assert_nothing_of_reviews(content, people)


# --- The reviews ---------------------------------------------------------------------------


def test_reviews_shown_anonymised_once_decided_and_released(client, people):
    nomination = decided(people)

    content = html(page(client, people["clerk"], nomination))

    section = parse(content).find("section", id="released-reviews")
    reviews = section.find_all("article", class_="released-review")
    assert [r.find("h3").clean_text() for r in reviews] == [
        "专家一 · 加权总分 80.00",  # 钱锋, assigned first
        "专家二 · 加权总分 70.00",
    ]
    texts = [[t.text() for t in r.find_all("div", class_="released-text")] for r in reviews]
    assert texts == [[COMMENTS["qian"], FIRST_CRITERION_COMMENT], [COMMENTS["zhao"]]]
    criteria = list(nomination.campaign.criteria.order_by("number"))
    first_scores = reviews[0].find_all("p", class_="released-criterion")
    assert [p.clean_text() for p in first_scores] == [
        f"{c} 得分 80（权重 {c.weight.normalize():f}%）" for c in criteria
    ]
    assert "<b>公示公开</b>" not in content and "&lt;b&gt;公示公开" in content
    for identity in identities(people):
        assert identity not in content
    # The log comes first, then the reviews; the state panel points to both.
    assert content.index('id="transitions-group"') < content.index('id="released-reviews"')
    assert 'href="#released-reviews"' in content


def test_reviews_hidden_before_the_decision_even_when_released(client, people):
    nomination = reviewed(people)
    nomination.campaign.review_comments_released = True
    nomination.campaign.save()

    assert_nothing_of_reviews(html(page(client, people["clerk"], nomination)), people)


def test_reviews_hidden_after_the_decision_when_not_released(client, people):
    nomination = decided(people, released=False)

    content = html(page(client, people["clerk"], nomination))

    assert_nothing_of_reviews(content, people)
    assert REFUSAL in content  # the decision's reason is the province's all the same


@pytest.mark.parametrize("state", list(S))
def test_only_a_decided_nomination_releases_its_reviews(people, state):
    nomination = decided(people)
    Nomination.objects.filter(pk=nomination.pk).update(state=state)
    nomination.refresh_from_db()

    decided_states = {S.SELECTED, S.NOT_SELECTED, S.REVOKED}
    assert reviews_released_to(people["clerk"], nomination) == (state in decided_states)


def test_another_province_gets_nothing(client, people):
    nomination = decided(people)
    beijing = named("provincial", "beijing", "bj-clerk", "周敏")

    response = page(client, beijing, nomination)
    followed = client.get(response["Location"])

    assert response.status_code == 302
    assert reviews_released_to(beijing, nomination) is False
    assert_nothing_of_reviews(followed.content.decode(), people)
    assert RETURN_REASON.split("\n")[0] not in followed.content.decode()


def test_the_ministry_and_reviewers_see_what_they_saw_before(client, people):
    nomination = decided(people)

    ministry = html(page(client, people["ministry"], nomination))
    reviewer = page(client, people["qian"], nomination)

    assert 'id="released-reviews"' not in ministry and "专家一" not in ministry
    assert reviews_released_to(people["ministry"], nomination) is False
    # A decided nomination is no longer a reviewer's to read.
    assert reviewer.status_code == 302
    assert COMMENTS["zhao"] not in client.get(reviewer["Location"]).content.decode()


def test_the_page_asks_the_same_queries_for_one_review_or_three(client, people):
    counts = []
    for name, extra in (("一审苑", 0), ("三审苑", 2)):
        nomination = decided(people, name=name)
        for n in range(extra):
            reviewer = named("reviewer", "jiangsu", f"zj-extra-{name}-{n}", f"额外{n}")
            review = assign_reviewer(nomination, reviewer, people["ministry"])
            ReviewScore.objects.filter(review=review).update(score=90)
            review.submitted_at = review.assigned_at
            review.save()
        client.force_login(people["clerk"])
        url = reverse("admin:estates_nomination_change", args=[nomination.pk])
        with CaptureQueriesContext(connection) as queries:
            content = html(client.get(url))
        assert content.count('class="released-review"') == 2 + extra
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_reviewers_are_numbered_in_english_too():
    with translation.override("en"):
        assert reviewer_number(2) == "Reviewer 2"
    assert reviewer_number(2) == "专家二"
    assert reviewer_number(11) == "专家十一"


# --- The campaign admin ----------------------------------------------------------------------


def test_the_ministry_may_tick_the_release_and_a_province_only_reads_it(client, people):
    nomination = decided(people, released=False)
    url = reverse("admin:estates_campaign_change", args=[nomination.campaign.pk])

    client.force_login(people["ministry"])
    ministry = parse(html(client.get(url)))
    client.force_login(people["clerk"])
    clerk = parse(html(client.get(url)))

    box = ministry.find("input", id="id_review_comments_released")
    assert box is not None and box.attrs["type"] == "checkbox"
    assert clerk.find("input", id="id_review_comments_released") is None
    assert "向省级填报员公开评审意见" in clerk.find("div", id="content").clean_text()
