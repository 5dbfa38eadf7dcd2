"""View counts: exact when many visitors read one profile at once, written in batches."""

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.management import call_command
from django.db import connections
from django.test import Client

from estates.models import Estate
from showcase import viewcounts

from .html import parse

pytestmark = pytest.mark.django_db

THREADS = 8
REQUESTS_PER_THREAD = 30


def visit(url):
    client = Client()
    try:
        return [client.get(url).status_code for _ in range(REQUESTS_PER_THREAD)]
    finally:
        connections.close_all()


def views(slug):
    return Estate.objects.get(slug=slug).view_count


def shown(client, url):
    return parse(client.get(url).content).find(class_="views").clean_text()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("interval", [0, 3600], ids=["every view", "batched"])
def test_concurrent_views_are_all_counted(settings, interval):
    settings.VIEW_COUNT_FLUSH_SECONDS = interval
    call_command("load_seed", verbosity=0)
    Estate.objects.filter(slug="lijingchangan").update(view_count=0)
    url = "/estates/lijingchangan/"
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        results = list(pool.map(visit, [url] * THREADS))
    statuses = [status for thread in results for status in thread]
    assert statuses == [200] * (THREADS * REQUESTS_PER_THREAD)
    viewcounts.flush()
    assert views("lijingchangan") == THREADS * REQUESTS_PER_THREAD
    assert viewcounts.pending() == 0


@pytest.mark.django_db(transaction=True)
def test_flushes_from_several_processes_add_up(settings):
    """Each process adds its own views to what the database holds, never overwriting views
    another process wrote meanwhile."""
    settings.VIEW_COUNT_FLUSH_SECONDS = 3600
    call_command("load_seed", verbosity=0)
    Estate.objects.filter(slug="lijingchangan").update(view_count=5)
    client = Client()
    for _ in range(3):
        client.get("/estates/lijingchangan/")
    assert views("lijingchangan") == 5  # not written yet
    Estate.objects.filter(slug="lijingchangan").update(view_count=100)  # another process
    assert viewcounts.flush() == 3
    assert views("lijingchangan") == 103


def test_views_wait_for_the_interval_then_are_written(client, settings, monkeypatch):
    settings.VIEW_COUNT_FLUSH_SECONDS = 10
    Estate.objects.filter(slug="xichanganyihao").update(view_count=0)
    viewcounts.flush()  # starts the interval now
    clock = [viewcounts.time.monotonic()]
    monkeypatch.setattr(viewcounts.time, "monotonic", lambda: clock[0])
    url = "/estates/xichanganyihao/"
    assert shown(client, url) == "查看 1 次"
    assert shown(client, url) == "查看 2 次"
    assert views("xichanganyihao") == 0
    clock[0] += 10
    assert shown(client, url) == "查看 3 次"
    assert views("xichanganyihao") == 3
    assert viewcounts.pending() == 0


def test_a_failed_write_keeps_the_views(client, settings, monkeypatch):
    settings.VIEW_COUNT_FLUSH_SECONDS = 3600
    Estate.objects.filter(slug="xichanganyihao").update(view_count=0)
    client.get("/estates/xichanganyihao/")
    client.get("/estates/xichanganyihao/")

    def broken(*args, **kwargs):
        raise RuntimeError("database gone")

    with monkeypatch.context() as patch:
        patch.setattr(viewcounts.Estate.objects, "filter", broken)
        assert viewcounts.flush() == 0
    assert viewcounts.pending() == 2
    assert viewcounts.flush() == 2
    assert views("xichanganyihao") == 2


def test_a_failed_read_after_the_write_does_not_count_twice(client, settings, monkeypatch):
    settings.VIEW_COUNT_FLUSH_SECONDS = 3600
    Estate.objects.filter(slug="xichanganyihao").update(view_count=0)
    client.get("/estates/xichanganyihao/")

    def broken(*args, **kwargs):
        raise RuntimeError("connection lost")

    with monkeypatch.context() as patch:
        patch.setattr(viewcounts.Estate.objects.none().__class__, "values_list", broken)
        assert viewcounts.flush() == 1
    assert viewcounts.pending() == 0
    assert viewcounts.flush() == 0
    assert views("xichanganyihao") == 1


def test_views_follow_the_estate_when_its_slug_changes(client, settings):
    settings.VIEW_COUNT_FLUSH_SECONDS = 3600
    estate = Estate.objects.get(slug="xichanganyihao")
    Estate.objects.filter(pk=estate.pk).update(view_count=0)
    client.get("/estates/xichanganyihao/")
    estate.slug = "xichanganyihao-renamed"
    estate.save()
    assert viewcounts.flush() == 1
    assert Estate.objects.get(pk=estate.pk).view_count == 1


def test_many_estates_are_written_in_batches(client, settings, monkeypatch):
    settings.VIEW_COUNT_FLUSH_SECONDS = 3600
    monkeypatch.setattr(viewcounts, "BATCH", 2)
    slugs = list(Estate.objects.published().values_list("slug", flat=True))
    assert len(slugs) >= 3
    Estate.objects.update(view_count=0)
    for times, slug in enumerate(slugs, 1):
        for _ in range(times):
            client.get(f"/estates/{slug}/")
    assert viewcounts.flush() == sum(range(1, len(slugs) + 1))
    counts = dict(Estate.objects.values_list("slug", "view_count"))
    assert [counts[slug] for slug in slugs] == list(range(1, len(slugs) + 1))


@pytest.mark.django_db(transaction=True)
def test_the_background_thread_writes_without_further_requests(settings):
    """gunicorn starts it in every worker: an idle worker's views still reach the database."""
    settings.VIEW_COUNT_FLUSH_SECONDS = 0.2
    call_command("load_seed", verbosity=0)
    Estate.objects.filter(slug="lijingchangan").update(view_count=0)
    viewcounts.start_timer()
    try:
        client = Client()
        for _ in range(3):
            assert client.get("/estates/lijingchangan/").status_code == 200
        for _ in range(50):
            if views("lijingchangan") == 3:
                break
            time.sleep(0.1)
        assert views("lijingchangan") == 3
        assert viewcounts.pending() == 0
    finally:
        viewcounts.stop_timer()
        connections.close_all()


@pytest.mark.parametrize(("version_seconds", "queries"), [(0, 1), (1, 0)])
def test_a_cached_profile_reads_at_most_the_content_version(
    client, settings, django_assert_num_queries, version_seconds, queries
):
    """Counting the view writes nothing in the request; only the content version may be
    read (on every request when PAGE_CACHE_VERSION_SECONDS is 0)."""
    settings.VIEW_COUNT_FLUSH_SECONDS = 3600
    settings.PAGE_CACHE_VERSION_SECONDS = version_seconds
    url = "/estates/xichanganyihao/"
    client.get(url)
    with django_assert_num_queries(queries):
        response = client.get(url)
    assert response["X-Page-Cache"] == "hit"
