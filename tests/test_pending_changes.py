"""A province's edit of a public estate waits for an editor or the ministry (estates/pending.py):
the public page keeps the approved version, the reviewer sees what changes and approves or
rejects it with a reason, and the province sees where its change stands."""

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from estates import pending
from estates.models import Estate, Mechanism, MechanismType, PendingChange
from estates.models.pending import PendingChangeState as State
from estates.roles import sync_role_groups
from estates.signals import public_data_changed

from .builders import make_estate, make_staff
from .test_line_breaks import as_a_browser_sends
from .test_lost_updates import form_post_data

pytestmark = pytest.mark.django_db

SLUG = "aozhengchengyuannanqu"  # the seed's published Shandong estate
# What a clerk pastes from a Word report: paragraphs, full-width punctuation, a no-break space.
NEW_OVERVIEW = (
    "奥正诚园南区位于临沂市兰山区，共有住户1,250户。\n"
    "2023年，小区成立“红色物业”议事会，每月召开一次，\u00a0居民参与率超过80%。"
)


@pytest.fixture(autouse=True)
def _role_permissions():
    """The roles' groups as estates.roles now defines them (the groups in the test database
    come from the migrations, before this model's permissions existed)."""
    sync_role_groups()


def client_for(role, province=None, username=None):
    client = Client()
    user = make_staff(role, province, username=username)
    client.force_login(user)
    client.user = user
    return client


def estate_url(estate):
    return reverse("admin:estates_estate_change", args=[estate.pk])


def change_url(change):
    return reverse("admin:estates_pendingchange_change", args=[change.pk])


def decide_url(change):
    return reverse("admin:estates_pendingchange_decide", args=[change.pk])


def said(response):
    """The messages this request added (not those left from earlier requests)."""
    return [str(m) for m in get_messages(response.wsgi_request)._queued_messages]


def public_page(estate):
    return Client().get(estate.get_absolute_url()).content.decode()


def submit_overview(clerk, estate, overview=NEW_OVERVIEW, **more):
    """The clerk opens the estate's page, changes the overview, saves and continues."""
    data = form_post_data(clerk.get(estate_url(estate)))
    data.update(overview=overview, _continue="1", **more)
    response = clerk.post(estate_url(estate), as_a_browser_sends(data))
    assert response.status_code == 302, response.context and response.context["errors"]
    return response


@pytest.fixture
def estate():
    return Estate.objects.get(slug=SLUG)


@pytest.fixture
def clerk():
    return client_for("provincial", "shandong", username="linyi-clerk")


@pytest.fixture
def editor():
    return client_for("editor", username="zhang-editor")


# ---------------------------------------------------------------------------------------------
# The province saves.


def test_province_save_of_a_public_estate_waits_and_the_public_page_keeps_the_old_text(
    estate, clerk
):
    before = estate.overview
    version = estate.version

    response = submit_overview(clerk, estate)

    estate.refresh_from_db()
    assert (estate.overview, estate.version) == (before, version)  # nothing saved
    change = PendingChange.objects.get(estate=estate)
    assert change.state == State.PENDING
    assert change.author == clerk.user
    assert change.values == {"overview": NEW_OVERVIEW}
    assert change.base_values == {"overview": before}
    assert change.base_version == version
    assert said(response) == [
        "“奥正诚园南区”已在公开网站展示，你的修改（概况）已提交审核，编辑或部级管理员批准后"
        "才会公开；在此之前，公开网站仍显示原来的内容。"
    ]
    page = public_page(estate)
    assert before.split("\n")[0] in page
    assert "居民参与率超过80%" not in page


def test_the_page_opens_with_the_waiting_change_and_a_second_save_updates_it(estate, clerk):
    submit_overview(clerk, estate)
    page = clerk.get(estate_url(estate))
    form = page.context["adminform"].form
    assert form["overview"].value() == NEW_OVERVIEW  # what the clerk typed, not lost
    text = page.content.decode()
    assert "你的修改正在等待审核" in text
    assert "提交的修改（概况）正在等待编辑或部级管理员审核。" in text

    data = form_post_data(page)
    data.update(households="1300", review_note="户数按2023年底物业台账更正。", _continue="1")
    assert clerk.post(estate_url(estate), as_a_browser_sends(data)).status_code == 302

    change = PendingChange.objects.get(estate=estate)  # still one
    assert change.values == {"households": 1300, "overview": NEW_OVERVIEW}
    assert change.revision == 2
    assert change.note == "户数按2023年底物业台账更正。"


