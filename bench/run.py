"""The benchmark runner: `make bench` (full) or `make bench-smoke` (tiny, for CI).

For each database (SQLite always; PostgreSQL when it answers) and each size it builds a fresh
database with `manage.py generate_synthetic`, then runs every case in its own process and
records its wall time and peak memory (the child's maximum resident set). Each case of the
portal is measured beside its floor: the least code doing the same work. Results go to
bench/results.json (raw) and BENCHMARKS.md (tables), with the machine and versions.
"""

import argparse
import csv
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import serve

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
PG_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/showcase_bench")


def run_measured(args, env):
    """Run a child process; return (its JSON output, its own peak memory in MiB)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=out, stderr=err)
        # wait4 reaps this very child and reports its resource use, peak memory included.
        _pid, status, usage = os.wait4(process.pid, 0)
        if os.waitstatus_to_exitcode(status):
            err.seek(0)
            raise SystemExit(f"{' '.join(map(str, args))} failed:\n{err.read().decode()[-2000:]}")
        out.seek(0)
        output = out.read().decode()
    return json.loads(output.strip().splitlines()[-1]), usage.ru_maxrss / 1024


def manage(env, *args):
    subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def database_env(kind, workdir, name=None):
    """A fresh, empty database of this kind: the SQLite file or PostgreSQL database `name`
    (by default the benchmark's own)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL",)}
    env["DJANGO_DEBUG"] = "1"
    if kind == "sqlite":
        path = Path(workdir) / f"{name or 'bench'}.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        env["SQLITE_PATH"] = str(path)
    else:
        name = name or PG_URL.rsplit("/", 1)[1]
        admin = PG_URL.rsplit("/", 1)[0]
        subprocess.run(
            ["dropdb", "--if-exists", "-h", "127.0.0.1", "-U", "postgres", name], check=True
        )
        subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name], check=True)
        env["DATABASE_URL"] = f"{admin}/{name}"
    return env


def postgres_available():
    return subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1"], check=False).returncode == 0


def import_file(path, rows):
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["小区名称", "网址标识", "省份", "城市", "户数（户）", "业主满意度（%）"])
        for i in range(rows):
            writer.writerow(
                [f"导入测试小区{i}", "", "山东省", "临沂市", f"{100 + i % 900}户", "96.55%"]
            )


