"""History and logs in words: versions with who (name and role), when (local time), why and each
changed field as label: old → new; the nomination's log with its reasons on its own page, for
its own province only; query counts that do not grow with the number of versions."""

import datetime

import pytest
from django.contrib import admin
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from estates.enums import CampaignPhase, EstateType, NominationState
from estates.models import (
    CampaignPhaseChange,
    City,
    Estate,
    Nomination,
    PropertyCompany,
    Review,
    ReviewScore,
)
from estates.people import person_name
from estates.roles import ROLE_PERMISSIONS, Role, sync_role_groups
from estates.workflow import assign_reviewer, submit_review, transition

from .builders import campaign_like, make_estate, make_staff
from .html import parse

pytestmark = pytest.mark.django_db

S = NominationState
RETURN_REASON = (
    "一、满意度调查样本不足：问卷仅 12 份，请补充到 200 份以上；\n"
    "二、“8个‘一’”中第三项（邻里节）缺少活动照片，请补充。\n"
    "\n"
    "请于 12 月 10 日前重新提交。"
)
# Longer than the 100 characters the history keeps of a reason: the log keeps it whole.
NOT_SELECTED_REASON = "综合评分 72.5 分，未达到入选线（80 分）；" + "业主满意度调查方法需改进。" * 8
CODES = ("submitted", "under_review", "not_selected", "draft", "commercial", "old")
ENGLISH = ("history_change_reason", "Changes", "Changed by", "Date/time", "Object", "None")


@pytest.fixture(autouse=True)
def _role_permissions_as_migrated():
    """The groups hold ROLE_PERMISSIONS (the lead's permissions migration does this)."""
    sync_role_groups()


@pytest.fixture
def ministry():
    user = make_staff("ministry", username="wangming")
    user.last_name, user.first_name = "王", "明"
    user.save()
    return user


@pytest.fixture
def clerk():
    user = make_staff("provincial", "shandong", username="sd-clerk")
    user.last_name = "李青"
    user.save()
    return user


def linyi_estate(**fields):
    linyi = City.objects.get(slug="linyi")
    return make_estate(province=linyi.province, city=linyi, **fields)


def evidenced_nomination(estate, phase=CampaignPhase.NOMINATING, slug="history-2026"):
    from estates.admin.nominations import create_missing_evidence

    campaign = campaign_like("shandong-2023", phase, slug=slug, year=2026)
    nomination = Nomination.objects.create(estate=estate, campaign=campaign)
    create_missing_evidence(nomination)
    nomination.criterion_evidence.update(text="已落实。")
    nomination.activity_evidence.update(text="已开展。")
    return nomination


def returned_then_not_selected(ministry, clerk, estate=None):
    """Submitted, returned for correction, submitted again, reviewed and not selected."""
    nomination = evidenced_nomination(estate or linyi_estate(name="临沂美好苑"))
    transition(nomination, S.SUBMITTED, clerk)
    transition(nomination, S.DRAFT, ministry, RETURN_REASON)
    transition(nomination, S.SUBMITTED, clerk)
    campaign = nomination.campaign
    campaign.phase = CampaignPhase.REVIEWING
    campaign.save()
    transition(nomination, S.UNDER_REVIEW, ministry)
    transition(nomination, S.NOT_SELECTED, ministry, NOT_SELECTED_REASON)
    return nomination


def edit(obj, user, reason="", **fields):
    for name, value in fields.items():
        setattr(obj, name, value)
    obj._history_user = user
    obj._change_reason = reason
    obj.save()
    del obj._change_reason


def page_text(response):
    assert response.status_code == 200
    return parse(response.content).find("div", id="content").clean_text()


def history_url(obj):
    return reverse(f"admin:estates_{obj._meta.model_name}_history", args=[obj.pk])


def assert_no_codes_or_english(text):
    for word in CODES + ENGLISH:
        assert word not in text.split() and f"{word} →" not in text and f"→ {word}" not in text


# --- Versions in words ------------------------------------------------------------------------


