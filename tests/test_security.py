"""Security settings, checked on real responses: headers and CSP on public and admin pages,
`check --deploy` clean with production settings, HSTS and secure cookies from the production
server, staff sign-in throttled, strong passwords, sessions that end."""

import os
import re
import subprocess
import sys
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from showcase.models import FailedLogin

ROOT = Path(__file__).resolve().parents[1]
PRODUCTION = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "x" * 20 + "production-like-secret-key-for-checks-only-0123456789",
    "DJANGO_ALLOWED_HOSTS": "meihao.example.cn,127.0.0.1,localhost",
    # Behind one proxy, as docs/deployment.md sets it (0 there is warned about: showcase.W001).
    "DJANGO_TRUSTED_PROXIES": "1",
    # The staff notifications' mail server (without one: showcase.W003).
    "EMAIL_HOST": "smtp.example.cn",
}
PASSWORD = "correct-horse-battery-2026"


def assert_security_headers(response, where):
    policy = response.headers.get("Content-Security-Policy", "")
    assert policy, where
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, where
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if " " in d.strip())
    assert directives["default-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert response.headers["X-Frame-Options"] == "DENY", where
    assert response.headers["X-Content-Type-Options"] == "nosniff", where
    assert response.headers["Referrer-Policy"] == "same-origin", where
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin", where


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/estates/",
        "/estates/shuangqigandongli/",
        "/stats/",
        "/data/estates.json",
        "/feed/",
        "/sitemap.xml",
        "/sitemap-estates.xml",
        "/en/",
        "/estates/no-such-estate/",
        "/admin/login/",
    ],
)
def test_public_responses_carry_the_security_headers(client, path):
    assert_security_headers(client.get(path), path)


@pytest.mark.django_db
def test_admin_responses_carry_the_security_headers(client):
    client.force_login(get_user_model().objects.create_superuser("sec", "s@example.cn", PASSWORD))
    for path in ["/admin/", "/admin/estates/estate/", "/admin/estates/estate/export/"]:
        response = client.get(path)
        assert response.status_code == 200
        assert_security_headers(response, path)


def test_policy_allows_only_hashed_inline_code_of_the_admin_packages():
    from showcase.security import inline_hashes, policy

    styles, scripts = inline_hashes()
    assert styles and scripts  # the installed templates do carry some; if not, drop the hashes
    for value in styles + scripts:
        assert re.fullmatch(r"'sha256-[A-Za-z0-9+/]{43}='", value)
    assert "'unsafe-inline'" not in policy()


def test_own_templates_carry_no_inline_code():
    """The portal's own pages need no hash: no style attribute, <style>, inline script or
    event handler anywhere in its templates."""
    offenders = []
    for path in (ROOT / "templates").rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        for pattern in [
            r'\sstyle="',
            r"<style",
            r"<script(?![^>]*\ssrc=)(?![^>]*ld\+json)",
            r"\son[a-z]+=",
        ]:
            if re.search(pattern, text):
                offenders.append(f"{path.relative_to(ROOT)}: {pattern}")
    assert offenders == []


def run_manage(*args, env=None):
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )


def test_deploy_check_is_clean_with_production_settings():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_production_refuses_to_start_without_its_secrets():
    result = run_manage("check", env={"DJANGO_DEBUG": "0"})
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr and "DJANGO_ALLOWED_HOSTS" in result.stderr


@pytest.mark.django_db(transaction=True)
def test_production_server_sends_hsts_and_secure_cookies():
    """The real thing: gunicorn with production settings, behind an HTTPS proxy."""
    sys.path.insert(0, str(ROOT / "bench"))
    import serve

    env = {**os.environ, **PRODUCTION}
    with serve.gunicorn(env, workers=1) as base:
        request = urllib.request.Request(
            base + "/admin/login/", headers={"X-Forwarded-Proto": "https"}
        )
        with urllib.request.urlopen(request, timeout=30) as answer:
            headers = answer.headers
        assert headers["Strict-Transport-Security"] == (
            "max-age=31536000; includeSubDomains; preload"
        )
        cookies = headers.get_all("Set-Cookie")
        csrf = next(c for c in cookies if c.startswith("csrftoken="))
        assert "Secure" in csrf and "HttpOnly" in csrf and "SameSite=Lax" in csrf
        assert "upgrade-insecure-requests" in headers["Content-Security-Policy"]
        assert_security_headers(answer, "production /admin/login/")


# ---- sign-in throttle -------------------------------------------------------------------


def sign_in(client, username, password, address="203.0.113.7"):
    return client.post(
        reverse("admin:login"),
        {"username": username, "password": password, "next": "/admin/"},
        REMOTE_ADDR=address,
    )