def profile_slowest(database, size, env, pages, count=2):
    """cProfile and SQL of the `count` slowest public pages rendered at this size
    (bench/profile_page.py), as text for the report."""
    rendered = [
        r
        for r in pages
        if r["database"] == database
        and r["estates"] == size
        and r["mode"] == "rendered"
        and not r["page"].startswith("admin")
        and r["url"]  # a page, not the stats figures' refresh
    ]
    profiles = []
    for page in sorted(rendered, key=lambda r: -r["p95_ms"])[:count]:
        args = [PYTHON, "bench/profile_page.py", page["url"], "--top", "30"]
        if "after a change" in page["page"]:
            args.append("--after-change")
        output = subprocess.run(
            args,
            cwd=ROOT,
            env={**env, "CACHE_URL": "dummy://"},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        output = tidy_paths(output)
        profiles.append(
            {"database": database, "estates": size, "page": page["page"], "text": output}
        )
    return profiles


def measure(sizes, import_rows, databases, page_requests, wrk_seconds):
    results, pages, throughput, profiles = [], [], [], []
    with tempfile.TemporaryDirectory() as workdir:
        # Pages are timed with production settings (DEBUG off, collected static files).
        static_root = Path(workdir) / "static"
        manage(
            serve.production_env(database_env("sqlite", workdir, "static"), static_root),
            "collectstatic",
            "--noinput",
        )
        for database in databases:
            for size in sizes:
                env = database_env(database, workdir)
                manage(env, "migrate", "--noinput")
                started = time.perf_counter()
                manage(env, "generate_synthetic", "--estates", str(size))
                print(
                    f"[{database}] {size} estates generated in {time.perf_counter() - started:.1f}s"
                )
                for mode, cache_url in (("rendered", "dummy://"), ("cached", "")):
                    output, _peak = run_measured(
                        [PYTHON, "bench/pages.py", "--requests", str(page_requests)],
                        {**serve.production_env(env, static_root), "CACHE_URL": cache_url},
                    )
                    for page, figures in output.items():
                        pages.append(
                            {"database": database, "estates": size, "mode": mode, "page": page}
                            | figures
                        )
                    print(f"  pages ({mode}): measured {len(output)}")
                if size == sizes[-1]:
                    slowest = profile_slowest(
                        database, size, serve.production_env(env, static_root), pages
                    )
                    profiles += slowest
                    print(f"  profiled the slowest pages: {', '.join(p['page'] for p in slowest)}")
                if size == sizes[-1] and serve.wrk_available():
                    throughput.extend(measure_throughput(database, size, env, wrk_seconds))
                for fmt in ("xlsx", "csv"):
                    for case in ("export_app", "export_floor", "export_floor_full"):
                        path = Path(workdir) / f"{case}.{fmt}"
                        output, peak = run_measured([PYTHON, "bench/case.py", case, str(path)], env)
                        results.append(
                            {
                                "database": database,
                                "estates": size,
                                "case": case,
                                "format": fmt,
                                "rows": output["rows"],
                                "seconds": round(output["seconds"], 3),
                                "peak_mib": round(peak, 1),
                            }
                        )
                        print(f"  {case} {fmt}: {output['seconds']:.2f}s, {peak:.0f} MiB")
                if size == sizes[-1]:
                    source = Path(workdir) / "import.csv"
                    import_file(source, import_rows)
                    for case in ("import_app", "import_floor"):
                        output, peak = run_measured(
                            [PYTHON, "bench/case.py", case, str(source)], env
                        )
                        results.append(
                            {
                                "database": database,
                                "estates": size,
                                "case": case,
                                "format": "csv",
                                "rows": output["rows"],
                                "seconds": round(output["seconds"], 3),
                                "peak_mib": round(peak, 1),
                            }
                        )
                        print(f"  {case}: {output['seconds']:.2f}s, {peak:.0f} MiB")
                        if case == "import_app":
                            # The floor imports into the same state the portal started from.
                            manage(
                                env,
                                "shell",
                                "-c",
                                "from estates.models import Estate; "
                                "Estate.objects.filter(name__startswith='导入测试小区').delete()",
                            )
    return results, pages, throughput, profiles


def seed_slugs():
    """The estates of the seed data (fixtures/estates.json), which every database holds."""
    items = json.loads((ROOT / "fixtures" / "estates.json").read_text(encoding="utf-8"))
    return [item["fields"]["slug"] for item in items if item["model"] == "estates.estate"]


def turn_seconds(seconds, turns=3):
    """The whole wrk time split into turns of at least a second."""
    return [max(1, seconds // turns)] * turns


def measure_throughput(database, size, env, seconds):
    """Requests per second under gunicorn (2 workers) driven by wrk on loopback, for the list
    and a profile, from the page cache and rendered every time, beside a static file of the
    same size served by the same gunicorn and WhiteNoise in the same run."""
    rows = []
    probe = {**env, "CACHE_URL": "dummy://"}
    with serve.gunicorn(probe) as base:
        # The seed's largest profile: the real estate with most to show (the nomination
        # report's sections, charts, photos), not a synthetic one.
        sizes = {}
        for slug in seed_slugs():
            try:
                sizes[slug] = len(serve.fetch(base + f"/estates/{slug}/"))
            except OSError:  # not published in this database
                continue
        slug = max(sizes, key=sizes.get)
    paths = {"list": "/estates/", "profile": f"/estates/{slug}/"}
    print(f"  throughput: the seed's largest profile is /estates/{slug}/ ({sizes[slug]:,} bytes)")
    for mode, cache_url in (("cached", ""), ("rendered", "dummy://")):
        with tempfile.TemporaryDirectory():
            sizes = {}
            with serve.gunicorn({**env, "CACHE_URL": cache_url}) as base:
                for page, path in paths.items():
                    sizes[page] = len(serve.fetch(base + path))
            statics = {f"bench-{page}.html": b"x" * n for page, n in sizes.items()}
            with serve.gunicorn({**env, "CACHE_URL": cache_url}, static_files=statics) as base:
                for page, path in paths.items():
                    static_url = base + f"/static/bench-{page}.html"
                    # Warm-up: every worker thread loads its code, connects, fills its cache.
                    serve.wrk(base + path, seconds=2)
                    serve.wrk(static_url, seconds=1)
                    # Page and static file take turns, so a slow spell of a shared machine
                    # falls on both alike.
                    turns = [
                        (serve.wrk(base + path, seconds=turn), serve.wrk(static_url, seconds=turn))
                        for turn in turn_seconds(seconds)
                    ]
                    served = serve.combine([page_run for page_run, _ in turns])
                    static = serve.combine([static_run for _, static_run in turns])
                    rows.append(
                        {
                            "database": database,
                            "estates": size,
                            "page": page,
                            "path": path,
                            "mode": mode,
                            "bytes": sizes[page],
                            "page_rps": served["requests_per_second"],
                            "static_rps": static["requests_per_second"],
                            "ratio": round(
                                served["requests_per_second"] / static["requests_per_second"], 3
                            ),
                            "page_p99_ms": served["p99_ms"],
                            "errors": served["socket_errors"] + served["non_2xx_3xx"],
                        }
                    )
                    print(
                        f"  wrk {page} ({mode}): {served['requests_per_second']:.0f} req/s, "
                        f"static {static['requests_per_second']:.0f} req/s"
                    )
    return rows


def machine():
    import sqlite3

    import django

    versions = {
        "python": platform.python_version(),
        "django": django.get_version(),
        "sqlite": sqlite3.sqlite_version,
    }
    if postgres_available():
        server = subprocess.run(
            ["psql", "-h", "127.0.0.1", "-U", "postgres", "-tAc", "SHOW server_version"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        versions["postgresql"] = f"PostgreSQL {server.split()[0]}" if server else None
    try:
        import openpyxl

        versions["openpyxl"] = openpyxl.__version__
    except ImportError:
        pass
    return {
        "date": time.strftime("%Y-%m-%d"),
        "cpus": os.cpu_count(),
        "cpu": cpu_model(),
        "platform": platform.platform(),
        **versions,
    }


def cpu_model():
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor() or "unknown"
    found = re.search(r"^model name\s*:\s*(.+)$", text, re.M)
    return found.group(1).strip() if found else "unknown"


def ratio(results, row, floor_case):
    floor = next(
        (
            r
            for r in results
            if r["database"] == row["database"]
            and r["estates"] == row["estates"]
            and r["case"] == floor_case
            and r["format"] == row["format"]
        ),
        None,
    )
    return f"{row['seconds'] / floor['seconds']:.1f}×" if floor and floor["seconds"] else "—"


def page_tables(pages):
    """Markdown: server time per page (rendered and from the page cache) by size, and the
    queries each page ran at each size, which must not grow with the data."""
    lines = []
    for database in sorted({r["database"] for r in pages}, key=["sqlite", "postgres"].index):
        rows = [r for r in pages if r["database"] == database]
        sizes = sorted({r["estates"] for r in rows})
        names = list(dict.fromkeys(r["page"] for r in rows))
        lines += [
            "",
            f"### {database}",
            "",
            "| page | "
            + " | ".join(f"{n:,} rendered p50 / p95 ms" for n in sizes)
            + f" | {sizes[-1]:,} cached p95 ms | queries at "
            + " / ".join(f"{n:,}" for n in sizes)
            + " |",
            "|---|" + "---:|" * (len(sizes) + 2),
        ]
        for name in names:

            def find(size, mode, name=name, rows=rows):
                return next(
                    (
                        r
                        for r in rows
                        if r["page"] == name and r["estates"] == size and r["mode"] == mode
                    ),
                    None,
                )

            cells = []
            for size in sizes:
                found = find(size, "rendered")
                cells.append(f"{found['p50_ms']:.1f} / {found['p95_ms']:.1f}" if found else "—")
            cached = find(sizes[-1], "cached")
            queries = [find(size, "rendered") for size in sizes]
            counts = [str(q["queries"]) if q else "—" for q in queries]
            flag = "" if len(set(counts)) == 1 else " **grows**"
            lines.append(
                f"| {name} | "
                + " | ".join(cells)
                + (f" | {cached['p95_ms']:.1f} | " if cached else " | — | ")
                + " / ".join(counts)
                + flag
                + " |"
                if cached
                else f"| {name} | " + " | ".join(cells) + " | — | " + " / ".join(counts) + " |"
            )
    return lines


def throughput_table(throughput):
    lines = [
        "| database | estates | page | mode | bytes | page req/s | static req/s | ratio | "
        "page p99 ms | errors |",
        "|---|---:|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in throughput:
        lines.append(
            f"| {r['database']} | {r['estates']:,} | {r['page']} | {r['mode']} | {r['bytes']:,} "
            f"| {r['page_rps']:.0f} | {r['static_rps']:.0f} | {r['ratio']:.2f} | "
            f"{r['page_p99_ms']} | {r['errors']} |"
        )
    return lines


PROFILE_LINES = 60  # of a profile, in the report (the whole one is in results.json)
# Where a profile names a file: the project's own, an installed package's or the standard
# library's, without the folders of the machine it ran on.
PATH_PREFIXES = [
    (re.compile(r"\S*/site-packages/"), ""),
    (re.compile(r"\S*/lib/python3\.\d+/"), "python/"),
    (re.compile(r"\S*?/((?:bench|showcase|estates)/\S+\.py)"), r"\1"),
]


def tidy_paths(text):
    for pattern, replacement in PATH_PREFIXES:
        text = pattern.sub(replacement, text)
    return text


def profile_section(profiles):
    lines = []
    for profile in profiles:
        text = "\n".join(
            line.rstrip()[:150]
            for line in tidy_paths(profile["text"]).strip().splitlines()[:PROFILE_LINES]
        )
        lines += [
            "",
            f"### {profile['database']}, {profile['estates']:,} estates: {profile['page']}",
            "",
            "```",
            text,
            "```",
        ]
    return lines


PAGE_GOAL_MS = 50  # p95 of every public page, rendered, at the largest size on PostgreSQL
RENDERED_PROFILE_GOAL = 0.10  # the seed's largest profile, rendered, ÷ a static file
HIT_RATIO_GOAL = 0.99  # public pages answered from the cache while drafts are saved
IMPORT_GOAL_SECONDS = 20  # 10,000 new estates into the largest registry, PostgreSQL
EXPORT_GOALS = {"xlsx": 2, "csv": 3}  # × the plain writer's floor


def read_json(name):
    path = ROOT / "bench" / name
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def is_public_page(name):
    return not (
        name.startswith("admin ") or "first after a change" in name or name.startswith("stats fig")
    )


def targets_section(results, pages, throughput, load_runs, cluster):
    """The round's goals beside what this run measured, each met or not."""

    def mark(ok):
        return "met" if ok else "**not met**"

    lines = [
        "## Goals and this run",
        "",
        "| goal | measured | |",
        "|---|---|---|",
    ]
    for run_ in load_runs or []:
        ratio_ = run_.get("hit_ratio_during_drafts")
        if ratio_ is None:  # a report from before the load test measured it
            continue
        lines.append(
            f"| public pages from the cache while a clerk saves drafts ≥ {HIT_RATIO_GOAL:.0%} "
            f"({run_['database']}, load test) | {ratio_:.2%} | {mark(ratio_ >= HIT_RATIO_GOAL)} |"
        )
    for r in throughput:
        if r["page"] != "profile":
            continue
        goal = RENDERED_PROFILE_GOAL if r["mode"] == "rendered" else None
        lines.append(
            f"| the seed's largest profile ({r.get('path', '')}), {r['mode']}, ÷ a static file "
            f"of its size{f' ≥ {goal:.2f}' if goal else ''} ({r['database']}, "
            f"{r['estates']:,}) | {r['ratio']:.3f} ({r['page_rps']:.0f} ÷ "
            f"{r['static_rps']:.0f} req/s) | {mark(r['ratio'] >= goal) if goal else ''} |"
        )
    largest = max((r["estates"] for r in results), default=0)
    for row in results:
        if row["estates"] != largest or row["database"] != "postgres":
            continue
        if row["case"] == "import_app":
            lines.append(
                f"| {row['rows']:,} new estates imported into {largest:,} ≤ "
                f"{IMPORT_GOAL_SECONDS} s (postgres) | {row['seconds']:.1f} s | "
                f"{mark(row['seconds'] <= IMPORT_GOAL_SECONDS)} |"
            )
        if row["case"] == "export_app":
            # Judged against both floors, each verdict shown: the six-column floor is the one
            # the round's goal was first measured against; the same-columns floor writes every
            # column the export writes, with the same writer and nothing else.
            goal = EXPORT_GOALS[row["format"]]
            verdicts = []
            for floor_case, label in (
                ("export_floor", "six-column floor"),
                ("export_floor_full", "same-columns floor"),
            ):
                times = ratio(results, row, floor_case)
                if times != "—":
                    verdicts.append(
                        (f"{times} the {label}", float(times.rstrip("×")) <= goal, label)
                    )
            shown = "; ".join(text for text, _ok, _label in verdicts)
            if all(ok for _text, ok, _label in verdicts):
                verdict = mark(True)
            elif not any(ok for _text, ok, _label in verdicts):
                verdict = mark(False)
            else:
                verdict = "; ".join(f"{mark(ok)} against the {label}" for _t, ok, label in verdicts)
            lines.append(
                f"| {row['format'].upper()} export of {largest:,} ≤ {goal}× its floor (postgres) "
                f"| {row['seconds']:.1f} s, {shown} | {verdict} |"
            )
    public = [
        r
        for r in pages
        if r["database"] == "postgres"
        and r["estates"] == largest
        and r["mode"] == "rendered"
        and is_public_page(r["page"])
    ]
    if public:
        over = [r for r in public if r["p95_ms"] > PAGE_GOAL_MS]
        worst = max(public, key=lambda r: r["p95_ms"])
        detail = (
            ", ".join(f"{r['page']} {r['p95_ms']:.0f} ms" for r in over)
            if over
            else f"slowest: {worst['page']} {worst['p95_ms']:.0f} ms"
        )
        lines.append(
            f"| every public page rendered within {PAGE_GOAL_MS} ms p95 at {largest:,} "
            f"(postgres, {len(public)} pages) | {len(public) - len(over)} within; {detail} "
            f"| {mark(not over)} |"
        )
    if cluster:
        photo = cluster["photo"]
        answered = sum(cluster["profile_requests_answered"])
        stale = max(cluster["propagation"]["stale_seconds"], default=0)
        limit = cluster["propagation_limit_seconds"]
        lines += [
            f"| cluster: 0 errors through nginx | {cluster['errors']} errors in "
            f"{cluster['requests']:,} requests | {mark(cluster['errors'] == 0)} |",
            f"| cluster: views counted exactly across both servers | "
            f"{cluster['profile_views_counted']:,} counted, "
            f"{answered:,} answered | {mark(cluster['profile_views_counted'] == answered)} |",
            f"| cluster: a photo uploaded through one server served by the other | "
            f"after {photo['seconds_until_shown']} s, same bytes "
            f"{'yes' if photo['same_bytes_as_stored'] else 'no'} | "
            f"{mark(photo['status'] == 200 and photo['same_bytes_as_stored'])} |",
            f"| cluster: an edit on one server seen on the other within {limit} s | "
            f"longest stale {stale} s | {mark(stale <= limit)} |",
        ]
    return lines


def write_report(results, pages, throughput, info, smoke, profiles=()):
    data = {
        "machine": info,
        "smoke": smoke,
        "pages": pages,
        "throughput": throughput,
        "results": results,
        "profiles": list(profiles),
    }
    text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    if smoke:
        # A smoke run only proves the runner works; it leaves the real figures alone.
        (ROOT / "bench" / "results-smoke.json").write_text(text, encoding="utf-8")
        return
    (ROOT / "bench" / "results.json").write_text(text, encoding="utf-8")
    lines = [
        "# Benchmarks",
        "",
        "Made by `make bench` (`bench/run.py`); raw numbers in `bench/results.json`. The load "
        "test's and the cluster test's figures (`bench/load.py`, `bench/cluster.py`, run by "
        "the same `make bench`) are in the last sections.",
        "",
        *targets_section(
            results,
            pages,
            throughput,
            read_json("load-results.json"),
            read_json("cluster-results.json"),
        ),
        "",
        f"Run on {info.get('date', 'a day not recorded')}. "
        f"Machine: {info['cpus']} CPUs ({info.get('cpu', 'model not recorded')}), "
        f"{info['platform']}; Python {info['python']}, "
        f"Django {info['django']}, openpyxl {info.get('openpyxl', '?')}, "
        f"{info.get('postgresql', 'PostgreSQL not measured')}, SQLite {info['sqlite']}. "
        "Each database is filled by `manage.py generate_synthetic --estates N` (about 36% of "
        "the estates published, six metric values, 2–5 mechanisms, 1–3 activities each, "
        "provincial rounds every year and a national round of about a hundred).",
        "",
        "## Server time per page",
        "",
        "In-process (`bench/pages.py`), with production settings (DEBUG off, collected static "
        "files): the Django handler's time from request to rendered "
        "response, without network, after three warm-up requests; p50 and p95 over "
        "30 requests (fewer for pages slower than 20 s in all). *Rendered*: no page cache "
        "(`CACHE_URL=dummy://`), every request reads the database. *Cached*: the page cache "
        "warm, as repeat visitors meet it. Admin pages are never cached. Queries are counted on "
        "one rendered request at each size. *Stats figures, refreshed after a change* is not a "
        "page: it is what each committed change costs its writer, the stats page's national "
        "figures aggregated again and stored (`showcase/statistics.py`).",
        *page_tables(pages),
        "",
        "## Throughput under gunicorn",
        "",
        "gunicorn with `gunicorn.conf.py` (2 workers × 2 threads, DEBUG off, WhiteNoise) on "
        "loopback, driven by `wrk -t2 -c16` on the same 2-core machine, at the largest size. "
        "Beside each page, in the same run and server, a static file of the same size served by "
        "WhiteNoise; *ratio* is page ÷ static. After a 2-second warm-up, page and static file "
        "take three turns each (a third of the time per turn), so a slow spell of the machine "
        "falls on both alike; req/s is the mean of the turns. Profile "
        "requests count views (added up in memory, written every 10 seconds).",
        "",
        *throughput_table(throughput),
        "",
        "## Spreadsheets",
        "",
        "Export: every estate with its latest metrics through `manage.py export_estates` (the "
        "portal) beside two floors, plain openpyxl / csv writers fed straight from the "
        "database: six columns (`export_floor`), and the export's own columns with each latest "
        "metric joined through `Metric.is_latest` (`export_floor_full`, the same data). Import: "
        "new estates through the portal's checked, all-or-nothing import beside a bare "
        "`bulk_create` (the floor). Peak memory is the child process's maximum resident set.",
        "",
        "| database | estates | case | format | rows | seconds | × floor | × same-columns floor "
        "| peak MiB |",
        "|---|---:|---|---|---:|---:|---:|---:|---:|",
    ]
    for row in results:
        floor_case = {"export_app": "export_floor", "import_app": "import_floor"}.get(row["case"])
        shown = ratio(results, row, floor_case) if floor_case else "1.0×"
        full = ratio(results, row, "export_floor_full") if row["case"] == "export_app" else ""
        lines.append(
            f"| {row['database']} | {row['estates']:,} | {row['case']} | {row['format']} | "
            f"{row['rows']:,} | {row['seconds']:.2f} | {shown} | {full} | {row['peak_mib']:.0f} |"
        )
    if profiles:
        lines += [
            "",
            "## Profiles of the slowest pages",
            "",
            "The two public pages with the highest rendered p95 at the largest size, profiled by "
            "`bench/profile_page.py` (page cache off): one request's SQL statements with their "
            "durations, then cProfile of a second request by cumulative time (the profiler "
            "slows Python down, so its total is above the plain request's).",
            *profile_section(profiles),
        ]
    # Hand-written: what the profiles showed and what was done (bench/notes.md), then the
    # load test's own report (bench/load.md, written by `make load`).
    for part in ("notes.md", "load.md", "cluster.md"):
        path = ROOT / "bench" / part
        if path.exists():
            lines += ["", path.read_text(encoding="utf-8").strip()]
    (ROOT / "BENCHMARKS.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--import-rows", type=int, default=10000)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, to keep the runner alive")
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument("--requests", type=int, default=30, help="timed requests per page")
    parser.add_argument("--wrk-seconds", type=int, default=10)
    parser.add_argument(
        "--no-load-tests",
        action="store_true",
        help="leave out the load test and the cluster test (their last reports stay)",
    )
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="rewrite BENCHMARKS.md from bench/results.json (after editing notes.md or load.md)",
    )
    args = parser.parse_args()
    if args.report_only:
        data = json.loads((ROOT / "bench" / "results.json").read_text(encoding="utf-8"))
        write_report(
            data["results"],
            data["pages"],
            data["throughput"],
            data["machine"],
            False,
            data.get("profiles", []),
        )
        print("BENCHMARKS.md rewritten from bench/results.json.")
        return
    sizes = [200] if args.smoke else [int(s) for s in args.sizes.split(",")]
    import_rows = 100 if args.smoke else args.import_rows
    page_requests = 5 if args.smoke else args.requests
    wrk_seconds = 2 if args.smoke else args.wrk_seconds
    databases = ["sqlite"] + ([] if args.sqlite_only or not postgres_available() else ["postgres"])
    if not serve.wrk_available():
        print("wrk not found (apt-get install wrk): throughput is not measured.")
    results, pages, throughput, profiles = measure(
        sizes, import_rows, databases, page_requests, wrk_seconds
    )
    failed = []
    if not args.smoke and not args.no_load_tests:
        # In the same run, so the report's every figure comes from one sitting of the machine.
        # Each writes its own section (bench/load.md, bench/cluster.md) and results file.
        tests = [("load test", ["bench/load.py"])]
        if serve.cluster_tools_available():
            tests.append(("cluster test", ["bench/cluster.py"]))
        else:
            print("nginx or redis-server not found (make cluster-tools): no cluster test.")
        for label, command in tests:
            print(f"{label}: {' '.join(command)}")
            if subprocess.run([PYTHON, *command], cwd=ROOT).returncode:
                failed.append(label)
    write_report(results, pages, throughput, machine(), args.smoke, profiles)
    if failed:
        raise SystemExit(f"{' and '.join(failed)} found problems (see above)")
    print(
        "bench/results-smoke.json written."
        if args.smoke
        else "BENCHMARKS.md and bench/results.json written."
    )


if __name__ == "__main__":
    main()
