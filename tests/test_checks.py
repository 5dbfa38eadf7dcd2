"""Check constraints validated in one query give exactly Django's own errors."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, models
from django.test.utils import CaptureQueriesContext

from estates.models import Campaign, Estate, KeyFigure, Metric, MetricType

from .builders import beijing, beijing_city, make_estate

pytestmark = pytest.mark.django_db


def errors(validate, instance, exclude=None):
    try:
        validate(instance, exclude=exclude)
    except ValidationError as error:
        return error.message_dict
    return {}


def djangos(instance, exclude=None):
    return errors(models.Model.validate_constraints, instance, exclude)


def ours(instance, exclude=None):
    return errors(type(instance).validate_constraints, instance, exclude)


ESTATE_CASES = [
    {},
    {"households": -1},
    {"households": -1, "residents": -5, "green_coverage": Decimal("150")},
    {"year_built": 1700, "plot_ratio": Decimal("-0.5")},
    {"year_built": datetime.date.today().year + 1},
    {"year_built": datetime.date.today().year, "land_area": Decimal("0")},
    {"households": None, "green_coverage": None, "year_built": None},
    {"floor_area": Decimal("-1"), "buildings": -2, "units": -3},
]


@pytest.mark.parametrize("values", ESTATE_CASES)
def test_estate_errors_are_djangos(values):
    estate = Estate(name="校验小区", slug="jiaoyan", province=beijing(), city=beijing_city())
    for field, value in values.items():
        setattr(estate, field, value)
    assert ours(estate) == djangos(estate)
    expected_failures = sum(
        1
        for field, value in values.items()
        if value is not None
        and (
            (field == "green_coverage" and not 0 <= value <= 100)
            or (field == "year_built" and not 1800 <= value <= datetime.date.today().year)
            or (field not in ("green_coverage", "year_built") and value < 0)
        )
    )
    assert len(ours(estate).get("__all__", [])) == expected_failures


def test_excluded_fields_are_not_checked_as_django_does():
    estate = Estate(name="校验小区", slug="jiaoyan", province=beijing(), city=beijing_city())
    estate.households = -1
    estate.residents = -1
    exclude = {"households"}
    assert ours(estate, exclude) == djangos(estate, exclude)
    assert len(ours(estate, exclude)["__all__"]) == 1


def test_other_models_errors_are_djangos():
    estate = make_estate()
    kind = MetricType.objects.first()
    cases = [
        Metric(estate=estate, metric_type=kind, value=Decimal("-1"), sequence=1),
        Metric(
            estate=estate,
            metric_type=kind,
            value=Decimal("5"),
            date=datetime.date.today() + datetime.timedelta(days=3),
        ),
        KeyFigure(estate=estate, label="监控", quantity=-4, unit="台"),
        Campaign(title="校验活动", slug="jiaoyan", year=1700, level="national"),
    ]
    for instance in cases:
        assert ours(instance) == djangos(instance), instance
        assert ours(instance), instance  # each case breaks at least one rule


def test_one_query_for_all_of_an_estates_checks():
    estate = Estate(name="校验小区", slug="jiaoyan", province=beijing(), city=beijing_city())
    estate.households = -1
    with CaptureQueriesContext(connection) as ours_queries:
        ours(estate)
    with CaptureQueriesContext(connection) as django_queries:
        djangos(estate)
    checks = [q for q in ours_queries.captured_queries if "SAVEPOINT" not in q["sql"]]
    django_checks = [q for q in django_queries.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert len(django_checks) >= 9
    assert len(checks) == len(django_checks) - 8


def test_full_clean_names_the_broken_rule_in_chinese():
    estate = Estate(name="校验小区", slug="jiaoyan", province=beijing(), city=beijing_city())
    estate.green_coverage = Decimal("101")
    with pytest.raises(ValidationError) as caught:
        estate.validate_constraints()
    assert caught.value.messages == ["百分比必须在 0 到 100 之间。"]
