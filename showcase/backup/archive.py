"""One backup archive: a ZIP file holding the manifest, the database dump and every media file.

    manifest.json          format version, time, migration state, rows per model, sequences,
                           sha256 and size of the dump and of every media file
    signature.json         HMAC-SHA256 of the manifest's bytes (see signing.py)
    database.jsonl         every row of every table (sessions aside), one JSON object a line
    media/<path>           the files under MEDIA_ROOT, byte for byte

ZIP rather than tar: its directory at the end lets the manifest be read first and every
member be checked (CRC-32 and sha256) before anything is changed, and a truncated file is
recognised at once because that directory is missing.
"""

import contextlib
import datetime
import errno
import hashlib
import json
import os
import posixpath
import shutil
import sys
import tempfile
import time
import uuid
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import django
from django.conf import settings
from django.core.management import CommandError
from django.db import DatabaseError, connections
from django.utils import timezone

from . import database, signing

FORMAT_NAME = "meihao-jiayuan-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SIGNATURE = "signature.json"
DATA = "database.jsonl"
MEDIA_PREFIX = "media/"
CHUNK = 1024 * 1024
# Already compressed: stored as they are rather than deflated again.
STORED_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".gif", ".zip", ".gz", ".xlsx", ".pdf"}


class BackupError(Exception):
    """A refusal or failure, with a message for the operator in Chinese."""


@dataclass
class Summary:
    path: Path
    rows: int = 0
    models: int = 0
    media_files: int = 0
    media_bytes: int = 0
    seconds: float = 0.0
    media_set_aside: Path | None = None
    signed_with: str | None = None  # the key's fingerprint
    extra: dict = field(default_factory=dict)


def to_stderr(text):
    """Where warnings go unless the caller says otherwise (the commands style them)."""
    sys.stderr.write(text + "\n")


def _why(error):
    """An OSError's cause in the operator's words; what follows "写入 … 时"."""
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return "磁盘空间不足"
    if error.errno == errno.EFBIG:
        return "文件超出系统允许的大小"
    return "出错"


def _backup_failed(error, target):
    """The BackupError for a failure while writing a backup (nothing was left behind)."""
    if isinstance(error, CommandError):
        # dumpdata raises its own error while handling what went wrong.
        error = error.__cause__ or error.__context__ or error
    if isinstance(error, OSError):
        detail = f"写入 {target.parent} 时{_why(error)}（{error.strerror or error}）"
    elif isinstance(error, DatabaseError):
        detail = f"读取数据库时出错（{error}）"
    else:
        detail = f"导出数据库时出错（{error}）"
    return BackupError(f"备份失败：{detail}，没有留下不完整的备份文件。")


# Writing -----------------------------------------------------------------------------------


def media_root():
    return Path(settings.MEDIA_ROOT)


def leftover_of_a_restore(root, name):
    """Folders a restore makes inside MEDIA_ROOT when it is a mount point (see MediaSwap)."""
    return name.startswith((".before-restore-", f".{root.name}.restore-"))


def media_files(root):
    """(relative posix path, absolute path) of every regular file under root, sorted."""
    if not root.is_dir():
        return []
    found = []
    for directory, dirnames, filenames in os.walk(root):
        if Path(directory) == root:
            dirnames[:] = [name for name in dirnames if not leftover_of_a_restore(root, name)]
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(directory) / name
            if path.is_file() and not path.is_symlink():
                found.append((path.relative_to(root).as_posix(), path))
    return found


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as source:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _copy_into(archive, name, source, compress, mtime=None):
    """Stream `source` (a binary file) into the archive; returns (sha256, size)."""
    info = zipfile.ZipInfo(name, date_time=time.localtime(mtime or time.time())[:6])
    info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    info.external_attr = 0o644 << 16
    digest, size = hashlib.sha256(), 0
    with archive.open(info, "w", force_zip64=True) as target:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            target.write(chunk)
    return digest.hexdigest(), size


