"""The synthetic data the benchmarks run on is realistic enough to mean something."""

import pytest
from django.core.management import call_command

from estates.enums import NominationState
from estates.models import Estate, Metric, Nomination

pytestmark = pytest.mark.django_db


def test_generate_synthetic_makes_estates_with_profiles_and_nominations_in_every_state():
    before = Estate.objects.count()
    call_command("generate_synthetic", estates=120, seed=7, stdout=None, stderr=None)
    synthetic = Estate.objects.filter(slug__contains="-s")
    assert Estate.objects.count() - before == 120 == synthetic.count()
    assert Metric.objects.filter(estate__in=synthetic).count() == 120 * 6
    states = set(Nomination.objects.filter(estate__in=synthetic).values_list("state", flat=True))
    assert states == set(NominationState.values)
    published = Estate.objects.published().filter(pk__in=synthetic)
    assert 0 < published.count() < 120
    assert synthetic.values("province").distinct().count() > 10


def test_generate_synthetic_is_repeatable():
    call_command("generate_synthetic", estates=20, seed=3)
    synthetic = Estate.objects.filter(slug__contains="-s").order_by("pk")
    first = list(synthetic.values_list("name", "households", "city__slug"))
    Nomination.objects.filter(estate__in=synthetic).delete()
    synthetic.delete()
    call_command("generate_synthetic", estates=20, seed=3)
    second = list(synthetic.values_list("name", "households", "city__slug"))
    assert second == first