def test_an_unchanged_save_from_a_browser_makes_no_change_to_review(estate, clerk):
    response = submit_overview(clerk, estate, overview=estate.overview)
    assert PendingChange.objects.count() == 0
    assert said(response) == ["“奥正诚园南区”的内容与公开的版本相同，没有需要审核的修改。"]


def test_saving_the_waiting_change_again_unchanged_keeps_it_as_it_is(estate, clerk):
    submit_overview(clerk, estate)
    page = clerk.get(estate_url(estate))
    response = clerk.post(estate_url(estate), as_a_browser_sends(form_post_data(page)))
    assert said(response) == ["“奥正诚园南区”待审核的修改（概况）没有变化，仍在等待审核。"]
    assert PendingChange.objects.get().revision == 1


def test_saving_the_public_values_again_withdraws_the_waiting_change(estate, clerk):
    original = estate.overview
    submit_overview(clerk, estate)
    response = submit_overview(clerk, estate, overview=original)
    change = PendingChange.objects.get()
    assert change.state == State.WITHDRAWN
    assert said(response) == ["你填写的内容与公开的版本相同，“奥正诚园南区”待审核的修改已撤回。"]


def test_province_withdraws_its_change_with_the_banner_button(estate, clerk):
    submit_overview(clerk, estate)
    change = PendingChange.objects.get()
    response = clerk.post(decide_url(change), {"decision": "withdraw"})
    assert response["Location"] == estate_url(estate)
    change.refresh_from_db()
    assert change.state == State.WITHDRAWN


def test_province_edits_of_an_estate_not_yet_public_go_live(clerk):
    linyi = Estate.objects.get(slug=SLUG).city
    draft = make_estate(name="兰山区阳光花园", province=linyi.province, city=linyi)
    submit_overview(clerk, draft)
    draft.refresh_from_db()
    assert draft.overview == NEW_OVERVIEW
    assert PendingChange.objects.count() == 0


@pytest.mark.parametrize("role", ["editor", "ministry"])
def test_editor_and_ministry_edits_of_a_public_estate_go_live(estate, role):
    staff = client_for(role)
    submit_overview(staff, estate)
    estate.refresh_from_db()
    assert estate.overview == NEW_OVERVIEW
    assert PendingChange.objects.count() == 0


def test_a_province_reverting_a_public_estate_from_its_history_waits_too(estate, clerk):
    old = estate.history.order_by("history_id").first()
    url = reverse("admin:estates_estate_simple_history", args=[estate.pk, old.history_id])
    data = form_post_data(clerk.get(url))
    data["overview"] = NEW_OVERVIEW
    response = clerk.post(url, data)
    assert response.status_code == 302
    estate.refresh_from_db()
    assert estate.overview != NEW_OVERVIEW
    assert PendingChange.objects.get().values["overview"] == NEW_OVERVIEW


# ---------------------------------------------------------------------------------------------
# The estate's rows, for a province, while the estate is public.


def test_rows_of_a_public_estate_are_shown_not_offered_to_its_province(estate, clerk):
    page = clerk.get(estate_url(estate))
    inlines = page.context["inline_admin_formsets"]
    assert inlines  # shown …
    assert not any(i.has_add_permission or i.has_change_permission for i in inlines)
    assert "下方治理机制、指标、活动、成效、荣誉和照片各表只读" in page.content.decode()

    # … and a row posted anyway is not saved.
    data = form_post_data(page)
    prefix = next(i.formset.prefix for i in inlines if i.formset.model is Mechanism)
    index = int(data[f"{prefix}-TOTAL_FORMS"])
    data[f"{prefix}-TOTAL_FORMS"] = index + 1
    data[f"{prefix}-{index}-mechanism_type"] = MechanismType.objects.first().pk
    data[f"{prefix}-{index}-title"] = "悄悄加上的做法"
    clerk.post(estate_url(estate), data)
    assert not Mechanism.objects.filter(title="悄悄加上的做法").exists()


def test_a_public_estates_row_cannot_be_changed_or_added_on_its_own_page(estate, clerk):
    mechanism = estate.mechanisms.first()
    url = reverse("admin:estates_mechanism_change", args=[mechanism.pk])
    assert clerk.get(url).status_code == 200  # read
    assert clerk.post(url, {"title": "改掉"}).status_code == 403

    add = clerk.post(
        reverse("admin:estates_mechanism_add"),
        {
            "estate": estate.pk,
            "mechanism_type": MechanismType.objects.first().pk,
            "title": "新做法",
            "display_order": 0,
        },
    )
    assert add.status_code == 200
    assert add.context["adminform"].form.errors["estate"] == [
        "“奥正诚园南区”已在公开网站展示，省级填报员不能直接为它增加或移入治理机制。"
        "请在小区页面的“修改说明”中写明需要增改的内容，保存后由编辑或部级管理员审核。"
    ]
    assert not Mechanism.objects.filter(title="新做法").exists()


