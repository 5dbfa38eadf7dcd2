"""One backup archive: a ZIP file holding the manifest, the database dump and every media file.

    manifest.json          format version, time, migration state, rows per model, sequences,
                           sha256 and size of the dump and of every media file
    signature.json         HMAC-SHA256 of the manifest's bytes (see signing.py)
    database.jsonl         every row of every table (sessions aside), one JSON object a line
    media/<path>           the media files (under MEDIA_ROOT, or in the bucket of object
                           storage, see media.py), byte for byte

ZIP rather than tar: its directory at the end lets the manifest be read first and every
member be checked (CRC-32 and sha256) before anything is changed, and a truncated file is
recognised at once because that directory is missing.
"""

import errno
import hashlib
import json
import os
import posixpath
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

from . import database, media, signing

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
    store = media.current()
    if store.local and target.resolve().is_relative_to(media_root().resolve()):
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
                for relative, _size, mtime, open_file in store.files():
                    with open_file() as source:
                        sha256, size = _copy_into(
                            archive,
                            MEDIA_PREFIX + relative,
                            source,
                            compress=posixpath.splitext(relative)[1].lower() not in STORED_SUFFIXES,
                            mtime=mtime,
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
