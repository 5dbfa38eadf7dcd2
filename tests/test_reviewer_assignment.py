"""Automatic reviewer assignment: a plan (never a reviewer from the nomination's province,
the load evened out, assignments already made kept), previewed, and saved only as shown."""

import itertools
from collections import Counter
from types import SimpleNamespace

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from estates.assignment import current_plan, plan_assignment, reviewer_label
from estates.enums import CampaignPhase, NominationState
from estates.models import City, Nomination, Province, Review, StaffProfile
from estates.workflow import assign_reviewer

from .builders import campaign_like, make_estate, make_staff
from .html import parse

pytestmark = pytest.mark.django_db

S = NominationState
# A literal, not reverse(): resolving URLs while tests are collected imports the URL conf
# before the test settings apply (DEBUG would add the photo route to it).
LIST = "/admin/estates/nomination/"
_serial = itertools.count(1)


# The pure plan, on plain objects.


def person(pk, province, username=None):
    return SimpleNamespace(pk=pk, username=username or f"r{pk:02d}", province=province)


def entry(pk, province):
    return SimpleNamespace(pk=pk, province=province)


def not_own_province(nomination, reviewer):
    return nomination.province != reviewer.province


def plan(nominations, reviewers, wanted=3, assigned=None, load=None):
    return plan_assignment(
        nominations, reviewers, wanted, assigned or {}, load or {}, not_own_province
    )


def test_plan_never_gives_a_reviewer_their_own_province():
    reviewers = [person(1, "山东"), person(2, "北京"), person(3, "江苏"), person(4, "山东")]
    result = plan([entry(10, "山东"), entry(11, "北京")], reviewers, wanted=2)
    assert {row.nomination.pk: [r.pk for r in row.new] for row in result.rows} == {
        10: [2, 3],
        11: [1, 4],
    }


def test_plan_evens_the_load_out_and_breaks_ties_by_username():
    reviewers = [person(i, "河北", username=name) for i, name in enumerate("edcba", start=1)]
    nominations = [entry(100 + i, "山东") for i in range(15)]
    result = plan(nominations, reviewers, wanted=3)
    assert Counter(result.load.values()) == Counter({9: 5})  # 45 places, 9 each
    assert [r.username for r in result.rows[0].new] == ["a", "b", "c"]
    assert [r.username for r in result.rows[1].new] == ["d", "e", "a"]
    assert plan(nominations, reviewers, wanted=3).signature() == result.signature()


def test_plan_counts_the_load_already_carried_in_the_campaign():
    reviewers = [person(1, "河北"), person(2, "江苏"), person(3, "浙江")]
    result = plan([entry(10, "山东")], reviewers, wanted=2, load={1: 12, 2: 3, 3: 4})
    assert [r.pk for r in result.rows[0].new] == [2, 3]
    assert result.load == {1: 12, 2: 4, 3: 5}


def test_plan_keeps_assignments_made_and_adds_only_the_missing_ones():
    reviewers = [person(1, "河北"), person(2, "江苏"), person(3, "浙江"), person(4, "广东")]
    result = plan(
        [entry(10, "山东"), entry(11, "山东")],
        reviewers,
        wanted=3,
        assigned={10: [reviewers[0], reviewers[1]], 11: reviewers[:3]},
        load={1: 2, 2: 1, 3: 1},
    )
    first, second = result.rows
    assert [r.pk for r in first.new] == [4]  # one more, never a second copy of 1 or 2
    assert second.new == [] and second.missing == 0


def test_plan_says_where_eligible_reviewers_run_out():
    reviewers = [person(1, "山东"), person(2, "北京")]
    result = plan([entry(10, "山东"), entry(11, "江苏")], reviewers, wanted=2)
    assert [(row.nomination.pk, [r.pk for r in row.new], row.missing) for row in result.rows] == [
        (10, [2], 1),
        (11, [1, 2], 0),
    ]
    assert [row.nomination.pk for row in result.short_rows] == [10]


