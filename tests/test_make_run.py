"""`make run` prints the sign-in address it actually serves, whatever HOST and PORT say."""

import io
import shlex
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[1]


def make_run_commands(*variables):
    """The commands `make run` would run, without running them."""
    result = subprocess.run(
        ["make", "-n", "run", *variables],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return [shlex.split(line) for line in result.stdout.splitlines() if "manage.py" in line]


def manage_args(commands, name):
    [args] = [c[c.index(name) + 1 :] for c in commands if name in c]
    return args


@pytest.mark.django_db
@pytest.mark.parametrize(
    "variables, served",
    [
        ([], "127.0.0.1:8000"),
        (["PORT=8111"], "127.0.0.1:8111"),
        (["HOST=0.0.0.0", "PORT=9000"], "0.0.0.0:9000"),
    ],
)
def test_make_run_prints_the_address_it_serves(settings, variables, served):
    settings.DEBUG = True  # as `make run` has it; the test runner turns it off
    commands = make_run_commands(*variables)
    assert manage_args(commands, "runserver") == [served]
    out = io.StringIO()
    call_command("create_demo_users", *manage_args(commands, "create_demo_users"), stdout=out)
    assert out.getvalue().splitlines()[-1] == f"登录地址：http://{served}/admin/"


def test_make_run_serves_uploaded_photos(tmp_path):
    """Photos show under `make run`: runserver with DEBUG on serves MEDIA_ROOT."""
    import os
    import socket
    import sys
    import time
    import urllib.request

    media = tmp_path / "media"
    (media / "photos" / "some-estate").mkdir(parents=True)
    photo = media / "photos" / "some-estate" / "0a1b2c.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xe0 a photo")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **os.environ,
        "DJANGO_DEBUG": "1",
        "DJANGO_MEDIA_ROOT": str(media),
        "SQLITE_PATH": str(tmp_path / "db.sqlite3"),
    }
    env.pop("DATABASE_URL", None)
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}/media/photos/some-estate/0a1b2c.jpg"
        for _ in range(100):
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    body, status = response.read(), response.status
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("runserver did not answer")
        assert (status, body) == (200, b"\xff\xd8\xff\xe0 a photo")
    finally:
        server.terminate()
        server.wait(timeout=10)
