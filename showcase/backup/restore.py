"""Checking and restoring an archive (archive.py): the signature first, then every member,
then the migrations; the restore replaces the database and the media files in one transaction,
or changes nothing."""

import contextlib
import datetime
import os
import shutil
import tempfile
import time
from pathlib import Path

from django.db import DatabaseError

from . import database, media
from .archive import (
    DATA,
    MEDIA_PREFIX,
    Archive,
    BackupError,
    Summary,
    _damaged,
    _sha256,
    _why,
    cannot_unpack,
    media_files,
    to_stderr,
)


def check_migrations(manifest, using):
    """Refuse unless the database has exactly the backup's migrations applied."""
    ours = database.migration_state(using)
    theirs = manifest["migrations"]
    if not ours:
        raise BackupError(
            "当前数据库还没有执行过迁移（没有任何表）。请先用与备份同一版本的程序运行 "
            "manage.py migrate，再恢复。未做任何改动。"
        )
    problems = []
    for app_label in sorted(set(ours) | set(theirs)):
        mine, saved = ours.get(app_label), theirs.get(app_label)
        if mine == saved:
            continue
        if saved is None:
            problems.append(f"应用 {app_label}：备份中没有迁移记录，数据库已执行到 {mine}")
        elif mine is None:
            problems.append(f"应用 {app_label}：备份执行到 {saved}，数据库尚未执行任何迁移")
        else:
            problems.append(f"应用 {app_label}：备份执行到 {saved}，数据库执行到 {mine}")
    if problems:
        raise BackupError(
            "备份的数据库迁移状态与当前数据库不一致，未做任何改动：\n  - "
            + "\n  - ".join(problems)
            + "\n请先把数据库迁移到与备份相同的状态（如 manage.py migrate <应用> <迁移名>），"
            "或使用与备份同一版本的程序恢复。"
        )


def _unpack(archive, scratch, media=None):
    """Check and extract the dump into `scratch` and every media file into `media` (only
    check them when None); returns the dump's path. Both are folders made inside
    `scratch.parent`, which is the place named if the disk fills up."""
    manifest = archive.manifest
    data = manifest["data"]
    dump_path = scratch / DATA
    archive.extract_checked(DATA, dump_path, data["sha256"], data["size"], where=scratch.parent)
    try:
        with dump_path.open(encoding="utf-8") as lines:
            counts = database.count_rows(lines)
    except (UnicodeDecodeError, ValueError, KeyError, TypeError) as error:
        raise _damaged(archive.path, f"数据库数据无法解析：{error}") from None
    expected = {label: n for label, n in data["rows"].items() if n}
    if dict(counts) != expected:
        labels = sorted(set(counts) | set(expected))
        first = next(label for label in labels if counts.get(label, 0) != expected.get(label, 0))
        raise BackupError(
            f"清单与备份内容不符：{first} 在清单中记为 {expected.get(first, 0)} 行，"
            f"数据中实有 {counts.get(first, 0)} 行，未做任何改动。"
        )
    for relative, entry in sorted(manifest["media"].items()):
        destination = None
        if media is not None:
            destination = media / relative
            try:
                destination.parent.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise cannot_unpack(MEDIA_PREFIX + relative, scratch.parent, error) from None
        archive.extract_checked(
            MEDIA_PREFIX + relative,
            destination,
            entry["sha256"],
            entry["size"],
            where=scratch.parent,
        )
    return dump_path


@contextlib.contextmanager
def _refusing_plainly():
    """Turn the file system's and the database's failures before a restore changes anything
    into a refusal the operator can read (the commands show no traceback)."""
    try:
        yield
    except OSError as error:
        where = f" {error.filename} " if error.filename else ""
        raise BackupError(
            f"读写文件{where}时{_why(error)}（{error.strerror or error}），未做任何改动。"
        ) from None
    except DatabaseError as error:
        raise BackupError(f"读取数据库时出错（{error}），未做任何改动。") from None


def check_backup(path, using="default", allow_unsigned=False, warn=to_stderr):
    """Check an archive completely without changing anything; returns a Summary."""
    started = time.monotonic()
    with (
        _refusing_plainly(),
        Archive(path, allow_unsigned, warn) as archive,
        tempfile.TemporaryDirectory(prefix="meihao-restore-") as tmp,
    ):
        check_migrations(archive.manifest, using)
        _unpack(archive, Path(tmp))
        manifest = archive.manifest
        return Summary(
            path=archive.path,
            rows=sum(manifest["data"]["rows"].values()),
            models=len(manifest["data"]["rows"]),
            media_files=len(manifest["media"]),
            media_bytes=sum(e["size"] for e in manifest["media"].values()),
            seconds=time.monotonic() - started,
            signed_with=archive.signed_with,
            extra={
                "created_at": manifest["created_at"],
                "occupied": database.occupied(using),
            },
        )


# Restoring ---------------------------------------------------------------------------------