def test_estate_history_lists_each_change_as_label_old_new(client, ministry):
    company = PropertyCompany.objects.create(name="临沂红管家物业服务有限公司")
    estate = linyi_estate(
        name="沂河苑", estate_type=EstateType.COMMERCIAL, overview="第一段概况。\n第二段概况。"
    )
    edit(
        estate,
        ministry,
        "按省厅意见修改",
        estate_type=EstateType.OLD,
        property_company=company,
        households=1250,
        overview="第一段概况。\n第二段概况。\n2026年新增：加装电梯 12 部，改造雨污管网 3.2 公里。",
    )
    first, latest = estate.history.order_by("history_id")
    for record, minute in ((first, 0), (latest, 5)):
        record.history_date = datetime.datetime(2026, 12, 2, 6, minute, tzinfo=datetime.UTC)
        record.save()
    client.force_login(ministry)

    text = page_text(client.get(history_url(estate)))

    assert "修改历史（沂河苑）" in text
    assert "2026年12月2日 14:05 王明（部级管理员） 已修改 按省厅意见修改" in text
    assert "小区类型： 商品住宅 → 老旧小区" in text
    assert "户数（户）： （空） → 1250" in text
    assert "物业服务企业： （空） → 临沂红管家物业服务有限公司" in text
    assert "概况： 新增段落：2026年新增：加装电梯 12 部，改造雨污管网 3.2 公里。" in text
    assert "新建的第一个版本。" in text
    assert_no_codes_or_english(text)


def test_long_texts_are_shortened_with_the_whole_text_a_click_away(client, ministry):
    old = "小区概况。" * 30
    estate = linyi_estate(name="长文苑", overview=old)
    edit(estate, ministry, overview=old + "\n新的一段。")
    edit(estate, ministry, overview="全部重写的概况，" * 20)
    client.force_login(ministry)

    tree = parse(client.get(history_url(estate)).content)

    newest, older = tree.find_all("ul", class_="history-changes")[:2]
    assert newest.find("span", class_="history-old").clean_text().endswith("…")
    assert len(newest.find("span", class_="history-old").clean_text()) <= 60
    full = newest.find("details", class_="history-full")
    assert full.find("summary").clean_text() == "查看修改前后的全文"
    texts = [div.clean_text() for div in full.find_all("div", class_="history-full-text")]
    assert texts == [old + "新的一段。", "全部重写的概况，" * 20]
    assert older.find("span", class_="history-pair").clean_text() == "新增段落：新的一段。"


def test_nomination_history_shows_state_labels_and_local_times(client, ministry, clerk):
    nomination = returned_then_not_selected(ministry, clerk)
    client.force_login(ministry)

    text = page_text(client.get(history_url(nomination)))

    assert "状态： 已提交 → 草稿" in text
    assert "状态： 评审中 → 未入选" in text
    assert "李青（省级填报员） 已修改 提交推荐 状态： 草稿 → 已提交 提交时间： （空） → 20" in text
    assert "一、满意度调查样本不足" in text
    assert "+00:00" not in text
    assert_no_codes_or_english(text)


def test_a_version_page_says_who_when_why_and_what_changed(client, ministry, clerk):
    nomination = returned_then_not_selected(ministry, clerk)
    returned = nomination.history.get(state=S.DRAFT, history_change_reason__startswith="一、")
    client.force_login(ministry)

    response = client.get(
        reverse("admin:estates_nomination_simple_history", args=[nomination.pk, returned.pk])
    )

    tree = parse(response.content)
    crumbs = tree.find("div", class_="breadcrumbs").clean_text()
    assert crumbs.startswith("首页 › 推荐 › 临沂美好苑") and "修改历史 ›" in crumbs
    facts = tree.find("dl", class_="history-facts")
    labels = [dt.clean_text() for dt in facts.find_all("dt")]
    values = dict(zip(labels, [dd.clean_text() for dd in facts.find_all("dd")], strict=True))
    assert values["操作人"] == "王明（部级管理员）"
    assert values["理由或说明"].startswith("一、满意度调查样本不足")
    assert values["与上一版本相比"] == "状态： 已提交 → 草稿"
    assert tree.find("input", name="_save").attrs["value"] == "还原到这一版本"
    text = page_text(response)
    assert "Historical" not in text and "Estates" not in text
    assert_no_codes_or_english(text)


