"""Backups are signed: an archive changed by someone without the key is refused, whatever
hashes they recompute, and every failure reads in Chinese without a traceback.

Like tests/test_backup.py these run against a real, committed database (transaction=True);
the shell tests run `manage.py` in a process of its own, with DEBUG off as in production.
"""

import errno
import hashlib
import hmac
import io
import json
import os
import resource
import subprocess
import sys
import zipfile
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection

from showcase.backup import signing

from .builders import make_estate, make_staff
from .test_backup import add_photo, media_snapshot, snapshot

pytestmark = pytest.mark.django_db(transaction=True)

KEY = "signing-key-of-the-test-site-for-backups-0123456789"
OTHER_KEY = "a-key-from-some-other-installation-9876543210-abcdef"
PROJECT = Path(__file__).resolve().parents[1]


def fingerprint(key):
    return signing.Key(key.encode()).fingerprint


@pytest.fixture(autouse=True)
def signing_key(monkeypatch):
    monkeypatch.setenv(signing.KEY_VARIABLE, KEY)
    monkeypatch.delenv(signing.OLD_KEYS_VARIABLE, raising=False)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def site(media):
    """The seed, an editor who is no superuser, and an estate with a photo."""
    call_command("load_seed", verbosity=0)
    editor = make_staff("editor", username="editor")
    add_photo(make_estate(name="签名测试小区"), "小区全景", (200, 40, 40), is_cover=True)
    return editor


