"""Nominations are added only to campaigns taking them (推荐申报), and a province may delete its
own draft that was never handed in, after a confirmation that says what goes. A nomination
whose moves are in the log, or that the public site shows, stays, and the refusal says why."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from estates.admin.nominations import create_missing_evidence
from estates.enums import CampaignLevel, CampaignPhase, NominationState
from estates.models import (
    Campaign,
    CriterionEvidence,
    Estate,
    Nomination,
    NominationTransition,
    Province,
)
from estates.workflow import transition

from .builders import campaign_like, make_estate, make_staff
from .html import parse

pytestmark = pytest.mark.django_db

P = CampaignPhase
S = NominationState
ADD = "/admin/estates/nomination/add/"


def campaign(phase, title, **fields):
    return campaign_like("quanguo-2021", phase, title=title, year=2026, **fields)


def beijing_campaign(phase, title):
    beijing = Province.objects.get(slug="beijing")
    return campaign(phase, title, level=CampaignLevel.PROVINCIAL, province=beijing)


def login(client, role, province=None):
    user = make_staff(role, province)
    client.force_login(user)
    return user


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def add_data(campaign_id, estate):
    return {
        "campaign": campaign_id,
        "estate": estate.pk,
        "nominating_authority": "北京市住房和城乡建设委员会",
        "statement": "党建引领，业主满意度高。",
        "criterion_evidence-TOTAL_FORMS": "0",
        "criterion_evidence-INITIAL_FORMS": "0",
        "activity_evidence-TOTAL_FORMS": "0",
        "activity_evidence-INITIAL_FORMS": "0",
        "transitions-TOTAL_FORMS": "0",
        "transitions-INITIAL_FORMS": "0",
    }


def draft(campaign, estate, filled=0):
    """A draft as a province makes it on the add page: one box per criterion and required
    activity, `filled` criteria written."""
    nomination = Nomination.objects.create(campaign=campaign, estate=estate)
    create_missing_evidence(nomination)
    for evidence in nomination.criterion_evidence.order_by("criterion__number")[:filled]:
        evidence.text = "已落实。"
        evidence.save()
    return nomination


def delete_url(nomination):
    return reverse("admin:estates_nomination_delete", args=[nomination.pk])


def change_url(nomination):
    return reverse("admin:estates_nomination_change", args=[nomination.pk])


# ---------------------------------------------------------------------------------------------
# Adding.


def test_the_add_form_offers_only_campaigns_taking_nominations(client):
    login(client, "provincial", "beijing")
    campaign(P.DRAFT, "筹备中的全国评选")
    open_national = campaign(P.NOMINATING, "申报中的全国评选")
    campaign(P.REVIEWING, "评审中的全国评选")
    open_beijing = beijing_campaign(P.NOMINATING, "申报中的北京评选")
    campaign(
        P.NOMINATING,
        "申报中的山东评选",
        level=CampaignLevel.PROVINCIAL,
        province=Province.objects.get(slug="shandong"),
    )
    field = client.get(ADD).context["adminform"].form.fields["campaign"]
    assert [label for _value, label in field.choices] == [
        "---------",
        str(open_national),
        str(open_beijing),
    ]
    assert field.help_text == "只列出处于“推荐申报”阶段的评选活动：推荐只能在申报期内填写和提交。"


def test_a_post_into_a_finished_campaign_is_refused_naming_it_and_keeps_the_input(client):
    login(client, "provincial", "beijing")
    finished = Campaign.objects.get(slug="quanguo-2021")
    estate = make_estate(name="朝阳区新推荐小区")
    response = client.post(ADD, add_data(finished.pk, estate))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "campaign": [
            f"“{finished}”现在处于“结果已发布”阶段，不接受新的推荐。"
            "请选择处于“推荐申报”阶段的评选活动。"
        ]
    }
    page = parse(response.content)
    assert page.find("input", id="id_nominating_authority").attrs["value"] == (
        "北京市住房和城乡建设委员会"
    )
    assert page.find("textarea", id="id_statement").text().strip() == "党建引领，业主满意度高。"
    assert not Nomination.objects.filter(estate=estate).exists()


def test_a_campaign_that_moved_on_while_the_page_was_open_is_refused(client):
    login(client, "ministry")
    moving = campaign(P.NOMINATING, "刚刚结束申报的评选")
    estate = make_estate(name="西城区新推荐小区")
    Campaign.objects.filter(pk=moving.pk).update(phase=P.REVIEWING)
    response = client.post(ADD, add_data(moving.pk, estate))
    assert response.context["adminform"].form.errors["campaign"] == [
        f"“{moving}”现在处于“评审中”阶段，不接受新的推荐。请选择处于“推荐申报”阶段的评选活动。"
    ]
    taking = campaign(P.NOMINATING, "正在申报的评选")
    assert client.post(ADD, add_data(taking.pk, estate)).status_code == 302
    assert Nomination.objects.get(estate=estate).campaign == taking


def test_another_provinces_campaign_answers_like_one_that_does_not_exist(client):
    login(client, "provincial", "shandong")
    hidden = beijing_campaign(P.REVIEWING, "北京市内部评选")
    linyi = Estate.objects.get(slug="aozhengchengyuannanqu")
    errors = [
        client.post(ADD, add_data(value, linyi)).context["adminform"].form.errors["campaign"]
        for value in (hidden.pk, 999999, "99999999999999999999999", "x")
    ]
    assert errors == [["选择一个有效的选项： 该选择不在可用的选项中。"]] * 4
    assert all("北京" not in error for [error] in errors)


# ---------------------------------------------------------------------------------------------
# Deleting.


def test_a_draft_left_in_a_finished_campaign_can_be_deleted_by_its_province(client):
    """The bug: a draft added to a published campaign could be neither withdrawn nor deleted,
    and the delete page said that it was on the public site, because its estate is."""
    login(client, "provincial", "beijing")
    public_estate = Estate.objects.get(slug="lijingchangan")
    assert public_estate.is_published
    stuck = draft(Campaign.objects.get(slug="shandong-2023"), public_estate)
    page = client.get(change_url(stuck))
    assert page.context["has_delete_permission"]
    confirm = client.get(delete_url(stuck))
    assert confirm.status_code == 200
    done = client.post(delete_url(stuck), {"post": "yes"})
    assert done.status_code == 302
    assert not Nomination.objects.filter(pk=stuck.pk).exists()
    assert not CriterionEvidence.objects.filter(nomination_id=stuck.pk).exists()
    public_estate.refresh_from_db()
    assert public_estate.is_published  # the estate and its selection are untouched


def test_the_confirmation_says_in_chinese_what_is_deleted(client):
    login(client, "provincial", "beijing")
    open_campaign = campaign(P.NOMINATING, "申报中的全国评选")
    nomination = draft(open_campaign, make_estate(name="海淀区草稿小区"), filled=3)
    content = parse(client.get(delete_url(nomination)).content).find("div", id="content")
    assert content.find("p", class_="delete-question").clean_text() == (
        f"确定要删除“海淀区草稿小区”参加“{open_campaign}”的推荐草稿吗？"
    )
    assert [
        li.clean_text() for li in content.find("ul", class_="delete-summary").find_all("li")
    ] == [
        "将删除：这份推荐的推荐单位、推荐理由，以及 9 项原则要求材料（已填写 3 项）"
        "和 8 项规定活动材料（已填写 0 项）。",
        "不受影响：小区“海淀区草稿小区”本身的资料、照片和各项数据，以及它在其他评选活动中的推荐。",
    ]
    [submit] = content.find_all("input", type="submit")
    assert submit.attrs["value"] == "确认删除这份草稿"
    assert content.find("a", class_="cancel-link").clean_text() == "不删除，返回"


def test_a_returned_draft_and_handed_in_nominations_stay_and_say_why(client):
    beijing = make_staff("provincial", "beijing")
    ministry = make_staff("ministry")
    open_campaign = campaign(P.NOMINATING, "申报中的全国评选")
    returned = draft(open_campaign, make_estate(name="东城区退回小区"), filled=9)
    returned.activity_evidence.update(text="已开展。")
    transition(returned, S.SUBMITTED, beijing)
    transition(returned, S.DRAFT, ministry, reason="材料不全，请补充。")
    handed_in = draft(open_campaign, make_estate(name="东城区已提交小区"), filled=9)
    handed_in.activity_evidence.update(text="已开展。")
    transition(handed_in, S.SUBMITTED, beijing)

    kept = (
        "已有状态变更记录（如提交、退回修改、撤回或评审结果），作为评选档案保留，不能删除。"
        "如不再参加本次评选，可以在评选结果发布前撤回这份推荐。"
    )
    client.force_login(beijing)
    assert not client.get(change_url(returned)).context["has_delete_permission"]
    refused = client.get(delete_url(returned))
    assert (refused.status_code, refused["Location"]) == (302, change_url(returned))
    assert messages_of(refused) == [f"“{returned}”{kept}"]
    assert client.post(delete_url(handed_in), {"post": "yes"}).status_code == 403

    client.force_login(ministry)
    refused = client.post(delete_url(handed_in), {"post": "yes"})
    assert (refused.status_code, refused["Location"]) == (302, change_url(handed_in))
    assert messages_of(refused)[-1] == f"“{handed_in}”{kept}"
    assert Nomination.objects.filter(pk__in=[returned.pk, handed_in.pk]).count() == 2
    assert NominationTransition.objects.filter(nomination=returned).count() == 2


def test_deleting_from_the_list_refuses_a_nomination_that_stays_and_names_it(client):
    beijing = login(client, "provincial", "beijing")
    open_campaign = campaign(P.NOMINATING, "申报中的全国评选")
    fresh = draft(open_campaign, make_estate(name="丰台区新草稿小区"))
    withdrawn = draft(open_campaign, make_estate(name="丰台区已撤回小区"))
    transition(withdrawn, S.WITHDRAWN, beijing)
    changelist = reverse("admin:estates_nomination_changelist")
    chosen = {"action": "delete_selected", "post": "yes"}
    refused = client.post(changelist, {**chosen, "_selected_action": [fresh.pk, withdrawn.pk]})
    assert refused.status_code == 302
    assert messages_of(refused) == [
        f"“{withdrawn}”已有状态变更记录（如提交、退回修改、撤回或评审结果），作为评选档案保留，"
        "不能删除。"
    ]
    assert Nomination.objects.filter(pk__in=[fresh.pk, withdrawn.pk]).count() == 2
    client.post(changelist, {**chosen, "_selected_action": [fresh.pk]})
    assert not Nomination.objects.filter(pk=fresh.pk).exists()


def test_an_evidence_box_of_a_public_estates_draft_is_not_said_to_be_on_show(client):
    login(client, "ministry")
    stuck = draft(
        Campaign.objects.get(slug="shandong-2023"), Estate.objects.get(slug="lijingchangan")
    )
    evidence = stuck.criterion_evidence.first()
    response = client.get(reverse("admin:estates_criterionevidence_delete", args=[evidence.pk]))
    assert response.status_code == 200
    assert messages_of(response) == []