def test_plan_lets_the_most_constrained_nominations_choose_first():
    # Nomination 11 can only take reviewer 1: it is served first, and 10 goes to 2.
    reviewers = [person(1, "河北"), person(2, "山东")]
    result = plan([entry(10, "北京"), entry(11, "山东")], reviewers, wanted=1)
    assert {row.nomination.pk: row.new[0].pk for row in result.rows} == {10: 2, 11: 1}
    assert result.short_rows == []


def test_plan_passes_places_on_until_the_load_is_even():
    # Taken in this order, the first choices leave 北京 with more: then places move along.
    reviewers = [
        person(1, "河北", "expert-hebei"),
        person(2, "山东", "expert-shandong"),
        person(3, "北京", "expert-beijing"),
        person(4, "江苏", "expert-jiangsu"),
        person(5, "广东", "expert-guangdong"),
    ]
    provinces = ["北京"] * 4 + ["江苏"] * 4 + ["浙江"] * 3 + ["山东"] * 4
    nominations = [entry(100 + i, p) for i, p in enumerate(provinces)]
    result = plan(nominations, reviewers, assigned={100: [reviewers[4]]}, load={5: 1})
    assert result.load == {1: 9, 2: 9, 3: 9, 4: 9, 5: 9}
    for row in result.rows:
        on_it = [r.pk for r in row.existing + row.new]
        assert len(on_it) == len(set(on_it)) == 3
        assert all(not_own_province(row.nomination, r) for r in row.new)


def best_loads(nominations, reviewers, wanted, load):
    """The lowest (highest load, sum of squared loads) of every possible plan (tiny cases)."""
    options = []
    for n in nominations:
        eligible = [r for r in reviewers if not_own_province(n, r)]
        options.append(list(itertools.combinations(eligible, min(wanted, len(eligible)))))
    best = None
    for choice in itertools.product(*options):
        loads = Counter({r.pk: load.get(r.pk, 0) for r in reviewers})
        for chosen in choice:
            loads.update(r.pk for r in chosen)
        score = (max(loads.values()), sum(v * v for v in loads.values()))
        best = score if best is None else min(best, score)
    return best


def test_plan_is_as_even_as_any_plan_can_be():
    import random

    rng = random.Random(2026)
    provinces = ["北京", "山东", "江苏", "河北"]
    for _case in range(150):
        reviewers = [person(i, rng.choice(provinces)) for i in range(1, rng.randint(2, 4) + 1)]
        nominations = [entry(100 + i, rng.choice(provinces)) for i in range(rng.randint(1, 5))]
        wanted = rng.randint(1, 2)
        load = {r.pk: rng.randint(0, 3) for r in reviewers}
        result = plan(nominations, reviewers, wanted=wanted, load=load)
        got = (max(result.load.values()), sum(v * v for v in result.load.values()))
        assert got == best_loads(nominations, reviewers, wanted, load)


# The plan as the database stands, previewed and saved from the nomination list.


def estate_in(city_slug):
    city = City.objects.get(slug=city_slug)
    return make_estate(name=f"{city.name}花园{next(_serial)}", province=city.province, city=city)


@pytest.fixture
def campaign():
    return campaign_like(
        "quanguo-2021", CampaignPhase.REVIEWING, slug="assign-2026", reviewers_per_nomination=2
    )


@pytest.fixture
def reviewers():
    return [
        make_staff("reviewer", province, username=name)
        for name, province in [
            ("hebei-zhang", "hebei"),
            ("shandong-li", "shandong"),
            ("beijing-wang", "beijing"),
        ]
    ]


@pytest.fixture
def ministry():
    client = Client()
    client.force_login(make_staff("ministry"))
    return client


def nominations(campaign, cities, state=S.SUBMITTED):
    return [
        Nomination.objects.create(estate=estate_in(city), campaign=campaign, state=state)
        for city in cities
    ]


def preview(client, rows, **extra):
    data = {"action": "assign_reviewers", "index": "0", ACTION_CHECKBOX_NAME: [n.pk for n in rows]}
    return client.post(LIST, {**data, **extra})


