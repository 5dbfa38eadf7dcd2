"""The client address behind a proxy, and the sign-in limit under concurrent guesses.

With DJANGO_TRUSTED_PROXIES unset behind a proxy every visitor has the proxy's address, so the
throttles count everyone as one client: `check --deploy` and the log say so. Guesses sent in
parallel are counted before any password is checked, so the limit holds however many arrive
at once, on SQLite and PostgreSQL alike (run the file with DATABASE_URL for the latter).
"""

import logging
import threading

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import PBKDF2PasswordHasher, make_password
from django.core.checks import run_checks
from django.db import connections
from django.test import Client, override_settings
from django.urls import reverse

from showcase import clients
from showcase.models import FailedLogin

from .test_security import run_manage

PRODUCTION = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "x" * 20 + "production-like-secret-key-for-checks-only-0123456789",
    "DJANGO_ALLOWED_HOSTS": "meihao.example.cn",
    "EMAIL_HOST": "smtp.example.cn",  # mail configured (without it: showcase.W003)
}
PASSWORD = "correct-horse-battery-2026"
PROXY_CHECK = "showcase.W001"


# ---- the proxy setting ------------------------------------------------------------------


def test_deploy_check_warns_when_trusted_proxies_is_unset():
    result = run_manage("check", "--deploy", env=PRODUCTION)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output  # a warning, not an error: the site still starts
    assert f"({PROXY_CHECK})" in output
    assert "DJANGO_TRUSTED_PROXIES" in output
    assert "同一个来源" in output


def test_deploy_check_is_quiet_when_trusted_proxies_is_set():
    result = run_manage(
        "check", "--deploy", "--fail-level", "WARNING",
        env={**PRODUCTION, "DJANGO_TRUSTED_PROXIES": "1"},
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def proxy_warnings():
    return [m for m in run_checks(include_deployment_checks=True) if m.id == PROXY_CHECK]


@override_settings(DEBUG=False, TRUSTED_PROXIES=0)
def test_proxy_check_warning_names_the_setting_in_chinese():
    [warning] = proxy_warnings()
    assert warning.level == logging.WARNING
    assert str(warning.msg) == (
        "DJANGO_TRUSTED_PROXIES 为 0：登录限制和异议提交限制按连接的对端地址计数。"
        "站点若在反向代理之后，所有访客都会被当作同一个来源，少数失败就会让所有人无法登录或提交异议。"
    )
    assert str(warning.hint) == (
        "在代理之后时，把 DJANGO_TRUSTED_PROXIES 设为追加 X-Forwarded-For 的代理层数（通常为 1）。"
        "直接面向访客、前面没有代理时可忽略此提示。"
    )


@override_settings(DEBUG=True, TRUSTED_PROXIES=0)
def test_proxy_check_is_quiet_when_debug_is_on():
    assert proxy_warnings() == []


@override_settings(DEBUG=False, TRUSTED_PROXIES=2)
def test_proxy_check_is_quiet_when_proxies_are_trusted():
    assert proxy_warnings() == []


@pytest.fixture
def fresh_proxy_warning(monkeypatch):
    """The warning is logged once an hour per process; each test starts with none logged."""
    monkeypatch.setattr(clients, "_forwarded_for_warned_at", None, raising=False)


def forwarded_for_warnings(caplog):
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "showcase.clients" and r.levelno == logging.WARNING
    ]


def post_login(client, **headers):
    return client.post(
        reverse("admin:login"), {"username": "nobody", "password": "wrong password"}, **headers
    )


@pytest.mark.django_db
@override_settings(TRUSTED_PROXIES=0)
def test_ignored_forwarded_for_is_logged_once(client, caplog, fresh_proxy_warning):
    caplog.set_level(logging.WARNING, logger="showcase.clients")
    for address in ["192.0.2.1", "192.0.2.2", "192.0.2.3"]:
        post_login(client, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=address)
    assert forwarded_for_warnings(caplog) == [
        "请求带有 X-Forwarded-For，但 DJANGO_TRUSTED_PROXIES 为 0，已忽略它，"
        "按对端地址 10.0.0.1 计数：站点若在代理之后，所有访客都算作同一个来源，"
        "请设置 DJANGO_TRUSTED_PROXIES（通常为 1）。"
    ]


@pytest.mark.django_db
@override_settings(TRUSTED_PROXIES=0)
def test_ignored_forwarded_for_is_logged_again_after_an_hour(
    client, caplog, fresh_proxy_warning, monkeypatch
):
    caplog.set_level(logging.WARNING, logger="showcase.clients")
    post_login(client, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="192.0.2.1")
    monkeypatch.setattr(
        clients, "_forwarded_for_warned_at", clients._forwarded_for_warned_at - 3601
    )
    post_login(client, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="192.0.2.2")
    assert len(forwarded_for_warnings(caplog)) == 2


