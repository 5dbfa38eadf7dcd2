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
import subprocess
import sys
import tempfile
import time
from pathlib import Path

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


def database_env(kind, workdir):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL",)}
    env["DJANGO_DEBUG"] = "1"
    if kind == "sqlite":
        path = Path(workdir) / "bench.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        env["SQLITE_PATH"] = str(path)
    else:
        name = PG_URL.rsplit("/", 1)[1]
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


def measure(sizes, import_rows, databases):
    results = []
    with tempfile.TemporaryDirectory() as workdir:
        for database in databases:
            for size in sizes:
                env = database_env(database, workdir)
                manage(env, "migrate", "--noinput")
                started = time.perf_counter()
                manage(env, "generate_synthetic", "--estates", str(size))
                print(
                    f"[{database}] {size} estates generated in {time.perf_counter() - started:.1f}s"
                )
                for fmt in ("xlsx", "csv"):
                    for case in ("export_app", "export_floor"):
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
    return results


def machine():
    import django

    versions = {"python": platform.python_version(), "django": django.get_version()}
    try:
        import openpyxl

        versions["openpyxl"] = openpyxl.__version__
    except ImportError:
        pass
    return {"cpus": os.cpu_count(), "platform": platform.platform(), **versions}


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


def write_report(results, info, smoke):
    if smoke:
        # A smoke run only proves the runner works; it leaves the real figures alone.
        (ROOT / "bench" / "results-smoke.json").write_text(
            json.dumps(
                {"machine": info, "smoke": True, "results": results}, ensure_ascii=False, indent=2
            )
            + "\n",
            encoding="utf-8",
        )
        return
    (ROOT / "bench" / "results.json").write_text(
        json.dumps(
            {"machine": info, "smoke": smoke, "results": results}, ensure_ascii=False, indent=2
        )
        + "\n",
        encoding="utf-8",
    )
    lines = [
        "# Benchmarks",
        "",
        "Made by `make bench` (`bench/run.py`); raw numbers in `bench/results.json`."
        + (" **Smoke run: sizes too small to mean anything.**" if smoke else ""),
        "",
        f"Machine: {info['cpus']} CPUs, {info['platform']}; Python {info['python']}, "
        f"Django {info['django']}, openpyxl {info.get('openpyxl', '?')}. Databases measured: "
        + ", ".join(sorted({r["database"] for r in results}))
        + " (PostgreSQL is measured when it answers on 127.0.0.1).",
        "",
        "## Spreadsheets",
        "",
        "Export: every estate with its latest metrics through `manage.py export_estates` (the "
        "portal) beside a plain openpyxl / csv writer of six columns straight from the database "
        "(the floor). Import: new estates through the portal's checked, all-or-nothing import "
        "beside a bare `bulk_create` (the floor). Peak memory is the child process's maximum "
        "resident set.",
        "",
        "| database | estates | case | format | rows | seconds | × floor | peak MiB |",
        "|---|---:|---|---|---:|---:|---:|---:|",
    ]
    for row in results:
        floor_case = {"export_app": "export_floor", "import_app": "import_floor"}.get(row["case"])
        shown = ratio(results, row, floor_case) if floor_case else "1.0×"
        lines.append(
            f"| {row['database']} | {row['estates']} | {row['case']} | {row['format']} | "
            f"{row['rows']} | {row['seconds']:.2f} | {shown} | {row['peak_mib']:.0f} |"
        )
    (ROOT / "BENCHMARKS.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--import-rows", type=int, default=10000)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, to keep the runner alive")
    parser.add_argument("--sqlite-only", action="store_true")
    args = parser.parse_args()
    sizes = [200] if args.smoke else [int(s) for s in args.sizes.split(",")]
    import_rows = 100 if args.smoke else args.import_rows
    databases = ["sqlite"] + ([] if args.sqlite_only or not postgres_available() else ["postgres"])
    results = measure(sizes, import_rows, databases)
    write_report(results, machine(), args.smoke)
    print(
        "bench/results-smoke.json written."
        if args.smoke
        else "BENCHMARKS.md and bench/results.json written."
    )


if __name__ == "__main__":
    main()