def confirm(client, page, **extra):
    data = {
        "action": "assign_reviewers",
        "select_across": page.context["select_across"],
        ACTION_CHECKBOX_NAME: page.context["selected"],
        "wanted": page.context["wanted"],
        "plan": page.context["plan"].signature(),
        "_assign_confirm": "1",
    }
    return client.post(LIST, {**data, **extra})


def assigned(rows):
    return {
        n.estate.name: sorted(
            Review.objects.filter(nomination=n).values_list("reviewer__username", flat=True)
        )
        for n in rows
    }


def test_preview_lists_the_plan_and_saves_nothing(ministry, campaign, reviewers):
    rows = nominations(campaign, ["linyi", "beijing"])
    page = preview(ministry, rows)
    assert page.status_code == 200
    assert Review.objects.count() == 0
    html = parse(page.content)
    tables = html.find_all("table", class_="nomination-table")
    plan_rows = [
        [td.clean_text() for td in tr.find_all("td")]
        for tr in tables[1].find("tbody").find_all("tr")
    ]
    # The list's order (provinces in official order), each row with its new reviewers.
    assert plan_rows == [
        [rows[1].estate.name, "北京", "—", "hebei-zhang（河北）、shandong-li（山东）"],
        [rows[0].estate.name, "山东", "—", "beijing-wang（北京）、hebei-zhang（河北）"],
    ]
    loads = [
        [td.clean_text() for td in tr.find_all("td")]
        for tr in tables[0].find("tbody").find_all("tr")
    ]
    assert loads == [
        ["beijing-wang", "北京", "0", "1"],
        ["hebei-zhang", "河北", "0", "2"],
        ["shandong-li", "山东", "0", "1"],
    ]


def test_confirming_saves_the_plan_shown_through_the_workflow(ministry, campaign, reviewers):
    rows = nominations(campaign, ["linyi", "beijing"])
    page = preview(ministry, rows)
    response = confirm(ministry, page)
    assert response.status_code == 302
    assert {tuple(v) for v in assigned(rows).values()} == {
        ("beijing-wang", "hebei-zhang"),
        ("hebei-zhang", "shandong-li"),
    }
    for review in Review.objects.filter(nomination__in=rows):
        assert review.scores.count() == campaign.criteria.count()  # as assign_reviewer makes them
    message = [str(m) for m in response.wsgi_request._messages]
    assert message == ["已为 2 项推荐分配了 4 位次评审专家。"]


def test_a_plan_changed_since_the_preview_is_shown_again_not_saved(ministry, campaign, reviewers):
    rows = nominations(campaign, ["linyi", "beijing"])
    page = preview(ministry, rows)
    # Meanwhile a colleague assigns one reviewer by hand.
    assign_reviewer(rows[0], reviewers[2], make_staff("ministry"))
    response = confirm(ministry, page)
    assert response.status_code == 200
    assert Review.objects.count() == 1  # nothing of the stale plan was saved
    [message] = [str(m) for m in response.context["messages"]]
    assert message.startswith("没有保存：你查看方案之后，有人分配了评审专家")
    again = confirm(ministry, response)
    assert again.status_code == 302
    assert all(len(names) == 2 for names in assigned(rows).values())


def test_the_form_may_ask_for_another_number_of_reviewers(ministry, campaign, reviewers):
    rows = nominations(campaign, ["linyi"])
    page = preview(ministry, rows, wanted="3", _assign="1")
    assert page.context["plan"].rows[0].missing == 1  # only two reviewers are not from Shandong
    assert "符合条件的评审专家不够：1 项推荐分配后仍不足 3 位。" in parse(page.content).clean_text()
    confirm(ministry, page)
    assert assigned(rows)[rows[0].estate.name] == ["beijing-wang", "hebei-zhang"]


def test_a_changed_number_without_a_new_preview_is_not_saved(ministry, campaign, reviewers):
    rows = nominations(campaign, ["beijing"])
    page = preview(ministry, rows)  # 2 each
    response = confirm(ministry, page, wanted="1")
    assert response.status_code == 200
    assert Review.objects.count() == 0