def create_backup(target, using="default", warn=to_stderr):
    """Write a signed backup archive to `target` (a file path, or a directory to put one in)."""
    started = time.monotonic()
    try:
        key = signing.current_key(warn)
    except signing.SigningError as error:
        raise BackupError(str(error)) from None
    target = Path(target)
    if target.is_dir():
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
        target = target / f"meihao-backup-{stamp}.zip"
    if target.exists():
        raise BackupError(f"{target} 已存在。为免覆盖已有备份，请换一个文件名或先移走原文件。")
    if not target.parent.is_dir():
        raise BackupError(f"目录 {target.parent} 不存在，请先创建。")
    if target.resolve().is_relative_to(media_root().resolve()):
        raise BackupError(
            f"不能把备份写在媒体目录 {media_root()} 里：那里的文件可以从网上直接下载，"
            "备份又会把自己也装进去。请换一个目录。"
        )

    manifest = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "created_at": timezone.localtime().isoformat(),
        "django_version": django.get_version(),
        "database_vendor": connections[using].vendor,
        "excluded": list(database.EXCLUDED_APPS),
    }
    partial = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.partial")
    failure = None
    try:
        with tempfile.TemporaryDirectory(prefix=".backup-", dir=target.parent) as scratch:
            dump_path = Path(scratch) / "database.jsonl"
            with database.snapshot(using):
                manifest["migrations"] = database.migration_state(using)
                manifest["sequences"] = database.read_sequences(using)
                database.dump(dump_path, using)
            with dump_path.open(encoding="utf-8") as lines:
                counts = database.count_rows(lines)
            rows = {
                database.label_of(m): counts.get(database.label_of(m), 0)
                for m in database.dumped_models()
            }
            with zipfile.ZipFile(partial, "w", allowZip64=True) as archive:
                with dump_path.open("rb") as source:
                    sha256, size = _copy_into(archive, DATA, source, compress=True)
                manifest["data"] = {
                    "path": DATA,
                    "format": "django-jsonl",
                    "sha256": sha256,
                    "size": size,
                    "rows": rows,
                }
                files = {}
                for relative, path in media_files(media_root()):
                    with path.open("rb") as source:
                        sha256, size = _copy_into(
                            archive,
                            MEDIA_PREFIX + relative,
                            source,
                            compress=path.suffix.lower() not in STORED_SUFFIXES,
                            mtime=path.stat().st_mtime,
                        )
                    files[relative] = {"sha256": sha256, "size": size}
                manifest["media"] = files
                # Signed as the very bytes stored: a restore verifies before it parses.
                manifest_bytes = json.dumps(
                    manifest, ensure_ascii=False, indent=2, sort_keys=True
                ).encode("utf-8")
                archive.writestr(MANIFEST, manifest_bytes, compress_type=zipfile.ZIP_DEFLATED)
                archive.writestr(
                    SIGNATURE,
                    signing.signature(manifest_bytes, key),
                    compress_type=zipfile.ZIP_DEFLATED,
                )
        # Password hashes and objectors' contacts are inside: readable by the owner only.
        os.chmod(partial, 0o600)
        with partial.open("rb") as written:
            os.fsync(written.fileno())
        os.replace(partial, target)
    except (OSError, DatabaseError, CommandError) as error:
        # Raised only once this block has let go of the error: its traceback holds dumpdata's
        # open database cursor, which must close before the command closes the connection.
        failure = _backup_failed(error, target)
    finally:
        partial.unlink(missing_ok=True)
    if failure is not None:
        raise failure
    return Summary(
        path=target,
        rows=sum(rows.values()),
        models=len(rows),
        media_files=len(files),
        media_bytes=sum(f["size"] for f in files.values()),
        seconds=time.monotonic() - started,
        signed_with=key.fingerprint,
    )


# Reading -----------------------------------------------------------------------------------


def _damaged(path, detail):
    return BackupError(f"备份文件 {path} 已损坏或不完整（{detail}），未做任何改动。")


def _safe_relative(name):
    """A member's path below media/, refused if it could land outside MEDIA_ROOT."""
    if (
        not name
        or "\\" in name
        or "\x00" in name
        or name.startswith("/")
        or posixpath.normpath(name) != name
        or any(part in ("", ".", "..") for part in name.split("/"))
    ):
        return None
    return name


