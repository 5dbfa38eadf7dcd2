"""Metric.is_latest, the kept "latest value of its type" flag, always equals its definition
(metric_order_key: undated before/after pairs by sequence, then dated values by date)."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection, connections, transaction

from estates import publication
from estates.models import Estate, Metric, MetricType
from estates.models.profile import metric_order_key
from estates.publication import refresh_all, refresh_latest_metrics

from .builders import make_estate

pytestmark = pytest.mark.django_db


def truth():
    latest = {}
    for metric in sorted(Metric.objects.all(), key=metric_order_key):
        latest[metric.estate_id, metric.metric_type_id] = metric.pk
    return set(latest.values())


def flagged():
    return set(Metric.objects.filter(is_latest=True).values_list("pk", flat=True))


def assert_kept():
    assert flagged() == truth()


@pytest.fixture
def satisfaction():
    return MetricType.objects.get(code="satisfaction")


def add(estate, kind, value, date=None, sequence=0):
    return Metric.objects.create(
        estate=estate, metric_type=kind, value=Decimal(value), date=date, sequence=sequence
    )


def test_the_seed_data_is_kept():
    assert flagged()
    assert_kept()


def test_saves_deletes_and_moves_keep_the_flag(satisfaction):
    estate, other = make_estate(), make_estate()
    before = add(estate, satisfaction, "80", sequence=1)
    after = add(estate, satisfaction, "90", sequence=2)
    assert_kept()
    assert flagged() & {before.pk, after.pk} == {after.pk}
    dated = add(estate, satisfaction, "95", date=datetime.date(2021, 5, 1))
    assert flagged() & {before.pk, after.pk, dated.pk} == {dated.pk}
    older = add(estate, satisfaction, "70", date=datetime.date(2020, 1, 1))
    assert_kept()
    older.date = datetime.date(2022, 1, 1)  # edited to the newest date
    older.save()
    assert flagged() & {dated.pk, older.pk} == {older.pk}
    older.delete()
    assert flagged() & {before.pk, after.pk, dated.pk} == {dated.pk}
    moved = Metric.objects.get(pk=dated.pk)  # loaded, then moved to another estate
    moved.estate = other
    moved.save()
    assert_kept()
    assert Metric.objects.get(pk=after.pk).is_latest


def test_queryset_updates_keep_the_flag(satisfaction):
    estate, other = make_estate(), make_estate()
    first = add(estate, satisfaction, "80", date=datetime.date(2020, 1, 1))
    second = add(estate, satisfaction, "90", date=datetime.date(2021, 1, 1))
    Metric.objects.filter(pk=first.pk).update(date=datetime.date(2022, 1, 1))
    assert flagged() & {first.pk, second.pk} == {first.pk}
    Metric.objects.filter(pk=first.pk).update(estate=other)
    assert_kept()
    assert Metric.objects.get(pk=second.pk).is_latest
    Metric.objects.filter(estate=other).update(source_note="只改说明")  # no refresh needed
    assert_kept()


def test_deleting_the_estate_leaves_nothing_behind(satisfaction):
    estate = make_estate()
    add(estate, satisfaction, "80")
    estate.delete()
    assert_kept()


def test_bulk_inserts_are_kept_by_a_refresh(satisfaction):
    estate = make_estate()
    Metric.objects.bulk_create(
        [
            Metric(estate=estate, metric_type=satisfaction, value=Decimal(v), date=d)
            for v, d in [("70", datetime.date(2020, 1, 1)), ("75", datetime.date(2021, 1, 1))]
        ]
    )
    assert flagged() != truth()  # bulk_create sends no signals
    assert refresh_latest_metrics([estate.pk]) == 1
    assert_kept()
    assert refresh_latest_metrics() == 0  # nothing left to change
    Metric.objects.filter(estate=estate).delete()
    refresh_all()
    assert_kept()


def test_latest_metric_value_reads_the_kept_flag():
    """Admin lists, exports and the notice page read latest values through it."""
    from estates.models.profile import latest_metric_value

    rows = dict(
        Estate.objects.annotate(value=latest_metric_value(code="satisfaction")).values_list(
            "slug", "value"
        )
    )
    assert rows["aozhengchengyuannanqu"] == Decimal("96.55")


def test_a_value_rebuilt_from_history_and_moved_refreshes_both_estates(satisfaction):
    """A history revert builds the row from its record, not from the database."""
    estate, other = make_estate(), make_estate()
    kept = add(estate, satisfaction, "80", date=datetime.date(2020, 1, 1))
    moving = add(estate, satisfaction, "90", date=datetime.date(2021, 1, 1))
    record = moving.history.earliest()
    Metric.objects.filter(pk=moving.pk).update(estate=other)
    assert_kept()
    rebuilt = record.instance  # back to the first estate, as a revert would save it
    rebuilt.estate = other
    Metric.objects.filter(pk=moving.pk).update(estate=estate)
    rebuilt.save()  # moves it from `estate` to `other` without having been loaded
    assert_kept()
    assert Metric.objects.get(pk=kept.pk).is_latest


@pytest.mark.django_db(transaction=True)
def test_two_writers_adding_values_to_one_estate_leave_one_latest():
    """Each transaction refreshes the estate's flags holding its row, so the second sees the
    first's value (without the lock, both would mark their own value latest)."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs one writing transaction at a time")
    call_command("load_seed", verbosity=0)
    satisfaction = MetricType.objects.get(code="satisfaction")
    estate = make_estate()
    both_inserted = threading.Barrier(2, timeout=20)
    errors = []

    def write(year):
        try:
            with transaction.atomic():
                metric = Metric.objects.bulk_create(
                    [
                        Metric(
                            estate=estate,
                            metric_type=satisfaction,
                            value=Decimal("90"),
                            date=datetime.date(year, 1, 1),
                        )
                    ]
                )[0]
                both_inserted.wait()  # neither has committed; each sees only its own row
                publication._metric_changed(Metric, metric)
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(year,)) for year in (2020, 2021)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Metric.objects.filter(estate=estate, is_latest=True).count() == 1
    assert_kept()
