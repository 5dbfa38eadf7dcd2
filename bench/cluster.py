"""The cluster test: `make cluster` (python bench/cluster.py).

Several app servers, for real, on one machine: a fresh PostgreSQL database (the seed and
1,000 synthetic estates), a Redis of its own as the shared page cache, moto in server mode as
the S3-compatible media store, two gunicorn app servers (gunicorn.conf.py, production
settings, the same DATABASE_URL, CACHE_URL and DJANGO_MEDIA_STORAGE) and nginx in front of
them, with a configuration of its own in a temporary folder. Through nginx it runs the load
test (bench/load.py: wrk on the home page, the list, a search and a profile while a staff
member saves edits in the admin), and meanwhile, straight at the two servers:

- a photo uploaded through the admin form of one server is shown by the other, from the
  storage's address, with the stored bytes, and the other draws its cover from it;
- an edit saved on one server is on the other's public page within a second (each way).

Then it checks: no error, profile views counted exactly across both servers (the profile's
requests answered in the two gunicorns' access logs), every admin save in the history. It
exits non-zero if anything is off, writes bench/cluster.md and bench/cluster-results.json, and
stops everything it started, also when it fails.
"""

import argparse
import contextlib
import html
import io
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import boto3
import serve
from load import (
    ADMIN_PASSWORD,
    ADMIN_USER,
    PAGES,
    AdminEditor,
    FormFields,
    answered,
    edit_problems,
    shell,
)
from PIL import Image
from run import PYTHON, ROOT, database_env, manage, postgres_available

BUCKET = "meihao-cluster"
S3_KEYS = {"AWS_ACCESS_KEY_ID": "cluster-test", "AWS_SECRET_ACCESS_KEY": "cluster-test-secret"}
# An edit must be on the other server's page within this many seconds.
PROPAGATION_LIMIT = 1.0
POLL = 0.02


# The services ---------------------------------------------------------------------------------


def wait_for(what, ready, process, log, seconds=60):
    deadline = time.monotonic() + seconds
    while not ready():
        if process.poll() is not None or time.monotonic() > deadline:
            log.seek(0)
            raise RuntimeError(f"{what} did not start:\n{log.read().decode()[-3000:]}")
        time.sleep(0.2)


def answers(port):
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
        return True
    return False


@contextlib.contextmanager
def started(what, command, ready, **popen):
    """Run `command` until the block ends; stopped (and killed if it lingers) on any exit."""
    log = tempfile.TemporaryFile()  # noqa: SIM115 (closed below)
    process = subprocess.Popen(command, stdout=log, stderr=log, **popen)
    try:
        wait_for(what, ready, process, log)
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        log.close()


def redis(workdir):
    port = serve.free_port()
    command = [
        "redis-server",
        "--bind",
        "127.0.0.1",
        "--port",
        str(port),
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        str(workdir),
    ]
    return port, started("redis-server", command, lambda: answers(port))


