"""The load test: `make load` (python bench/load.py).

For each database (SQLite always; PostgreSQL when it answers) it fills a fresh database (the
seed and 1,000 synthetic estates), serves it with gunicorn as production does (gunicorn.conf.py,
2 workers, DEBUG off) on loopback, and for 30 seconds drives it with wrk at 64 connections in
all (16 each on the home page, the list, a search and a profile) while a staff member signs in
to the admin and saves an estate's edit after edit through the real change form. Then it
checks that

- wrk saw no socket error and no answer other than 2xx/3xx;
- the profile's view count grew by exactly the number of profile requests the server answered
  (counted in gunicorn's access log, which logs every answered request; wrk's own count leaves
  out requests still in flight when it stops);
- every admin save was answered with the redirect of a successful save, and every one is in
  the estate's history, and the estate holds the last one.

It exits non-zero if anything is off, and writes bench/load.md (included in BENCHMARKS.md) and
bench/load-results.json.
"""

import argparse
import html.parser
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import serve
from run import PYTHON, ROOT, database_env, manage, postgres_available

PAGES = {
    "home": "/",
    "list": "/estates/",
    "search": "/estates/?q=" + urllib.parse.quote("花园"),
    "profile": None,  # a published estate, found once the site runs
}
ADMIN_USER = "load-admin"
ADMIN_PASSWORD = "load-test-passphrase-2026"


