"""Bulk moves from the nomination list: the ministry selects rows (or every matching row across
pages), sees them listed with the shortlisting threshold warnings, types one reason, and each
row is moved through the workflow on its own, with a result for every row."""

import itertools
from decimal import Decimal

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from estates.admin.nominations import NominationAdmin
from estates.enums import CampaignPhase, NominationState
from estates.models import City, Metric, MetricType, Nomination, NominationTransition
from estates.workflow import shortlist_warnings

from .builders import campaign_like, make_estate, make_staff
from .html import parse

pytestmark = pytest.mark.django_db

S = NominationState
# A literal, not reverse(): resolving URLs while tests are collected imports the URL conf
# before the test settings apply (DEBUG would add the photo route to it).
LIST = "/admin/estates/nomination/"
_names = itertools.count(1)


@pytest.fixture
def campaign():
    return campaign_like(
        "shandong-2023",
        CampaignPhase.REVIEWING,
        slug="bulk-2026",
        min_satisfaction=Decimal("90"),
        min_fee_collection=Decimal("85"),
    )


def nomination(campaign, state=S.UNDER_REVIEW, satisfaction=None, fee=None, name=None):
    city = City.objects.get(slug="linyi")
    estate = make_estate(
        name=name or f"临沂花园{next(_names)}号小区", province=city.province, city=city
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


@pytest.fixture
def ministry():
    client = Client()
    client.force_login(make_staff("ministry"))
    return client


def run_action(client, action, rows, url=LIST, **extra):
    data = {"action": action, "index": "0", ACTION_CHECKBOX_NAME: [n.pk for n in rows], **extra}
    return client.post(url, data)


def confirm(client, page, reason="", url=LIST, **extra):
    """Press the confirmation page's button, sending what its form holds."""
    form = page.context["form"]
    data = {
        "action": page.context["action"],
        "select_across": page.context["select_across"],
        ACTION_CHECKBOX_NAME: page.context["selected"],
        "rows": form["rows"].value(),
        "reason": reason,
        "_bulk_confirm": "1",
        **extra,
    }
    return client.post(url, data)


def table_rows(response):
    table = parse(response.content).find("table", class_="nomination-table")
    return [
        [td.clean_text() for td in tr.find_all("td")] for tr in table.find("tbody").find_all("tr")
    ]


def states(rows):
    return [Nomination.objects.get(pk=n.pk).state for n in rows]


def test_shortlisting_shows_every_rows_threshold_warnings_before_anything_moves(ministry, campaign):
    low = nomination(campaign, satisfaction="88.5", fee="92", name="兰山区阳光花园小区")
    fine = nomination(campaign, satisfaction="96.55", fee="98")
    unknown = nomination(campaign, satisfaction="95", name="罗庄区金茂家园")
    page = run_action(ministry, "move_to_shortlisted", [low, fine, unknown])

    assert page.status_code == 200
    assert states([low, fine, unknown]) == [S.UNDER_REVIEW] * 3
    html = parse(page.content)
    assert html.find("p", class_="nomination-summary").clean_text() == (
        "选中 3 项推荐，其中 3 项现在可以“列为拟入选”。"
    )
    warned = html.find("div", class_="nomination-warnings")
    assert warned.find("strong").clean_text() == "其中 2 项低于本次评选的门槛，请先核对："
    assert [li.clean_text() for li in warned.find_all("li")] == [
        "兰山区阳光花园小区（山东）：业主满意度为 88.5%，低于本次评选的门槛 90%。",
        "罗庄区金茂家园（山东）：物业费收缴率未知，本次评选的门槛是 85%。",
    ]
    # The table lists every row with its figures and its own warnings.
    cells = [
        [td.clean_text() for td in tr.find_all("td")]
        for tr in html.find("table", class_="nomination-table").find("tbody").find_all("tr")
    ]
    assert {row[0]: row[3:] for row in cells}[fine.estate.name] == ["96.55%", "98%", "—", "—", "—"]
    assert cells[0][0] == "兰山区阳光花园小区"
    assert cells[0][-1] == "业主满意度为 88.5%，低于本次评选的门槛 90%。"


def test_confirmed_shortlisting_moves_each_row_and_says_why_one_was_not(ministry, campaign):
    rows = [nomination(campaign, satisfaction="96") for _ in range(3)]
    draft = nomination(campaign, state=S.DRAFT, name="未提交小区")
    page = run_action(ministry, "move_to_shortlisted", [*rows, draft])
    html = parse(page.content)
    assert "不会执行：推荐当前为“草稿”，评选活动处于“评审中”阶段。" in html.clean_text()

    result = confirm(ministry, page)

    assert result.status_code == 200
    assert states(rows) == [S.SHORTLISTED] * 3
    assert states([draft]) == [S.DRAFT]
    html = parse(result.content)
    assert html.find("p", class_="nomination-summary").clean_text() == (
        "“列为拟入选”：完成 3 项，未执行 1 项。"
    )
    results = {
        tr.find_all("td")[0].clean_text(): [td.clean_text() for td in tr.find_all("td")[2:]]
        for tr in html.find("tbody").find_all("tr")
    }
    assert results["未提交小区"] == ["未执行", "推荐当前为“草稿”，不能改为“拟入选”。"]
    assert results[rows[0].estate.name] == ["完成", "现在是“拟入选”。"]
    for row in rows:
        log = NominationTransition.objects.get(nomination=row)
        assert (log.from_state, log.to_state, log.reason) == (S.UNDER_REVIEW, S.SHORTLISTED, "")


def test_not_selected_needs_one_reason_typed_once_for_every_row(ministry, campaign):
    rows = [nomination(campaign) for _ in range(3)]
    page = run_action(ministry, "move_to_not_selected", rows)
    assert parse(page.content).find("label", **{"for": "id_reason"}).clean_text() == "理由（必填）"

    refused = confirm(ministry, page, reason="  ")
    assert refused.status_code == 200
    assert refused.context["form"].errors == {"reason": ["这个字段是必填项。"]}
    assert states(rows) == [S.UNDER_REVIEW] * 3

    reason = "综合评审得分未进入前列；\n物业费收缴率偏低。"
    confirm(ministry, refused, reason=reason)
    assert states(rows) == [S.NOT_SELECTED] * 3
    assert [NominationTransition.objects.get(nomination=n).reason for n in rows] == [reason] * 3


def test_a_refused_row_changes_nothing_and_the_others_go_on(ministry):
    campaign = campaign_like("shandong-2023", CampaignPhase.NOTICE, slug="bulk-quota", quota=1)
    first, second = (nomination(campaign, state=S.ON_NOTICE) for _ in range(2))
    page = run_action(ministry, "move_to_selected", [first, second])
    result = confirm(ministry, page)
    assert states([first, second]) == [S.SELECTED, S.ON_NOTICE]
    assert not NominationTransition.objects.filter(nomination=second).exists()
    notes = [row[3] for row in table_rows(result)]
    assert notes == ["现在是“入选”。", "本次评选的 1 个名额已满，不能再确定入选。"]


def test_selecting_all_matching_rows_moves_them_across_pages(ministry, campaign, monkeypatch):
    monkeypatch.setattr(NominationAdmin, "list_per_page", 5)
    rows = [nomination(campaign, state=S.SUBMITTED) for _ in range(12)]
    other = campaign_like("shandong-2023", CampaignPhase.REVIEWING, slug="bulk-other")
    untouched = nomination(other, state=S.SUBMITTED)
    url = f"{LIST}?campaign__id__exact={campaign.pk}"
    page_one = ministry.get(url).context["cl"].result_list
    assert len(page_one) == 5

    page = run_action(ministry, "move_to_under_review", page_one, url=url, select_across="1")
    assert len(page.context["rows"]) == 12
    confirm(ministry, page, url=url)

    assert states(rows) == [S.UNDER_REVIEW] * 12
    assert states([untouched]) == [S.SUBMITTED]


def test_a_row_that_left_the_filter_since_the_confirmation_still_gets_its_result(
    ministry, campaign
):
    rows = [nomination(campaign, state=S.SUBMITTED) for _ in range(2)]
    url = f"{LIST}?state__exact=submitted"
    page = run_action(ministry, "move_to_under_review", rows, url=url)
    Nomination.objects.filter(pk=rows[0].pk).update(state=S.WITHDRAWN)  # someone else, meanwhile
    result = confirm(ministry, page, url=url)
    assert [row.done for row in result.context["rows"]] == [False, True]
    assert result.context["rows"][0].note == "推荐当前为“已撤回”，不能改为“评审中”。"


def test_only_the_ministry_is_offered_bulk_moves(client, campaign):
    row = nomination(campaign, state=S.SUBMITTED)
    client.force_login(make_staff("provincial", "shandong"))
    choices = [
        value for value, _label in client.get(LIST).context["action_form"].fields["action"].choices
    ]
    assert not [c for c in choices if c.startswith("move_to_") or c == "assign_reviewers"]
    run_action(client, "move_to_under_review", [row])
    assert states([row]) == [S.SUBMITTED]


def test_the_ministry_is_offered_every_bulk_move_in_the_order_of_the_process(ministry):
    labels = dict(ministry.get(LIST).context["action_form"].fields["action"].choices)
    assert [
        labels[f"move_to_{state}"]
        for state in (S.UNDER_REVIEW, S.SHORTLISTED, S.ON_NOTICE, S.SELECTED, S.NOT_SELECTED)
    ] == [
        "所选推荐：开始评审",
        "所选推荐：列为拟入选",
        "所选推荐：进入公示",
        "所选推荐：确定入选",
        "所选推荐：确定未入选",
    ]
    assert labels["assign_reviewers"] == "所选推荐：自动分配评审专家"


@pytest.mark.parametrize(
    ("satisfaction", "fee", "thresholds"),
    [
        ("88.5", "92", ("90", "85")),
        ("96", "80", ("90", "85")),
        ("96", "92", ("90", "85")),
        (None, "92", ("90", "85")),
        ("96", None, ("90", None)),
        (None, None, (None, None)),
        ("90", "85", ("90", "85")),
    ],
)
def test_the_lists_threshold_mark_agrees_with_shortlist_warnings(
    ministry, satisfaction, fee, thresholds
):
    campaign = campaign_like(
        "shandong-2023",
        CampaignPhase.REVIEWING,
        slug="bulk-marks",
        min_satisfaction=thresholds[0] and Decimal(thresholds[0]),
        min_fee_collection=thresholds[1] and Decimal(thresholds[1]),
    )
    row = nomination(campaign, satisfaction=satisfaction, fee=fee)
    html = parse(ministry.get(f"{LIST}?campaign__id__exact={campaign.pk}").content)
    marked = html.find("td", class_="field-threshold_mark").clean_text() == "低于门槛"
    assert marked == bool(shortlist_warnings(row))


def test_the_threshold_mark_is_for_rows_under_review_only(ministry, campaign):
    nomination(campaign, state=S.SHORTLISTED, satisfaction="50")
    html = parse(ministry.get(f"{LIST}?campaign__id__exact={campaign.pk}").content)
    assert html.find("td", class_="field-threshold_mark").clean_text() == ""


def test_the_list_runs_the_same_queries_however_many_rows_it_shows(ministry, campaign):
    def count():
        with CaptureQueriesContext(connection) as queries:
            assert ministry.get(LIST).status_code == 200
        return len(queries)

    for _ in range(3):
        nomination(campaign, satisfaction="88")
    few = count()
    for _ in range(30):
        nomination(campaign, satisfaction="88", fee="70")
    assert count() == few


def test_the_confirmation_asks_for_warnings_only_of_the_marked_rows(ministry, campaign):
    def count(rows):
        with CaptureQueriesContext(connection) as queries:
            assert run_action(ministry, "move_to_shortlisted", rows).status_code == 200
        return len(queries)

    warned = nomination(campaign, satisfaction="70")
    few = count([warned, *(nomination(campaign, satisfaction="96", fee="96") for _ in range(2))])
    many = count([warned, *(nomination(campaign, satisfaction="96", fee="96") for _ in range(20))])
    assert many == few


@pytest.mark.parametrize("rows", ["", "x,y", "99999999999999999999", "１２"])
def test_a_forged_row_list_moves_nothing_and_says_so(ministry, campaign, rows):
    row = nomination(campaign)
    page = run_action(ministry, "move_to_shortlisted", [row])
    data = {
        "action": "move_to_shortlisted",
        "select_across": "0",
        ACTION_CHECKBOX_NAME: [row.pk],
        "rows": rows,
        "_bulk_confirm": "1",
    }
    response = ministry.post(LIST, data)
    assert response.status_code == 200
    assert response.context["form"].errors["rows"] == ["所选推荐的编号有误，请回到列表重新选择。"]
    assert states([row]) == [S.UNDER_REVIEW]
    assert page.status_code == 200