def moto(env):
    port = serve.free_port()
    command = [PYTHON, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    return port, started("moto (S3)", command, lambda: answers(port), env=env)


NGINX_CONF = """\
worker_processes 2;
pid {folder}/nginx.pid;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    client_max_body_size 20m;
    upstream app {{
{servers}
        keepalive 32;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://app;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
        }}
    }}
}}
"""


def nginx(workdir, upstreams):
    """nginx in front of `upstreams` (base URLs), with its pid, logs and temporary files in a
    folder of its own: nothing of the system's configuration is read or changed."""
    folder = Path(workdir) / "nginx"
    folder.mkdir()
    # Its workers run as an unprivileged user when started as root: let them reach the folder.
    os.chmod(workdir, 0o711)
    os.chmod(folder, 0o777)
    port = serve.free_port()
    servers = "\n".join(
        f"        server {urllib.parse.urlsplit(base).netloc};" for base in upstreams
    )
    conf = folder / "nginx.conf"
    conf.write_text(NGINX_CONF.format(folder=folder, servers=servers, port=port))
    command = [
        "nginx",
        "-p",
        str(folder),
        "-c",
        str(conf),
        "-e",
        str(folder / "error.log"),
        "-g",
        "daemon off;",
    ]
    return port, started("nginx", command, lambda: answers(port))


# A member of staff, on either server -------------------------------------------------------------


class Staff(AdminEditor):
    """Signed in once; every request goes to the server it names (sessions are in the
    database, so any server knows them)."""

    def __init__(self, base):
        super().__init__(base, None)

    def to(self, base, path, data=None, body=None, content_type=None):
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if data is not None:
            body = urllib.parse.urlencode(data).encode()
        if content_type:
            headers["Content-Type"] = content_type
        opener = urllib.request.build_opener(NoRedirect)
        try:
            answer = opener.open(
                urllib.request.Request(base + path, data=body, headers=headers), timeout=60
            )
        except urllib.error.HTTPError as error:
            answer = error
        for header in answer.headers.get_all("Set-Cookie") or []:
            name, value = header.split(";", 1)[0].split("=", 1)
            self.cookies[name] = value
        return answer.status, answer.read().decode("utf-8", "replace")

    def sign_in(self):
        _status, page = self.to(self.base, "/admin/login/")
        status, _page = self.to(
            self.base,
            "/admin/login/?next=/admin/",
            {
                "csrfmiddlewaretoken": self.csrf(page),
                "username": ADMIN_USER,
                "password": ADMIN_PASSWORD,
                "next": "/admin/",
            },
        )
        if status != 302:
            raise RuntimeError(f"sign-in answered {status}")

    def form(self, base, path, form_id):
        status, page = self.to(base, path)
        if status != 200:
            raise RuntimeError(f"{path} answered {status}")
        parser = FormFields(form_id)
        parser.feed(page)
        return parser.fields

    def save_tagline(self, base, estate_id, tagline):
        path = f"/admin/estates/estate/{estate_id}/change/"
        fields = [(k, v) for k, v in self.form(base, path, "estate_form") if k != "tagline"]
        status, page = self.to(base, path, [*fields, ("tagline", tagline), ("_save", "保存")])
        if status != 302:
            errors = re.findall(r'<ul class="errorlist[^"]*">(.*?)</ul>', page, re.S)
            raise RuntimeError(f"saving the tagline answered {status}: {errors[:3]}")

    def add_photo(self, base, estate_id, caption, jpeg):
        path = "/admin/estates/photo/add/"
        fields = [
            (k, v)
            for k, v in self.form(base, path, "photo_form")
            if k not in ("estate", "caption", "is_cover", "display_order")
        ]
        fields += [
            ("estate", str(estate_id)),
            ("caption", caption),
            ("display_order", "1"),
            ("is_cover", "on"),
            ("_save", "保存"),
        ]
        body, content_type = multipart(fields, [("image", "cluster.jpg", "image/jpeg", jpeg)])
        status, page = self.to(base, path, body=body, content_type=content_type)
        if status != 302:
            errors = re.findall(r'<ul class="errorlist[^"]*">(.*?)</ul>', page, re.S)
            raise RuntimeError(f"the photo form answered {status}: {errors[:3]}")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def multipart(fields, files):
    boundary = uuid.uuid4().hex
    body = io.BytesIO()
    for name, value in fields:
        body.write(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
            f"{value}\r\n".encode()
        )
    for name, filename, content_type, data in files:
        body.write(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: {content_type}\r\n\r\n'.encode()
        )
        body.write(data + b"\r\n")
    body.write(f"--{boundary}--\r\n".encode())
    return body.getvalue(), f"multipart/form-data; boundary={boundary}"


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=30) as answer:
            return answer.status, answer.headers, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def until(check, seconds):
    """Call check() until it returns something true: (that value, seconds from the start to
    the start of the call that found it, seconds to its answer); the value is None when the
    time is up."""
    started_at = time.monotonic()
    while True:
        asked = time.monotonic()
        found = check()
        answered_at = time.monotonic()
        if found or answered_at - started_at > seconds:
            return found or None, asked - started_at, answered_at - started_at
        time.sleep(POLL)


# The cross-server checks ----------------------------------------------------------------------


