"""Who sees what in the admin: a role matrix over every URL kind, own and other province."""

import json

import pytest
from django.urls import reverse

from estates.enums import NominationState
from estates.models import Campaign, City, Estate, Metric, Nomination

from .builders import make_estate, make_staff, nominate

pytestmark = pytest.mark.django_db

LINYI = "aozhengchengyuannanqu"  # Shandong
BEIJING = "lijingchangan"  # Beijing


def login(client, user):
    client.force_login(user)
    return client


def admin_url(model, kind, obj=None):
    name = f"admin:estates_{model._meta.model_name}_{kind}"
    return reverse(name, args=[obj.pk] if obj is not None else [])


@pytest.fixture
def shandong_staff():
    return make_staff("provincial", "shandong")


def estate(slug):
    return Estate.objects.get(slug=slug)


# (role, province, estate slug, kind) -> expected status. 200 page, 302 redirect to the
# admin index (Django's answer for an id that does not exist), 403 forbidden.
MATRIX = [
    # Provincial staff of Shandong: own estate yes, Beijing's exactly like a missing row.
    ("provincial", "shandong", LINYI, "change", 200),
    ("provincial", "shandong", LINYI, "history", 200),
    ("provincial", "shandong", BEIJING, "change", 302),
    ("provincial", "shandong", BEIJING, "history", 404),
    ("provincial", "shandong", BEIJING, "delete", 302),
    # Published estate: deletion refused even for its own province.
    ("provincial", "shandong", LINYI, "delete", 302),
    # Editors see selected estates; reviewers none of these (no submitted nominations).
    ("editor", None, BEIJING, "change", 200),
    ("reviewer", "hebei", BEIJING, "change", 302),
    ("ministry", None, BEIJING, "change", 200),
    ("ministry", None, LINYI, "history", 200),
]


@pytest.mark.parametrize(("role", "province", "slug", "kind", "status"), MATRIX)
def test_estate_urls_by_role(client, role, province, slug, kind, status):
    login(client, make_staff(role, province))
    response = client.get(admin_url(Estate, kind, estate(slug)))
    assert response.status_code == status
    if status == 302 and kind != "delete":
        assert response["Location"] == reverse("admin:index")


def test_other_provinces_history_is_hidden_even_when_it_exists(client, shandong_staff):
    beijing = estate(BEIJING)
    beijing.tagline = "北京改过的标题语"
    beijing.save()  # now there is a historical record to leak
    login(client, shandong_staff)
    history = client.get(admin_url(Estate, "history", beijing))
    missing = client.get(reverse("admin:estates_estate_history", args=[999999]))
    assert history.status_code == missing.status_code == 404
    record = beijing.history.latest()
    revert = client.get(
        reverse("admin:estates_estate_simple_history", args=[beijing.pk, record.pk])
    )
    assert revert.status_code == 404
    assert "北京改过的标题语" not in history.content.decode()


def test_other_province_id_answers_like_a_missing_id(client, shandong_staff):
    login(client, shandong_staff)
    other = client.get(admin_url(Estate, "change", estate(BEIJING)), follow=True)
    missing = client.get(reverse("admin:estates_estate_change", args=[999999]), follow=True)
    message = [str(m) for m in other.context["messages"]]
    assert [m.replace(str(estate(BEIJING).pk), "ID") for m in message] == [
        m.replace("999999", "ID") for m in [str(x) for x in missing.context["messages"]]
    ]


@pytest.mark.parametrize(
    "url",
    [
        "admin:estates_estate_changelist",
        "admin:estates_mechanism_changelist",
        "admin:estates_metric_changelist",
        "admin:estates_activity_changelist",
        "admin:estates_keyfigure_changelist",
        "admin:estates_honor_changelist",
        "admin:estates_photo_changelist",
        "admin:estates_nomination_changelist",
        "admin:estates_criterionevidence_changelist",
        "admin:estates_activityevidence_changelist",
        "admin:index",
    ],
)
def test_provincial_lists_hold_only_their_province(client, shandong_staff, url):
    login(client, shandong_staff)
    response = client.get(reverse(url))
    assert response.status_code == 200
    body = response.content.decode()
    for beijing_name in ["丽景长安", "双旗杆东里", "厂洼街7号院", "西长安壹号"]:
        assert beijing_name not in body


def test_provincial_estate_list_shows_their_estates(client, shandong_staff):
    login(client, shandong_staff)
    response = client.get(reverse("admin:estates_estate_changelist"))
    assert [e.name for e in response.context["cl"].result_list] == ["奥正诚园南区"]


