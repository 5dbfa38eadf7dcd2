"""Campaign phase changes are deliberate: a confirmation page says what happens and what is
unfinished, no step leaves a nomination that can never be decided, publication waits for the
end of the notice period unless overridden with a reason, and every change is logged."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from estates.enums import IN_PROCESS_STATES, CampaignPhase, NominationState
from estates.models import City, Nomination, Objection, Review
from estates.roles import sync_role_groups
from estates.workflow import (
    DECIDING_PHASES,
    MOVES,
    NEXT_PHASE,
    advance_phase,
    blocking_states,
    notice_is_over,
    publish_results,
)

from .builders import campaign_like, make_estate, make_staff
from .html import parse
from .test_lost_updates import form_post_data

pytestmark = pytest.mark.django_db

P = CampaignPhase
S = NominationState
NOT_FINAL = [S.DRAFT, *sorted(IN_PROCESS_STATES)]
SHANGHAI = ZoneInfo("Asia/Shanghai")


def linyi_estate(name):
    linyi = City.objects.get(slug="linyi")
    return make_estate(name=name, province=linyi.province, city=linyi)


def campaign_in(phase, *, days_left=None, **fields):
    """A Shandong campaign in `phase`; on notice it has dates, ending `days_left` days from
    today (the notice period has ended when negative)."""
    if days_left is not None:
        today = timezone.localdate()
        fields["notice_starts_on"] = today - datetime.timedelta(days=10)
        fields["notice_ends_on"] = today + datetime.timedelta(days=days_left)
    fields.setdefault("slug", f"phase-{phase}-{Nomination.objects.count()}")
    return campaign_like("shandong-2023", phase, **fields)


def nominated(campaign, state, name):
    return Nomination.objects.create(campaign=campaign, estate=linyi_estate(name), state=state)


# ---------------------------------------------------------------------------------------------
# No dead ends.


def finishes(phase, state):
    """Whether a campaign in `phase` with one nomination in `state` can still publish its
    results, searching every nomination move (any role) and phase step the rules allow."""
    seen, todo = set(), [(phase, state)]
    while todo:
        phase, state = todo.pop()
        if (phase, state) in seen:
            continue
        seen.add((phase, state))
        if phase == P.NOTICE and state not in IN_PROCESS_STATES:
            return True  # the results can be published
        todo += [
            (phase, to)
            for (frm, to), move in MOVES.items()
            if frm == state and phase in move.phases
        ]
        following = NEXT_PHASE.get(phase)
        if following in DECIDING_PHASES and state not in blocking_states(following):
            todo.append((following, state))
    return False


@pytest.mark.parametrize("step", [(p, NEXT_PHASE[p]) for p in DECIDING_PHASES[:-1]])
def test_every_phase_step_the_rules_allow_leaves_a_way_to_finish(step):
    before, after = step
    for state in NOT_FINAL:
        allowed = state not in blocking_states(after)
        if allowed:
            assert finishes(after, state), f"{before} → {after} leaves {state} with no way out"


def test_only_submitted_and_under_review_nominations_stop_the_step_to_notice():
    assert {p: blocking_states(p) for p in DECIDING_PHASES} == {
        P.DRAFT: frozenset(),
        P.NOMINATING: frozenset(),
        P.REVIEWING: frozenset(),
        P.NOTICE: frozenset({S.SUBMITTED, S.UNDER_REVIEW}),
    }
    # Publication waits for every nomination in process.
    assert blocking_states(P.PUBLISHED) == IN_PROCESS_STATES


def test_advancing_to_notice_with_a_nomination_under_review_is_refused_and_names_it():
    """The bug: under review on notice, a nomination has no move left, and the campaign could
    neither publish nor go back."""
    ministry = make_staff("ministry")
    campaign = campaign_in(P.REVIEWING, days_left=7)
    nominated(campaign, S.UNDER_REVIEW, "兰山区评审中小区")
    nominated(campaign, S.SUBMITTED, "河东区已提交小区")
    nominated(campaign, S.SHORTLISTED, "罗庄区拟入选小区")
    with pytest.raises(ValidationError) as refused:
        advance_phase(campaign, ministry)
    assert refused.value.code == "blocked"
    assert refused.value.messages == [
        "还有 2 项推荐进入“公示中”阶段后将无法再作出决定，请先处理："
        "河东区已提交小区（山东，已提交）；兰山区评审中小区（山东，评审中）。"
    ]
    campaign.refresh_from_db()
    assert campaign.phase == P.REVIEWING
    assert not campaign.phase_changes.exists()


def test_a_refusal_names_ten_nominations_and_says_there_are_more():
    ministry = make_staff("ministry")
    campaign = campaign_in(P.REVIEWING, days_left=7)
    for n in range(12):
        nominated(campaign, S.UNDER_REVIEW, f"待决定小区{n:02d}")
    with pytest.raises(ValidationError) as refused:
        advance_phase(campaign, ministry)
    [message] = refused.value.messages
    assert message.startswith("还有 12 项推荐")
    assert message.count("（山东，评审中）") == 10
    assert message.endswith("等。")


# ---------------------------------------------------------------------------------------------
# The log, and a second click.


def test_every_phase_change_and_the_publication_are_logged():
    ministry = make_staff("ministry")
    campaign = campaign_in(P.DRAFT, days_left=0)
    advance_phase(campaign, ministry, reason="通知已印发")
    advance_phase(campaign, ministry)
    advance_phase(campaign, ministry)
    # A day later the notice period is over.
    campaign.notice_ends_on -= datetime.timedelta(days=1)
    campaign.save(update_fields=["notice_ends_on"])
    publish_results(campaign, ministry)
    advance_phase(campaign, ministry)
    log = [
        (c.from_phase, c.to_phase, c.actor, c.reason, c.overridden)
        for c in campaign.phase_changes.order_by("at", "pk")
    ]
    assert log == [
        (P.DRAFT, P.NOMINATING, ministry, "通知已印发", False),
        (P.NOMINATING, P.REVIEWING, ministry, "", False),
        (P.REVIEWING, P.NOTICE, ministry, "", False),
        (P.NOTICE, P.PUBLISHED, ministry, "", False),
        (P.PUBLISHED, P.ARCHIVED, ministry, "", False),
    ]


def test_a_second_click_on_a_confirmation_does_not_advance_twice():
    ministry = make_staff("ministry")
    campaign = campaign_in(P.DRAFT)
    advance_phase(campaign, ministry, from_phase=P.DRAFT)
    with pytest.raises(ValidationError) as refused:
        advance_phase(campaign, ministry, from_phase=P.DRAFT)
    assert refused.value.messages == [
        "评选活动现在已是“推荐申报”阶段（可能有人刚刚改过，或按钮被点了两次），这次没有作任何改动。"
    ]
    campaign.refresh_from_db()
    assert campaign.phase == P.NOMINATING
    assert campaign.phase_changes.count() == 1


# ---------------------------------------------------------------------------------------------
# Publication and the notice period.


def test_the_notice_period_ends_at_midnight_in_the_sites_time_zone():
    campaign = campaign_in(P.NOTICE)
    campaign.notice_ends_on = datetime.date(2026, 6, 11)
    last_minute = datetime.datetime(2026, 6, 11, 23, 59, tzinfo=SHANGHAI)
    next_day = datetime.datetime(2026, 6, 12, 0, 0, tzinfo=SHANGHAI)
    assert not notice_is_over(campaign, last_minute)
    assert notice_is_over(campaign, next_day)
    # 16:30 UTC on the 11th is already the 12th in Beijing.
    assert notice_is_over(campaign, datetime.datetime(2026, 6, 11, 16, 30, tzinfo=datetime.UTC))


def decided_campaign(days_left):
    campaign = campaign_in(P.NOTICE, days_left=days_left)
    nominated(campaign, S.SELECTED, "兰山区入选小区")
    nominated(campaign, S.NOT_SELECTED, "河东区未入选小区")
    return campaign


def test_publication_before_the_notice_end_is_refused_without_override():
    ministry = make_staff("ministry")
    campaign = decided_campaign(days_left=0)  # the last day of the notice period
    end = campaign.notice_ends_on
    with pytest.raises(ValidationError) as refused:
        publish_results(campaign, ministry)
    assert refused.value.messages == [
        f"公示期到 {end.year}年{end.month}月{end.day}日 结束，结束前不能发布结果。"
        "如确需提前发布，请勾选“在公示期结束前发布”并填写理由。"
    ]
    with pytest.raises(ValidationError) as refused:
        publish_results(campaign, ministry, override=True, reason="  ")
    assert refused.value.messages == ["在公示期结束前发布结果需要填写理由。"]
    campaign.refresh_from_db()
    assert (campaign.phase, campaign.results_published_at) == (P.NOTICE, None)
    assert not campaign.phase_changes.exists()


def test_an_early_publication_with_a_reason_is_logged_as_an_override():
    ministry = make_staff("ministry")
    campaign = decided_campaign(days_left=3)
    reason = "异议均已办结，\n按部领导批示提前发布。"
    publish_results(campaign, ministry, override=True, reason=reason)
    assert campaign.phase == P.PUBLISHED
    change = campaign.phase_changes.get()
    assert (change.to_phase, change.overridden, change.reason) == (P.PUBLISHED, True, reason)


def test_after_the_notice_period_publication_needs_no_override():
    ministry = make_staff("ministry")
    campaign = decided_campaign(days_left=-1)
    publish_results(campaign, ministry, override=True, reason="")
    assert campaign.phase_changes.get().overridden is False  # nothing was overridden


def test_publication_refused_for_undecided_nominations_names_them():
    ministry = make_staff("ministry")
    campaign = decided_campaign(days_left=-1)
    nominated(campaign, S.ON_NOTICE, "罗庄区公示中小区")
    with pytest.raises(ValidationError) as refused:
        publish_results(campaign, ministry, override=True, reason="提前")
    assert refused.value.messages == [
        "还有 1 项推荐尚未确定是否入选，全部确定后才能发布结果：罗庄区公示中小区（山东，公示中）。"
    ]


def test_a_campaign_on_notice_keeps_its_notice_dates(client):
    ministry_client(client)
    campaign = campaign_in(P.NOTICE, days_left=5)
    url = reverse("admin:estates_campaign_change", args=[campaign.pk])
    data = form_post_data(client.get(url))
    data["notice_ends_on"] = ""
    response = client.post(url, data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["notice_ends_on"] == [
        "公示期间不能清空公示日期：公开网站正在展示它，发布结果也以它为准。"
    ]
    campaign.refresh_from_db()
    assert campaign.notice_ends_on is not None


# ---------------------------------------------------------------------------------------------
# The campaign page and the confirmation pages.


def ministry_client(client):
    user = make_staff("ministry", username="wang-ministry")
    client.force_login(user)
    return user


def test_the_campaign_page_button_names_the_next_phase(client):
    ministry_client(client)
    campaign = campaign_in(P.NOMINATING)
    page = parse(client.get(reverse("admin:estates_campaign_change", args=[campaign.pk])).content)
    [button] = page.find("section", class_="showcase-panel").find_all("a", class_="button")
    assert button.clean_text() == "推进到“评审中”"
    assert button.attrs["href"] == reverse("admin:estates_campaign_advance", args=[campaign.pk])


def test_the_confirmation_lists_what_happens_and_what_is_unfinished(client):
    ministry_client(client)
    campaign = campaign_in(P.NOMINATING)
    nominated(campaign, S.DRAFT, "草稿小区甲")
    nominated(campaign, S.DRAFT, "草稿小区乙")
    nominated(campaign, S.SUBMITTED, "已提交小区")
    url = reverse("admin:estates_campaign_advance", args=[campaign.pk])
    page = parse(client.get(url).content)
    assert page.find("h1").clean_text() == "推进到“评审中”"
    counts = {
        row.find("th").clean_text(): row.find("td").clean_text()
        for row in page.find("table", class_="phase-counts").find("tbody").find_all("tr")
    }
    assert counts == {"草稿": "2", "已提交": "1"}
    warnings = [li.clean_text() for li in page.find("ul", class_="warnings").find_all("li")]
    assert warnings == ["2 份草稿尚未提交，推进后将不能再提交（只能撤回）。"]
    [submit] = page.find("form", class_="phase-form").find_all("input", type="submit")
    assert submit.attrs["value"] == "确认推进到“评审中”"
    assert campaign.phase_changes.count() == 0  # looking changes nothing


def test_the_confirmation_names_the_nominations_that_block_the_step(client):
    ministry_client(client)
    campaign = campaign_in(P.REVIEWING, days_left=7)
    blocker = nominated(campaign, S.UNDER_REVIEW, "兰山区评审中小区")
    nominated(campaign, S.SHORTLISTED, "罗庄区拟入选小区")
    Review.objects.create(nomination=blocker, reviewer=make_staff("reviewer", "hebei"))
    page = parse(client.get(reverse("admin:estates_campaign_advance", args=[campaign.pk])).content)
    table = page.find("table", class_="phase-blockers")
    rows = [
        [td.clean_text() for td in tr.find_all("td")] for tr in table.find("tbody").find_all("tr")
    ]
    assert rows == [["兰山区评审中小区", "山东", "评审中", "列为拟入选、确定未入选"]]
    link = table.find("a").attrs["href"]
    assert link == reverse("admin:estates_nomination_change", args=[blocker.pk])
    listed = page.find("section", class_="blockers").find("p", class_="panel-note").find("a")
    assert listed.attrs["href"] == (
        reverse("admin:estates_nomination_changelist")
        + f"?campaign__id__exact={campaign.pk}&state__in=submitted,under_review"
    )
    assert page.find("form", class_="phase-form") is None  # nothing to confirm until then
    warnings = [li.clean_text() for li in page.find("ul", class_="warnings").find_all("li")]
    assert warnings == ["1 份评审尚未提交，推进后评审专家将不能再打分和提交。"]


def test_a_step_refused_after_confirming_changes_nothing_and_keeps_the_reason(client):
    ministry_client(client)
    campaign = campaign_in(P.REVIEWING, days_left=7)
    url = reverse("admin:estates_campaign_advance", args=[campaign.pk])
    client.get(url)
    nominated(campaign, S.UNDER_REVIEW, "刚刚退回评审的小区")  # meanwhile, someone else
    reason = "评审会已结束，\r\n转入公示。"
    response = client.post(url, {"from_phase": P.REVIEWING, "reason": reason})
    assert response.status_code == 200
    page = parse(response.content)
    assert page.find("div", class_="errornote").clean_text() == (
        "还有 1 项推荐进入“公示中”阶段后将无法再作出决定，"
        "请先处理：刚刚退回评审的小区（山东，评审中）。"
    )
    typed = page.find("textarea", id="id_reason").text().strip()
    assert typed.splitlines() == ["评审会已结束，", "转入公示。"]
    assert page.find("form", class_="phase-form").find("input", type="submit") is None
    campaign.refresh_from_db()
    assert campaign.phase == P.REVIEWING


def test_confirming_advances_once_and_returns_to_the_campaign(client):
    ministry = ministry_client(client)
    campaign = campaign_in(P.DRAFT)
    url = reverse("admin:estates_campaign_advance", args=[campaign.pk])
    data = {"from_phase": P.DRAFT, "reason": "通知已印发"}
    response = client.post(url, data)
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:estates_campaign_change", args=[campaign.pk])
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "评选活动已进入“推荐申报”阶段。"
    ]
    again = client.post(url, data)  # the same confirmation sent twice
    assert again.status_code == 200
    campaign.refresh_from_db()
    assert campaign.phase == P.NOMINATING
    assert [(c.to_phase, c.actor) for c in campaign.phase_changes.all()] == [
        (P.NOMINATING, ministry)
    ]


def test_early_publication_asks_for_the_override_and_a_reason(client):
    sync_role_groups()  # the ministry reads the phase log (a permission newer than the seed's)
    ministry_client(client)
    campaign = decided_campaign(days_left=2)
    url = reverse("admin:estates_campaign_publish", args=[campaign.pk])
    page = parse(client.get(url).content)
    assert page.find("input", id="id_override") is not None

    refused = client.post(url, {"from_phase": P.NOTICE, "reason": "领导要求"})
    assert refused.context["form"].errors["override"][0].startswith("公示期到 ")
    refused = client.post(url, {"from_phase": P.NOTICE, "override": "on", "reason": ""})
    assert refused.context["form"].errors["reason"] == ["在公示期结束前发布结果需要填写理由。"]
    campaign.refresh_from_db()
    assert campaign.phase == P.NOTICE

    reason = "异议均已办结，\r\n按部领导批示提前发布。"
    done = client.post(url, {"from_phase": P.NOTICE, "override": "on", "reason": reason})
    assert done.status_code == 302
    campaign.refresh_from_db()
    assert campaign.phase == P.PUBLISHED
    change = campaign.phase_changes.get()
    assert (change.overridden, change.reason) == (True, "异议均已办结，\n按部领导批示提前发布。")
    page = parse(client.get(reverse("admin:estates_campaign_change", args=[campaign.pk])).content)
    log = page.find("div", id="phase_changes-group").clean_text()
    assert "公示中 → 结果已发布" in log and "按部领导批示提前发布" in log and "wang-ministry" in log


def test_publication_confirmation_lists_undecided_nominations_with_links(client):
    ministry_client(client)
    campaign = decided_campaign(days_left=-1)
    waiting = nominated(campaign, S.ON_NOTICE, "罗庄区公示中小区")
    Objection.objects.create(nomination=waiting, text="停车收费不公开，请核查。")
    page = parse(client.get(reverse("admin:estates_campaign_publish", args=[campaign.pk])).content)
    rows = [
        [td.clean_text() for td in tr.find_all("td")]
        for tr in page.find("table", class_="phase-blockers").find("tbody").find_all("tr")
    ]
    assert rows == [["罗庄区公示中小区", "山东", "公示中", "确定入选、确定未入选"]]
    warnings = [li.clean_text() for li in page.find("ul", class_="warnings").find_all("li")]
    assert warnings == ["1 件异议尚未处理完；有未处理异议的推荐不能确定入选。"]


def test_only_the_ministry_changes_phases(client):
    client.force_login(make_staff("editor"))
    campaign = campaign_in(P.NOMINATING)
    for name in ("advance", "publish"):
        response = client.get(reverse(f"admin:estates_campaign_{name}", args=[campaign.pk]))
        assert response.status_code == 302
        assert response["Location"] == reverse("admin:estates_campaign_change", args=[campaign.pk])
    response = client.post(reverse("admin:estates_campaign_advance", args=[campaign.pk]))
    assert [str(m) for m in get_messages(response.wsgi_request)][-1] == (
        "只有部级管理员可以推进评选阶段或发布评选结果。"
    )
    campaign.refresh_from_db()
    assert campaign.phase == P.NOMINATING
    page = parse(client.get(reverse("admin:estates_campaign_change", args=[campaign.pk])).content)
    assert page.find("section", class_="showcase-panel").find("a", class_="button") is None


def test_the_confirmation_page_reads_a_fixed_number_of_queries(client):
    ministry_client(client)

    def queries_with(count):
        campaign = campaign_in(P.REVIEWING, days_left=7, slug=f"queries-{count}")
        for n in range(count):
            state = [S.UNDER_REVIEW, S.SHORTLISTED, S.NOT_SELECTED][n % 3]
            nominated(campaign, state, f"查询计数小区{count}-{n}")
        url = reverse("admin:estates_campaign_advance", args=[campaign.pk])
        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    assert queries_with(3) == queries_with(30)


# ---------------------------------------------------------------------------------------------
# The notice dates, on the way to notice.


def notice_campaign(starts_in, ends_in):
    """A campaign ready for notice (its nomination shortlisted) whose notice period starts and
    ends that many days from today."""
    today = timezone.localdate()
    campaign = campaign_in(
        P.REVIEWING,
        notice_starts_on=today + datetime.timedelta(days=starts_in),
        notice_ends_on=today + datetime.timedelta(days=ends_in),
    )
    nominated(campaign, S.SHORTLISTED, "兰山区拟入选小区")
    return campaign


def test_the_step_to_notice_before_its_start_says_when_objections_open(client):
    ministry_client(client)
    campaign = notice_campaign(starts_in=3, ends_in=10)
    start = campaign.notice_starts_on
    url = reverse("admin:estates_campaign_advance", args=[campaign.pk])
    form = parse(client.get(url).content).find("form", class_="phase-form")
    day = f"{start.year}年{start.month}月{start.day}日"
    assert [p.clean_text() for p in form.find_all("p", class_="phase-caution")] == [
        f"请注意：公示开始日期是 {day}，还没有到：推进后，公开网站上就会出现本活动的公示页面，"
        f"但公众要从 {day} 起才能提出异议。如果公示应从今天开始，请先在活动页面把公示开始日期"
        "改为今天。"
    ]
    # A warning, not a refusal: a notice announced for next Monday may be prepared now.
    assert client.post(url, {"from_phase": P.REVIEWING}).status_code == 302
    campaign.refresh_from_db()
    assert campaign.phase == P.NOTICE


@pytest.mark.parametrize("starts_in", [0, -2])
def test_the_step_to_notice_once_it_has_started_has_no_caution(client, starts_in):
    ministry_client(client)
    campaign = notice_campaign(starts_in=starts_in, ends_in=0)
    url = reverse("admin:estates_campaign_advance", args=[campaign.pk])
    page = parse(client.get(url).content)
    assert page.find("p", class_="phase-caution") is None
    assert page.find("section", class_="blockers") is None
    assert client.post(url, {"from_phase": P.REVIEWING}).status_code == 302


def test_the_step_to_notice_after_its_end_is_refused_and_says_what_to_do(client):
    ministry_client(client)
    campaign = notice_campaign(starts_in=-9, ends_in=-2)
    end = campaign.notice_ends_on
    expected = (
        f"公示结束日期 {end.year}年{end.month}月{end.day}日 已经过去：现在进入公示，公众将无法"
        "提出异议，评选结果也不必等待公示期就能发布。请先在活动页面把公示开始和结束日期"
        "改为实际的公示期。"
    )
    url = reverse("admin:estates_campaign_advance", args=[campaign.pk])
    page = parse(client.get(url).content)
    problems = page.find("section", class_="blockers").find("div", class_="errornote")
    assert problems.clean_text() == expected
    assert page.find("form", class_="phase-form") is None

    refused = client.post(url, {"from_phase": P.REVIEWING, "reason": "转入公示"})
    assert refused.status_code == 200
    assert [str(e) for e in refused.context["form"].non_field_errors()] == [expected]
    assert parse(refused.content).find("textarea", id="id_reason").text().strip() == "转入公示"
    campaign.refresh_from_db()
    assert (campaign.phase, campaign.phase_changes.count()) == (P.REVIEWING, 0)


def test_advance_phase_itself_refuses_a_notice_already_over():
    # The rule is the workflow's, so a script or another page cannot go around it.
    campaign = notice_campaign(starts_in=-9, ends_in=-2)
    with pytest.raises(ValidationError) as refused:
        advance_phase(campaign, make_staff("ministry"))
    assert refused.value.code == "notice_period_past"
    campaign.refresh_from_db()
    assert campaign.phase == P.REVIEWING
