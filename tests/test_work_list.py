"""The admin index is each role's work list: counts of what needs doing, each linking to the
list of exactly those rows, and the models grouped into sections named for the work."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from estates.enums import CampaignPhase, NominationState, ObjectionState
from estates.models import (
    ActivityEvidence,
    CriterionEvidence,
    Estate,
    NominationTransition,
    Objection,
    Photo,
    Review,
)
from estates.roles import Role
from tests.builders import campaign_like, make_estate, make_staff, nominate
from tests.html import parse

pytestmark = pytest.mark.django_db

S = NominationState


def shandong_estate(name):
    from estates.models import City

    city = City.objects.filter(province__slug="shandong").first()
    return make_estate(name=name, province=city.province, city=city)


def _with_evidence(nomination, written=True):
    campaign = nomination.campaign
    CriterionEvidence.objects.bulk_create(
        CriterionEvidence(nomination=nomination, criterion=c, text="已落实。" if written else "")
        for c in campaign.criteria.all()
    )
    ActivityEvidence.objects.bulk_create(
        ActivityEvidence(nomination=nomination, requirement=r, text="已开展。" if written else "")
        for r in campaign.activity_requirements.all()
    )
    return nomination


@pytest.fixture
def reviewing():
    return campaign_like(
        "quanguo-2021",
        CampaignPhase.REVIEWING,
        title="2026年度“加强物业管理 共建美好家园”活动",
        year=2026,
        reviewers_per_nomination=2,
    )


def index_rows(client, user):
    """{label: (count text, link, whole row text)} of the index's work list."""
    client.force_login(user)
    response = client.get("/admin/")
    assert response.status_code == 200
    page = parse(response.content)
    found = {}
    for block in page.find_all("div", class_="work-list"):
        for row in block.find_all("tr"):
            link = row.find("th").find("a")
            count = row.find("td", class_="work-count")
            found[link.clean_text()] = (
                count.clean_text(),
                link.attrs["href"],
                row.clean_text(),
            )
    return found, page


def test_the_ministry_sees_what_needs_it_with_links_to_those_rows(client, reviewing):
    submitted = [nominate(make_estate(), reviewing, S.SUBMITTED) for _ in range(3)]
    in_review = nominate(make_estate(), reviewing, S.UNDER_REVIEW)
    reviewers = [make_staff(Role.REVIEWER, "shandong") for _ in range(2)]
    Review.objects.create(nomination=in_review, reviewer=reviewers[0])
    Review.objects.create(nomination=in_review, reviewer=reviewers[1], submitted_at=timezone.now())
    Review.objects.create(nomination=submitted[0], reviewer=reviewers[0])
    Objection.objects.create(nomination=in_review, text="公示材料与实际不符。")
    Objection.objects.create(
        nomination=in_review, text="已处理的异议。", state=ObjectionState.DISMISSED
    )

    rows, _html = index_rows(client, make_staff(Role.MINISTRY))

    count, link, _text = rows["已提交、尚未开始评审的推荐"]
    assert count == "3"
    assert f"campaign__id__exact={reviewing.pk}" in link and "state__exact=submitted" in link
    count, link, _text = rows["评审专家不足 2 位的推荐"]
    assert count == "3"  # the in-review one has its two; the three submitted have 1, 0, 0
    assert "reviewers=short" in link
    count, link, _text = rows["尚未提交的评审"]
    assert count == "2"
    assert "handed_in=no" in link
    count, link, _text = rows["未处理完的异议"]
    assert count == "1"
    assert "state__in=checking%2Creceived" in link
    count, link, text = rows["下一步"]
    assert text == "下一步推进到“公示中”：还有 4 项推荐须先“开始评审”、“列为拟入选”或“确定未入选” 4"


def test_next_step_without_blockers_links_to_its_confirmation(client, reviewing):
    nominate(make_estate(), reviewing, S.SHORTLISTED)
    nominate(make_estate(), reviewing, S.NOT_SELECTED)
    rows, _html = index_rows(client, make_staff(Role.MINISTRY))
    _count, link, text = rows["下一步"]
    assert text == "下一步推进到“公示中”：没有阻碍这一步的推荐，可以进行 查看"
    assert link == f"/admin/estates/campaign/{reviewing.pk}/advance/"


