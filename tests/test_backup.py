"""Backups hold everything and restore it exactly; a damaged or tampered archive changes nothing.

The commands manage their own transactions, so these tests run against a real, committed
database (transaction=True), on SQLite and on PostgreSQL alike.
"""

import datetime
import hashlib
import io
import json
import os
import shutil
import zipfile
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.backends.db import SessionStore
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command, execute_from_command_line
from django.test import Client
from PIL import Image

from estates.enums import CampaignPhase, NominationState, ObjectionState
from estates.images import clean_photo
from estates.models import (
    ActivityEvidence,
    City,
    CriterionEvidence,
    Estate,
    Metric,
    MetricType,
    Nomination,
    NominationTransition,
    Objection,
    Photo,
)
from estates.workflow import advance_phase, assign_reviewer, submit_review, transition
from showcase.backup import signing
from showcase.models import ContentVersion, PublicStatistics

from .builders import campaign_like, make_estate, make_staff

pytestmark = pytest.mark.django_db(transaction=True)

S = NominationState
PASSWORD = "unused-in-tests"  # what builders.make_staff gives every account
SIGNING_KEY = "backup-signing-key-of-the-test-site-0123456789"


@pytest.fixture(autouse=True)
def signing_key(monkeypatch):
    """Tests run with DEBUG off, as production does, where backups need their signing key."""
    monkeypatch.setenv(signing.KEY_VARIABLE, SIGNING_KEY)
    monkeypatch.delenv(signing.OLD_KEYS_VARIABLE, raising=False)
    return SIGNING_KEY


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def jpeg(colour, size=(900, 600)):
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="JPEG")
    return ContentFile(buffer.getvalue(), name="upload.jpg")


def add_photo(estate, caption, colour, **fields):
    photo = Photo(estate=estate, caption=caption, **fields)
    photo.store(clean_photo(jpeg(colour)))
    photo.save()
    return photo


def populate(media):
    """The seed, plus a bit of everything a working site holds."""
    call_command("load_seed", verbosity=0)
    ministry = make_staff("ministry")
    province = make_staff("provincial", "shandong")
    reviewer = make_staff("reviewer", "hebei")
    editor = make_staff("editor")
    editor.user_permissions.add(Permission.objects.get(codename="view_objection"))

    linyi = City.objects.get(slug="linyi")
    estate = make_estate(
        name="备份测试小区",
        province=linyi.province,
        city=linyi,
        households=368,
        residents=1332,
        green_coverage=Decimal("39.50"),
        land_area=Decimal("199334.00"),
    )
    add_photo(estate, "小区全景", (200, 40, 40), is_cover=True)
    add_photo(estate, "议事会", (40, 120, 200), display_order=2)
    Metric.objects.create(
        estate=estate,
        metric_type=MetricType.objects.get(code="satisfaction"),
        value=Decimal("97.35"),
        date=datetime.date(2024, 6, 30),
        source_note="发放调查问卷200余份",
    )
    estate.tagline = "以党建引领，让小区换新颜"
    estate._history_user = ministry
    estate._change_reason = "补充标题语"
    estate.save()
    # A deleted estate leaves history under an id no table holds any more.
    gone = make_estate(name="后来删除的小区")
    gone.delete()

    campaign = campaign_like("shandong-2023", CampaignPhase.NOMINATING, slug="backup-story")
    nomination = Nomination.objects.create(
        estate=estate, campaign=campaign, nominating_authority="临沂市住房和城乡建设局"
    )
    CriterionEvidence.objects.bulk_create(
        CriterionEvidence(nomination=nomination, criterion=c, text=f"落实情况{c.number}")
        for c in campaign.criteria.all()
    )
    ActivityEvidence.objects.bulk_create(
        ActivityEvidence(nomination=nomination, requirement=r, text=f"开展情况{r.number}")
        for r in campaign.activity_requirements.all()
    )
    transition(nomination, S.SUBMITTED, province)
    advance_phase(campaign, ministry)
    transition(nomination, S.UNDER_REVIEW, ministry)
    review = assign_reviewer(nomination, reviewer, ministry)
    review.scores.update(score=Decimal("88.50"), comment="材料翔实")
    submit_review(review, reviewer)
    transition(nomination, S.SHORTLISTED, ministry, reason="综合得分靠前")
    Objection.objects.create(
        nomination=nomination,
        text="停车收费标准没有公示，请核查。",
        contact="13800000000",
        state=ObjectionState.CHECKING,
        handled_by=ministry,
        client_hash="ab" * 32,
    )
    LogEntry.objects.create(
        user=ministry,
        content_type=ContentType.objects.get_for_model(Estate),
        object_id=str(estate.pk),
        object_repr=str(estate),
        action_flag=CHANGE,
        change_message='[{"changed": {"fields": ["标题语"]}}]',
    )
    SessionStore().create()  # sessions are left out of backups

    # Media that is not a photo: any file under MEDIA_ROOT is kept, under any name.
    (media / "附件").mkdir(parents=True)
    (media / "附件" / "说明.txt").write_text("备份要包含每一个文件。\n", encoding="utf-8")
    return {"estate": estate, "nomination": nomination, "ministry": ministry}


