"""Settings come from the environment; production refuses unsafe defaults."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[1]


def run_settings(env, code="print('ok')"):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    clean.update(env)
    script = f"import django; django.setup(); from django.conf import settings; {code}"
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "showcase.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_without_secret_key_refuses_to_start():
    result = run_settings({"DJANGO_DEBUG": "0", "DJANGO_ALLOWED_HOSTS": "example.cn"})
    assert result.returncode != 0
    assert "Refusing to start with DJANGO_DEBUG=0" in result.stderr
    assert "DJANGO_SECRET_KEY is unset" in result.stderr
    assert "DJANGO_ALLOWED_HOSTS" not in result.stderr


def test_production_without_allowed_hosts_refuses_to_start():
    result = run_settings({"DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": "k" * 60})
    assert result.returncode != 0
    assert "DJANGO_ALLOWED_HOSTS is empty" in result.stderr


def test_production_with_key_and_hosts_starts_with_secure_settings():
    result = run_settings(
        {"DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": "k" * 60, "DJANGO_ALLOWED_HOSTS": "a.cn,b.cn"},
        "print(settings.ALLOWED_HOSTS, settings.SESSION_COOKIE_SECURE, "
        "settings.STORAGES['staticfiles']['BACKEND'])",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "['a.cn',",
        "'b.cn']",
        "True",
        "whitenoise.storage.CompressedManifestStaticFilesStorage",
    ]


def test_unclear_debug_value_is_refused():
    result = run_settings({"DJANGO_DEBUG": "maybe"})
    assert result.returncode != 0
    assert "DJANGO_DEBUG must be 1 or 0" in result.stderr


def test_database_url_selects_postgresql():
    result = run_settings(
        {"DATABASE_URL": "postgres://u:p@db.example:5432/meihao"},
        "d = settings.DATABASES['default']; print(d['ENGINE'], d['NAME'], d['HOST'])",
    )
    assert result.stdout.split() == ["django.db.backends.postgresql", "meihao", "db.example"]


def test_sqlite_runs_in_wal_mode_with_immediate_transactions(tmp_path):
    result = run_settings(
        {"SQLITE_PATH": str(tmp_path / "db.sqlite3")},
        "from django.db import connection; c = connection.cursor(); "
        "print(c.execute('PRAGMA journal_mode').fetchone()[0], "
        "c.execute('PRAGMA busy_timeout').fetchone()[0], "
        "settings.DATABASES['default']['OPTIONS']['transaction_mode'])",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["wal", "20000", "IMMEDIATE"]


def test_language_and_time_zone():
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert [code for code, _ in settings.LANGUAGES] == ["zh-hans", "en"]
    assert settings.TIME_ZONE == "Asia/Shanghai"


@pytest.mark.django_db
def test_demo_accounts_refused_in_production(settings):
    from django.core.management import CommandError, call_command

    settings.DEBUG = False
    with pytest.raises(CommandError, match="生产环境"):
        call_command("create_demo_users")


@pytest.mark.django_db
def test_demo_accounts_print_a_working_password(settings, capsys):
    from django.contrib.auth import authenticate
    from django.core.management import call_command

    settings.DEBUG = True
    call_command("create_demo_users")
    out = capsys.readouterr().out
    line = next(line for line in out.splitlines() if "用户名 admin" in line)
    password = line.split("密码")[1].strip()
    user = authenticate(username="admin", password=password)
    assert user is not None and user.is_superuser


@pytest.mark.django_db
def test_system_checks_pass_without_warnings_on_this_database():
    """`make run` and `migrate` print no warnings (database checks included)."""
    from django.core.management import call_command

    call_command("check", databases=["default"], fail_level="WARNING")
