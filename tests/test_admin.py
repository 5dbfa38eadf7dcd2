"""Every model is in the admin, and each of its pages opens for the ministry administrator."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.urls import reverse

from estates.models import Estate, Nomination

pytestmark = pytest.mark.django_db

# History rows are read through each model's history page; staff profiles are edited on the
# user's page.
ESTATE_MODELS = [
    m
    for m in apps.get_app_config("estates").get_models()
    if not m.__name__.startswith("Historical")
    # Accounts are made by a command; import files wait for their confirmation unseen.
    and m.__name__ not in {"StaffProfile", "ImportUpload"}
]


@pytest.fixture
def ministry_client(client):
    user = get_user_model().objects.create_superuser("ministry", password="unused-in-test")
    client.force_login(user)
    return client


def test_every_domain_model_is_registered():
    unregistered = [m.__name__ for m in ESTATE_MODELS if m not in admin.site._registry]
    assert unregistered == []


@pytest.mark.parametrize("model", ESTATE_MODELS, ids=lambda m: m.__name__)
def test_admin_pages_open(ministry_client, model):
    prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
    changelist = ministry_client.get(reverse(f"{prefix}_changelist"))
    assert changelist.status_code == 200
    assert str(model._meta.verbose_name) in changelist.content.decode()
    obj = model._default_manager.first()
    if obj is not None:
        change = ministry_client.get(reverse(f"{prefix}_change", args=[obj.pk]))
        assert change.status_code == 200


def test_estate_list_marks_published_estates(ministry_client):
    Nomination.objects.filter(estate__slug="xichanganyihao").update(state="draft")
    response = ministry_client.get(reverse("admin:estates_estate_changelist"))
    published = {e.name: e.published for e in response.context["cl"].result_list}
    assert published["西长安壹号"] is False
    assert published["丽景长安"] is True


def test_nomination_state_is_not_editable_in_the_admin(ministry_client):
    nomination = Nomination.objects.get(estate__slug="aozhengchengyuannanqu")
    response = ministry_client.get(reverse("admin:estates_nomination_change", args=[nomination.pk]))
    assert "state" not in response.context["adminform"].form.fields


def test_estate_change_page_shows_every_related_section(ministry_client):
    estate = Estate.objects.get(slug="aozhengchengyuannanqu")
    response = ministry_client.get(reverse("admin:estates_estate_change", args=[estate.pk]))
    inline_names = [
        str(f.opts.verbose_name_plural) for f in response.context["inline_admin_formsets"]
    ]
    assert inline_names == [
        "二、治理机制（对照原则要求）",
        "指标数据（满意度、物业费收缴率等）",
        "三、活动开展情况（含8个“一”）",
        "四、工作成效（成效数据）",
        "荣誉",
        "照片（按排列顺序展示；勾选一张作为封面）",
    ]
    assert len(response.context["inline_admin_formsets"][0].formset.forms) == 11