# ---------------------------------------------------------------------------------------------
# Review.


def test_editor_sees_the_diff_and_approves_and_the_public_page_changes(estate, clerk, editor):
    submit_overview(clerk, estate)
    change = PendingChange.objects.get()
    version = estate.version
    announced = []

    def listen(sender, **kwargs):
        announced.append(kwargs["reason"])

    public_data_changed.connect(listen)
    try:
        page = editor.get(change_url(change))
        text = page.content.decode()
        assert "概况" in text
        assert 'class="diff-line diff-line-added"' in text
        assert "居民参与率超过80%" in text
        response = editor.post(
            decide_url(change), {"decision": "approve", "seen_version": estate.version}
        )
    finally:
        public_data_changed.disconnect(listen)

    assert response["Location"] == pending_list_url(state="pending")  # nothing else waits
    estate.refresh_from_db()
    assert estate.overview == NEW_OVERVIEW
    assert estate.version == version + 1
    change.refresh_from_db()
    assert (change.state, change.decided_by, change.applied_version) == (
        State.APPROVED,
        editor.user,
        estate.version,
    )
    record = estate.history.latest()
    assert record.history_user == editor.user
    assert record.history_change_reason.startswith("审核通过 linyi-clerk ")
    assert "pending change approved" in announced
    assert "居民参与率超过80%" in public_page(estate)
    assert said(response)[0] == "已批准“奥正诚园南区”的修改（概况），公开网站已显示新的内容。"


def test_approving_goes_on_to_the_next_change_waiting(estate, clerk, editor):
    submit_overview(clerk, estate)
    beijing = client_for("provincial", "beijing")
    other = Estate.objects.get(slug="lijingchangan")
    submit_overview(beijing, other, overview="丽景长安的新概况。")
    first, second = PendingChange.objects.order_by("submitted_at")
    response = editor.post(
        decide_url(first), {"decision": "approve", "seen_version": first.estate.version}
    )
    assert response["Location"] == change_url(second)


def test_a_change_to_fields_changed_since_is_not_approved_without_seeing_them(
    estate, clerk, editor
):
    submit_overview(clerk, estate)
    change = PendingChange.objects.get()
    ministry = client_for("ministry")
    submit_overview(ministry, estate, overview="部里改过的概况。")  # goes live
    estate.refresh_from_db()

    # From the list, without looking: refused, naming the estate and the field.
    listed = editor.post(
        pending_list_url(),
        {"action": "approve_selected", "_selected_action": [change.pk]},
    )
    assert said(listed) == [
        "没有批准“奥正诚园南区”的修改：提交之后，“概况”已被其他人修改。"
        "请打开这项修改，核对三方内容后再批准。"
    ]
    # With a version older than the estate's: refused too.
    stale = editor.post(
        decide_url(change), {"decision": "approve", "seen_version": change.base_version}
    )
    assert said(stale) == [
        "没有批准：你查看之后，“奥正诚园南区”又被修改过。请核对页面上的最新内容后再批准。"
    ]
    estate.refresh_from_db()
    assert estate.overview == "部里改过的概况。"

    listed_again = editor.get(pending_list_url()).content.decode()
    assert "需核对：提交后“概况”已被他人修改" in listed_again
    # The page shows the three versions …
    page = editor.get(change_url(change))
    [row] = page.context["rows"]
    assert (row.conflict, row.new) == (True, NEW_OVERVIEW)
    assert row.old == "部里改过的概况。"
    assert "提交之后其他人的修改（提交时 → 现在）" in page.content.decode()
    # … and approving from it, having seen them, applies the change.
    editor.post(decide_url(change), {"decision": "approve", "seen_version": estate.version})
    estate.refresh_from_db()
    assert estate.overview == NEW_OVERVIEW


def test_a_change_whose_estate_moved_on_in_other_fields_is_approved_keeping_both(
    estate, clerk, editor
):
    submit_overview(clerk, estate)
    change = PendingChange.objects.get()
    estate.tagline = "编辑改的标题语"
    estate.save()
    editor.post(pending_list_url(), {"action": "approve_selected", "_selected_action": [change.pk]})
    estate.refresh_from_db()
    assert (estate.tagline, estate.overview) == ("编辑改的标题语", NEW_OVERVIEW)


