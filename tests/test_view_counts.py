"""View counts stay exact when many visitors read one profile at once."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.management import call_command
from django.db import connections
from django.test import Client

from estates.models import Estate

THREADS = 8
REQUESTS_PER_THREAD = 30


def visit(url):
    client = Client()
    try:
        return [client.get(url).status_code for _ in range(REQUESTS_PER_THREAD)]
    finally:
        connections.close_all()


@pytest.mark.django_db(transaction=True)
def test_concurrent_views_are_all_counted():
    call_command("load_seed", verbosity=0)
    Estate.objects.filter(slug="lijingchangan").update(view_count=0)
    url = "/estates/lijingchangan/"
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        results = list(pool.map(visit, [url] * THREADS))
    statuses = [status for thread in results for status in thread]
    assert statuses == [200] * (THREADS * REQUESTS_PER_THREAD)
    assert Estate.objects.get(slug="lijingchangan").view_count == THREADS * REQUESTS_PER_THREAD