def test_the_linked_lists_hold_the_rows_counted(client, reviewing):
    nominate(make_estate(), reviewing, S.SUBMITTED)
    nominate(make_estate(), reviewing, S.SUBMITTED)
    nominate(make_estate(), reviewing, S.SELECTED)
    rows, _html = index_rows(client, make_staff(Role.MINISTRY))
    _count, link, _text = rows["已提交、尚未开始评审的推荐"]
    response = client.get(link)
    assert response.status_code == 200
    rows = parse(response.content).find("table", id="result_list").find("tbody").find_all("tr")
    assert len(rows) == 2


def test_notice_period_ending_is_flagged(client):
    campaign = campaign_like(
        "quanguo-2021",
        CampaignPhase.NOTICE,
        year=2026,
        notice_starts_on=timezone.localdate() - timedelta(days=5),
        notice_ends_on=timezone.localdate() + timedelta(days=2),
    )
    nominate(make_estate(), campaign, S.ON_NOTICE)
    rows, _html = index_rows(client, make_staff(Role.MINISTRY))
    _count, _link, text = rows["公示期"]
    assert "还有 2 天" in text
    _count, link, text = rows["下一步"]
    assert text == "下一步发布评选结果：还有 1 项推荐须先“进入公示”、“确定未入选”或“确定入选” 1"
    assert "state__in=" in link


def test_a_province_sees_its_drafts_returns_and_decisions_only(client, reviewing):
    reviewing.phase = CampaignPhase.NOMINATING
    reviewing.save()
    own_draft = _with_evidence(nominate(shandong_estate("鲁东花园"), reviewing, S.DRAFT), False)
    _with_evidence(nominate(shandong_estate("鲁西花园"), reviewing, S.DRAFT))  # complete
    returned = _with_evidence(nominate(shandong_estate("鲁南花园"), reviewing, S.DRAFT))
    NominationTransition.objects.create(
        nomination=returned, from_state=S.SUBMITTED, to_state=S.DRAFT, reason="缺少满意度调查表"
    )
    _with_evidence(nominate(make_estate(), reviewing, S.DRAFT), False)  # Beijing's, not theirs
    assert own_draft.missing_evidence()

    rows, _page = index_rows(client, make_staff(Role.PROVINCIAL, "shandong"))

    count, link, _text = rows["材料未填完的草稿"]
    assert count == "1"
    assert "evidence=missing" in link and "state__exact=draft" in link
    count, link, _text = rows["被退回修改的推荐"]
    assert count == "1"
    assert "returned=yes" in link
    assert rows["已入选"][0] == "0"
    assert "尚未提交的评审" not in rows and "未处理完的异议" not in rows


def test_a_reviewer_sees_the_reviews_to_do(client, reviewing):
    reviewer = make_staff(Role.REVIEWER, "shandong")
    for state in (S.UNDER_REVIEW, S.UNDER_REVIEW, S.UNDER_REVIEW):
        Review.objects.create(
            nomination=nominate(make_estate(), reviewing, state), reviewer=reviewer
        )
    Review.objects.filter(reviewer=reviewer).first().__class__.objects.filter(
        pk=Review.objects.filter(reviewer=reviewer).first().pk
    ).update(submitted_at=timezone.now())
    rows, _html = index_rows(client, reviewer)
    assert rows["待完成的评审"][0] == "2"
    assert "handed_in=no" in rows["待完成的评审"][1]
    assert rows["已提交的评审"][0] == "1"


def test_an_editor_sees_selected_estates_missing_texts_or_photos(client):
    rows, _html = index_rows(client, make_staff(Role.EDITOR))
    selected = Estate.objects.filter(nominations__state=S.SELECTED).distinct()
    no_text = (
        selected.filter(overview="").count()
        + selected.exclude(overview="").filter(highlights="").count()
    )
    no_photo = selected.exclude(pk__in=Photo.objects.values("estate")).count()
    assert rows["缺少概况或亮点文字的入选小区"][0] == str(no_text)
    assert "public_gaps=texts" in rows["缺少概况或亮点文字的入选小区"][1]
    assert rows["没有照片的入选小区"][0] == str(no_photo)


SECTION_NAMES = ["评选工作", "小区资料", "基础数据", "账号与日志"]


def sections_of(page):
    return [a.clean_text() for a in page.find_all("a", class_="section")]


def models_listed(page):
    return {
        th.clean_text()
        for th in page.find_all("th", scope="row")
        if th.attrs.get("id", "").startswith("section-")
    }