def test_autocomplete_never_offers_another_province(client, shandong_staff):
    login(client, shandong_staff)
    for term, field in [("", "estate"), ("li", "estate"), ("丽景", "estate")]:
        response = client.get(
            reverse("admin:autocomplete"),
            {"term": term, "app_label": "estates", "model_name": "metric", "field_name": field},
        )
        names = [r["text"] for r in json.loads(response.content)["results"]]
        assert all(name == "奥正诚园南区" for name in names), names
    cities = client.get(
        reverse("admin:autocomplete"),
        {"term": "", "app_label": "estates", "model_name": "estate", "field_name": "city"},
    )
    shandong = City.objects.filter(province__code="370000").values_list("name", flat=True)
    assert [r["text"] for r in json.loads(cities.content)["results"]] == list(shandong)


def test_foreign_key_choices_hold_only_their_province(client, shandong_staff):
    login(client, shandong_staff)
    response = client.get(admin_url(Estate, "add"))
    form = response.context["adminform"].form
    assert [p.name for p in form.fields["province"].queryset] == ["山东省"]
    assert list(form.fields["city"].queryset) == list(City.objects.filter(province__code="370000"))


def test_provincial_staff_cannot_move_an_estate(client, shandong_staff):
    login(client, shandong_staff)
    response = client.get(admin_url(Estate, "change", estate(LINYI)))
    assert "province" not in response.context["adminform"].form.fields