class Archive:
    """An opened archive whose signature has been verified and whose manifest has been read
    and checked for shape.

    `allow_unsigned` accepts an archive without a signature (as written before backups were
    signed), after a warning; an archive whose signature does not verify is always refused.
    """

    def __init__(self, path, allow_unsigned=False, warn=to_stderr):
        self.path = Path(path)
        self.allow_unsigned = allow_unsigned
        self.warn = warn
        self.signed_with = None
        if not self.path.is_file():
            raise BackupError(f"找不到备份文件 {self.path}。")
        try:
            self.zip = zipfile.ZipFile(self.path)
        except (zipfile.BadZipFile, OSError, ValueError) as error:
            raise _damaged(self.path, f"无法读取 ZIP 目录：{error}") from None
        try:
            self.manifest = self._read_manifest()
            self._check_members()
        except BaseException:
            self.zip.close()
            raise

    def close(self):
        self.zip.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _read_member(self, name, what):
        try:
            return self.zip.read(name)
        except KeyError:
            raise _damaged(self.path, f"缺少{what} {name}") from None
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
            raise _damaged(self.path, f"{what}无法读取：{error}") from None

    def _verify(self, raw):
        """Check the signature of the manifest's bytes before anything reads them."""
        if SIGNATURE not in self.zip.namelist():
            if not self.allow_unsigned:
                raise BackupError(
                    f"备份文件 {self.path} 没有签名，无法确认它由本站生成且未被改动，拒绝恢复，"
                    "未做任何改动。如果它是启用签名之前的旧备份、并且确认来源可靠，"
                    "可以加 --allow-unsigned 跳过签名校验。"
                )
            self.warn(
                f"警告：备份文件 {self.path} 没有签名，已按 --allow-unsigned 跳过签名校验："
                "只能确认它完整，不能确认它由本站生成、未被改动。"
            )
            return
        signed = self._read_member(SIGNATURE, "签名")
        try:
            self.signed_with = signing.verify(raw, signed, self.path, self.warn).fingerprint
        except signing.SigningError as error:
            raise BackupError(str(error)) from None

    def _read_manifest(self):
        raw = self._read_member(MANIFEST, "清单")
        self._verify(raw)
        try:
            manifest = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise _damaged(self.path, f"清单不是有效的 JSON：{error}") from None
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME:
            raise BackupError(f"{self.path} 不是本系统的备份文件（清单格式不符），未做任何改动。")
        version = manifest.get("format_version")
        if version != FORMAT_VERSION:
            raise BackupError(
                f"备份格式版本为 {version}，本程序只能恢复版本 {FORMAT_VERSION}，未做任何改动。"
            )
        shape = {
            "created_at": str,
            "migrations": dict,
            "sequences": dict,
            "data": dict,
            "media": dict,
        }
        for key, kind in shape.items():
            if not isinstance(manifest.get(key), kind):
                raise _damaged(self.path, f"清单缺少或写错了“{key}”")
        data = manifest["data"]
        if not (
            data.get("path") == DATA
            and isinstance(data.get("sha256"), str)
            and isinstance(data.get("size"), int)
            and isinstance(data.get("rows"), dict)
            and all(isinstance(n, int) and n >= 0 for n in data["rows"].values())
        ):
            raise _damaged(self.path, "清单中数据库部分的记录不完整")
        for name, entry in manifest["media"].items():
            if _safe_relative(name) is None:
                raise BackupError(f"清单中的媒体文件路径不安全：{name!r}，拒绝恢复，未做任何改动。")
            if not (
                isinstance(entry, dict)
                and isinstance(entry.get("sha256"), str)
                and isinstance(entry.get("size"), int)
            ):
                raise _damaged(self.path, f"清单中媒体文件 {name} 的记录不完整")
        if not all(isinstance(v, int) for v in manifest["sequences"].values()):
            raise _damaged(self.path, "清单中的序列值不是整数")
        return manifest

    def _check_members(self):
        names = [info.filename for info in self.zip.infolist()]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise _damaged(self.path, f"归档中有重复的文件：{'、'.join(duplicates[:5])}")
        expected = {MANIFEST, DATA} | {MEDIA_PREFIX + name for name in self.manifest["media"]}
        if self.signed_with:
            expected.add(SIGNATURE)
        missing = sorted(expected - set(names))
        extra = sorted(set(names) - expected)
        if missing:
            raise BackupError(
                f"清单与备份内容不符：清单列出的 {len(missing)} 个文件不在归档中"
                f"（如 {missing[0]}），未做任何改动。"
            )
        if extra:
            raise BackupError(
                f"清单与备份内容不符：归档中有 {len(extra)} 个清单未列出的文件"
                f"（如 {extra[0]}），未做任何改动。"
            )

    def _chunks(self, name):
        """A member's bytes, piece by piece; a failure to read them is the archive's fault."""
        try:
            with self.zip.open(name) as source:
                while chunk := source.read(CHUNK):
                    yield chunk
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as error:
            raise _damaged(self.path, f"{name} 无法读取：{error}") from None

    def extract_checked(self, name, destination, sha256, size, where):
        """Copy one member to `destination` (or only read it, when None), refusing it unless
        its sha256 and size match the manifest. A failure to write is reported against
        `where` (the folder the operator knows), not as a damaged archive."""
        digest, written = hashlib.sha256(), 0
        try:
            with open(destination or os.devnull, "wb") as target:
                for chunk in self._chunks(name):
                    digest.update(chunk)
                    written += len(chunk)
                    target.write(chunk)
        except OSError as error:
            raise cannot_unpack(name, where, error) from None
        if written != size or digest.hexdigest() != sha256:
            raise BackupError(
                f"清单与备份内容不符：{name} 的校验值（sha256）或大小与清单记录不一致，"
                "备份可能被改动或损坏，未做任何改动。"
            )


def cannot_unpack(name, where, error):
    return BackupError(
        f"在 {where} 中解开 {name} 时{_why(error)}（{error.strerror or error}），未做任何改动。"
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
        swap = MediaSwap(media_root())
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