def signed_in(response):
    return response.status_code == 302 and response["Location"] == "/admin/"


@pytest.fixture
def staff_user(db):
    return get_user_model().objects.create_user(
        "throttled", "t@example.cn", PASSWORD, is_staff=True
    )


def test_failed_sign_ins_lock_the_account_for_a_while(client, staff_user):
    for _ in range(settings.LOGIN_FAILURES_PER_ACCOUNT):
        response = sign_in(client, "throttled", "wrong password")
        assert response.status_code == 200
        assert "请输入一个正确的" in response.content.decode()
    # Now even the right password is refused, from any address, with a clear reason.
    response = sign_in(client, "throttled", PASSWORD, address="198.51.100.9")
    assert not signed_in(response)
    assert "登录失败次数过多" in response.content.decode()
    assert "15 分钟后再试" in response.content.decode()
    # The name is matched however it is typed.
    assert not signed_in(sign_in(client, " THROTTLED ", PASSWORD, address="198.51.100.9"))
    # Another account is not affected.
    get_user_model().objects.create_user("other", "o@example.cn", PASSWORD, is_staff=True)
    assert signed_in(sign_in(client, "other", PASSWORD, address="198.51.100.9"))


def test_the_lock_lifts_when_the_failures_age_out(client, staff_user):
    for _ in range(settings.LOGIN_FAILURES_PER_ACCOUNT):
        sign_in(client, "throttled", "wrong password")
    assert not signed_in(sign_in(client, "throttled", PASSWORD))
    FailedLogin.objects.update(
        at=timezone.now() - timedelta(minutes=settings.LOGIN_THROTTLE_MINUTES, seconds=1)
    )
    assert signed_in(sign_in(client, "throttled", PASSWORD))


def test_one_client_guessing_many_accounts_is_stopped(client, staff_user):
    for i in range(settings.LOGIN_FAILURES_PER_CLIENT):
        sign_in(client, f"guess{i}", "wrong password", address="192.0.2.50")
    assert not signed_in(sign_in(client, "throttled", PASSWORD, address="192.0.2.50"))
    assert signed_in(sign_in(client, "throttled", PASSWORD, address="192.0.2.51"))


@override_settings(TRUSTED_PROXIES=1)
def test_behind_a_proxy_the_forwarded_address_is_counted(client, staff_user):
    for i in range(settings.LOGIN_FAILURES_PER_CLIENT):
        client.post(
            reverse("admin:login"),
            {"username": f"guess{i}", "password": "x"},
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR="forged, 192.0.2.60",
        )
    blocked = client.post(
        reverse("admin:login"),
        {"username": "throttled", "password": PASSWORD, "next": "/admin/"},
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="192.0.2.60",
    )
    assert not signed_in(blocked)
    other = client.post(
        reverse("admin:login"),
        {"username": "throttled", "password": PASSWORD, "next": "/admin/"},
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="192.0.2.61",
    )
    assert signed_in(other)


def test_failures_store_no_names_or_addresses(client, staff_user):
    sign_in(client, "throttled", "wrong password", address="203.0.113.77")
    row = FailedLogin.objects.get()
    assert "throttled" not in row.account and "203.0.113.77" not in row.client
    assert len(row.account) == len(row.client) == 64


def test_weak_passwords_are_refused(db):
    user = get_user_model()(username="newstaff")
    for weak in ["short1!", "password123", "1234567890", "newstaff2026"]:
        with pytest.raises(ValidationError):
            validate_password(weak, user)
    validate_password("街道物业联席会议-2026", user)


def test_sessions_end(client, staff_user):
    assert settings.SESSION_COOKIE_AGE <= 8 * 60 * 60
    response = sign_in(client, "throttled", PASSWORD)
    assert signed_in(response)
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    # A browser-session cookie: gone when the browser closes; the server ends it after 8 h.
    assert cookie["expires"] == "" and cookie["max-age"] == ""
    assert cookie["httponly"]


def test_photos_on_object_storage_are_allowed_by_the_policy(settings):
    """With media on object storage the photos' addresses point at the storage: the policy
    lets images load from there, and from nowhere else."""
    from showcase.security import policy

    policy.cache_clear()
    try:
        settings.MEDIA_STORAGE_ORIGIN = None
        assert "img-src 'self' data:;" in policy()
        policy.cache_clear()
        settings.MEDIA_STORAGE_ORIGIN = "https://photos.example.cn"
        assert "img-src 'self' data: https://photos.example.cn;" in policy()
    finally:
        policy.cache_clear()
