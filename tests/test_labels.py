"""People are named once: accounts called after their role or province — the demo accounts are
“部级管理员”, “省级填报员（山东）”, “评审专家（河北）” — were labelled “部级管理员（部级管理员）”
in logs and “评审专家（河北）（河北）” in the reviewer choices."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from estates.admin.history import actor_label
from estates.admin.nominations import create_missing_evidence
from estates.assignment import reviewer_label
from estates.enums import CampaignPhase, NominationState
from estates.models import CampaignPhaseChange, City, Nomination
from estates.people import with_note, without_note
from estates.workflow import transition

from .builders import campaign_like, make_estate, make_staff
from .html import parse

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(settings):
    """The demo accounts as `make run` makes them."""
    settings.DEBUG = True  # the command refuses to run in production
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("create_demo_users", stdout=io.StringIO())
    return {user.username: user for user in get_user_model().objects.all()}


def named(user, name):
    user.last_name = name  # as `manage.py create_staff_user --name` stores it
    user.save()
    return user


def test_demo_accounts_are_labelled_once(demo):
    assert actor_label(demo["ministry"]) == "部级管理员"
    assert actor_label(demo["shandong"]) == "省级填报员（山东）"
    assert actor_label(demo["reviewer"]) == "评审专家（河北）"
    assert actor_label(demo["editor"]) == "编辑"
    assert reviewer_label(demo["reviewer"]) == "评审专家（河北）"
    assert reviewer_label(demo["reviewer"], 3, 1) == "评审专家（河北，已分配 3 项，未提交 1 项）"


def test_people_with_names_of_their_own_keep_role_and_province():
    ministry = named(make_staff("ministry"), "王明")
    reviewer = named(make_staff("reviewer", "hebei"), "张河北")
    assert actor_label(ministry) == "王明（部级管理员）"
    assert actor_label(reviewer) == "张河北（评审专家）"
    assert reviewer_label(reviewer) == "张河北（河北）"
    assert reviewer_label(reviewer, 0) == "张河北（河北，已分配 0 项）"


@pytest.mark.parametrize(
    ("name", "note", "labelled", "bare"),
    [
        ("部级管理员", "部级管理员", "部级管理员", "部级管理员"),
        ("省级填报员（山东）", "省级填报员", "省级填报员（山东）", "省级填报员（山东）"),
        ("评审专家（河北）", "河北", "评审专家（河北）", "评审专家"),
        ("王明", "部级管理员", "王明（部级管理员）", "王明"),
        ("河北", "河北", "河北", "河北"),  # a name that is only the note stays a name
        ("部级管理员甲", "部级管理员", "部级管理员甲（部级管理员）", "部级管理员甲"),
    ],
)
def test_a_note_the_name_says_already_is_left_out(name, note, labelled, bare):
    assert with_note(name, note) == labelled
    assert without_note(name, note) == bare


def test_phase_log_names_the_demo_ministry_account_once(client, demo):
    campaign = campaign_like("shandong-2023", CampaignPhase.NOMINATING, slug="labels-phase")
    CampaignPhaseChange.objects.create(
        campaign=campaign,
        from_phase=CampaignPhase.NOMINATING,
        to_phase=CampaignPhase.REVIEWING,
        actor=demo["ministry"],
    )
    client.force_login(demo["ministry"])

    response = client.get(reverse("admin:estates_campaignphasechange_changelist"))

    row = parse(response.content).find("table", id="result_list").find("tbody").find("tr")
    assert [cell.clean_text() for cell in row.find_all("td")][1] == "部级管理员"


def test_nomination_log_names_each_demo_account_once(client, demo):
    linyi = City.objects.get(slug="linyi")
    estate = make_estate(name="标签苑", province=linyi.province, city=linyi)
    campaign = campaign_like("shandong-2023", CampaignPhase.NOMINATING, slug="labels-log")
    nomination = Nomination.objects.create(estate=estate, campaign=campaign)
    create_missing_evidence(nomination)
    nomination.criterion_evidence.update(text="已落实。")
    nomination.activity_evidence.update(text="已开展。")
    transition(nomination, NominationState.SUBMITTED, demo["shandong"])
    transition(nomination, NominationState.DRAFT, demo["ministry"], "请补充满意度调查的样本数。")
    client.force_login(demo["ministry"])

    response = client.get(reverse("admin:estates_nomination_change", args=[nomination.pk]))

    cells = parse(response.content).find_all("td", class_="field-who")
    assert sorted(cell.clean_text() for cell in cells) == ["省级填报员（山东）", "部级管理员"]


def test_reviewer_choice_names_the_demo_reviewer_once(client, demo):
    linyi = City.objects.get(slug="linyi")
    estate = make_estate(name="选专家苑", province=linyi.province, city=linyi)
    campaign = campaign_like("shandong-2023", CampaignPhase.REVIEWING, slug="labels-choice")
    nomination = Nomination.objects.create(
        estate=estate, campaign=campaign, state=NominationState.UNDER_REVIEW
    )
    client.force_login(demo["ministry"])

    response = client.get(reverse("admin:estates_review_add") + f"?nomination={nomination.pk}")

    select = parse(response.content).find("select", name="reviewer")
    options = [option.clean_text() for option in select.find_all("option")]
    assert "评审专家（河北，已分配 0 项）" in options
    assert not [option for option in options if "（河北）（" in option]


@pytest.mark.parametrize("role", ["ministry", "provincial", "reviewer", "editor"])
def test_the_index_app_lists_hidden_captions_are_in_chinese(client, role):
    """Screen readers read the app list's hidden column headings and its captions' titles;
    Django's catalogue left the headings in English ("Model name", "Add link")."""
    client.force_login(make_staff(role, "shandong" if role == "provincial" else None))

    page = parse(client.get(reverse("admin:index")).content)

    lists = [
        div
        for div in page.find_all("div", class_="module")
        if any(name.startswith("app-") for name in div.classes)
    ]
    assert lists  # the index's lists and the navigation's
    for module in lists:
        heads = module.find("thead", class_="visually-hidden").find_all("th")
        assert [th.clean_text() for th in heads] == ["数据类别", "新增", "修改或查看列表"]
        caption = module.find("caption").find("a")
        assert caption.attrs["title"] == f"{caption.clean_text()}中的各类数据"