def test_nominations_in_other_states_are_named_and_left_alone(ministry, campaign, reviewers):
    [draft] = nominations(campaign, ["linyi"], state=S.DRAFT)
    [submitted] = nominations(campaign, ["beijing"])
    page = preview(ministry, [draft, submitted])
    assert [n.pk for n in page.context["plan"].skipped] == [draft.pk]
    assert f"不分配： {draft.estate.name}（草稿）" in parse(page.content).clean_text()
    confirm(ministry, page)
    assert not Review.objects.filter(nomination=draft).exists()


def test_one_campaign_at_a_time(ministry, campaign, reviewers):
    other = campaign_like("quanguo-2021", CampaignPhase.REVIEWING, slug="assign-other")
    rows = nominations(campaign, ["linyi"]) + nominations(other, ["beijing"])
    response = preview(ministry, rows)
    assert response.status_code == 302
    [message] = [str(m) for m in response.wsgi_request._messages]
    assert message.startswith("一次只能为一个评选活动分配评审专家：所选推荐来自 2 个评选活动。")


def test_the_plan_reads_a_fixed_number_of_queries(
    campaign, reviewers, django_assert_max_num_queries
):
    def count(rows):
        selection = Nomination.objects.filter(pk__in=[n.pk for n in rows])
        with django_assert_max_num_queries(10) as captured:
            current_plan(campaign, selection)
        return len(captured)

    few = count(nominations(campaign, ["linyi", "beijing"]))
    many = count(nominations(campaign, ["linyi", "beijing"] * 10))
    assert many == few


# The reviewer picker where the ministry assigns one reviewer by hand.


def test_the_reviewer_picker_names_province_and_load(ministry, campaign, reviewers):
    zhang = reviewers[0]
    zhang.last_name = "张伟"
    zhang.save()
    rows = nominations(campaign, ["linyi", "beijing", "linyi"])
    boss = make_staff("ministry")
    for row in rows:
        assign_reviewer(row, zhang, boss)
    page = ministry.get(reverse("admin:estates_review_add") + f"?nomination={rows[0].pk}")
    options = [
        o.clean_text()
        for o in parse(page.content).find("select", name="reviewer").find_all("option")
    ]
    assert "张伟（河北，已分配 3 项，未提交 3 项）" in options
    assert "beijing-wang（北京，已分配 0 项）" in options


def test_reviewer_label_without_a_load():
    user = get_user_model()(username="wangwu@example.cn", last_name="王五")
    user.staff_profile = StaffProfile(province=Province.objects.get(slug="jiangsu"))
    assert reviewer_label(user) == "王五（江苏）"
    assert reviewer_label(user, 12) == "王五（江苏，已分配 12 项）"
    assert reviewer_label(get_user_model()(username="wangwu@example.cn")) == "wangwu（未填省份）"


def test_the_nomination_page_links_to_assigning_one_reviewer(ministry, campaign, reviewers):
    [row] = nominations(campaign, ["linyi"])
    assign_reviewer(row, reviewers[0], make_staff("ministry"))
    url = reverse("admin:estates_nomination_change", args=[row.pk])
    panel = parse(ministry.get(url).content).find("section", class_="nomination-state")
    assert "评审专家：已分配 1/2 位" in panel.clean_text()
    link = panel.find("a", href=f"{reverse('admin:estates_review_add')}?nomination={row.pk}")
    assert link.clean_text() == "分配一位评审专家"


def test_the_picker_counts_the_campaigns_under_review_when_no_nomination_is_chosen(
    ministry, campaign, reviewers
):
    finished = campaign_like("quanguo-2021", CampaignPhase.NOTICE, slug="assign-finished")
    boss = make_staff("ministry")
    for row in nominations(campaign, ["beijing", "linyi"]):
        assign_reviewer(row, reviewers[0], boss)
    for row in nominations(finished, ["beijing"]):
        assign_reviewer(row, reviewers[0], boss)
    page = ministry.get(reverse("admin:estates_review_add"))
    select = parse(page.content).find("select", name="reviewer")
    assert "hebei-zhang（河北，已分配 2 项，未提交 2 项）" in [
        o.clean_text() for o in select.find_all("option")
    ]