@pytest.mark.django_db
@override_settings(TRUSTED_PROXIES=0)
def test_forwarded_for_warning_is_silent_without_the_header(client, caplog, fresh_proxy_warning):
    caplog.set_level(logging.WARNING, logger="showcase.clients")
    post_login(client, REMOTE_ADDR="192.0.2.1")
    assert forwarded_for_warnings(caplog) == []


@pytest.mark.django_db
@override_settings(TRUSTED_PROXIES=1)
def test_forwarded_for_warning_is_silent_when_proxies_are_trusted(
    client, caplog, fresh_proxy_warning
):
    caplog.set_level(logging.WARNING, logger="showcase.clients")
    post_login(client, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="192.0.2.1")
    assert forwarded_for_warnings(caplog) == []


# ---- the sign-in limit under concurrency --------------------------------------------------


class CountingHasher(PBKDF2PasswordHasher):
    """PBKDF2 that counts the passwords it checks: a check takes real time, as in production,
    which is what lets parallel guesses overtake each other."""

    algorithm = "counting_pbkdf2"
    iterations = 100_000
    checked = 0
    lock = threading.Lock()

    def verify(self, password, encoded):
        with CountingHasher.lock:
            CountingHasher.checked += 1
        return super().verify(password, encoded)


COUNTING = {"PASSWORD_HASHERS": [f"{__name__}.CountingHasher"]}
THREADS = 60


def guess_in_parallel(attempts):
    """POST every (username, password, address) to the admin login at once, each from its
    own thread and database connection; the answers' status codes."""
    start = threading.Barrier(len(attempts))
    statuses = [None] * len(attempts)

    def attempt(index, username, password, address):
        try:
            client = Client()
            start.wait()
            response = client.post(
                reverse("admin:login"),
                {"username": username, "password": password, "next": "/admin/"},
                REMOTE_ADDR=address,
            )
            statuses[index] = response.status_code
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt, args=(i, *args)) for i, args in enumerate(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


@pytest.mark.django_db(transaction=True)
@override_settings(**COUNTING)
def test_login_limit_holds_for_one_account_under_parallel_guesses():
    get_user_model().objects.create_user("target", "t@example.cn", PASSWORD, is_staff=True)
    CountingHasher.checked = 0
    statuses = guess_in_parallel(
        [("target", f"wrong-{i}", f"198.51.100.{i + 1}") for i in range(THREADS)]
    )
    # Every guess is answered with the login form again (no error, no "database is locked").
    assert statuses == [200] * THREADS
    assert CountingHasher.checked <= settings.LOGIN_FAILURES_PER_ACCOUNT
    # What stays recorded is exactly the guesses checked; refused ones leave nothing behind.
    assert FailedLogin.objects.count() == CountingHasher.checked


@pytest.mark.django_db(transaction=True)
@override_settings(**COUNTING)
def test_login_limit_holds_for_one_client_under_parallel_guesses():
    encoded = make_password(PASSWORD)
    get_user_model().objects.bulk_create(
        get_user_model()(username=f"staff{i}", password=encoded, is_staff=True)
        for i in range(THREADS)
    )
    CountingHasher.checked = 0
    statuses = guess_in_parallel([(f"staff{i}", "wrong", "192.0.2.99") for i in range(THREADS)])
    assert statuses == [200] * THREADS
    assert CountingHasher.checked <= settings.LOGIN_FAILURES_PER_CLIENT
    assert FailedLogin.objects.count() == CountingHasher.checked


@pytest.mark.django_db
@override_settings(**COUNTING)
def test_login_success_leaves_no_attempt_behind(client):
    get_user_model().objects.create_user("target", "t@example.cn", PASSWORD, is_staff=True)
    for _ in range(settings.LOGIN_FAILURES_PER_ACCOUNT - 1):
        client.post(reverse("admin:login"), {"username": "target", "password": "wrong"})
    response = client.post(
        reverse("admin:login"), {"username": "target", "password": PASSWORD, "next": "/admin/"}
    )
    assert (response.status_code, response["Location"]) == (302, "/admin/")
    assert FailedLogin.objects.count() == settings.LOGIN_FAILURES_PER_ACCOUNT - 1


@pytest.mark.django_db
@override_settings(**COUNTING)
def test_login_refused_attempts_leave_no_attempt_behind(client):
    get_user_model().objects.create_user("target", "t@example.cn", PASSWORD, is_staff=True)
    for _ in range(settings.LOGIN_FAILURES_PER_ACCOUNT + 3):
        client.post(reverse("admin:login"), {"username": "target", "password": "wrong"})
    assert FailedLogin.objects.count() == settings.LOGIN_FAILURES_PER_ACCOUNT