def test_rejection_needs_a_reason_and_the_province_reads_it(estate, clerk, editor):
    submit_overview(clerk, estate)
    change = PendingChange.objects.get()

    refused = editor.post(decide_url(change), {"decision": "reject", "reason": "  "})
    assert said(refused) == ["没有退回“奥正诚园南区”的修改：请填写退回理由，提交人会看到它。"]
    change.refresh_from_db()
    assert change.state == State.PENDING

    reason = "户数与2023年统计年鉴不一致，\n请附上物业台账后再提交。"
    editor.post(decide_url(change), {"decision": "reject", "reason": reason})
    change.refresh_from_db()
    assert (change.state, change.reason) == (State.REJECTED, reason)
    estate.refresh_from_db()
    assert estate.overview != NEW_OVERVIEW

    page = clerk.get(estate_url(estate))
    text = page.content.decode()
    assert "已被 zhang-editor 于 " in text
    assert "户数与2023年统计年鉴不一致，<br>请附上物业台账后再提交。" in text
    assert page.context["adminform"].form["overview"].value() == estate.overview
    # Nothing typed is lost: one click puts the rejected text back into the form.
    resumed = clerk.get(estate_url(estate) + f"?resume={change.pk}")
    assert resumed.context["adminform"].form["overview"].value() == NEW_OVERVIEW


def test_a_decided_change_is_not_decided_again(estate, clerk, editor):
    submit_overview(clerk, estate)
    change = PendingChange.objects.get()
    editor.post(decide_url(change), {"decision": "reject", "reason": "请补充依据。"})
    again = client_for("ministry").post(
        decide_url(change), {"decision": "approve", "seen_version": estate.version}
    )
    [message] = said(again)
    assert message.startswith("“奥正诚园南区”的这项修改已由 zhang-editor 于 ")
    assert message.endswith("退回，没有再次处理。")
    change.refresh_from_db()
    assert change.state == State.REJECTED


def test_the_province_cannot_approve_its_own_change(estate, clerk):
    submit_overview(clerk, estate)
    change = PendingChange.objects.get()
    response = clerk.post(decide_url(change), {"decision": "approve", "seen_version": 99})
    assert said(response) == ["您没有权限审核这项修改。"]
    assert PendingChange.objects.get().state == State.PENDING
    assert "decision-approve" not in clerk.get(change_url(change)).content.decode()


def test_rejecting_several_from_the_list_asks_for_one_reason(estate, clerk, editor):
    submit_overview(clerk, estate)
    other = Estate.objects.get(slug="lijingchangan")
    submit_overview(client_for("provincial", "beijing"), other, overview="新的概况。")
    ids = list(PendingChange.objects.values_list("pk", flat=True))
    asked = editor.post(pending_list_url(), {"action": "reject_selected", "_selected_action": ids})
    assert asked.status_code == 200
    assert "将退回以下 2 项修改" in asked.content.decode()
    editor.post(
        pending_list_url(),
        {
            "action": "reject_selected",
            "_selected_action": ids,
            "post": "yes",
            "reason": "请按新的填报说明重新整理。",
        },
    )
    assert set(PendingChange.objects.values_list("state", "reason")) == {
        (State.REJECTED, "请按新的填报说明重新整理。")
    }


# ---------------------------------------------------------------------------------------------
# Two people, one waiting change.


def test_a_form_opened_before_another_save_of_the_waiting_change_is_refused(estate, clerk):
    colleague = client_for("provincial", "shandong")
    submit_overview(clerk, estate)
    stale_page = colleague.get(estate_url(estate))
    submit_overview(clerk, estate, overview=NEW_OVERVIEW + "\n第三段。")

    data = form_post_data(stale_page)
    data["households"] = "1300"
    refused = colleague.post(estate_url(estate), data)
    assert refused.status_code == 200
    [message] = list(refused.context["adminform"].form.non_field_errors())
    assert message.startswith("没有保存：你打开这个页面之后，linyi-clerk 于 ")
    assert message.endswith("核对后再次点击保存，将以下面的内容提交审核。")
    assert refused.context["adminform"].form["households"].value() == "1300"
    assert PendingChange.objects.get().values["overview"].endswith("第三段。")


def test_a_form_opened_before_the_change_was_rejected_says_so(estate, clerk, editor):
    submit_overview(clerk, estate)
    open_page = clerk.get(estate_url(estate))
    change = PendingChange.objects.get()
    editor.post(decide_url(change), {"decision": "reject", "reason": "请补充依据。"})

    refused = clerk.post(estate_url(estate), form_post_data(open_page))
    [message] = list(refused.context["adminform"].form.non_field_errors())
    assert message == (
        "没有保存：你打开这个页面之后，待审核的修改已被 zhang-editor 退回。理由：请补充依据。"
        "你填写的内容都保留在下面；核对后再次点击保存，将以下面的内容提交审核。"
    )