def test_provincial_estate_created_lands_in_their_province(client, shandong_staff):
    login(client, shandong_staff)
    linyi = City.objects.get(slug="linyi")
    data = {
        "name": "新建小区",
        "province": Estate.objects.get(slug=BEIJING).province_id,  # a forged choice
        "city": linyi.pk,
        **empty_inlines(),
    }
    response = client.post(admin_url(Estate, "add"), data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "province" in errors
    assert not Estate.objects.filter(name="新建小区").exists()


def empty_inlines():
    data = {}
    for prefix in ["mechanisms", "metrics", "activities", "key_figures", "honors", "photos"]:
        data.update(
            {
                f"{prefix}-TOTAL_FORMS": "0",
                f"{prefix}-INITIAL_FORMS": "0",
                f"{prefix}-MIN_NUM_FORMS": "0",
                f"{prefix}-MAX_NUM_FORMS": "1000",
            }
        )
    return data


def test_submitted_nomination_is_read_only_for_the_province(client, shandong_staff):
    draft = nominate(
        make_estate(name="草稿小区", province=estate(LINYI).province, city=estate(LINYI).city),
        campaign=Campaign.objects.get(slug="shandong-2023"),
        state=NominationState.DRAFT,
    )
    login(client, shandong_staff)
    change = client.get(admin_url(Nomination, "change", draft))
    assert change.context["has_change_permission"] is True
    submitted = Nomination.objects.get(estate__slug=LINYI)
    view = client.get(admin_url(Nomination, "change", submitted))
    assert view.status_code == 200
    assert view.context["has_change_permission"] is False


def test_reviewer_sees_submitted_nominations_of_other_provinces_only(client):
    national = Campaign.objects.get(slug="quanguo-2021")
    hebei = make_estate(name="河北小区", province_id=None) if False else None  # noqa: F841
    beijing_submitted = nominate(
        make_estate(name="北京待评小区"), campaign=national, state=NominationState.SUBMITTED
    )
    reviewer_from_beijing = make_staff("reviewer", "beijing")
    reviewer_from_hebei = make_staff("reviewer", "hebei")
    login(client, reviewer_from_hebei)
    listed = client.get(reverse("admin:estates_nomination_changelist")).context["cl"].result_list
    assert [n.estate.name for n in listed] == ["北京待评小区"]
    login(client, reviewer_from_beijing)
    listed = client.get(reverse("admin:estates_nomination_changelist")).context["cl"].result_list
    assert list(listed) == []
    assert client.get(admin_url(Nomination, "change", beijing_submitted)).status_code == 302


def test_editor_changes_texts_but_not_facts(client):
    login(client, make_staff("editor"))
    response = client.get(admin_url(Estate, "change", estate(BEIJING)))
    fields = response.context["adminform"].form.fields
    assert {"tagline", "overview", "highlights"} <= set(fields)
    assert "households" not in fields and "name" not in fields


def test_user_without_role_sees_nothing(client):
    from django.contrib.auth import get_user_model

    nobody = get_user_model().objects.create_user("nobody", password="x", is_staff=True)
    login(client, nobody)
    assert client.get(reverse("admin:estates_estate_changelist")).status_code == 403


def test_index_overview_counts_only_what_the_user_sees(client, shandong_staff):
    login(client, shandong_staff)
    body = client.get(reverse("admin:index")).content.decode()
    assert "山东省“加强物业管理 共建美好家园”活动" in body
    assert "全国“加强物业管理 共建美好家园”活动" not in body
    login(client, make_staff("ministry"))
    body = client.get(reverse("admin:index")).content.decode()
    assert "入选 4/100，剩余 96" in body


def test_deleting_a_published_estates_row_is_refused_with_a_reason(client):
    login(client, make_staff("ministry"))
    metric = Metric.objects.filter(estate__slug=BEIJING).first()
    response = client.get(admin_url(Metric, "delete", metric), follow=True)
    messages = [str(m) for m in response.context["messages"]]
    assert messages == [
        f"“{metric}”正在公开网站上展示，不能删除。如需下线，请由部级管理员撤销该小区的入选。"
    ]
    assert Metric.objects.filter(pk=metric.pk).exists()


ROLES = {
    "ministry": ("ministry", None),
    "shandong": ("provincial", "shandong"),
    "reviewer": ("reviewer", "hebei"),
    "editor": ("editor", None),
}
INDEX = "index"  # Django's answer for an id that does not exist: back to the admin index
CHANGE = "change"  # a refused deletion: back to the object's page, with the reason
# (user, kind, whose estate) -> answer. LINYI is Shandong's own, BEIJING another province's.
ESTATE_ANSWERS = {
    ("ministry", "changelist", None): 200,
    ("ministry", "add", None): 200,
    ("ministry", "change", LINYI): 200,
    ("ministry", "change", BEIJING): 200,
    ("ministry", "history", BEIJING): 200,
    ("ministry", "delete", BEIJING): CHANGE,
    ("shandong", "changelist", None): 200,
    ("shandong", "add", None): 200,
    ("shandong", "change", LINYI): 200,
    ("shandong", "change", BEIJING): INDEX,
    ("shandong", "history", LINYI): 200,
    ("shandong", "history", BEIJING): 404,
    ("shandong", "delete", LINYI): CHANGE,
    ("shandong", "delete", BEIJING): INDEX,
    ("reviewer", "changelist", None): 200,
    ("reviewer", "add", None): 403,
    ("reviewer", "change", LINYI): INDEX,
    ("reviewer", "change", BEIJING): INDEX,
    ("reviewer", "history", BEIJING): 404,
    ("reviewer", "delete", BEIJING): 403,
    ("editor", "changelist", None): 200,
    ("editor", "add", None): 403,
    ("editor", "change", BEIJING): 200,
    ("editor", "change", LINYI): 200,
    ("editor", "delete", BEIJING): 403,
}


@pytest.mark.parametrize("model", [Estate, Metric], ids=["estate", "metric"])
@pytest.mark.parametrize(("who", "kind", "whose"), list(ESTATE_ANSWERS))
def test_role_matrix(client, model, who, kind, whose):
    role, province = ROLES[who]
    login(client, make_staff(role, province))
    obj = None
    if whose is not None:
        obj = estate(whose) if model is Estate else Metric.objects.filter(estate__slug=whose)[0]
    response = client.get(admin_url(model, kind, obj))
    expected = ESTATE_ANSWERS[(who, kind, whose)]
    if model is Metric and who == "editor" and kind == "change":
        expected = 200  # editors view the rows of selected estates, read-only
    if expected == INDEX:
        assert (response.status_code, response["Location"]) == (302, reverse("admin:index"))
    elif expected == CHANGE:
        assert response.status_code == 302
        assert response["Location"] == admin_url(model, "change", obj)
    else:
        assert response.status_code == expected


def test_bulk_action_ignores_rows_of_another_province(client, shandong_staff):
    login(client, shandong_staff)
    beijing_metric = Metric.objects.filter(estate__slug=BEIJING)[0]
    response = client.post(
        reverse("admin:estates_metric_changelist"),
        {"action": "delete_selected", "_selected_action": [beijing_metric.pk], "post": "yes"},
        follow=True,
    )
    assert response.status_code == 200
    assert Metric.objects.filter(pk=beijing_metric.pk).exists()
