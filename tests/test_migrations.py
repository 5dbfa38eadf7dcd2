"""Migrations build the schema from nothing and upgrade the previous release's data.

Each test changes the schema, so it runs against a committed database (transaction=True); the
suite runs on SQLite and, with DATABASE_URL, on PostgreSQL (CI does both), and nothing here
depends on which. Should a test fail half-way, the database is migrated forward again so the
tests after it find the schema they expect.
"""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from estates.models import (
    CriterionEvidence,
    Estate,
    Mechanism,
    Metric,
    Nomination,
    NominationTransition,
    Photo,
    PropertyCompany,
    StaffProfile,
)
from estates.roles import GROUP_NAMES

pytestmark = pytest.mark.django_db(transaction=True)

PROJECT_APPS = ("estates", "showcase")

# The latest migrations of the release before this one (as on main when the backup work
# began). Migrations added since must upgrade a database at this state without losing a row.
PREVIOUS_RELEASE = [
    ("estates", "0011_estate_city_name_index"),
    ("showcase", "0001_initial"),
]


def migrate(targets):
    """Migrate to `targets` as `manage.py migrate` would; returns the executor."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return MigrationExecutor(connection)  # a fresh one reads the new state back


def latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def applied(app_label):
    executor = MigrationExecutor(connection)
    return {name for app, name in executor.loader.applied_migrations if app == app_label}


@pytest.fixture(autouse=True)
def _back_to_the_latest_schema():
    yield
    if any(node[1] not in applied(node[0]) for node in latest()):
        migrate(latest())
    ContentType.objects.clear_cache()


def project_tables():
    return {
        name
        for name in connection.introspection.table_names()
        if name.startswith(tuple(f"{app}_" for app in PROJECT_APPS))
    }


def test_migrations_build_the_whole_schema_from_an_empty_database():
    migrate([(app, None) for app in PROJECT_APPS])
    assert project_tables() == set()
    assert not applied("estates") and not applied("showcase")

    migrate(latest())

    from django.apps import apps

    for app in PROJECT_APPS:
        for model in apps.get_app_config(app).get_models():
            table = model._meta.db_table
            assert table in project_tables(), table
            with connection.cursor() as cursor:
                columns = {
                    column.name
                    for column in connection.introspection.get_table_description(cursor, table)
                }
            assert {field.column for field in model._meta.local_concrete_fields} <= columns, table
    # The roles come from a data migration.
    assert set(GROUP_NAMES.values()) <= set(Group.objects.values_list("name", flat=True))
    call_command("load_seed", verbosity=0)
    assert Estate.objects.published().count() == 5


def test_rows_of_the_previous_release_survive_the_upgrade():
    call_command("load_seed", verbosity=0)
    seed_estates = set(Estate.objects.values_list("slug", flat=True))
    seed_history = Estate.history.count()

    executor = migrate(PREVIOUS_RELEASE)
    graph = executor.loader.graph
    for target in PREVIOUS_RELEASE:  # exactly the previous release's migrations, no later ones
        app = target[0]
        assert applied(app) == {name for a, name in graph.forwards_plan(target) if a == app}
    old = executor.loader.project_state(PREVIOUS_RELEASE).apps
    made = make_rows_with(old)

    migrate(latest())

    assert seed_estates <= set(Estate.objects.values_list("slug", flat=True))
    estate = Estate.objects.get(slug="shengjiceshixiaoqu")
    assert (estate.name, estate.households, estate.green_coverage, estate.land_area) == (
        "升级测试小区",
        368,
        Decimal("39.50"),
        Decimal("199334.00"),
    )
    assert (estate.province.code, estate.city.slug) == ("370000", "linyi")
    assert estate.property_company == PropertyCompany.objects.get(name="升级测试物业公司")
    assert estate.created_at == made["created_at"]
    metric = Metric.objects.get(estate=estate)
    assert (metric.metric_type.code, metric.value, metric.date) == (
        "satisfaction",
        Decimal("97.35"),
        datetime.date(2022, 12, 31),
    )
    assert Mechanism.objects.get(estate=estate).title == "红黄绿三色工作法"
    assert Photo.objects.get(estate=estate).image.name == "photos/shengjiceshixiaoqu/a.jpg"
    nomination = Nomination.objects.get(estate=estate)
    assert (nomination.campaign.slug, nomination.state) == ("shandong-2023", "submitted")
    assert CriterionEvidence.objects.filter(nomination=nomination).count() == 9
    move = NominationTransition.objects.get(nomination=nomination)
    assert (move.from_state, move.to_state, move.actor.username) == (
        "draft",
        "submitted",
        "shengji-tianbao",
    )
    user = StaffProfile.objects.get(province__code="370000", user__username="shengji-tianbao").user
    assert user.check_password("升级前设置的密码")
    assert [h.history_change_reason for h in estate.history.all()] == ["升级前的修改记录"]
    assert Estate.history.count() == seed_history + 1
    # The upgraded database takes new rows, with ids of their own.
    new = Estate.objects.create(
        name="升级之后新建的小区", province=estate.province, city=estate.city
    )
    assert new.pk > estate.pk


def make_rows_with(old):
    """Rows written by the previous release's code (its models, from the migration state)."""
    model = old.get_model
    province = model("estates", "Province").objects.get(code="370000")
    city = model("estates", "City").objects.get(province=province, slug="linyi")
    company = model("estates", "PropertyCompany").objects.create(name="升级测试物业公司")
    estate = model("estates", "Estate").objects.create(
        name="升级测试小区",
        slug="shengjiceshixiaoqu",
        name_pinyin="shengjiceshixiaoqu",
        name_initials="sjcsxq",
        province=province,
        city=city,
        households=368,
        green_coverage=Decimal("39.50"),
        land_area=Decimal("199334.00"),
        property_company=company,
    )
    user = model("auth", "User").objects.create(
        username="shengji-tianbao", password=make_password("升级前设置的密码"), is_staff=True
    )
    model("estates", "StaffProfile").objects.create(user=user, province=province)
    history = model("estates", "HistoricalEstate")
    tracked = {field.attname for field in history._meta.concrete_fields}
    history.objects.create(
        **{
            field.attname: getattr(estate, field.attname)
            for field in model("estates", "Estate")._meta.concrete_fields
            if field.attname in tracked
        },
        history_date=timezone.now(),
        history_type="~",
        history_change_reason="升级前的修改记录",
        history_user=user,
    )
    model("estates", "Metric").objects.create(
        estate=estate,
        metric_type=model("estates", "MetricType").objects.get(code="satisfaction"),
        value=Decimal("97.35"),
        date=datetime.date(2022, 12, 31),
        is_percentage=True,
    )
    model("estates", "Mechanism").objects.create(
        estate=estate,
        mechanism_type=model("estates", "MechanismType").objects.order_by("pk").first(),
        title="红黄绿三色工作法",
    )
    model("estates", "Photo").objects.create(
        estate=estate, image="photos/shengjiceshixiaoqu/a.jpg", caption="小区全景"
    )
    campaign = model("estates", "Campaign").objects.get(slug="shandong-2023")
    nomination = model("estates", "Nomination").objects.create(
        campaign=campaign, estate=estate, state="submitted", submitted_at=timezone.now()
    )
    evidence = model("estates", "CriterionEvidence")
    for criterion in model("estates", "Criterion").objects.filter(campaign=campaign):
        evidence.objects.create(nomination=nomination, criterion=criterion, text="落实情况")
    model("estates", "NominationTransition").objects.create(
        nomination=nomination, from_state="draft", to_state="submitted", actor=user
    )
    return {"created_at": estate.created_at}