def test_people_are_named_never_by_their_email(client, ministry):
    by_mail = make_staff("ministry", username="zhao.lei@mohurd.example.cn")
    estate = linyi_estate(name="邮箱苑")
    edit(estate, by_mail, tagline="新的标题语")
    client.force_login(ministry)

    text = page_text(client.get(history_url(estate)))

    assert "zhao.lei（部级管理员）" in text
    assert "@" not in text
    assert person_name(ministry) == "王明"


def test_a_review_history_is_named_by_estate_and_reviewer(client, ministry, clerk):
    nomination = evidenced_nomination(linyi_estate(name="评审苑"), CampaignPhase.NOMINATING)
    transition(nomination, S.SUBMITTED, clerk)
    nomination.campaign.phase = CampaignPhase.REVIEWING
    nomination.campaign.save()
    reviewer = make_staff("reviewer", "hebei", username="reviewer-zhang")
    reviewer.last_name = "张华"
    reviewer.save()
    review = assign_reviewer(nomination, reviewer, ministry)
    LogEntry.objects.log_actions(
        reviewer.pk, [review], CHANGE, change_message=[{"changed": {"fields": ["总体意见"]}}]
    )
    client.force_login(ministry)

    response = client.get(history_url(review))

    tree = parse(response.content)
    assert tree.find("h1").clean_text() == "修改历史（评审：评审苑 · 张华）"
    row = tree.find("table", class_="history-table").find("tbody").clean_text()
    assert "张华（评审专家）" in row and "总体意见" in row
    assert "None" not in page_text(response)


def test_history_pages_render_in_english_too(ministry, clerk):
    nomination = returned_then_not_selected(ministry, clerk)
    version = nomination.history.earliest()
    review = review_of(ministry, clerk, "英文苑")
    request = RequestFactory().get("/")
    request.user = ministry
    pages = [
        lambda: admin.site._registry[Nomination].history_view(request, str(nomination.pk)),
        lambda: admin.site._registry[Nomination].history_form_view(
            request, str(nomination.pk), str(version.pk)
        ),
        lambda: admin.site._registry[Review].history_view(request, str(review.pk)),
    ]
    with translation.override("en"):
        for open_page in pages:
            response = open_page()
            if hasattr(response, "render"):
                response.render()
            assert response.status_code == 200
            assert "苑" in response.content.decode()


# --- The nomination's log on its own page -----------------------------------------------------


def test_the_province_reads_its_nominations_log_with_the_reasons_in_full(client, ministry, clerk):
    nomination = returned_then_not_selected(ministry, clerk)
    client.force_login(clerk)

    response = client.get(reverse("admin:estates_nomination_change", args=[nomination.pk]))

    log = parse(response.content).find("div", class_="history-log")
    rows = [row.clean_text() for row in log.find("tbody").find_all("tr")]
    assert [row.split(" ", 3)[2:3] for row in rows] == [
        ["李青（省级填报员）"],
        ["王明（部级管理员）"],
        ["李青（省级填报员）"],
        ["王明（部级管理员）"],
        ["王明（部级管理员）"],
    ]
    assert "已提交 → 草稿 一、满意度调查样本不足" in rows[1]
    assert rows[1].endswith("请于 12 月 10 日前重新提交。")
    assert rows[4].endswith(NOT_SELECTED_REASON)
    assert "评审中 → 未入选" in rows[4]
    reason_cell = log.find_all("td", class_="field-reason_text")[1]
    assert len(reason_cell.find_all("br")) == 3  # the reason's line breaks, kept
    assert "@" not in log.clean_text()


def test_the_provincial_role_may_view_the_log():
    assert "view_nominationtransition" in ROLE_PERMISSIONS[Role.PROVINCIAL]


def test_another_province_never_sees_the_log(client, ministry, clerk):
    nomination = returned_then_not_selected(ministry, clerk)
    entry = nomination.transitions.get(to_state=S.DRAFT)
    client.force_login(make_staff("provincial", "beijing"))

    page = client.get(reverse("admin:estates_nomination_change", args=[nomination.pk]))
    missing = client.get(reverse("admin:estates_nomination_change", args=[999999]))
    log_list = client.get(reverse("admin:estates_nominationtransition_changelist"))
    log_row = client.get(reverse("admin:estates_nominationtransition_change", args=[entry.pk]))

    assert page.status_code == missing.status_code == 302
    assert "满意度调查样本不足" not in log_list.content.decode()
    assert log_row.status_code == 302
    assert "满意度调查样本不足" not in client.get(page["Location"]).content.decode()