@pytest.mark.parametrize(
    ("role", "province", "shown", "hidden"),
    [
        (
            Role.MINISTRY,
            None,
            ["推荐", "评审", "异议", "小区", "原则要求"],
            ["评审得分", "分省名额"],
        ),
        (Role.PROVINCIAL, "shandong", ["推荐", "小区", "照片"], ["评审", "省份", "原则要求"]),
        (Role.REVIEWER, None, ["评审", "推荐"], ["照片", "省份", "评审得分"]),
        (Role.EDITOR, None, ["小区", "照片", "评选活动"], ["治理机制类别", "省份", "评审"]),
    ],
)
def test_models_are_grouped_by_the_work_and_each_role_sees_what_it_uses(
    client, role, province, shown, hidden
):
    client.force_login(make_staff(role, province))
    page = parse(client.get("/admin/").content)
    sections = sections_of(page)
    assert sections and set(sections) <= set(SECTION_NAMES)
    assert sections == [name for name in SECTION_NAMES if name in sections]
    listed = models_listed(page)
    for name in shown:
        assert name in listed, (name, listed)
    for name in hidden:
        assert name not in listed, (name, listed)


def test_a_superuser_sees_accounts_under_accounts_and_logs(client):
    admin = get_user_model().objects.create_superuser("root-user", password="unused-in-tests")
    client.force_login(admin)
    page = parse(client.get("/admin/").content)
    assert sections_of(page) == SECTION_NAMES
    accounts = page.find("div", class_="app-section-4")
    assert "用户" in accounts.clean_text() and "推荐状态变更" in accounts.clean_text()


def test_the_index_query_count_does_not_grow_with_the_rows(
    client, reviewing, django_assert_max_num_queries
):
    ministry = make_staff(Role.MINISTRY)
    client.force_login(ministry)

    def queries():
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            assert client.get("/admin/").status_code == 200
        return len(captured)

    nominate(make_estate(), reviewing, S.SUBMITTED)
    few = queries()
    for _ in range(30):
        nominate(make_estate(), reviewing, S.SUBMITTED)
    assert queries() == few


def test_queryset_filters_match_the_per_row_rules(reviewing):
    complete = _with_evidence(nominate(make_estate(), reviewing, S.DRAFT))
    empty = _with_evidence(nominate(make_estate(), reviewing, S.DRAFT), False)
    no_rows = nominate(make_estate(), reviewing, S.DRAFT)
    partial = _with_evidence(nominate(make_estate(), reviewing, S.DRAFT))
    partial.criterion_evidence.filter(pk=partial.criterion_evidence.first().pk).update(text="")
    from estates.models import Nomination

    missing = set(
        Nomination.objects.filter(campaign=reviewing)
        .missing_evidence()
        .values_list("pk", flat=True)
    )
    assert missing == {n.pk for n in (complete, empty, no_rows, partial) if n.missing_evidence()}
    assert complete.pk not in missing and {empty.pk, no_rows.pk, partial.pk} <= missing


def listed_rows(client, link):
    response = client.get(link)
    assert response.status_code == 200, link
    table = parse(response.content).find("table", id="result_list")
    return 0 if table is None else len(table.find("tbody").find_all("tr"))


def test_every_count_is_the_number_of_rows_its_link_lists(client, reviewing):
    """The same queryset behind both: a count that disagreed with its list would send staff
    hunting. Checked for each role on one campaign with work of every kind."""
    from estates.models import PendingChange

    ministry = make_staff(Role.MINISTRY)
    clerk = make_staff(Role.PROVINCIAL, "shandong")
    reviewer = make_staff(Role.REVIEWER, "hebei")
    submitted = [nominate(shandong_estate(f"鲁{i}号院"), reviewing, S.SUBMITTED) for i in range(3)]
    Review.objects.create(nomination=submitted[0], reviewer=reviewer)
    Review.objects.create(
        nomination=nominate(make_estate(), reviewing, S.UNDER_REVIEW),
        reviewer=reviewer,
    )
    Objection.objects.create(nomination=submitted[1], text="材料与实际情况不符，请核查。")
    published = Estate.objects.published().filter(province__slug="shandong").first()
    if published is not None:
        PendingChange.objects.create(
            estate=published,
            author=clerk,
            base_version=published.version,
            values={"tagline": "新的标题语"},
            base_values={"tagline": published.tagline},
        )
    for user in (ministry, clerk, reviewer, make_staff(Role.EDITOR)):
        rows, _page = index_rows(client, user)
        checked = 0
        for label, (count, link, _text) in rows.items():
            if count.isdigit() and "/admin/estates/" in link and "/change/" not in link:
                assert listed_rows(client, link) == int(count), (user, label, link)
                checked += 1
        assert checked >= 2, (user, rows)
