"""Where a backup reads the media files from and a restore puts them back: the folder
MEDIA_ROOT, or the bucket (and prefix) of object storage when DJANGO_MEDIA_STORAGE is set.

Object storage has no rename: a restore there uploads what the archive holds and first copies
every object it replaces or removes to `<prefix>.before-restore-<time>/` in the same bucket
(nothing is deleted, as on a file system); an object whose content is the archive's is left
alone. `undo()` puts everything back."""

import contextlib
import datetime
import hashlib
import shutil
import tempfile
from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError
from django.core.files import File
from django.core.files.storage import storages
from urllib3.exceptions import HTTPError

CHUNK = 1024 * 1024


def current():
    """The media store of these settings: ObjectMedia or LocalMedia."""
    storage = storages["default"]
    if hasattr(storage, "bucket_name") and hasattr(storage, "connection"):
        return ObjectMedia(storage)
    from .archive import media_root

    return LocalMedia(media_root())


@contextlib.contextmanager
def _unreachable_as_refusal(store):
    """Object storage that fails while a backup reads it: a refusal the operator can read."""
    from .archive import BackupError

    try:
        yield
    except (BotoCoreError, ClientError, HTTPError) as error:
        raise BackupError(
            f"读取对象存储 {store} 时出错（{error}），备份未完成，没有留下不完整的备份文件。"
            "请检查存储服务的地址、密钥和网络后重试。"
        ) from None


class LocalMedia:
    local = True

    def __init__(self, root):
        self.root = root

    def __str__(self):
        return str(self.root)

    def files(self):
        """(relative posix path, size, mtime, open()) of every file, sorted."""
        from .archive import media_files

        for relative, path in media_files(self.root):
            stat = path.stat()
            yield relative, stat.st_size, stat.st_mtime, lambda path=path: path.open("rb")

    def swap(self):
        from .restore import MediaSwap

        return MediaSwap(self.root)


class ObjectMedia:
    local = False

    def __init__(self, storage):
        self.storage = storage
        self.client = storage.connection.meta.client
        self.bucket = storage.bucket_name
        self.location = storage.location.strip("/")
        self.prefix = f"{self.location}/" if self.location else ""

    def __str__(self):
        return f"s3://{self.bucket}/{self.prefix}"

    def objects(self):
        """{relative name: (key, ETag, size, mtime)} of the objects under the prefix,
        restores' set-aside copies left out."""
        from .archive import leftover_of_a_restore

        found = {}
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix
        )
        for page in pages:
            for entry in page.get("Contents", ()):
                relative = entry["Key"][len(self.prefix) :]
                if not relative or relative.endswith("/"):
                    continue
                if not self.prefix and leftover_of_a_restore(Path("."), relative.split("/")[0]):
                    continue
                found[relative] = (
                    entry["Key"],
                    entry["ETag"].strip('"'),
                    entry["Size"],
                    entry["LastModified"].timestamp(),
                )
        return found

    def files(self):
        with _unreachable_as_refusal(self):
            found = sorted(self.objects().items())
        for relative, (key, _etag, size, mtime) in found:
            yield relative, size, mtime, lambda key=key: self._open(key)

    def _open(self, key):
        with _unreachable_as_refusal(self):
            body = self.client.get_object(Bucket=self.bucket, Key=key)["Body"]
        return contextlib.closing(_Readable(body, self))

    def swap(self):
        return ObjectSwap(self)


class _Readable:
    """A StreamingBody as a file that `with` closes."""

    def __init__(self, body, store):
        self.body, self.store = body, store

    def read(self, size=-1):
        with _unreachable_as_refusal(self.store):
            return self.body.read(None if size < 0 else size)

    def close(self):
        self.body.close()


def _md5(path):
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as source:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class ObjectSwap:
    """The restore's media side on object storage, with MediaSwap's interface: the checked
    files are unpacked into a local work folder (`incoming`), put in place by `swap()` just
    before the database commits, and taken back by `undo()` if it does not."""

    def __init__(self, media):
        self.media = media
        stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
        self.aside = (
            f"{media.location}.before-restore-{stamp}/"
            if media.location
            else f".before-restore-{stamp}/"
        )
        self.work = Path(tempfile.mkdtemp(prefix="meihao-restore-"))
        self.incoming = self.work / "media"
        self.incoming.mkdir()
        self.done = []  # ("aside", key, aside key) | ("put", key, existed) | ("removed", key)
        self.copies = 0

    def _copy(self, source, target):
        self.media.client.copy(
            {"Bucket": self.media.bucket, "Key": source}, self.media.bucket, target
        )

    def swap(self):
        from .archive import media_files

        media, client = self.media, self.media.client
        incoming = dict(media_files(self.incoming))
        existing = media.objects()
        for relative, (key, etag, size, _mtime) in sorted(existing.items()):
            path = incoming.get(relative)
            if path is not None and size == path.stat().st_size and etag == _md5(path):
                del incoming[relative]  # the archive's very file: left alone
                continue
            aside = self.aside + relative
            self._copy(key, aside)
            self.done.append(("aside", key, aside))
            self.copies += 1
            if path is None:
                client.delete_object(Bucket=media.bucket, Key=key)
                self.done.append(("removed", key))
        for relative, path in sorted(incoming.items()):
            with path.open("rb") as source:
                media.storage._save(relative, File(source, name=relative))
            self.done.append(("put", media.prefix + relative, relative in existing))

    def undo(self):
        client, bucket = self.media.client, self.media.bucket
        for action in reversed(self.done):
            if action[0] == "put" and not action[2]:
                client.delete_object(Bucket=bucket, Key=action[1])
            elif action[0] == "aside":
                self._copy(action[2], action[1])
                client.delete_object(Bucket=bucket, Key=action[2])
        self.done = []
        self.copies = 0

    def cleanup(self):
        shutil.rmtree(self.work, ignore_errors=True)

    def forget_copies(self, restored):
        """Nothing to drop: only replaced or removed objects were copied aside."""

    @property
    def set_aside(self):
        return f"s3://{self.media.bucket}/{self.aside}" if self.copies else None