class MediaSwap:
    """Put the checked media files in place of MEDIA_ROOT's contents, keeping the old ones.

    Everything is unpacked into a work folder beside MEDIA_ROOT (inside it when MEDIA_ROOT is
    a mount point), so every move is a rename on one file system. The old contents move to
    `<media>.before-restore-<time>` beside MEDIA_ROOT (`.before-restore-<time>` inside it for
    a mount point); nothing is deleted. `undo()` puts everything back.
    """

    def __init__(self, root):
        self.root = root
        self.moves = []  # (from, to) done so far, for undo
        stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
        if root.exists() and os.path.ismount(root):
            base, aside_name = root, f".before-restore-{stamp}"
        else:
            base, aside_name = root.parent, f"{root.name}.before-restore-{stamp}"
        self.aside = base / aside_name
        try:
            base.mkdir(parents=True, exist_ok=True)
            self.work = Path(tempfile.mkdtemp(prefix=f".{root.name}.restore-", dir=base))
        except OSError as error:
            raise BackupError(
                f"无法在 {base} 中创建恢复用的临时目录（{error}），未做任何改动。"
            ) from None
        self.incoming = self.work / "media"
        self.incoming.mkdir()

    def _move(self, source, target):
        os.replace(source, target)
        self.moves.append((source, target))

    def swap(self):
        self.root.mkdir(parents=True, exist_ok=True)
        old = sorted(p for p in self.root.iterdir() if p not in (self.work, self.aside))
        if old:
            self.aside.mkdir()
            for path in old:
                self._move(path, self.aside / path.name)
        for path in sorted(self.incoming.iterdir()):
            self._move(path, self.root / path.name)

    def undo(self):
        for source, target in reversed(self.moves):
            os.replace(target, source)
        self.moves = []
        if self.aside.exists() and not any(self.aside.iterdir()):
            self.aside.rmdir()

    def cleanup(self):
        shutil.rmtree(self.work, ignore_errors=True)

    def forget_copies(self, restored):
        """Drop set-aside files the restore put back unchanged ({path: {"sha256": …}}), so
        the folder keeps only what the restore replaced or removed; drop it if that is
        nothing."""
        if not self.aside.exists():
            return
        for relative, path in media_files(self.aside):
            entry = restored.get(relative)
            if entry and entry["size"] == path.stat().st_size and _sha256(path) == entry["sha256"]:
                path.unlink()
        for directory, _dirs, _files in sorted(os.walk(self.aside), reverse=True):
            if not os.listdir(directory):
                os.rmdir(directory)

    @property
    def set_aside(self):
        return self.aside if self.aside.exists() else None


def restore_backup(path, using="default", replace=False, allow_unsigned=False, warn=to_stderr):
    """Replace the database and media files with the archive's, or refuse and change nothing."""
    started = time.monotonic()
    with Archive(path, allow_unsigned, warn) as archive:
        manifest = archive.manifest
        with _refusing_plainly():
            check_migrations(manifest, using)
            if not replace:
                found = database.occupied(using)
                if found:
                    listed = "，".join(f"{label} {count} 行" for label, count in found[:6])
                    more = f"等 {len(found)} 张表" if len(found) > 6 else ""
                    raise BackupError(
                        f"数据库不是空的（{listed}{more}）。恢复会清空并替换全部数据；"
                        "确认要替换时请加上 --replace。未做任何改动。"
                    )
        swap = media.current().swap()
        try:
            dump_path = _unpack(archive, swap.work, swap.incoming)
            try:
                counts = database.replace_all(
                    dump_path,
                    using,
                    expected_counts=manifest["data"]["rows"],
                    source_sequences=manifest["sequences"],
                    before_commit=swap.swap,
                )
            except BaseException:
                swap.undo()
                raise
        except database.RestoreMismatch as error:
            label, (expected, loaded) = sorted(error.wrong.items())[0]
            raise BackupError(
                f"恢复后的行数与清单不符（{label}：清单 {expected} 行，载入 {loaded} 行），"
                "已全部撤销，未做任何改动。"
            ) from None
        except (BackupError, KeyboardInterrupt):
            raise
        except Exception as error:
            raise BackupError(f"恢复失败，已全部撤销，未做任何改动：{error}") from error
        finally:
            swap.cleanup()
        try:
            swap.forget_copies(manifest["media"])
        except OSError as error:
            # The restore is committed by now: not a failure, only a tidier folder missed.
            warn(
                f"警告：恢复已完成，但清理 {swap.aside} 中与备份相同的文件时出错（{error}）；"
                "那里可能多留了一些文件，确认无误后可以整个删除。"
            )
    return Summary(
        path=archive.path,
        rows=sum(counts.values()),
        models=len(counts),
        media_files=len(manifest["media"]),
        media_bytes=sum(e["size"] for e in manifest["media"].values()),
        seconds=time.monotonic() - started,
        media_set_aside=swap.set_aside,
        signed_with=archive.signed_with,
        extra={"created_at": manifest["created_at"]},
    )
