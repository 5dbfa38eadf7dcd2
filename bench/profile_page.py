"""Where one page spends its time: its SQL statements with their durations, then the Python
functions that took longest (cProfile), for a warm request.

Usage: python bench/profile_page.py URL [--admin] [--after-change] [--top N] [--sort tottime]
Set CACHE_URL=dummy:// to profile the page as rendered from the database.
"""

import argparse
import cProfile
import io
import os
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "showcase.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from pages import BROWSER, get  # noqa: E402

from showcase.cache import bump  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--admin", action="store_true", help="as a ministry superuser")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument(
        "--sort", default="cumulative", help="cProfile order: cumulative, tottime, ncalls…"
    )
    parser.add_argument(
        "--after-change",
        action="store_true",
        help="as the first request after a change (the content version moved on)",
    )
    args = parser.parse_args()
    changed = bump if args.after_change else (lambda: None)
    client = Client(**BROWSER)
    if args.admin:
        user, _ = get_user_model().objects.get_or_create(
            username="bench-admin", defaults={"is_staff": True, "is_superuser": True}
        )
        client.force_login(user)
    for _ in range(3):
        status = client.get(args.url).status_code
    if status != 200:
        raise SystemExit(f"{args.url} answered {status}")
    changed()
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        get(client, args.url)
        total = (time.perf_counter() - started) * 1000
    sql_ms = sum(float(q["time"]) for q in queries) * 1000
    print(f"{args.url}: {total:.1f} ms, {len(queries)} queries taking {sql_ms:.1f} ms\n")
    for query in sorted(queries, key=lambda q: -float(q["time"])):
        print(f"{float(query['time']) * 1000:8.1f} ms  {query['sql'][:300]}")
    changed()
    profiler = cProfile.Profile()
    profiler.enable()
    get(client, args.url)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats(args.sort).print_stats(args.top)
    print(out.getvalue())


if __name__ == "__main__":
    main()