def backup(path):
    out, err = io.StringIO(), io.StringIO()
    call_command("backup", str(path), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def members_of(archive):
    with zipfile.ZipFile(archive) as opened:
        return {info.filename: opened.read(info.filename) for info in opened.infolist()}


def write_members(archive, members):
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as new:
        for name, data in members.items():
            new.writestr(name, data)
    return archive


def forge(good, forged, keep_signature=True):
    """What someone with the archive but without the key does: make `editor` a superuser and
    recompute every hash the format has (the manifest's sha256 and size of the dump and of
    every media file; zipfile writes new CRC-32s), keeping the signature or dropping it."""
    members = members_of(good)
    lines = members["database.jsonl"].decode().splitlines()
    for number, line in enumerate(lines):
        row = json.loads(line)
        if row["model"] == "auth.user" and row["fields"]["username"] == "editor":
            row["fields"]["is_superuser"] = True
            lines[number] = json.dumps(row, ensure_ascii=False)
    dump = ("\n".join(lines) + "\n").encode()
    assert dump != members["database.jsonl"]
    manifest = json.loads(members["manifest.json"])
    manifest["data"].update(sha256=hashlib.sha256(dump).hexdigest(), size=len(dump))
    for name, entry in manifest["media"].items():
        payload = members["media/" + name]
        entry.update(sha256=hashlib.sha256(payload).hexdigest(), size=len(payload))
    members["database.jsonl"] = dump
    members["manifest.json"] = json.dumps(
        manifest, ensure_ascii=False, indent=2, sort_keys=True
    ).encode()
    if not keep_signature:
        members.pop("signature.json", None)
    return write_members(forged, members)


def unsigned(good, target):
    """The archive as made before backups were signed."""
    members = members_of(good)
    members.pop("signature.json", None)
    return write_members(target, members)


def changed(path):
    return (
        f"备份文件 {path} 的签名校验失败：清单在签名之后被改动过，备份内容可能被篡改。"
        "拒绝恢复，未做任何改动。请改用另一份备份。"
    )


def not_signed(path):
    return (
        f"备份文件 {path} 没有签名，无法确认它由本站生成且未被改动，拒绝恢复，未做任何改动。"
        "如果它是启用签名之前的旧备份、并且确认来源可靠，可以加 --allow-unsigned 跳过签名校验。"
    )


def other_key(path, signed_with, ours):
    return (
        f"备份文件 {path} 的签名密钥与本机的不符（备份的密钥指纹 {fingerprint(signed_with)}，"
        f"本机可用的密钥指纹 {fingerprint(ours)}），无法确认备份来源，拒绝恢复，"
        "未做任何改动。如果它是更换密钥之前的备份，请把旧密钥加入环境变量 "
        "BACKUP_SIGNING_OLD_KEYS。"
    )


NO_KEY = (
    "没有设置环境变量 BACKUP_SIGNING_KEY（备份签名密钥），正式环境（DEBUG 关闭）不能生成或"
    "校验备份。请设置一个至少 32 个字符的随机密钥，并与备份文件分开保管，"
    "见 docs/operations-backup.md。"
)


def refusal(*args):
    with pytest.raises(CommandError) as refused:
        call_command(*args, stdout=io.StringIO(), stderr=io.StringIO())
    return str(refused.value)


def is_superuser(username):
    return get_user_model().objects.get(username=username).is_superuser


def test_signed_backup_round_trips_with_its_key_named(site, media, tmp_path):
    archive = tmp_path / "site.zip"
    rows, files = snapshot(), media_snapshot(media)

    out, err = backup(archive)

    assert out.endswith(f"已签名（密钥指纹 {fingerprint(KEY)}）。\n")
    assert err == ""
    members = members_of(archive)
    signature = json.loads(members["signature.json"])
    # HMAC-SHA256 of the manifest's bytes, behind a fixed context: checkable by hand.
    expected = hmac.new(
        KEY.encode(),
        b"meihao-jiayuan-backup manifest signature v1\n" + members["manifest.json"],
        hashlib.sha256,
    ).hexdigest()
    assert signature == {
        "algorithm": "HMAC-SHA256",
        "signs": "manifest.json",
        "key_fingerprint": fingerprint(KEY),
        "hmac": expected,
    }
    out = io.StringIO()
    call_command("restore", str(archive), "--check", stdout=out)
    assert f"完好，签名有效（密钥指纹 {fingerprint(KEY)}），" in out.getvalue()

    make_staff("editor", username="after-the-backup")
    call_command("restore", str(archive), "--replace", stdout=io.StringIO())

    assert snapshot() == rows
    assert media_snapshot(media) == files


def test_tampered_archive_with_recomputed_hashes_is_refused_and_changes_nothing(
    site, media, tmp_path
):
    good = tmp_path / "good.zip"
    backup(good)
    rows, files = snapshot(), media_snapshot(media)
    forged = forge(good, tmp_path / "forged.zip")
    stripped = forge(good, tmp_path / "stripped.zip", keep_signature=False)
    # The forgery is a good one: it passes every check but the signature.
    out = io.StringIO()
    call_command(
        "restore", str(stripped), "--check", "--allow-unsigned", stdout=out, stderr=io.StringIO()
    )
    assert out.getvalue().startswith("校验通过")

    assert refusal("restore", str(forged), "--check") == changed(forged)
    assert refusal("restore", str(forged), "--replace") == changed(forged)
    assert refusal("restore", str(stripped), "--check") == not_signed(stripped)
    assert refusal("restore", str(stripped), "--replace") == not_signed(stripped)

    assert is_superuser("editor") is False
    assert snapshot() == rows
    assert media_snapshot(media) == files
    assert list(tmp_path.glob("media.before-restore-*")) == []


def test_unsigned_archive_is_refused_unless_allowed_with_a_warning(site, media, tmp_path):
    good = tmp_path / "good.zip"
    backup(good)
    rows = snapshot()
    old = unsigned(good, tmp_path / "old.zip")
    make_staff("editor", username="after-the-backup")
    changed_rows = snapshot()

    assert refusal("restore", str(old), "--check") == not_signed(old)
    assert refusal("restore", str(old), "--replace") == not_signed(old)
    assert snapshot() == changed_rows

    warning = (
        f"警告：备份文件 {old} 没有签名，已按 --allow-unsigned 跳过签名校验："
        "只能确认它完整，不能确认它由本站生成、未被改动。\n"
    )
    out, err = io.StringIO(), io.StringIO()
    call_command("restore", str(old), "--check", "--allow-unsigned", stdout=out, stderr=err)
    assert err.getvalue() == warning
    assert "完好，没有签名（按 --allow-unsigned 未校验来源），" in out.getvalue()
    out, err = io.StringIO(), io.StringIO()
    call_command("restore", str(old), "--replace", "--allow-unsigned", stdout=out, stderr=err)
    assert err.getvalue() == warning
    assert snapshot() == rows


def test_archive_signed_with_another_key_is_refused_until_its_key_is_listed_as_old(
    site, media, tmp_path, monkeypatch
):
    archive = tmp_path / "site.zip"
    backup(archive)
    rows = snapshot()
    monkeypatch.setenv(signing.KEY_VARIABLE, OTHER_KEY)  # the key was changed since

    assert refusal("restore", str(archive), "--check") == other_key(archive, KEY, OTHER_KEY)
    assert refusal("restore", str(archive), "--replace") == other_key(archive, KEY, OTHER_KEY)
    assert snapshot() == rows

    # Rotation: the old key still verifies what it signed; new backups use the new key.
    monkeypatch.setenv(signing.OLD_KEYS_VARIABLE, f"{KEY}")
    out = io.StringIO()
    call_command("restore", str(archive), "--check", stdout=out)
    assert f"签名有效（密钥指纹 {fingerprint(KEY)}）" in out.getvalue()
    out, _ = backup(tmp_path / "after-rotation.zip")
    assert out.endswith(f"已签名（密钥指纹 {fingerprint(OTHER_KEY)}）。\n")


def test_backup_without_a_key_is_refused_with_debug_off_and_writes_nothing(
    site, tmp_path, monkeypatch
):
    monkeypatch.delenv(signing.KEY_VARIABLE)
    target = tmp_path / "backups"
    target.mkdir()

    assert refusal("backup", str(target)) == NO_KEY
    assert list(target.iterdir()) == []


def test_backup_with_a_short_key_is_refused(site, tmp_path, monkeypatch):
    monkeypatch.setenv(signing.KEY_VARIABLE, "too-short")

    assert refusal("backup", str(tmp_path)) == (
        "环境变量 BACKUP_SIGNING_KEY 中的备份签名密钥太短（9 个字符，至少需要 32 个）。"
        '可用 python -c "import secrets; print(secrets.token_urlsafe(48))" 生成一个。'
    )
    assert list(tmp_path.glob("*.zip")) == []


def test_backup_without_a_key_with_debug_on_signs_with_a_development_key_and_warns(
    site, tmp_path, monkeypatch, settings
):
    monkeypatch.delenv(signing.KEY_VARIABLE)
    settings.DEBUG = True
    archive = tmp_path / "laptop.zip"
    warning = (
        "警告：没有设置环境变量 BACKUP_SIGNING_KEY，备份签名改用由 SECRET_KEY 派生的开发用密钥"
        "（只在 DEBUG 模式下允许）。正式环境必须设置独立的签名密钥。\n"
    )

    _, err = backup(archive)

    assert err == warning
    err = io.StringIO()
    call_command("restore", str(archive), "--check", stdout=io.StringIO(), stderr=err)
    assert err.getvalue() == warning
    # Where a real key is set, the development key's archives are not accepted.
    monkeypatch.setenv(signing.KEY_VARIABLE, KEY)
    development = json.loads(members_of(archive)["signature.json"])["key_fingerprint"]
    assert refusal("restore", str(archive), "--check") == (
        f"备份文件 {archive} 的签名密钥与本机的不符（备份的密钥指纹 {development}，"
        f"本机可用的密钥指纹 {fingerprint(KEY)}），无法确认备份来源，拒绝恢复，"
        "未做任何改动。如果它是更换密钥之前的备份，请把旧密钥加入环境变量 "
        "BACKUP_SIGNING_OLD_KEYS。"
    )
    monkeypatch.delenv(signing.KEY_VARIABLE)
    settings.DEBUG = False
    assert refusal("restore", str(archive), "--check") == NO_KEY


# From the shell ----------------------------------------------------------------------------


def manage(*args, file_size_limit=None, **environment):
    """Run manage.py as an operator does, in production mode, against the test database."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DJANGO_", "DATABASE_", "SQLITE_", "BACKUP_SIGNING_"))
    }
    env.update(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="secret-key-of-the-test-site-only-used-by-these-tests-0123456789",
        DJANGO_ALLOWED_HOSTS="meihao.example.cn",
        DJANGO_MEDIA_ROOT=str(django_settings.MEDIA_ROOT),
        PYTHONIOENCODING="utf-8",
    )
    database = connection.settings_dict
    if connection.vendor == "postgresql":
        login = quote(database["USER"]) + (
            f":{quote(database['PASSWORD'])}" if database["PASSWORD"] else ""
        )
        env["DATABASE_URL"] = (
            f"postgres://{login}@{database['HOST']}:{database['PORT'] or 5432}/{database['NAME']}"
        )
    else:
        env["SQLITE_PATH"] = database["NAME"]
    env.update(environment)

    def limit_file_size():
        # The kernel refuses to write past this size, as a full disk would refuse.
        _, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
        resource.setrlimit(resource.RLIMIT_FSIZE, (file_size_limit, hard))

    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        encoding="utf-8",
        timeout=300,
        preexec_fn=limit_file_size if file_size_limit else None,
    )


def test_every_failure_from_the_shell_is_chinese_without_a_traceback(site, media, tmp_path):
    good = tmp_path / "good.zip"
    backup(good)
    rows, files = snapshot(), media_snapshot(media)
    forged = forge(good, tmp_path / "forged.zip")
    old = unsigned(good, tmp_path / "old.zip")
    (tmp_path / "notes.zip").write_text("不是备份", encoding="utf-8")
    (tmp_path / "truncated.zip").write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    (tmp_path / "out").mkdir()
    too_large = os.strerror(errno.EFBIG)
    no_zip = "无法读取 ZIP 目录：File is not a zip file"
    key = {signing.KEY_VARIABLE: KEY}
    cases = [
        (["restore", str(forged), "--check"], key, changed(forged)),
        (["restore", str(forged), "--replace"], key, changed(forged)),
        (
            ["restore", str(good), "--replace"],
            {signing.KEY_VARIABLE: OTHER_KEY},
            other_key(good, KEY, OTHER_KEY),
        ),
        (["restore", str(old), "--replace"], key, not_signed(old)),
        (
            ["restore", str(tmp_path / "missing.zip"), "--replace"],
            key,
            f"找不到备份文件 {tmp_path / 'missing.zip'}。",
        ),
        (
            ["restore", str(tmp_path / "notes.zip"), "--check"],
            key,
            f"备份文件 {tmp_path / 'notes.zip'} 已损坏或不完整（{no_zip}），未做任何改动。",
        ),
        (
            ["restore", str(tmp_path / "truncated.zip"), "--replace"],
            key,
            f"备份文件 {tmp_path / 'truncated.zip'} 已损坏或不完整（{no_zip}），未做任何改动。",
        ),
        (["backup", str(tmp_path / "out")], {}, NO_KEY),
    ]
    full = 96 * 1024  # past SQLite's shared-memory file, short of the database dump
    disk_full = [
        (
            ["backup", str(tmp_path / "out")],
            key,
            f"备份失败：写入 {tmp_path / 'out'} 时文件超出系统允许的大小（{too_large}），"
            "没有留下不完整的备份文件。",
        ),
        (
            ["restore", str(good), "--replace"],
            key,
            f"在 {tmp_path} 中解开 database.jsonl 时文件超出系统允许的大小（{too_large}），"
            "未做任何改动。",
        ),
    ]
    runs = [(case, None) for case in cases] + [(case, full) for case in disk_full]
    for (args, environment, message), limit in runs:
        finished = manage(*args, file_size_limit=limit, **environment)

        assert "Traceback" not in finished.stderr, args
        assert finished.stderr == f"CommandError: {message}\n", args
        assert finished.returncode == 1, args
        assert finished.stdout == "", args
        assert snapshot() == rows, args
        assert media_snapshot(media) == files, args
        assert is_superuser("editor") is False
        assert list((tmp_path / "out").iterdir()) == [], args
        assert list(tmp_path.glob("*.before-restore-*")) == [], args
        assert list(tmp_path.glob(".media.restore-*")) == [], args
