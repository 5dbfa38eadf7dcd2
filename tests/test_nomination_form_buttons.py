"""The nomination page's move buttons are part of its form: a click saves what was typed (the
nomination and its evidence boxes) and then makes the move, so nothing typed is lost; a form
with errors moves nothing and shows what was typed. The shortlisting threshold warnings stand
next to the 列为拟入选 button."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from estates.admin.nominations import create_missing_evidence
from estates.enums import CampaignPhase, NominationState
from estates.models import City, Metric, MetricType, Nomination, NominationTransition

from .builders import campaign_like, make_estate, make_staff
from .html import parse
from .test_lost_updates import form_post_data

pytestmark = pytest.mark.django_db

# What a clerk pastes from the Word report: line breaks, full-width punctuation.
PASTED = "（八）开展一次满意度调查。\n2023年6月，发放问卷200余份，回收186份；\n业主满意度达96.55%。"


def linyi_nomination(phase=CampaignPhase.NOMINATING, state=NominationState.DRAFT, **campaign):
    linyi = City.objects.get(slug="linyi")
    estate = make_estate(name="兰山区阳光花园小区", province=linyi.province, city=linyi)
    nomination = Nomination.objects.create(
        estate=estate, campaign=campaign_like("shandong-2023", phase, **campaign), state=state
    )
    create_missing_evidence(nomination)
    return nomination


def all_but_the_last_box_filled(nomination):
    nomination.criterion_evidence.update(text="已落实。")
    last = nomination.activity_evidence.order_by("requirement__number").last()
    nomination.activity_evidence.exclude(pk=last.pk).update(text="已开展。")
    return last


def clerk(province="shandong"):
    client = Client()
    client.force_login(make_staff("provincial", province))
    return client


def change_url(nomination):
    return reverse("admin:estates_nomination_change", args=[nomination.pk])


def last_box_key(page, last):
    """The form field of the evidence box `last`, as the page names it."""
    for formset in page.context["inline_admin_formsets"]:
        for form in formset.formset.initial_forms:
            if form.instance == last:
                return form.add_prefix("text")
    raise AssertionError("no such evidence box on the page")


def test_submit_keeps_the_last_evidence_typed_and_submits_in_one_click():
    nomination = linyi_nomination()
    last = all_but_the_last_box_filled(nomination)
    client = clerk()
    page = client.get(change_url(nomination))
    data = form_post_data(page)
    data[last_box_key(page, last)] = PASTED
    data["_transition"] = NominationState.SUBMITTED

    response = client.post(change_url(nomination), data)

    assert response.status_code == 302
    assert response["Location"] == change_url(nomination)
    last.refresh_from_db()
    assert last.text == PASTED
    nomination.refresh_from_db()
    assert nomination.state == NominationState.SUBMITTED
    messages = [str(m) for m in response.wsgi_request._messages]
    assert messages == [f"“{nomination}”现在是“已提交”。"]


def test_move_buttons_are_inside_the_page_form_after_its_save_buttons():
    nomination = linyi_nomination()
    page = parse(clerk().get(change_url(nomination)).content)
    form = page.find("form", id="nomination_form")
    buttons = form.find_all("button", name="_transition")
    assert [(b.attrs["value"], b.clean_text()) for b in buttons] == [
        ("submitted", "提交推荐"),
        ("withdrawn", "撤回推荐"),
    ]
    assert form.find("textarea", name="_transition_reason") is not None
    # Enter in a text field presses the form's first submit button: 保存, never a move.
    first = next(
        node
        for node in form.find_all()
        if node.tag in ("input", "button") and node.attrs.get("type") == "submit"
    )
    assert first.attrs.get("name") == "_save"
    # No second form that would post without what was typed.
    transition_url = reverse("admin:estates_nomination_transition", args=[nomination.pk])
    assert page.find("form", action=transition_url) is None


def test_a_form_with_errors_moves_nothing_and_keeps_what_was_typed():
    nomination = linyi_nomination()
    last = all_but_the_last_box_filled(nomination)
    client = clerk()
    page = client.get(change_url(nomination))
    data = form_post_data(page)
    data[last_box_key(page, last)] = PASTED
    data["province_sequence"] = "第一"  # not a number
    data["_transition"] = NominationState.SUBMITTED
    data["_transition_reason"] = "材料已齐全，请审核。"

    response = client.post(change_url(nomination), data)

    assert response.status_code == 200
    nomination.refresh_from_db()
    assert nomination.state == NominationState.DRAFT
    assert not NominationTransition.objects.filter(nomination=nomination).exists()
    last.refresh_from_db()
    assert last.text == ""
    html = parse(response.content)
    assert html.find("textarea", name=last_box_key(page, last)).text().strip() == PASTED
    assert html.find("textarea", name="_transition_reason").text() == "材料已齐全，请审核。"
    moves = html.find("section", id="moves")
    assert "没有执行“提交推荐”，也没有保存：请先改正上面标出的错误，再点一次。" in (
        moves.clean_text()
    )


def test_a_stale_form_moves_nothing_and_says_who_saved():
    nomination = linyi_nomination()
    last = all_but_the_last_box_filled(nomination)
    first, second = clerk(), clerk()
    first_page, second_page = first.get(change_url(nomination)), second.get(change_url(nomination))
    data = form_post_data(first_page)
    data["nominating_authority"] = "临沂市住房和城乡建设局"
    assert first.post(change_url(nomination), data).status_code == 302

    stale = form_post_data(second_page)
    stale[last_box_key(second_page, last)] = PASTED
    stale["_transition"] = NominationState.SUBMITTED
    refused = second.post(change_url(nomination), stale)

    assert refused.status_code == 200
    [error] = refused.context["adminform"].form.non_field_errors()
    assert error.startswith("没有保存：你打开这个页面之后，")
    nomination.refresh_from_db()
    assert nomination.state == NominationState.DRAFT
    assert (
        parse(refused.content).find("textarea", name=last_box_key(second_page, last)).text().strip()
        == PASTED
    )


def test_a_refused_move_keeps_the_saved_text_and_the_reason_typed():
    nomination = linyi_nomination()
    client = clerk()
    page = client.get(change_url(nomination))
    box = nomination.criterion_evidence.order_by("criterion__number").first()
    data = form_post_data(page)
    data[last_box_key(page, box)] = PASTED
    data["_transition"] = NominationState.SUBMITTED
    data["_transition_reason"] = "请部里审核。"

    response = client.post(change_url(nomination), data, follow=True)

    box.refresh_from_db()
    assert box.text == PASTED  # saved, though the move was refused
    nomination.refresh_from_db()
    assert nomination.state == NominationState.DRAFT
    [message] = [str(m) for m in response.context["messages"]]
    assert message.startswith("本页填写的内容已保存，但没有执行“提交推荐”：还有 16 项材料未填写")
    html = parse(response.content)
    assert html.find("textarea", name="_transition_reason").text() == "请部里审核。"


def test_a_move_without_changes_records_one_version():
    nomination = linyi_nomination()
    nomination.criterion_evidence.update(text="已落实。")
    nomination.activity_evidence.update(text="已开展。")
    client = clerk()
    versions = nomination.history.count()
    data = form_post_data(client.get(change_url(nomination)))
    data["_transition"] = NominationState.SUBMITTED
    assert client.post(change_url(nomination), data).status_code == 302
    nomination.refresh_from_db()
    assert nomination.state == NominationState.SUBMITTED
    assert nomination.history.count() == versions + 1
    assert nomination.history.latest().history_change_reason == "提交推荐"


def test_a_province_withdraws_its_handed_in_nomination_from_the_read_only_page():
    nomination = linyi_nomination(state=NominationState.SUBMITTED)
    client = clerk()
    page = client.get(change_url(nomination))
    assert page.context["has_change_permission"] is False
    html = parse(page.content)
    [button] = html.find("form", id="nomination_form").find_all("button", name="_transition")
    assert (button.attrs["value"], button.clean_text()) == ("withdrawn", "撤回推荐")

    response = client.post(
        change_url(nomination),
        {"_transition": "withdrawn", "_transition_reason": "该小区正在整改，\n明年再报。"},
    )

    assert response.status_code == 302
    nomination.refresh_from_db()
    assert nomination.state == NominationState.WITHDRAWN
    log = NominationTransition.objects.get(nomination=nomination)
    assert log.reason == "该小区正在整改，\n明年再报。"


def test_another_provinces_clerk_cannot_move_it():
    nomination = linyi_nomination(state=NominationState.SUBMITTED)
    response = clerk("beijing").post(change_url(nomination), {"_transition": "withdrawn"})
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")  # as for a row that does not exist
    nomination.refresh_from_db()
    assert nomination.state == NominationState.SUBMITTED


def below_threshold_nomination():
    nomination = linyi_nomination(
        phase=CampaignPhase.REVIEWING,
        state=NominationState.UNDER_REVIEW,
        min_satisfaction=Decimal("90"),
        min_fee_collection=Decimal("85"),
    )
    Metric.objects.create(
        estate=nomination.estate,
        metric_type=MetricType.objects.get(code="satisfaction"),
        value=Decimal("88.5"),
        sequence=1,
    )
    return nomination


def test_threshold_warnings_stand_next_to_the_shortlist_button():
    nomination = below_threshold_nomination()
    client = Client()
    client.force_login(make_staff("ministry"))
    html = parse(client.get(change_url(nomination)).content)
    moves = html.find("section", id="moves")
    warnings = moves.find("div", id="threshold-warnings")
    assert [li.clean_text() for li in warnings.find_all("li")] == [
        "业主满意度为 88.5%，低于本次评选的门槛 90%。",
        "物业费收缴率未知，本次评选的门槛是 85%。",
    ]
    shortlist = moves.find("button", value="shortlisted")
    assert shortlist.clean_text() == "列为拟入选"
    assert shortlist.attrs["aria-describedby"] == "threshold-warnings"


def test_shortlisting_from_the_page_repeats_the_warnings_after_the_move():
    nomination = below_threshold_nomination()
    client = Client()
    client.force_login(make_staff("ministry"))
    data = form_post_data(client.get(change_url(nomination)))
    data["_transition"] = NominationState.SHORTLISTED
    response = client.post(change_url(nomination), data, follow=True)
    nomination.refresh_from_db()
    assert nomination.state == NominationState.SHORTLISTED
    assert [str(m) for m in response.context["messages"]] == [
        f"“{nomination}”现在是“拟入选”。",
        "业主满意度为 88.5%，低于本次评选的门槛 90%。",
        "物业费收缴率未知，本次评选的门槛是 85%。",
    ]


def test_missing_evidence_is_flagged_on_drafts_only():
    ministry = Client()
    ministry.force_login(make_staff("ministry"))
    draft = linyi_nomination()
    reviewing = below_threshold_nomination()
    draft_panel = parse(ministry.get(change_url(draft)).content).find(
        "section", class_="nomination-state"
    )
    assert "还有 17 项材料未填写，提交前需全部填写。" in draft_panel.clean_text()
    panel = parse(ministry.get(change_url(reviewing)).content).find(
        "section", class_="nomination-state"
    )
    assert "未填写" not in panel.clean_text()
