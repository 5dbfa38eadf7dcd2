"""The page benchmark (bench/pages.py) measures every public URL of the contract: each public
route of the URL resolver — the pages in both languages (showcase/public_urls.py) and the site's
own (showcase/urls.py: sitemap, robots.txt, healthz, covers), not the admin — has an entry in
its list, and every entry answers."""

import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.utils import translation

from .public_pages import open_notice
from .test_covers import add_cover_photo

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[1]


def public_routes(resolver=None, namespace=""):
    """The view name (else the pattern) of every route outside the admin."""
    for entry in (resolver or get_resolver()).url_patterns:
        if str(entry.pattern).startswith("admin/"):
            continue
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from public_routes(entry, inner)
        elif isinstance(entry, URLPattern):
            yield f"{namespace}{entry.name}" if entry.name else str(entry.pattern)


def route_of(url):
    """The view name (else the pattern) that answers url, in the language of its prefix."""
    path = urlsplit(url).path
    with translation.override(translation.get_language_from_path(path) or "zh-hans"):
        match = resolve(path)
    return match.view_name if match.url_name else match.route


@pytest.fixture
def bench_pages():
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import pages
    finally:
        sys.path.remove(str(ROOT / "bench"))
    return pages


@pytest.fixture
def every_kind_of_page():
    """The seed with what it lacks: a campaign on notice and an estate with a cover photo."""
    open_notice()
    add_cover_photo("lijingchangan")


def test_walk_finds_the_public_routes():
    routes = set(public_routes())
    assert {
        "showcase:home",
        "showcase:mechanism_detail",
        "showcase:feed",
        "sitemap",
        "sitemap_section",
        "robots_txt",
        "healthz",
        "estate_cover",
    } <= routes
    assert not [route for route in routes if route.startswith("admin") or "view_on_site" in route]


def test_every_public_route_has_an_entry_in_the_benchmark(bench_pages, every_kind_of_page):
    measured = {route_of(url) for _name, url in bench_pages.public_pages()}
    assert sorted(set(public_routes()) - measured) == []


def test_a_route_without_an_entry_is_found_missing(bench_pages, every_kind_of_page):
    entries = bench_pages.public_pages()
    without_feed = [(name, url) for name, url in entries if route_of(url) != "showcase:feed"]
    assert len(without_feed) == len(entries) - 1
    measured = {route_of(url) for _name, url in without_feed}
    assert sorted(set(public_routes()) - measured) == ["showcase:feed"]


def test_every_benchmark_entry_answers(client, bench_pages, every_kind_of_page):
    entries = bench_pages.public_pages()
    assert len({name for name, _url in entries}) == len(entries)  # results are keyed by name
    for name, url in entries:
        response = bench_pages.get(client, url)
        assert response.status_code == 200, (name, url)
    english = [url for name, url in entries if name.endswith("English")]
    assert english and all(url.startswith("/en/") for url in english)