def photo_check(staff, servers, estate, s3):
    """Upload a photo through the first server's admin; the second shows it from the storage
    and draws the estate's share image from it."""
    colour = (30 + secrets.randbelow(60), 150, 70)
    buffer = io.BytesIO()
    Image.new("RGB", (1600, 1000), colour).save(buffer, format="JPEG", quality=90)
    caption = f"集群测试照片 {uuid.uuid4().hex[:8]}"
    first, second = servers
    staff.add_photo(first, estate["id"], caption, buffer.getvalue())
    uploaded = time.monotonic()
    profile = f"/estates/{estate['slug']}/"
    pattern = re.compile(r'<img src="([^"]+)" alt="' + re.escape(caption) + '"')

    def shown():
        status, _headers, page = get(second + profile)
        found = pattern.search(page.decode("utf-8", "replace")) if status == 200 else None
        return html.unescape(found.group(1)) if found else None

    address, _asked, waited = until(shown, 10)
    result = {"uploaded_via": first, "shown_by": second, "seconds_until_shown": round(waited, 3)}
    if address is None:
        return result, [f"photo: uploaded through {first}, not on {second}'s profile in 10 s"]
    problems = []
    status, _headers, data = get(address)
    key = urllib.parse.unquote(urllib.parse.urlsplit(address).path).split("/", 2)[2]
    stored = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
    picture = Image.open(io.BytesIO(data)) if status == 200 else None
    result.update(
        address=address.split("?", 1)[0],
        signed="X-Amz-Signature=" in address,
        status=status,
        bytes=len(data),
        size=list(picture.size) if picture else None,
        same_bytes_as_stored=data == stored,
    )
    if status != 200 or picture is None or picture.format != "JPEG" or data != stored:
        problems.append(f"photo: its address answered {status}, not the stored JPEG")
    elif max(picture.size) != 1200:
        problems.append(f"photo: the page shows a rendition of {picture.size}, not 1200 px")
    status, _headers, data = get(f"{second}/estates/{estate['slug']}/cover.jpg")
    cover = Image.open(io.BytesIO(data)) if status == 200 else None
    drawn = s3.list_objects_v2(Bucket=BUCKET, Prefix=f"media/covers/{estate['slug']}/")
    drawn = [entry["Key"] for entry in drawn.get("Contents", [])]
    result.update(
        cover_status=status,
        cover_size=list(cover.size) if cover else None,
        cover_stored=drawn,
    )
    if cover is None or cover.size != (1200, 630) or not any("-photo.jpg" in k for k in drawn):
        problems.append(f"photo: {second} answered {status} for the cover cut from it")
    result["total_seconds"] = round(time.monotonic() - uploaded, 3)
    return result, problems


def propagation_check(staff, servers, estate, rounds):
    """Save the estate's tagline on one server, alternately, and ask the other for the
    estate's page until it shows the edit. Two times per edit, from the save's answer: to the
    start of the first request that the other server answered with the edit (how long it
    served the page from before; the limit applies to this), and to that answer (which adds
    rendering the page under load)."""
    stale, seen, problems = [], [], []
    for number in range(rounds):
        saved_on, shown_on = servers if number % 2 == 0 else servers[::-1]
        tagline = f"集群传播测试 {number + 1} {uuid.uuid4().hex[:6]}"
        staff.save_tagline(saved_on, estate["id"], tagline)

        def shown(tagline=tagline, shown_on=shown_on):
            status, _headers, page = get(f"{shown_on}/estates/{estate['slug']}/")
            return status == 200 and tagline in page.decode("utf-8", "replace")

        found, asked, answered_at = until(shown, 10)
        stale.append(round(asked, 3))
        seen.append(round(answered_at, 3))
        if not found:
            problems.append(f"edit saved on {saved_on}: not on {shown_on} after 10 s")
        elif asked > PROPAGATION_LIMIT:
            problems.append(
                f"edit saved on {saved_on}: {shown_on} still served the page from before "
                f"{asked:.3f} s after the save (limit {PROPAGATION_LIMIT} s)"
            )
        time.sleep(0.3)
    return {"stale_seconds": stale, "seen_seconds": seen}, problems


# The run ----------------------------------------------------------------------------------


def preflight():
    missing = [tool for tool in ("wrk", "nginx", "redis-server") if shutil.which(tool) is None]
    if missing:
        raise SystemExit(
            f"cluster test: {', '.join(missing)} not installed "
            "(apt-get install wrk nginx redis-server)"
        )
    if not postgres_available():
        raise SystemExit("cluster test: PostgreSQL does not answer on 127.0.0.1 (make bench-tools)")