# ---------------------------------------------------------------------------------------------
# The list.


def pending_list_url(**params):
    url = reverse("admin:estates_pendingchange_changelist")
    return url + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")


def test_the_list_shows_what_waits_by_default_with_its_count(estate, clerk, editor):
    submit_overview(clerk, estate)
    other = Estate.objects.get(slug="lijingchangan")
    submit_overview(client_for("provincial", "beijing"), other, overview="新的概况。")
    decided = PendingChange.objects.get(estate=other)
    editor.post(decide_url(decided), {"decision": "reject", "reason": "请补充依据。"})

    default = editor.get(pending_list_url())
    assert [c.estate.name for c in default.context["cl"].result_list] == ["奥正诚园南区"]
    assert default.context["title"] == "待审核的修改（1 项待审核）"
    named = editor.get(pending_list_url(state="pending")).context["cl"].result_list
    assert [c.estate.name for c in named] == ["奥正诚园南区"]
    everything = editor.get(pending_list_url(state="all")).context["cl"].result_list
    assert {c.estate.name for c in everything} == {"奥正诚园南区", "丽景长安"}
    assert editor.get(pending_list_url(state="nonsense"))["Location"].endswith("?e=1")
    assert pending.waiting_for(editor.user).count() == 1


def test_each_role_sees_the_changes_it_deals_with(estate, clerk):
    submit_overview(clerk, estate)
    change = PendingChange.objects.get()
    beijing = client_for("provincial", "beijing")
    assert list(beijing.get(pending_list_url()).context["cl"].result_list) == []
    assert beijing.get(change_url(change)).status_code == 302  # as a missing id
    assert beijing.post(decide_url(change), {"decision": "withdraw"}).status_code == 404
    assert client_for("reviewer", "hebei").get(pending_list_url()).status_code == 403
    assert list(clerk.get(pending_list_url()).context["cl"].result_list) == [change]


def test_the_list_runs_a_fixed_number_of_queries(editor):
    def count():
        with CaptureQueriesContext(connection) as queries:
            assert editor.get(pending_list_url()).status_code == 200
        return len(queries)

    author = make_staff("provincial", "shandong")
    linyi = Estate.objects.get(slug=SLUG).city

    def waiting(n):
        for i in range(n):
            estate = make_estate(name=f"待审小区{i}", province=linyi.province, city=linyi)
            PendingChange.objects.create(
                estate=estate,
                author=author,
                base_version=estate.version,
                values={"overview": "新"},
                base_values={"overview": ""},
            )

    waiting(2)
    small = count()
    waiting(30)
    assert count() == small


def test_the_diff_page_runs_a_fixed_number_of_queries(estate, clerk, editor):
    submit_overview(clerk, estate, households="1300", tagline="红色物业 幸福家园")
    change = PendingChange.objects.get()
    with CaptureQueriesContext(connection) as queries:
        assert editor.get(change_url(change)).status_code == 200
    assert len(queries) <= 12


# ---------------------------------------------------------------------------------------------
# The diff.


def test_line_diff_marks_lines_and_the_characters_changed_within_them():
    lines = pending.line_diff(
        "第一段。\n第二段，共100户。\n第三段。", "第一段。\n新的一段。\n第二段，共120户。"
    )
    assert [(line.kind, line.parts) for line in lines] == [
        ("same", [(False, "第一段。")]),
        ("added", [(False, "新的一段。")]),
        ("removed", [(False, "第二段，共1"), (True, "0"), (False, "0户。")]),
        ("added", [(False, "第二段，共1"), (True, "2"), (False, "0户。")]),
        ("removed", [(False, "第三段。")]),
    ]


def test_values_are_shown_as_people_read_them(estate):
    fields = {f.name: f for f in pending.reviewed_fields()}
    assert pending.shown_value(fields["estate_type"], "old") == "老旧小区"
    assert pending.shown_value(fields["land_area_in_mu"], True) == "是"
    assert pending.shown_value(fields["green_coverage"], "39.50") == "39.5"
    assert pending.shown_value(fields["households"], None) == "（空）"
    assert pending.shown_value(fields["tagline"], "") == "（空）"


def test_the_admin_passes_djangos_checks():
    from django.contrib import admin

    assert admin.site._registry[PendingChange].check() == []