def shell(env, code):
    """Run Python in the site's context against env's database; returns its JSON output."""
    result = subprocess.run(
        [PYTHON, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


class FormFields(html.parser.HTMLParser):
    """The fields a browser would send for the form with id `form_id`."""

    def __init__(self, form_id):
        super().__init__()
        self.form_id, self.inside, self.fields = form_id, False, []
        self._select = self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("id") == self.form_id:
            self.inside = True
        if not self.inside:
            return
        if tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind in ("submit", "button", "file", "image"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self.fields.append((a["name"], a.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "select" and a.get("name"):
            self._select = a["name"]
        elif tag == "option" and self._select and "selected" in a:
            self.fields.append((self._select, a.get("value", "")))
        elif tag == "textarea" and a.get("name"):
            self._textarea = [a["name"], ""]

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "form" and self.inside:
            self.inside = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            name, text = self._textarea
            # The browser drops the one newline that follows <textarea>.
            self.fields.append((name, text[1:] if text.startswith("\n") else text))
            self._textarea = None


class AdminEditor(threading.Thread):
    """A staff member saving one estate's tagline again and again through the admin."""

    def __init__(self, base, estate_id):
        super().__init__(daemon=True)
        self.base, self.estate_id = base, estate_id
        self.cookies, self.saved, self.failures = {}, [], []
        self.stop = threading.Event()

    def request(self, path, data=None):
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        opener = urllib.request.build_opener(NoRedirect)
        try:
            answer = opener.open(
                urllib.request.Request(self.base + path, data=body, headers=headers), timeout=60
            )
        except urllib.error.HTTPError as error:
            answer = error
        for header in answer.headers.get_all("Set-Cookie") or []:
            name, value = header.split(";", 1)[0].split("=", 1)
            self.cookies[name] = value
        return answer.status, answer.headers, answer.read().decode("utf-8", "replace")

    def csrf(self, page):
        return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)

    def run(self):
        try:
            _status, _headers, page = self.request("/admin/login/")
            status, _headers, _page = self.request(
                "/admin/login/?next=/admin/",
                {
                    "csrfmiddlewaretoken": self.csrf(page),
                    "username": ADMIN_USER,
                    "password": ADMIN_PASSWORD,
                    "next": "/admin/",
                },
            )
            if status != 302:
                self.failures.append(f"sign-in answered {status}")
                return
            path = f"/admin/estates/estate/{self.estate_id}/change/"
            number = 0
            while not self.stop.is_set():
                number += 1
                status, _headers, page = self.request(path)
                if status != 200:
                    self.failures.append(f"change form answered {status}")
                    continue
                parser = FormFields("estate_form")
                parser.feed(page)
                tagline = f"负载测试中的第 {number} 次修改"
                fields = [(k, v) for k, v in parser.fields if k != "tagline"]
                fields += [("tagline", tagline), ("_save", "保存")]
                status, _headers, page = self.request(path, fields)
                if status == 302:
                    self.saved.append(tagline)
                else:
                    errors = re.findall(r'<ul class="errorlist[^"]*">(.*?)</ul>', page, re.S)
                    self.failures.append(f"save answered {status}: {errors[:3]}")
        except Exception as error:  # reported, and fails the run
            self.failures.append(f"{type(error).__name__}: {error}")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def cache_answers(log_path, paths, start=0):
    """{page: {"hit": n, "miss": n}} of the 200 answers to each path in gunicorn's access
    log from byte `start` on (the log's last field is the page cache's X-Page-Cache)."""
    counts = {name: {"hit": 0, "miss": 0} for name in paths}
    patterns = {
        name: re.compile(r'"GET ' + re.escape(path) + r' HTTP/1\.1" 200 .* (hit|miss)$')
        for name, path in paths.items()
    }
    with open(log_path, encoding="utf-8", errors="replace") as log:
        log.seek(start)
        for line in log:
            for name, pattern in patterns.items():
                found = pattern.search(line.rstrip("\n"))
                if found:
                    counts[name][found.group(1)] += 1
    return counts


def warm_up(base, pages, rounds=3):
    """Each page requested a few times by each worker's threads, as readers do before a run."""
    for _ in range(rounds * 4):
        for path in pages.values():
            urllib.request.urlopen(base + path, timeout=60).read()


def edit_problems(editor, info, after):
    """What went wrong with the admin's edits: a failed save, a save missing from the history,
    an estate not holding the last save. `info` and `after`: the estate's history count (and
    tagline) before and after the run."""
    problems = [f"admin: {failure}" for failure in editor.failures]
    if not editor.saved:
        problems.append("admin: no edit was saved")
    if after["history"] - info["history"] != len(editor.saved):
        problems.append(
            f"admin: {len(editor.saved)} saves, {after['history'] - info['history']} in history"
        )
    if editor.saved and after["tagline"] != editor.saved[-1]:
        problems.append(f"admin: the estate holds {after['tagline']!r}, not the last save")
    return problems


def answered(log_path, path):
    """Requests for `path` that the server answered with 200, from gunicorn's access log."""
    pattern = re.compile(r'"GET ' + re.escape(path) + r' HTTP/1\.1" 200 ')
    with open(log_path, encoding="utf-8", errors="replace") as log:
        return sum(1 for line in log if pattern.search(line))


def run(database, seconds, connections, workdir):
    env = database_env(database, workdir, name="showcase_load")
    manage(env, "migrate", "--noinput")
    manage(env, "generate_synthetic", "--estates", "1000")
    info = shell(
        env,
        "import json; from django.contrib.auth import get_user_model; "
        "from estates.models import Estate; "
        f"get_user_model().objects.create_superuser({ADMIN_USER!r}, 'load@example.cn', "
        f"{ADMIN_PASSWORD!r}); "
        "p = Estate.objects.published().order_by('pk'); "
        "profile = p[p.count() // 2]; edited = p.exclude(pk=profile.pk).first(); "
        "draft = Estate.objects.filter(is_published=False).order_by('pk').first(); "
        "print(json.dumps({'slug': profile.slug, 'views': profile.view_count, "
        "'edited': edited.pk, 'history': edited.history.count(), 'draft': draft.pk, "
        "'edited_slug': edited.slug}))",
    )
    pages = dict(PAGES, profile=f"/estates/{info['slug']}/")
    # The edited estate's own page, read alongside: the one profile an edit should render.
    edited_page = {"edited profile": f"/estates/{info['edited_slug']}/"}
    log_path = Path(workdir) / f"access-{database}.log"
    each = max(1, connections // len(pages))

    def load(base, editor, results, phase_seconds, pages=pages):
        each = max(1, connections // len(pages))

        def drive(name, path):
            results[name] = serve.wrk(
                base + path, connections=each, seconds=phase_seconds, threads=1
            )

        editor.start()
        drivers = [threading.Thread(target=drive, args=item) for item in pages.items()]
        for driver in drivers:
            driver.start()
        for driver in drivers:
            driver.join()
        editor.stop.set()
        editor.join(timeout=120)

    with serve.gunicorn(env, workers=2, access_log=log_path) as base:
        # First a province's clerk saves a draft (an estate nobody sees) again and again:
        # after the warm-up, readers should meet cached pages only.
        warm_up(base, pages)
        drafts_from = log_path.stat().st_size
        draft_editor = AdminEditor(base, info["draft"])
        draft_results = {}
        load(base, draft_editor, draft_results, max(5, seconds // 2))
        drafts_to = log_path.stat().st_size
        # Then an editor changes one published estate again and again.
        editor = AdminEditor(base, info["edited"])
        results = {}
        load(base, editor, results, seconds, {**pages, **edited_page})
        # Its own page, once more after the last save: rendered afresh, with the last save,
        # on every server within the second each takes to read the content version again.
        time.sleep(1.5)
        last = urllib.request.urlopen(base + edited_page["edited profile"], timeout=60)
        edited_shows_last = editor.saved[-1] in last.read().decode() if editor.saved else False
    # gunicorn has stopped gracefully: everything it accepted has been answered and logged.
    after = shell(
        env,
        "import json; from estates.models import Estate; "
        f"p = Estate.objects.get(slug={info['slug']!r}); "
        f"e = Estate.objects.get(pk={info['edited']}); "
        "print(json.dumps({'views': p.view_count, 'history': e.history.count(), "
        "'tagline': e.tagline}))",
    )
    profile_answered = answered(log_path, pages["profile"])
    with open(log_path, "rb") as log:
        log.seek(drafts_from)
        drafts_log = Path(workdir) / f"access-{database}-drafts.log"
        drafts_log.write_bytes(log.read(drafts_to - drafts_from))
    during_drafts = cache_answers(drafts_log, pages)
    during_edits = cache_answers(log_path, {**pages, **edited_page}, start=drafts_to)
    hits = sum(c["hit"] for c in during_drafts.values())
    misses = sum(c["miss"] for c in during_drafts.values())
    hit_ratio = hits / (hits + misses) if hits + misses else 0.0
    problems = []
    if hit_ratio < 0.99:
        problems.append(f"cache hit ratio while drafts were saved {hit_ratio:.4f} < 0.99")
    problems += [f"draft clerk: {failure}" for failure in draft_editor.failures]
    if not draft_editor.saved:
        problems.append("draft clerk: no draft was saved")
    if during_edits["profile"]["miss"] > 2:
        problems.append(
            f"another estate's page rendered {during_edits['profile']['miss']} times "
            "while one estate was edited"
        )
    if editor.saved and not edited_shows_last:
        problems.append("the edited estate's page does not show its last save")
    for name, figures in results.items():
        if figures["socket_errors"] or figures["non_2xx_3xx"]:
            problems.append(
                f"{name}: socket errors {figures['socket_error_kinds']}, "
                f"{figures['non_2xx_3xx']} answers other than 2xx/3xx"
            )
    counted = after["views"] - info["views"]
    if counted != profile_answered:
        problems.append(f"profile views counted {counted}, requests answered {profile_answered}")
    problems += edit_problems(editor, info, after)
    return {
        "database": database,
        "seconds": seconds,
        "connections": each * len(pages),
        "pages": results,
        "profile_requests_answered": profile_answered,
        "profile_views_counted": counted,
        "admin_saves": len(editor.saved),
        "admin_saves_in_history": after["history"] - info["history"],
        "draft_saves": len(draft_editor.saved),
        "draft_seconds": max(5, seconds // 2),
        "cache_during_drafts": during_drafts,
        "hit_ratio_during_drafts": hit_ratio,
        "draft_pages": draft_results,
        "cache_during_edits": during_edits,
        "problems": problems,
    }


def report(runs):
    lines = [
        "## Load test",
        "",
        "`make load` (`bench/load.py`): gunicorn (2 workers × 2 threads, production settings) on "
        "loopback with the seed and 1,000 synthetic estates; `wrk` with "
        f"{runs[0]['connections']} connections in all for {runs[0]['seconds']} s, a quarter on "
        "each page, while a staff member saves edit after edit through the admin's estate form. "
        "All on one 2-core machine, so wrk, gunicorn and the database share it.",
        "",
        "| database | page | requests | req/s | p50 ms | p99 ms | errors | non-2xx |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for run_ in runs:
        for name, f in run_["pages"].items():
            lines.append(
                f"| {run_['database']} | {name} | {f['requests']:,} | "
                f"{f['requests_per_second']:.0f} | {f['p50_ms']} | {f['p99_ms']} | "
                f"{f['socket_errors']} | {f['non_2xx_3xx']} |"
            )
    lines += [
        "",
        "| database | profile requests answered | views counted | admin saves | in history | "
        "problems |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for run_ in runs:
        lines.append(
            f"| {run_['database']} | {run_['profile_requests_answered']:,} | "
            f"{run_['profile_views_counted']:,} | {run_['admin_saves']} | "
            f"{run_['admin_saves_in_history']} | {'; '.join(run_['problems']) or 'none'} |"
        )
    lines += [
        "",
        "**The page cache under writes.** Before the run above, for "
        f"{runs[0]['draft_seconds']} s after a warm-up, a province's clerk saved a draft estate "
        "(one the public does not see) again and again while readers asked for the same pages: "
        "cached answers (X-Page-Cache in gunicorn's access log) out of all. Then, during the run "
        "above, an editor changed one published estate: which pages rendered afresh (misses) — "
        "the pages that list or count estates after each save, the edited estate's own page, "
        "and no other estate's page.",
        "",
        "| database | while | page | cached | rendered | hit ratio |",
        "|---|---|---|---:|---:|---:|",
    ]
    for run_ in runs:
        for label, key in (
            ("drafts saved", "cache_during_drafts"),
            ("one estate edited", "cache_during_edits"),
        ):
            for name, c in run_[key].items():
                total = c["hit"] + c["miss"]
                ratio = f"{c['hit'] / total:.2%}" if total else "—"
                lines.append(
                    f"| {run_['database']} | {label} | {name} | {c['hit']:,} | {c['miss']:,} | "
                    f"{ratio} |"
                )
        lines.append(
            f"| {run_['database']} | drafts saved ({run_['draft_saves']} saves) | **all pages** | "
            f"| | **{run_['hit_ratio_during_drafts']:.2%}** |"
        )
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument("--no-report", action="store_true", help="check only, write nothing")
    args = parser.parse_args()
    if not serve.wrk_available():
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    databases = ["sqlite"] + ([] if args.sqlite_only or not postgres_available() else ["postgres"])
    runs = []
    with tempfile.TemporaryDirectory() as workdir:
        for database in databases:
            started = time.monotonic()
            result = run(database, args.seconds, args.connections, workdir)
            runs.append(result)
            total = sum(f["requests"] for f in result["pages"].values())
            print(
                f"[{database}] {total:,} requests in {args.seconds} s, "
                f"profile answered {result['profile_requests_answered']} times and counted "
                f"{result['profile_views_counted']}, {result['admin_saves']} admin saves, "
                f"hit ratio while drafts were saved {result['hit_ratio_during_drafts']:.2%}, "
                f"{len(result['problems'])} problems ({time.monotonic() - started:.0f} s)"
            )
            for problem in result["problems"]:
                print("  PROBLEM:", problem)
    if not args.no_report:
        (ROOT / "bench" / "load.md").write_text(report(runs), encoding="utf-8")
        (ROOT / "bench" / "load-results.json").write_text(
            json.dumps(runs, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
    if any(r["problems"] for r in runs):
        sys.exit(1)
    print("Load test passed.")


if __name__ == "__main__":
    os.chdir(ROOT)
    main()