def run(seconds, connections, estates, rounds, workers, workdir):
    base_env = database_env("postgres", workdir, name="showcase_cluster")
    timings = {}
    with contextlib.ExitStack() as stack:
        t = time.monotonic()
        redis_port, redis_server = redis(workdir)
        stack.enter_context(redis_server)
        s3_env = dict(base_env, **S3_KEYS)
        moto_port, moto_server = moto(s3_env)
        stack.enter_context(moto_server)
        endpoint = f"http://127.0.0.1:{moto_port}"
        s3 = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id=S3_KEYS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=S3_KEYS["AWS_SECRET_ACCESS_KEY"],
        )
        s3.create_bucket(Bucket=BUCKET)
        env = dict(
            s3_env,
            CACHE_URL=f"redis://127.0.0.1:{redis_port}/0",
            DJANGO_MEDIA_STORAGE=f"s3://{BUCKET}/media?endpoint={endpoint}&region=us-east-1",
            # Every server signs cookies and forms alike.
            DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
            DJANGO_TRUSTED_PROXIES="1",
        )
        timings["services_started"] = round(time.monotonic() - t, 1)

        t = time.monotonic()
        manage(env, "migrate", "--noinput")
        manage(env, "generate_synthetic", "--estates", str(estates))
        info = shell(
            env,
            "import json; from django.contrib.auth import get_user_model; "
            "from estates.models import Estate; "
            f"get_user_model().objects.create_superuser({ADMIN_USER!r}, 'load@example.cn', "
            f"{ADMIN_PASSWORD!r}); "
            "p = list(Estate.objects.published().order_by('pk').values('pk', 'slug', "
            "'view_count')); profile = p[len(p) // 2]; rest = [e for e in p if e is not "
            "profile]; edited, crossed = rest[0], rest[len(rest) // 3]; "
            "print(json.dumps({'slug': profile['slug'], 'views': profile['view_count'], "
            "'edited': edited['pk'], 'history': Estate.objects.get(pk=edited['pk'])"
            ".history.count(), 'cross': {'id': crossed['pk'], 'slug': crossed['slug']}}))",
        )
        timings["database_seeded"] = round(time.monotonic() - t, 1)

        t = time.monotonic()
        logs = [Path(workdir) / f"access-app{n}.log" for n in (1, 2)]
        servers = [
            stack.enter_context(serve.gunicorn(env, workers=workers, access_log=log))
            for log in logs
        ]
        nginx_port, proxy = nginx(workdir, servers)
        stack.enter_context(proxy)
        front = f"http://127.0.0.1:{nginx_port}"
        timings["app_servers_started"] = round(time.monotonic() - t, 1)

        pages = dict(PAGES, profile=f"/estates/{info['slug']}/")
        each = max(1, connections // len(pages))
        for path in pages.values():  # through nginx, once, before measuring
            status, _headers, _body = get(front + path)
            if status != 200:
                raise RuntimeError(f"{path} through nginx answered {status}")

        editor = AdminEditor(front, info["edited"])
        results = {}

        def drive(name, path):
            results[name] = serve.wrk(front + path, connections=each, seconds=seconds, threads=1)

        drivers = [threading.Thread(target=drive, args=item) for item in pages.items()]
        editor.start()
        for driver in drivers:
            driver.start()
        # Meanwhile, straight at the two servers.
        problems = []
        staff = Staff(servers[0])
        staff.sign_in()
        time.sleep(min(2, seconds / 4))  # under load before the first check
        photo, found = photo_check(staff, servers, info["cross"], s3)
        problems += found
        propagation, found = propagation_check(staff, servers, info["cross"], rounds)
        problems += found
        for driver in drivers:
            driver.join()
        editor.stop.set()
        editor.join(timeout=120)
        # Stopped in reverse: nginx, then each gunicorn gracefully (every accepted request
        # answered and logged, every counted view written), then moto and Redis.
        stack.close()

    after = shell(
        base_env,
        "import json; from estates.models import Estate; "
        f"p = Estate.objects.get(slug={info['slug']!r}); "
        f"e = Estate.objects.get(pk={info['edited']}); "
        "print(json.dumps({'views': p.view_count, 'history': e.history.count(), "
        "'tagline': e.tagline}))",
    )
    per_server = [answered(log, pages["profile"]) for log in logs]
    counted = after["views"] - info["views"]
    for name, figures in results.items():
        if figures["socket_errors"] or figures["non_2xx_3xx"]:
            problems.append(
                f"{name}: socket errors {figures['socket_error_kinds']}, "
                f"{figures['non_2xx_3xx']} answers other than 2xx/3xx"
            )
    if counted != sum(per_server):
        problems.append(f"profile views counted {counted}, requests answered {sum(per_server)}")
    if not all(per_server):
        problems.append(f"nginx sent the profile to one server only: {per_server}")
    problems += edit_problems(editor, info, after)
    return {
        "servers": 2,
        "workers_per_server": workers,
        "estates": estates,
        "seconds": seconds,
        "connections": each * len(pages),
        "pages": results,
        "requests": sum(f["requests"] for f in results.values()),
        "requests_per_second": round(sum(f["requests_per_second"] for f in results.values()), 1),
        "p99_ms": max(f["p99_ms"] for f in results.values() if f["p99_ms"] is not None),
        "errors": sum(f["socket_errors"] + f["non_2xx_3xx"] for f in results.values()),
        "profile_requests_answered": per_server,
        "profile_views_counted": counted,
        "admin_saves": len(editor.saved),
        "admin_saves_in_history": after["history"] - info["history"],
        "photo": photo,
        "propagation": propagation,
        "propagation_limit_seconds": PROPAGATION_LIMIT,
        "timings": timings,
        "problems": problems,
    }


def report(result):
    r = result
    answered_ = r["profile_requests_answered"]
    photo = r["photo"]
    lines = [
        "## Cluster test",
        "",
        "`make cluster` (`bench/cluster.py`): nginx in front of two gunicorn app servers "
        f"(gunicorn.conf.py, production settings, {r['workers_per_server']} worker(s) × 2 "
        "threads each), one PostgreSQL "
        "database, one Redis as the shared page cache, moto in server mode as the "
        f"S3-compatible media store; the seed and {r['estates']:,} synthetic estates. `wrk` "
        f"with {r['connections']} connections in all for {r['seconds']} s through nginx, a "
        "quarter on each page, while a staff member saves edit after edit through the admin "
        "(also through nginx); meanwhile a photo is uploaded through one server's admin form "
        "and an estate's tagline is saved on one server and looked for on the other, each way. "
        "All on one 2-core machine, so wrk, nginx, both servers, PostgreSQL, Redis and moto "
        "share it.",
        "",
        "| page | requests | req/s | p50 ms | p99 ms | errors | non-2xx |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, f in r["pages"].items():
        lines.append(
            f"| {name} | {f['requests']:,} | {f['requests_per_second']:.0f} | {f['p50_ms']} | "
            f"{f['p99_ms']} | {f['socket_errors']} | {f['non_2xx_3xx']} |"
        )
    lines += [
        f"| **all** | {r['requests']:,} | {r['requests_per_second']:.0f} | | "
        f"{r['p99_ms']} | {r['errors']} | |",
        "",
        "| check | result |",
        "|---|---|",
        f"| profile requests answered (server 1 + server 2) | {answered_[0]:,} + "
        f"{answered_[1]:,} = {sum(answered_):,} |",
        f"| profile views counted in the database | {r['profile_views_counted']:,} |",
        f"| admin saves through nginx / in the history | {r['admin_saves']} / "
        f"{r['admin_saves_in_history']} |",
        f"| photo uploaded through server 1, on server 2's profile after | "
        f"{photo.get('seconds_until_shown')} s; its signed storage address answered "
        f"{photo.get('status')} with the stored bytes: {photo.get('same_bytes_as_stored')}; "
        f"server 2 drew the share image from it: {photo.get('cover_status')} |",
        "| an edit saved on one server: the other served the page from before for (s) | "
        f"{', '.join(str(s) for s in r['propagation']['stale_seconds'])} "
        f"(limit {r['propagation_limit_seconds']}) |",
        "| … and its page with the edit had arrived after (s, rendering under load included) | "
        f"{', '.join(str(s) for s in r['propagation']['seen_seconds'])} |",
        f"| problems | {'; '.join(r['problems']) or 'none'} |",
    ]
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--estates", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=6, help="edits timed across servers")
    # One each: the two processes of the single-server load test, split across two servers
    # (the whole cluster shares one 2-core machine with wrk, nginx and the services).
    parser.add_argument("--workers", type=int, default=1, help="gunicorn workers per server")
    parser.add_argument("--no-report", action="store_true", help="check only, write nothing")
    args = parser.parse_args()
    preflight()
    # A stop from outside unwinds like an error: everything started is stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started_at = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="cluster-") as workdir:
        result = run(
            args.seconds, args.connections, args.estates, args.rounds, args.workers, workdir
        )
    print(
        f"[cluster] {result['requests']:,} requests in {args.seconds} s through nginx "
        f"({result['requests_per_second']:.0f}/s, p99 {result['p99_ms']} ms, "
        f"{result['errors']} errors); profile answered {result['profile_requests_answered']} "
        f"and counted {result['profile_views_counted']}; {result['admin_saves']} admin saves; "
        f"photo shown by the other server after {result['photo'].get('seconds_until_shown')} s; "
        f"edits served stale by the other server for {result['propagation']['stale_seconds']} s; "
        f"{len(result['problems'])} problems ({time.monotonic() - started_at:.0f} s)"
    )
    for problem in result["problems"]:
        print("  PROBLEM:", problem)
    if not args.no_report:
        (ROOT / "bench" / "cluster.md").write_text(report(result), encoding="utf-8")
        (ROOT / "bench" / "cluster-results.json").write_text(
            json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
    if result["problems"]:
        sys.exit(1)
    print("Cluster test passed.")


if __name__ == "__main__":
    os.chdir(ROOT)
    main()