def snapshot():
    """Every row of every table, field by field (sessions aside); many-to-many tables as
    their pairs, since their own ids carry nothing."""
    tables = {}
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.proxy or not meta.managed or meta.app_label == "sessions":
            continue
        columns = [f.attname for f in meta.concrete_fields]
        if meta.auto_created:
            columns.remove(meta.pk.attname)
        if meta.label_lower == "showcase.contentversion":
            columns = ["id"]  # its number moves on with every restore (see below)
        order = columns if meta.auto_created else ["pk"]
        tables[meta.label_lower] = list(model._base_manager.order_by(*order).values_list(*columns))
    return tables


def media_snapshot(root, leave_out=None):
    if not root.exists():
        return {}
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and not (leave_out and path.is_relative_to(leave_out))
    }


def manifest_of(archive):
    with zipfile.ZipFile(archive) as opened:
        return json.loads(opened.read("manifest.json"))


def rewrite(source, target, manifest=None, members=None, extra=None):
    """Copy an archive, changing the manifest or members on the way. A changed manifest is
    signed again with the site's key: these archives test the checks behind the signature
    (tests/test_backup_signing.py tests the signature)."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        contents = {info.filename: old.read(info.filename) for info in old.infolist()}
        if manifest:
            content = json.loads(contents["manifest.json"])
            manifest(content)
            contents["manifest.json"] = json.dumps(content, ensure_ascii=False).encode()
            contents["signature.json"] = signing.signature(
                contents["manifest.json"], signing.Key(SIGNING_KEY.encode())
            )
        for info in old.infolist():
            data = contents[info.filename]
            if members and info.filename in members:
                data = members[info.filename](data)
            new.writestr(info, data)
        for name, data in (extra or {}).items():
            new.writestr(name, data)
    return target


def test_restore_into_an_empty_database_gives_back_every_row_and_file(media, tmp_path):
    made = populate(media)
    rows, files = snapshot(), media_snapshot(media)
    assert len(files) == 7  # two photos in three sizes, and the note
    version = ContentVersion.objects.get().version
    archive = tmp_path / "site.zip"

    call_command("backup", str(archive), stdout=io.StringIO())

    manifest = manifest_of(archive)
    assert manifest["format_version"] == 1
    assert manifest["migrations"]["estates"] == rows_migration("estates")
    assert manifest["data"]["rows"]["estates.historicalestate"] == len(
        rows["estates.historicalestate"]
    )
    assert "sessions.session" not in manifest["data"]["rows"]
    assert {name: entry["sha256"] for name, entry in manifest["media"].items()} == {
        name: hashlib.sha256(data).hexdigest() for name, data in files.items()
    }
    with pytest.raises(CommandError, match="已存在"):
        call_command("backup", str(archive))
    with pytest.raises(CommandError, match="不能把备份写在媒体目录"):
        call_command("backup", str(media / "photos"))

    call_command("flush", interactive=False, verbosity=0)
    # As `migrate` leaves a new database: the stats figures' row, still empty.
    PublicStatistics.objects.create(pk=1, version=0, format="", figures={})
    shutil.rmtree(media)
    assert not Estate.objects.exists()
    out = io.StringIO()
    call_command("restore", str(archive), "--check", stdout=out)
    assert "校验通过" in out.getvalue()
    assert not Estate.objects.exists() and not media.exists()

    out = io.StringIO()
    call_command("restore", str(archive), stdout=out)

    assert "已从" in out.getvalue()
    assert snapshot() == rows
    assert media_snapshot(media) == files
    assert ContentVersion.objects.get().version > version  # no cached page outlives a restore
    user = authenticate(username=made["ministry"].username, password=PASSWORD)
    assert user == made["ministry"] and user.groups.get().name == "部级管理员"
    assert Client().get("/estates/lijingchangan/").status_code == 200

    # New rows get ids never used before, not even by rows deleted before the backup.
    used_estate_ids = {row[0] for row in rows["estates.historicalestate"]}
    estate = make_estate(name="恢复后新建的小区")
    assert estate.pk > max(used_estate_ids)
    nomination = Nomination.objects.create(estate=estate, campaign=made["nomination"].campaign)
    assert nomination.pk not in {row[0] for row in rows["estates.nomination"]}
    NominationTransition.objects.create(nomination=nomination, to_state=S.DRAFT)
    staff = make_staff("editor")
    assert staff.pk not in {row[0] for row in rows["auth.user"]}
    group = Group.objects.create(name="新建的组")
    group.permissions.add(Permission.objects.first())
    assert estate.history.count() == 1


def rows_migration(app_label):
    from django.db import connection
    from django.db.migrations.recorder import MigrationRecorder

    names = [
        name for app, name in MigrationRecorder(connection).applied_migrations() if app == app_label
    ]
    return max(names)


@pytest.mark.parametrize("mount_point", [False, True], ids=["media folder", "media mount point"])
def test_restore_over_data_needs_replace_and_then_replaces_everything(
    media, tmp_path, monkeypatch, mount_point
):
    if mount_point:  # MEDIA_ROOT is a volume of its own: files set aside stay inside it
        ismount = os.path.ismount
        monkeypatch.setattr(os.path, "ismount", lambda path: path == media or ismount(path))
    made = populate(media)
    rows, files = snapshot(), media_snapshot(media)
    archive = tmp_path / "site.zip"
    call_command("backup", str(archive), stdout=io.StringIO())
    # Work goes on after the backup.
    estate = made["estate"]
    estate.name = "改过名的小区"
    estate.save()
    add_photo(make_estate(name="备份后新增的小区"), "新照片", (10, 200, 10))
    get_user_model().objects.filter(username=made["ministry"].username).update(is_active=False)
    changed_rows, changed_files = snapshot(), media_snapshot(media)

    with pytest.raises(CommandError, match="--replace"):
        call_command("restore", str(archive))
    assert snapshot() == changed_rows and media_snapshot(media) == changed_files

    out = io.StringIO()
    call_command("restore", str(archive), "--replace", stdout=out)

    assert snapshot() == rows
    aside = next((media if mount_point else media.parent).glob("*before-restore-*"))
    assert media_snapshot(media, leave_out=aside) == files
    # The photo added after the backup is kept aside, not lost; the files the backup
    # restored unchanged are not kept twice.
    assert str(aside) in out.getvalue()
    kept = media_snapshot(aside)
    assert len(kept) == 3 and all(name not in files for name in kept)
    # What a restore set aside is not part of the next backup.
    again = tmp_path / "again.zip"
    call_command("backup", str(again), stdout=io.StringIO())
    assert set(manifest_of(again)["media"]) == set(files)


def test_damaged_or_tampered_archives_are_refused_and_change_nothing(media, tmp_path, capsys):
    populate(media)
    good = tmp_path / "good.zip"
    call_command("backup", str(good), stdout=io.StringIO())
    rows, files = snapshot(), media_snapshot(media)
    data = good.read_bytes()
    manifest = manifest_of(good)
    photo = next(name for name in manifest["media"] if name.endswith("-thumb.jpg"))

    def flip_middle(payload):
        middle = len(payload) // 2
        return payload[:middle] + bytes([payload[middle] ^ 0xFF]) + payload[middle + 1 :]

    def drop_last_row(payload):
        return b"\n".join(payload.rstrip(b"\n").split(b"\n")[:-1]) + b"\n"

    cases = {
        "truncated": (lambda path: path.write_bytes(data[: len(data) // 2]), "已损坏"),
        "not a zip": (lambda path: path.write_text("hello"), "已损坏"),
        "empty file": (lambda path: path.write_bytes(b""), "已损坏"),
        "a byte flipped on disk": (
            lambda path: path.write_bytes(flip_stored_byte(good, "media/" + photo)),
            "已损坏",
        ),
        "a media file changed, manifest not": (
            lambda path: rewrite(good, path, members={"media/" + photo: flip_middle}),
            "sha256",
        ),
        "a row missing, manifest not": (
            lambda path: rewrite(good, path, members={"database.jsonl": drop_last_row}),
            "sha256",
        ),
        "a count changed in the manifest": (
            lambda path: rewrite(
                good,
                path,
                manifest=(lambda m: m["data"]["rows"].__setitem__("estates.estate", 99)),
            ),
            "estates.estate 在清单中记为 99 行",
        ),
        "a file's sha256 changed in the manifest": (
            lambda path: rewrite(
                good,
                path,
                manifest=(lambda m: m["media"][photo].__setitem__("sha256", "0" * 64)),
            ),
            "sha256",
        ),
        "a file the manifest does not list": (
            lambda path: rewrite(good, path, extra={"media/photos/extra.jpg": b"x"}),
            "清单未列出",
        ),
        "a file the manifest lists is missing": (
            lambda path: rewrite(
                good, path, manifest=(lambda m: m["media"].__setitem__("a.jpg", m["media"][photo]))
            ),
            "不在归档中",
        ),
        "a path leading out of MEDIA_ROOT": (
            lambda path: rewrite(
                good,
                path,
                manifest=(lambda m: m["media"].__setitem__("../outside.jpg", m["media"][photo])),
                extra={"media/../outside.jpg": b"x"},
            ),
            "路径不安全",
        ),
        "another migration state": (
            lambda path: rewrite(
                good,
                path,
                manifest=(lambda m: m["migrations"].__setitem__("estates", "0001_initial")),
            ),
            "应用 estates：备份执行到 0001_initial，数据库执行到 ",
        ),
        "a newer format": (
            lambda path: rewrite(
                good, path, manifest=(lambda m: m.__setitem__("format_version", 2))
            ),
            "格式版本为 2",
        ),
    }
    for name, (damage, message) in cases.items():
        path = tmp_path / f"{name}.zip"
        damage(path)
        with pytest.raises(CommandError) as refused:
            call_command("restore", str(path), "--replace")
        assert message in str(refused.value), name
        assert "未做任何改动" in str(refused.value), name
        assert snapshot() == rows, name
        assert media_snapshot(media) == files, name
        assert not list(tmp_path.glob("media.before-restore-*")), name
        assert not list(tmp_path.glob(".media.restore-*")), name

    # From the shell: a non-zero exit status and the reason on stderr.
    with pytest.raises(SystemExit) as exited:
        execute_from_command_line(["manage.py", "restore", str(tmp_path / "truncated.zip")])
    assert exited.value.code == 1
    assert "已损坏或不完整" in capsys.readouterr().err


def flip_stored_byte(archive, name):
    """The archive's bytes with one byte of a member's stored data flipped (a bad disk)."""
    data = bytearray(archive.read_bytes())
    with zipfile.ZipFile(archive) as opened:
        info = opened.getinfo(name)
    # Local header: 30 bytes, then the name and the extra field, then the data.
    name_length = int.from_bytes(data[info.header_offset + 26 : info.header_offset + 28], "little")
    extra_length = int.from_bytes(data[info.header_offset + 28 : info.header_offset + 30], "little")
    start = info.header_offset + 30 + name_length + extra_length
    data[start + info.compress_size // 2] ^= 0xFF
    return bytes(data)


def with_data(source, target, change):
    """A copy of the archive with its dump changed and the manifest made to match, so it
    passes every check before loading."""
    step = rewrite(source, target.with_suffix(".step"), members={"database.jsonl": change})
    with zipfile.ZipFile(step) as opened:
        payload = opened.read("database.jsonl")
    counts = {}
    for line in payload.decode().splitlines():
        label = json.loads(line)["model"]
        counts[label] = counts.get(label, 0) + 1

    def matching(manifest):
        manifest["data"]["sha256"] = hashlib.sha256(payload).hexdigest()
        manifest["data"]["size"] = len(payload)
        manifest["data"]["rows"].update(counts)

    return rewrite(step, target, manifest=matching)


def impossible_metric(payload):
    """The database refuses these rows: a satisfaction of 150 %."""
    lines = payload.decode().splitlines()
    for number, line in enumerate(lines):
        row = json.loads(line)
        if row["model"] == "estates.metric":
            row["fields"]["value"] = "150.00"
            lines[number] = json.dumps(row, ensure_ascii=False)
    return ("\n".join(lines) + "\n").encode()


def estate_twice(payload):
    """One estate written twice (and counted twice in the manifest)."""
    lines = payload.decode().splitlines()
    estate = next(line for line in lines if json.loads(line)["model"] == "estates.estate")
    return ("\n".join([*lines, estate]) + "\n").encode()


def miscounting(monkeypatch):
    """The rows in the database after loading are not what the manifest counts (as if
    something else wrote to the tables meanwhile)."""
    from showcase.backup import database

    counts = database.database_counts

    def one_estate_more(using):
        found = counts(using)
        found["estates.estate"] += 1
        return found

    monkeypatch.setattr(database, "database_counts", one_estate_more)


def failing_swap(monkeypatch):
    from showcase.backup.restore import MediaSwap

    swap = MediaSwap.swap

    def swap_then_fail(self):
        swap(self)
        raise OSError("磁盘已满")

    monkeypatch.setattr(MediaSwap, "swap", swap_then_fail)


@pytest.mark.parametrize(
    ("failure", "message"),
    [
        ("a row the database refuses", "载入 estates.Metric 时数据库拒绝了数据"),
        ("a row written twice", "载入 estates.Estate 时数据库拒绝了数据"),
        ("rows loaded differ from the manifest", "恢复后的行数与清单不符（estates.estate"),
        ("media files cannot be moved in", "磁盘已满"),
    ],
)
def test_a_failure_half_way_leaves_everything_as_it_was(
    media, tmp_path, monkeypatch, failure, message
):
    made = populate(media)
    good = tmp_path / "good.zip"
    call_command("backup", str(good), stdout=io.StringIO())
    estate = made["estate"]
    estate.name = "备份后改的名字"
    estate.save()
    add_photo(estate, "备份后上传", (0, 0, 0))
    rows, files = snapshot(), media_snapshot(media)
    archive = {
        "a row the database refuses": lambda: with_data(
            good, tmp_path / "b.zip", impossible_metric
        ),
        "a row written twice": lambda: with_data(good, tmp_path / "b.zip", estate_twice),
        "rows loaded differ from the manifest": lambda: miscounting(monkeypatch) or good,
        "media files cannot be moved in": lambda: failing_swap(monkeypatch) or good,
    }[failure]()

    with pytest.raises(CommandError) as refused:
        call_command("restore", str(archive), "--replace")

    assert message in str(refused.value)
    assert "已全部撤销" in str(refused.value)
    assert snapshot() == rows
    assert media_snapshot(media) == files
    assert not list(tmp_path.glob("media.before-restore-*"))
    assert not list(tmp_path.glob(".media.restore-*"))
    # Sequences were put back too: new rows get ids never used, even by deleted rows.
    new = make_estate(name="失败之后新建的小区")
    assert new.pk > max(row[0] for row in rows["estates.historicalestate"])
    assert Estate.objects.get(pk=estate.pk).name == "备份后改的名字"