def test_campaign_phase_log_reads_in_words(client, ministry):
    campaign = campaign_like("shandong-2023", CampaignPhase.NOMINATING, slug="phase-log")
    CampaignPhaseChange.objects.create(
        campaign=campaign, from_phase=CampaignPhase.REVIEWING, to_phase=CampaignPhase.NOTICE
    )
    CampaignPhaseChange.objects.create(
        campaign=campaign,
        from_phase=CampaignPhase.NOTICE,
        to_phase=CampaignPhase.PUBLISHED,
        actor=ministry,
        overridden=True,
        reason="公示期内无异议，提前发布。",
    )
    client.force_login(ministry)

    response = client.get(reverse("admin:estates_campaignphasechange_changelist"))

    rows = parse(response.content).find("table", id="result_list").find("tbody").find_all("tr")
    cells = [[cell.clean_text() for cell in row.find_all("td")][:3] for row in rows]
    assert cells == [  # the latest first
        ["公示中 → 结果已发布", "王明（部级管理员）", "是"],
        ["评审中 → 公示中", "（空）", "否"],
    ]
    assert_no_codes_or_english(page_text(response))


# --- Query counts -----------------------------------------------------------------------------


def queries(client, url):
    """The queries a page runs once the process's caches (content types, permissions) are
    warm, as for every request but the first."""
    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_estate_history_queries_do_not_grow_with_versions(client, ministry):
    editors = [make_staff("ministry"), make_staff("provincial", "shandong"), ministry]
    companies = [PropertyCompany.objects.create(name=f"物业公司{n}") for n in range(3)]
    few, many = linyi_estate(name="版本少苑"), linyi_estate(name="版本多苑")
    for estate, count in ((few, 2), (many, 12)):
        for n in range(count):
            edit(
                estate,
                editors[n % 3],
                f"第 {n} 次修改",
                households=100 + n,
                property_company=companies[n % 3],
                estate_type=EstateType.OLD if n % 2 else EstateType.COMMERCIAL,
            )
    client.force_login(ministry)

    assert queries(client, history_url(few)) == queries(client, history_url(many))


def test_nomination_history_and_log_queries_do_not_grow_with_moves(client, ministry, clerk):
    few = evidenced_nomination(linyi_estate(name="少次苑"), slug="few-moves")
    many = evidenced_nomination(linyi_estate(name="多次苑"), slug="many-moves")
    for nomination, rounds in ((few, 1), (many, 6)):
        for _round in range(rounds):
            transition(nomination, S.SUBMITTED, clerk)
            transition(nomination, S.DRAFT, ministry, RETURN_REASON)
    client.force_login(ministry)

    assert queries(client, history_url(few)) == queries(client, history_url(many))
    change = "admin:estates_nomination_change"
    assert queries(client, reverse(change, args=[few.pk])) == queries(
        client, reverse(change, args=[many.pk])
    )


def test_campaign_phase_log_queries_do_not_grow_with_entries(client, ministry):
    campaign = campaign_like("shandong-2023", CampaignPhase.NOMINATING, slug="phase-queries")
    url = reverse("admin:estates_campaignphasechange_changelist")
    client.force_login(ministry)
    counts = []
    for entries in (2, 9):
        for _n in range(entries):
            CampaignPhaseChange.objects.create(
                campaign=campaign,
                from_phase=CampaignPhase.DRAFT,
                to_phase=CampaignPhase.NOMINATING,
                actor=make_staff("ministry"),
            )
        counts.append(queries(client, url))
    assert counts[0] == counts[1]


