"""The campaign process from nomination to publication: every move, per role and phase."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import connections
from django.db.models.signals import post_save
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from estates.admin.nominations import create_missing_evidence
from estates.enums import CampaignPhase, NominationState, ObjectionState
from estates.models import (
    ActivityEvidence,
    Campaign,
    City,
    CriterionEvidence,
    Estate,
    Metric,
    MetricType,
    Nomination,
    NominationTransition,
    Objection,
    ProvinceQuota,
)
from estates.workflow import (
    MOVES,
    advance_phase,
    assign_reviewer,
    handle_objection,
    publish_results,
    shortlist_warnings,
    submit_review,
    transition,
)

from .builders import campaign_like, make_estate, make_staff

pytestmark = pytest.mark.django_db

S = NominationState


def linyi_estate(name="临沂参评小区"):
    linyi = City.objects.get(slug="linyi")
    return make_estate(name=name, province=linyi.province, city=linyi, households=800)


def nomination_in(state, phase, estate=None, campaign=None):
    campaign = campaign or campaign_like("shandong-2023", phase, slug=f"c-{phase}-{state}")
    nomination = Nomination.objects.create(
        estate=estate or linyi_estate(), campaign=campaign, state=state
    )
    create_missing_evidence(nomination)
    CriterionEvidence.objects.filter(nomination=nomination).update(text="材料")
    ActivityEvidence.objects.filter(nomination=nomination).update(text="材料")
    return nomination


ACTORS = {
    "ministry": ("ministry", None),
    "own-province": ("provincial", "shandong"),
    "other-province": ("provincial", "beijing"),
    "reviewer": ("reviewer", "hebei"),
    "editor": ("editor", None),
}


def expected_allowed(move, actor):
    role = ACTORS[actor][0]
    if role == "provincial":
        return "provincial" in move.roles and actor == "own-province"
    return role in move.roles


@pytest.mark.parametrize("actor", list(ACTORS))
@pytest.mark.parametrize(("from_state", "to_state"), list(MOVES))
def test_every_move_allowed_or_refused_per_role(actor, from_state, to_state):
    move = MOVES[(from_state, to_state)]
    phase = sorted(move.phases)[0]
    nomination = nomination_in(from_state, phase)
    user = make_staff(*ACTORS[actor])
    if expected_allowed(move, actor):
        transition(nomination, to_state, user, reason="理由")
        assert nomination.state == to_state
        log = NominationTransition.objects.get(nomination=nomination)
        assert (log.from_state, log.to_state, log.actor, log.reason) == (
            from_state,
            to_state,
            user,
            "理由",
        )
    else:
        with pytest.raises(PermissionDenied):
            transition(nomination, to_state, user, reason="理由")
        nomination.refresh_from_db()
        assert nomination.state == from_state
        assert not NominationTransition.objects.filter(nomination=nomination).exists()


@pytest.mark.parametrize(("from_state", "to_state"), list(MOVES))
def test_every_move_refused_outside_its_phases(from_state, to_state):
    move = MOVES[(from_state, to_state)]
    outside = [p for p in CampaignPhase if p not in move.phases]
    if not outside:
        pytest.skip("allowed in every phase")
    nomination = nomination_in(from_state, outside[0])
    with pytest.raises(ValidationError) as error:
        transition(nomination, to_state, make_staff("ministry"), reason="理由")
    assert error.value.code == "wrong_phase"
    nomination.refresh_from_db()
    assert nomination.state == from_state


def test_a_move_that_does_not_exist_is_refused():
    nomination = nomination_in(S.DRAFT, CampaignPhase.NOMINATING)
    with pytest.raises(ValidationError) as error:
        transition(nomination, S.SELECTED, make_staff("ministry"))
    assert error.value.messages == ["推荐当前为“草稿”，不能改为“入选”。"]


def test_refusals_and_revocations_need_a_reason():
    nomination = nomination_in(S.UNDER_REVIEW, CampaignPhase.REVIEWING)
    with pytest.raises(ValidationError) as error:
        transition(nomination, S.NOT_SELECTED, make_staff("ministry"), reason="  ")
    assert error.value.messages == ["“确定未入选”需要填写理由。"]


def test_a_reason_typed_in_a_browser_is_logged_with_its_line_breaks_as_typed():
    # A browser posts a textarea's lines joined by "\r\n".
    nomination = nomination_in(S.UNDER_REVIEW, CampaignPhase.REVIEWING)
    transition(
        nomination,
        S.NOT_SELECTED,
        make_staff("ministry"),
        reason="得分未进入前列；\r\n收缴率偏低。\r\n",
    )
    assert nomination.transitions.get().reason == "得分未进入前列；\n收缴率偏低。"


def test_selection_refused_while_an_objection_is_open():
    ministry = make_staff("ministry")
    nomination = nomination_in(S.ON_NOTICE, CampaignPhase.NOTICE)
    objection = Objection.objects.create(nomination=nomination, text="情况不实，请核查。")
    with pytest.raises(ValidationError) as error:
        transition(nomination, S.SELECTED, ministry)
    assert error.value.messages == ["这项推荐还有 1 件异议未处理完，处理后才能确定入选。"]
    handle_objection(objection, ObjectionState.CHECKING, ministry)
    with pytest.raises(ValidationError):
        transition(nomination, S.SELECTED, ministry)
    handle_objection(objection, ObjectionState.DISMISSED, ministry, response="经核查，情况属实。")
    transition(nomination, S.SELECTED, ministry)
    assert nomination.state == S.SELECTED


def test_objection_decision_needs_a_response():
    nomination = nomination_in(S.ON_NOTICE, CampaignPhase.NOTICE)
    objection = Objection.objects.create(nomination=nomination, text="情况不实，请核查。")
    with pytest.raises(ValidationError) as error:
        handle_objection(objection, ObjectionState.UPHELD, make_staff("ministry"))
    assert error.value.messages == ["作出处理结论时请填写处理意见。"]


def test_campaign_quota_cannot_be_exceeded():
    ministry = make_staff("ministry")
    campaign = campaign_like("shandong-2023", CampaignPhase.NOTICE, slug="quota-1", quota=1)
    first = nomination_in(S.ON_NOTICE, CampaignPhase.NOTICE, campaign=campaign)
    second = nomination_in(S.ON_NOTICE, CampaignPhase.NOTICE, campaign=campaign)
    transition(first, S.SELECTED, ministry)
    with pytest.raises(ValidationError) as error:
        transition(second, S.SELECTED, ministry)
    assert error.value.messages == ["本次评选的 1 个名额已满，不能再确定入选。"]


def test_province_quota_cannot_be_exceeded():
    ministry = make_staff("ministry")
    campaign = campaign_like("shandong-2023", CampaignPhase.NOTICE, slug="quota-p")
    ProvinceQuota.objects.create(campaign=campaign, province=linyi_estate().province, quota=1)
    first = nomination_in(S.ON_NOTICE, CampaignPhase.NOTICE, campaign=campaign)
    second = nomination_in(S.ON_NOTICE, CampaignPhase.NOTICE, campaign=campaign)
    transition(first, S.SELECTED, ministry)
    with pytest.raises(ValidationError) as error:
        transition(second, S.SELECTED, ministry)
    assert error.value.messages == ["山东省的 1 个名额已满，不能再确定入选。"]


def test_shortlisting_warns_below_the_campaign_thresholds():
    campaign = campaign_like(
        "shandong-2023",
        CampaignPhase.REVIEWING,
        slug="thresholds",
        min_satisfaction=Decimal("95"),
        min_fee_collection=Decimal("90"),
    )
    nomination = nomination_in(S.UNDER_REVIEW, CampaignPhase.REVIEWING, campaign=campaign)
    Metric.objects.create(
        estate=nomination.estate,
        metric_type=MetricType.objects.get(code="satisfaction"),
        value=Decimal("92.5"),
    )
    assert [str(w) for w in shortlist_warnings(nomination)] == [
        "业主满意度为 92.5%，低于本次评选的门槛 95%。",
        "物业费收缴率未知，本次评选的门槛是 90%。",
    ]


def test_reviewer_is_never_given_their_own_province():
    nomination = nomination_in(S.UNDER_REVIEW, CampaignPhase.REVIEWING)
    reviewer = make_staff("reviewer", "shandong", username="zhang")
    with pytest.raises(ValidationError) as error:
        assign_reviewer(nomination, reviewer, make_staff("ministry"))
    assert error.value.messages == ["评审专家zhang来自山东省，不能评审本省的推荐。"]


def test_reviews_give_a_weighted_total_and_need_every_score():
    nomination = nomination_in(S.UNDER_REVIEW, CampaignPhase.REVIEWING)
    reviewer = make_staff("reviewer", "hebei")
    review = assign_reviewer(nomination, reviewer, make_staff("ministry"))
    assert review.scores.count() == 9
    with pytest.raises(ValidationError) as error:
        submit_review(review, reviewer)
    assert error.value.messages[0].startswith("还有 9 项没有打分")
    review.scores.update(score=80)
    review.scores.filter(criterion__number=8).update(score=100)  # 满意度, weight 15
    submit_review(review, reviewer)
    assert review.submitted_at is not None
    assert review.total() == Decimal("83")  # 85 × 80% + 15 × 100%


def test_ministry_sees_totals_and_spread_beside_the_figures(client):
    ministry = make_staff("ministry")
    nomination = nomination_in(S.UNDER_REVIEW, CampaignPhase.REVIEWING)
    for province, score in [("hebei", 80), ("beijing", 90)]:
        reviewer = make_staff("reviewer", province)
        review = assign_reviewer(nomination, reviewer, ministry)
        review.scores.update(score=score)
        submit_review(review, reviewer)
    client.force_login(ministry)
    response = client.get(reverse("admin:estates_nomination_changelist"))
    admin = response.context["cl"].model_admin
    row = next(n for n in response.context["cl"].result_list if n.pk == nomination.pk)
    assert admin.review_total(row) == "85.00（2）"
    assert admin.review_spread(row) == "10.00"
    client.force_login(make_staff("provincial", "shandong"))
    columns = client.get(reverse("admin:estates_nomination_changelist")).context["cl"].list_display
    assert "review_total" not in columns


def test_campaign_phases_advance_one_step_at_a_time():
    ministry = make_staff("ministry")
    campaign = campaign_like("shandong-2023", CampaignPhase.DRAFT, slug="phases")
    advance_phase(campaign, ministry)
    advance_phase(campaign, ministry)
    assert campaign.phase == CampaignPhase.REVIEWING
    with pytest.raises(ValidationError) as error:
        advance_phase(campaign, ministry)
    assert error.value.messages == ["进入公示前请先填写公示开始和结束日期。"]
    with pytest.raises(PermissionDenied):
        advance_phase(campaign, make_staff("provincial", "shandong"))


def publishable_campaign():
    campaign = campaign_like("shandong-2023", CampaignPhase.NOTICE, slug="to-publish")
    selected = nomination_in(S.ON_NOTICE, CampaignPhase.NOTICE, campaign=campaign)
    other = nomination_in(S.ON_NOTICE, CampaignPhase.NOTICE, campaign=campaign)
    return campaign, selected, other


def test_publication_waits_for_every_decision_and_changes_nothing_until_then(client):
    ministry = make_staff("ministry")
    campaign, selected, _undecided = publishable_campaign()
    transition(selected, S.SELECTED, ministry)
    with pytest.raises(ValidationError) as error:
        publish_results(campaign, ministry)
    assert error.value.messages == [
        "还有 1 项推荐尚未确定是否入选，全部确定后才能发布结果：临沂参评小区（山东，公示中）。"
    ]
    campaign.refresh_from_db()
    assert (campaign.phase, campaign.results_published_at) == (CampaignPhase.NOTICE, None)
    assert client.get(selected.estate.get_absolute_url()).status_code == 404


def test_publication_is_all_or_nothing(client):
    ministry = make_staff("ministry")
    campaign, first, second = publishable_campaign()
    transition(first, S.SELECTED, ministry)
    transition(second, S.SELECTED, ministry)

    def fail(sender, instance, **kwargs):
        if instance.pk == campaign.pk and instance.phase == CampaignPhase.PUBLISHED:
            raise RuntimeError("storage failed half-way")

    post_save.connect(fail, sender=Campaign, dispatch_uid="fail-publication")
    try:
        with pytest.raises(RuntimeError):
            publish_results(campaign, ministry)
    finally:
        post_save.disconnect(dispatch_uid="fail-publication", sender=Campaign)
    campaign.refresh_from_db()
    assert campaign.phase == CampaignPhase.NOTICE
    assert not Estate.objects.published().filter(pk__in=[first.estate_id, second.estate_id])
    publish_results(campaign, ministry)
    published = Estate.objects.published().filter(pk__in=[first.estate_id, second.estate_id])
    assert published.count() == 2
    assert campaign.results_published_at is not None
    assert client.get(first.estate.get_absolute_url()).status_code == 200


def test_revoked_estate_leaves_every_public_page_and_keeps_its_record(client):
    ministry = make_staff("ministry")
    nomination = Nomination.objects.get(estate__slug="xichanganyihao")
    transition(nomination, S.REVOKED, ministry, reason="经复核不再符合条件")
    assert client.get("/estates/xichanganyihao/").status_code == 404
    assert "西长安壹号" not in client.get("/estates/").content.decode()
    assert "西长安壹号" not in client.get("/data/estates.csv").getvalue().decode()
    assert Estate.objects.filter(slug="xichanganyihao").exists()
    assert nomination.transitions.get().reason == "经复核不再符合条件"


def test_editor_sets_the_province_order(client):
    nomination = Nomination.objects.get(estate__slug="lijingchangan")
    client.force_login(make_staff("editor"))
    url = reverse("admin:estates_nomination_change", args=[nomination.pk])
    form = client.get(url).context["adminform"].form
    # Beside the version the form was opened on (estates/versions.py), which nobody edits.
    assert [name for name in form.fields if name != "seen_version"] == ["province_sequence"]


def test_the_story_of_one_nomination_reads_back_from_its_history(client):
    ministry = make_staff("ministry")
    province = make_staff("provincial", "shandong")
    campaign = campaign_like("shandong-2023", CampaignPhase.NOMINATING, slug="story")
    campaign.notice_starts_on = timezone.localdate()
    campaign.notice_ends_on = timezone.localdate() + datetime.timedelta(days=7)
    campaign.save()
    nomination = nomination_in(S.DRAFT, CampaignPhase.NOMINATING, campaign=campaign)
    transition(nomination, S.SUBMITTED, province)
    advance_phase(campaign, ministry)
    transition(nomination, S.UNDER_REVIEW, ministry)
    reviewer = make_staff("reviewer", "hebei")
    review = assign_reviewer(nomination, reviewer, ministry)
    review.scores.update(score=90)
    submit_review(review, reviewer)
    transition(nomination, S.SHORTLISTED, ministry)
    advance_phase(campaign, ministry)
    transition(nomination, S.ON_NOTICE, ministry)
    response = Client().post(
        reverse("showcase:campaign_notice", args=[campaign.slug]),
        {"nomination": nomination.pk, "text": "该小区停车收费不公开，请核查。", "contact": "138"},
    )
    assert response.status_code == 200
    objection = Objection.objects.get(nomination=nomination)
    handle_objection(
        objection, ObjectionState.DISMISSED, ministry, response="收费已公示，异议不成立。"
    )
    # The notice period is still running: selecting and publishing now need the override and
    # its reason.
    transition(nomination, S.SELECTED, ministry, "异议已办结，提前确定", early=True)
    publish_results(campaign, ministry, override=True, reason="异议已办结，提前发布")
    transition(nomination, S.REVOKED, ministry, reason="复核发现材料不实")
    story = [
        (t.from_state, t.to_state, t.actor.username.split("-")[0])
        for t in nomination.transitions.order_by("at", "pk")
    ]
    assert story == [
        ("draft", "submitted", "provincial"),
        ("submitted", "under_review", "ministry"),
        ("under_review", "shortlisted", "ministry"),
        ("shortlisted", "on_notice", "ministry"),
        ("on_notice", "selected", "ministry"),
        ("selected", "revoked", "ministry"),
    ]
    versions = [h.state for h in nomination.history.order_by("history_date", "history_id")]
    assert versions[-6:] == [
        "submitted",
        "under_review",
        "shortlisted",
        "on_notice",
        "selected",
        "revoked",
    ]
    objection.refresh_from_db()
    assert (objection.state, objection.response, objection.handled_by) == (
        ObjectionState.DISMISSED,
        "收费已公示，异议不成立。",
        ministry,
    )
    assert review.total() == Decimal("90")


@pytest.mark.django_db(transaction=True)
def test_two_people_deciding_at_once_leave_one_consistent_state():
    call_command("load_seed", verbosity=0)
    ministry_a = make_staff("ministry")
    ministry_b = make_staff("ministry")
    nomination = nomination_in(S.ON_NOTICE, CampaignPhase.NOTICE)
    barrier = threading.Barrier(2)
    outcomes = {}

    def decide(name, user, to_state):
        try:
            barrier.wait(timeout=10)
            transition(nomination, to_state, user, reason="决定")
            outcomes[name] = "done"
        except ValidationError as error:
            outcomes[name] = error.code
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=decide, args=("select", ministry_a, S.SELECTED)),
        threading.Thread(target=decide, args=("reject", ministry_b, S.NOT_SELECTED)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes.values()) == ["done", "invalid_transition"]
    nomination.refresh_from_db()
    winner = next(name for name, outcome in outcomes.items() if outcome == "done")
    assert nomination.state == (S.SELECTED if winner == "select" else S.NOT_SELECTED)
    assert NominationTransition.objects.filter(nomination=nomination).count() == 1
