"""Server time and SQL queries per page, measured in-process on the current database.

Usage: python bench/pages.py [--requests N] [--only public|admin]; prints one JSON line.

Each page is requested a few times to warm the process (imports, template loading, the
database's own caches), then N more times; the time is the Django handler's, from request to
rendered response, without a network. Whether the page cache takes part is the runner's
choice: CACHE_URL=dummy:// measures every request rendered from the database.
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "showcase.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count, Q  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import translation  # noqa: E402

from estates.enums import CampaignPhase  # noqa: E402
from estates.models import Campaign, Estate, MechanismType, Nomination  # noqa: E402
from showcase.cache import bump, forget_version  # noqa: E402
from showcase.models import PublicStatistics  # noqa: E402
from showcase.sitemaps import URLS_PER_FILE, I18nSitemap  # noqa: E402
from showcase.views import ESTATES_PER_PAGE  # noqa: E402

WARMUP = 3
ESTATES_PER_SITEMAP_FILE = URLS_PER_FILE // len(I18nSitemap.languages)
# What a browser sends with every request: the open-data files then come as their gzip copies.
BROWSER = {"HTTP_USER_AGENT": "bench", "HTTP_HOST": "localhost", "HTTP_ACCEPT_ENCODING": "gzip"}
MIN_REQUESTS = 5
TIME_BUDGET = 20  # seconds per page


def public_pages():
    """(name, url) of every public page of the URL contract, picked from the data so every size
    has them (tests/test_bench_covers_public_urls.py fails when a public route is missing).
    A page the data has nothing for (a cover photo, a campaign on notice) is left out."""
    published = Estate.objects.published()
    count = published.count()
    estate = published.order_by("pk")[count // 2]
    # The newest published national round that selected anyone (the home page's).
    campaign = (
        Campaign.objects.filter(
            phase=CampaignPhase.PUBLISHED, level="national", nominations__state="selected"
        )
        .order_by("-year", "-pk")
        .first()
    )
    province = (
        Nomination.objects.filter(campaign=campaign, state="selected")
        .values_list("estate__province__slug", flat=True)
        .order_by("estate__province__display_order")
        .first()
    )
    on_notice = (
        Campaign.objects.filter(phase=CampaignPhase.NOTICE).order_by("-year", "slug").first()
    )
    # The kind of mechanism the most published estates use: the longest mechanism page.
    kind = (
        MechanismType.objects.annotate(
            users=Count(
                "mechanisms__estate",
                filter=Q(mechanisms__estate__is_published=True),
                distinct=True,
            )
        )
        .order_by("-users", "pk")
        .first()
    )
    with_photo = published.filter(photos__is_cover=True).order_by("pk").first()
    # A two-character name part, the most common length of a Chinese search.
    word = estate.name[:2]
    initials = estate.name_initials[:2]
    estates_files = (count + ESTATES_PER_SITEMAP_FILE - 1) // ESTATES_PER_SITEMAP_FILE
    mechanism = reverse("showcase:mechanism_detail", args=[kind.slug])
    pages = [
        ("home", reverse("showcase:home")),
        ("list", reverse("showcase:estate_list")),
        ("list page 50", reverse("showcase:estate_list") + "?page=50"),
        ("search by name", reverse("showcase:estate_list") + f"?q={word}"),
        ("search by initials", reverse("showcase:estate_list") + f"?q={initials}"),
        (
            "filter",
            reverse("showcase:estate_list")
            + f"?province={estate.province.slug}&type={estate.estate_type}",
        ),
        ("profile", estate.get_absolute_url()),
        ("cover card", reverse("estate_cover", args=[estate.slug])),
        ("cover card, small", reverse("estate_cover_small", args=[estate.slug])),
        ("campaigns", reverse("showcase:campaign_list")),
        ("campaign", reverse("showcase:campaign_detail", args=[campaign.slug])),
        (
            "province feature",
            reverse("showcase:province_feature", args=[campaign.slug, province]),
        ),
        ("mechanisms", reverse("showcase:mechanism_list")),
        ("mechanism", mechanism),
        ("mechanism page 2", mechanism + "?page=2"),
        ("mechanism, last page", mechanism + f"?page={-(-kind.users // ESTATES_PER_PAGE)}"),
        ("stats", reverse("showcase:stats")),
        ("data page", reverse("showcase:data")),
        ("open data JSON", reverse("showcase:data_json")),
        ("open data CSV", reverse("showcase:data_csv")),
        ("open data XLSX", reverse("showcase:data_xlsx")),
        ("feed", reverse("showcase:feed")),
        ("sitemap index", reverse("sitemap")),
        (
            "sitemap estates file",
            reverse("sitemap_section", args=["estates"]) + f"?p={max(1, estates_files // 2)}",
        ),
        ("robots.txt", reverse("robots_txt")),
        ("healthz", reverse("healthz")),
    ]
    if with_photo is not None:
        pages.append(("cover photo", reverse("estate_photo_cover", args=[with_photo.slug])))
    if on_notice is not None:
        pages.append(("notice", reverse("showcase:campaign_notice", args=[on_notice.slug])))
        pages.append(
            ("objection lookup", reverse("showcase:objection_lookup", args=[on_notice.slug]))
        )
    # The English site: the same views under /en/.
    with translation.override("en"):
        pages.append(("profile, English", estate.get_absolute_url()))
        pages.append(
            (
                "mechanism page 2, English",
                reverse("showcase:mechanism_detail", args=[kind.slug]) + "?page=2",
            )
        )
    return pages


def admin_pages():
    estate = Estate.objects.order_by("pk")[Estate.objects.count() // 2]
    nomination = Nomination.objects.order_by("pk").first()
    return [
        ("admin estate list", reverse("admin:estates_estate_changelist")),
        ("admin estate search", reverse("admin:estates_estate_changelist") + "?q=" + estate.name),
        ("admin estate form", reverse("admin:estates_estate_change", args=[estate.pk])),
        ("admin nomination list", reverse("admin:estates_nomination_changelist")),
        ("admin nomination form", reverse("admin:estates_nomination_change", args=[nomination.pk])),
    ]


def get(client, url):
    """The whole response, its body read to the end (a file is streamed, not rendered)."""
    response = client.get(url)
    if response.streaming:
        response.streamed = b"".join(response.streaming_content)
    return response


def measure(client, url, requests, before_each=None):
    """p50 / p95 of `requests` timed requests; `before_each()` runs untimed before each."""

    def request():
        response = get(client, url)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")

    return timed(request, requests, before_each)


def timed(call, requests, before_each=None):
    """p50 / p95 of `requests` timed calls after a warm-up, and the queries of one more."""
    for _ in range(WARMUP if requests > MIN_REQUESTS else 1):
        call()
    times = []
    budget = time.perf_counter() + TIME_BUDGET
    # A page slower than the budget allows is measured fewer times (never under MIN_REQUESTS);
    # the count is reported beside its figures.
    while len(times) < requests and (len(times) < MIN_REQUESTS or time.perf_counter() < budget):
        if before_each:
            before_each()
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    if before_each:
        before_each()
    # The content version is read at most once a second; read it in the counted request
    # always, so the count does not depend on how long the page took.
    forget_version()
    with CaptureQueriesContext(connection) as queries:
        call()
    times.sort()
    return {
        "p50_ms": round(statistics.median(times), 2),
        "p95_ms": round(times[max(0, round(0.95 * len(times)) - 1)], 2),
        "queries": len(queries),
        "requests": len(times),
    }


def refresh_stats_figures():
    """What a change costs its writer once it commits: the stats page's figures computed
    again and stored (showcase/statistics.py)."""
    from showcase import statistics as figures

    # The same figures written over themselves: the row's version stays as it was.
    PublicStatistics.objects.filter(pk=figures.ROW).update(figures=figures.compute())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--only", choices=["public", "admin"])
    args = parser.parse_args()
    results = {}
    if args.only != "admin":
        client = Client(**BROWSER)
        # Addresses in the default language: a request for an English page leaves English
        # active in this thread.
        with translation.override(settings.LANGUAGE_CODE):
            pages = public_pages()
            # Pages whose first request after a change may pay for something kept for the
            # next: the open-data file (built once per change of the published data, then
            # served as a file), and the statistics' figures the campaigns page and the sitemap
            # index read (the campaigns' counts, the province features; kept with the figures
            # by the refresh after a change, showcase/statistics.py).
            first_after_a_change = [
                ("open data JSON", reverse("showcase:data_json")),
                ("campaigns", reverse("showcase:campaign_list")),
                ("sitemap index", reverse("sitemap")),
            ]
        for name, url in pages:
            results[name] = {"url": url, **measure(client, url, args.requests)}
        for name, url in first_after_a_change:
            results[f"{name}, first after a change"] = {
                "url": url,
                **measure(client, url, args.requests, before_each=bump),
            }
        # Not a page: the writer's cost, after each change, of the stats page's figures.
        results["stats figures, refreshed after a change"] = {
            "url": "",
            **timed(refresh_stats_figures, args.requests),
        }
    if args.only != "public":
        user, _ = get_user_model().objects.get_or_create(
            username="bench-admin", defaults={"is_staff": True, "is_superuser": True}
        )
        client = Client(**BROWSER)
        client.force_login(user)
        for name, url in admin_pages():
            results[name] = {"url": url, **measure(client, url, args.requests)}
    print(json.dumps(results, ensure_ascii=False))


if __name__ == "__main__":
    main()