def test_review_history_queries_do_not_grow_with_entries(client, ministry, clerk):
    reviews = []
    for name in ("少记录苑", "多记录苑"):
        nomination = evidenced_nomination(linyi_estate(name=name), slug=f"rv-{len(reviews)}")
        transition(nomination, S.SUBMITTED, clerk)
        nomination.campaign.phase = CampaignPhase.REVIEWING
        nomination.campaign.save()
        reviews.append(assign_reviewer(nomination, make_staff("reviewer", "hebei"), ministry))
    for review, count in zip(reviews, (1, 10), strict=True):
        for _n in range(count):
            user = make_staff("reviewer", "hebei")
            LogEntry.objects.create(
                user=user,
                content_type=ContentType.objects.get_for_model(Review),
                object_id=str(review.pk),
                object_repr=str(review),
                action_flag=CHANGE,
                change_message="[]",
            )
    client.force_login(ministry)

    assert queries(client, history_url(reviews[0])) == queries(client, history_url(reviews[1]))


def test_the_nomination_log_list_and_rows_read_in_words(client, ministry, clerk):
    nomination = returned_then_not_selected(ministry, clerk)
    entry = nomination.transitions.get(to_state=S.DRAFT)
    client.force_login(ministry)

    listed = client.get(reverse("admin:estates_nominationtransition_changelist"))
    row = client.get(reverse("admin:estates_nominationtransition_change", args=[entry.pk]))

    rows = parse(listed.content).find("table", id="result_list").find("tbody").find_all("tr")
    cells = [[td.clean_text() for td in tr.find_all("td")][:2] for tr in rows]
    assert ["已提交 → 草稿", "王明（部级管理员）"] in cells
    assert ["草稿 → 已提交", "李青（省级填报员）"] in cells
    reason = (
        parse(row.content).find("div", class_="field-reason_text").find("div", class_="readonly")
    )
    assert len(reason.find_all("br")) == 3 and reason.clean_text().startswith("一、满意度")
    assert_no_codes_or_english(page_text(listed) + page_text(row))


# --- A handed-in review is a record --------------------------------------------------------------


def review_of(ministry, clerk, name):
    nomination = evidenced_nomination(linyi_estate(name=name), slug=f"rv-{name}")
    transition(nomination, S.SUBMITTED, clerk)
    nomination.campaign.phase = CampaignPhase.REVIEWING
    nomination.campaign.save()
    reviewer = make_staff("reviewer", "hebei")
    reviewer.last_name = "张华"
    reviewer.save()
    return assign_reviewer(nomination, reviewer, ministry)


def hand_in(review):
    review.scores.update(score=85)
    submit_review(review, review.reviewer)
    review.refresh_from_db()
    return review


def test_a_handed_in_review_offers_no_delete_and_its_address_says_why(client, ministry, clerk):
    review = hand_in(review_of(ministry, clerk, "已交苑"))
    client.force_login(ministry)
    change = reverse("admin:estates_review_change", args=[review.pk])

    page = client.get(change)
    refused = client.get(reverse("admin:estates_review_delete", args=[review.pk]), follow=True)

    assert parse(page.content).find("a", class_="deletelink") is None
    assert refused.redirect_chain == [(change, 302)]
    [message] = [str(m) for m in refused.context["messages"]]
    assert message.startswith("“评审：已交苑 · 张华”已于 20")
    assert message.endswith("提交，是评审记录，不能删除。")
    assert Review.objects.filter(pk=review.pk).exists()


def test_bulk_delete_refuses_a_selection_holding_a_handed_in_review(client, ministry, clerk):
    kept = hand_in(review_of(ministry, clerk, "批量已交苑"))
    still_open = review_of(ministry, clerk, "批量未交苑")
    client.force_login(ministry)

    response = client.post(
        reverse("admin:estates_review_changelist"),
        {"action": "delete_selected", "_selected_action": [kept.pk, still_open.pk]},
        follow=True,
    )

    [message] = [str(m) for m in response.context["messages"]]
    assert message.endswith("是评审记录，不能删除。")
    assert Review.objects.filter(pk__in=[kept.pk, still_open.pk]).count() == 2


