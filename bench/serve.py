"""The site as production runs it, on loopback: gunicorn with gunicorn.conf.py, DEBUG off,
collected static files served by WhiteNoise; and wrk to drive it.

Used by the benchmark runner (throughput) and by the load test (tests/load).
"""

import contextlib
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def production_env(env, static_root):
    """Production settings on loopback: no HTTPS redirect (there is no proxy in front)."""
    env = dict(env)
    env.update(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=env.get("DJANGO_SECRET_KEY") or secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_STATIC_ROOT=str(static_root),
        DJANGO_LOG_LEVEL="WARNING",
    )
    return env


@contextlib.contextmanager
def gunicorn(env, workers=2, static_files=None, access_log=""):
    """Serve the site; yields its base URL. static_files: {name: bytes} placed among the
    collected static files, so WhiteNoise serves them at /static/<name>; access_log: a file
    for gunicorn's access log (none by default). Leaving the block stops gunicorn gracefully,
    so every request it accepted has been answered."""
    with tempfile.TemporaryDirectory() as static_root:
        env = production_env(env, static_root)
        subprocess.run(
            [PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"],
            cwd=ROOT,
            env=env,
            check=True,
        )
        for name, content in (static_files or {}).items():
            Path(static_root, name).write_bytes(content)
        port = free_port()
        env.update(
            GUNICORN_BIND=f"127.0.0.1:{port}",
            GUNICORN_WORKERS=str(workers),
            GUNICORN_ACCESS_LOG=str(access_log),
            # No worker recycling mid-measurement: it closes keep-alive connections, which a
            # proxy retries but wrk counts as errors.
            GUNICORN_MAX_REQUESTS="0",
        )
        log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in the finally below)
        process = subprocess.Popen(
            [PYTHON, "-m", "gunicorn", "-c", "gunicorn.conf.py", "showcase.wsgi"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=log,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    with urllib.request.urlopen(base + "/healthz", timeout=2) as answer:
                        if answer.status == 200:
                            break
                except OSError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise RuntimeError("gunicorn did not start:\n" + log.read().decode()[-3000:])
                time.sleep(0.2)
            yield base
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
            log.close()


def wrk_available():
    return shutil.which("wrk") is not None


def cluster_tools_available():
    """What the cluster test runs beside Python: nginx and redis-server (Debian's packages)."""
    return all(shutil.which(tool) for tool in ("nginx", "redis-server"))


def wrk(url, connections=16, seconds=10, threads=2, headers=()):
    """Drive url with wrk; returns requests/s, counts and latency percentiles (ms)."""
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for header in headers:
        command += ["-H", header]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    return parse_wrk(output)


UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def parse_wrk(output):
    def latency(label):
        found = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.M)
        return round(float(found.group(1)) * UNITS[found.group(2)], 2) if found else None

    requests = re.search(r"^\s*(\d+) requests in", output, re.M)
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "requests_per_second": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "requests": int(requests.group(1)),
        "socket_errors": sum(int(n) for n in errors.groups()) if errors else 0,
        "socket_error_kinds": dict(
            zip(("connect", "read", "write", "timeout"), map(int, errors.groups()), strict=True)
        )
        if errors
        else {},
        "non_2xx_3xx": int(non2xx.group(1)) if non2xx else 0,
        "p50_ms": latency(50),
        "p99_ms": latency(99),
    }


def combine(runs):
    """Several wrk runs of equal length as one: mean rate, summed counts, worst p99."""
    return {
        "requests_per_second": round(
            sum(run["requests_per_second"] for run in runs) / len(runs), 2
        ),
        "requests": sum(run["requests"] for run in runs),
        "socket_errors": sum(run["socket_errors"] for run in runs),
        "non_2xx_3xx": sum(run["non_2xx_3xx"] for run in runs),
        "p99_ms": max((run["p99_ms"] for run in runs if run["p99_ms"] is not None), default=None),
    }


def fetch(url):
    with urllib.request.urlopen(url, timeout=30) as answer:
        return answer.read()


def environ_without_database():
    return {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CACHE_URL")}