def test_an_open_review_is_deleted_with_its_score_rows(client, ministry, clerk):
    review = review_of(ministry, clerk, "误派苑")
    client.force_login(ministry)

    response = client.post(
        reverse("admin:estates_review_delete", args=[review.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    assert not Review.objects.filter(pk=review.pk).exists()
    assert not ReviewScore.objects.filter(review_id=review.pk).exists()


def test_review_rows_are_named_by_estate_and_reviewer_never_none(client, ministry, clerk):
    review = review_of(ministry, clerk, "未打分苑")
    client.force_login(review.reviewer)

    page = client.get(reverse("admin:estates_review_change", args=[review.pk]))

    tree = parse(page.content)
    assert tree.find("div", id="content").find("h2").clean_text() == "未打分苑 · 张华"
    rows = [card.find("h3").clean_text() for card in tree.find_all("section", class_="score-card")]
    assert rows[0] == "（一）发挥党建引领物业管理作用"
    assert "None" not in page_text(page)


def form_data(tree):
    """What the browser would post back of a form as it was served."""
    data = {}
    for node in tree.find_all("input"):
        if node.attrs.get("name") and node.attrs.get("type") not in ("submit", "checkbox"):
            data[node.attrs["name"]] = node.attrs.get("value", "")
    for node in tree.find_all("textarea"):
        data[node.attrs["name"]] = node.text()
    return data


def test_a_score_over_100_is_refused_as_a_score_not_a_percentage(client, ministry, clerk):
    review = review_of(ministry, clerk, "超分苑")
    client.force_login(review.reviewer)
    url = reverse("admin:estates_review_change", args=[review.pk])
    data = form_data(parse(client.get(url).content))
    [score] = [name for name in data if name.endswith("-0-score")]
    data[score] = "120"

    page = client.post(url, data)

    errors = [ul.clean_text() for ul in parse(page.content).find_all("ul", class_="errorlist")]
    assert errors == ["得分不能大于 100（满分 100 分）。"]
    assert not review.scores.filter(score=120).exists()


def test_a_replaced_photo_shows_as_files_not_storage_paths(client, ministry):
    from estates.models import Photo

    estate = linyi_estate(name="照片苑")
    photo = Photo.objects.create(estate=estate, image="photos/2026/ab12.jpg", caption="小区入口")
    edit(photo, ministry, image="photos/2026/cd34.jpg", caption="小区南门入口", is_cover=True)
    client.force_login(ministry)

    text = page_text(client.get(history_url(photo)))

    assert "图片： 文件 ab12.jpg → 文件 cd34.jpg" in text
    assert "封面： 否 → 是" in text
    assert "photos/" not in text and "True" not in text


def test_an_evidence_history_names_its_estate_and_its_first_kept_version(client, ministry):
    nomination = evidenced_nomination(linyi_estate(name="材料苑"))  # boxes made in bulk
    evidence = nomination.criterion_evidence.order_by("criterion__number").first()
    edit(evidence, ministry, text="已落实。")
    edit(evidence, ministry, text="已落实。\n新增：成立业委会党支部，每月召开联席会议。")
    client.force_login(ministry)

    text = page_text(client.get(history_url(evidence)))

    assert text.startswith("修改历史（材料苑 · （一）发挥党建引领物业管理作用）")
    assert "新增段落：新增：成立业委会党支部，每月召开联席会议。" in text
    assert text.endswith("最早记录的版本，更早的内容没有记录。 共 2 个版本")


def test_the_last_version_on_a_page_is_compared_with_the_one_on_the_next(
    client, ministry, monkeypatch
):
    monkeypatch.setattr(type(admin.site._registry[Estate]), "history_list_per_page", 2)
    estate = linyi_estate(name="翻页苑", households=100)
    edit(estate, ministry, households=200)
    edit(estate, ministry, households=300)
    client.force_login(ministry)

    tree = parse(client.get(history_url(estate)).content)

    changes = [ul.clean_text() for ul in tree.find_all("ul", class_="history-changes")]
    assert changes == ["户数（户）： 200 → 300", "户数（户）： 100 → 200"]


def test_a_blank_choice_reads_as_its_label(client, ministry):
    from estates.enums import Approximation
    from estates.models import KeyFigure

    figure = KeyFigure.objects.create(
        estate=linyi_estate(name="约数苑"), label="监控摄像", quantity=739, unit="台"
    )
    edit(figure, ministry, approximation=Approximation.ABOUT, quantity=740)
    client.force_login(ministry)

    text = page_text(client.get(history_url(figure)))

    assert "数量： 739 → 740" in text
    assert "约数： 精确 → 约" in text
