"""Media on S3-compatible object storage (DJANGO_MEDIA_STORAGE=s3://…, parsed in settings).

django-storages' S3 backend, with one change: a failure of the storage service (unreachable,
refused, out of quota) is raised as an OSError, as a full or broken disk is, so every caller
that handles a failing file system (a photo upload's 照片写入存储时出错, a backup's refusal)
handles object storage too, without knowing which one it has.
"""

import contextlib
import errno

from botocore.exceptions import BotoCoreError, ClientError
from storages.backends.s3 import S3Storage


@contextlib.contextmanager
def _as_oserror(action, name):
    try:
        yield
    except ClientError as error:
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if status == 404:
            raise FileNotFoundError(errno.ENOENT, f"{action} {name}: not found") from error
        raise OSError(errno.EIO, f"object storage: {action} {name}: {error}") from error
    except BotoCoreError as error:
        raise OSError(errno.EIO, f"object storage: {action} {name}: {error}") from error


class MediaStorage(S3Storage):
    def _open(self, name, mode="rb"):
        with _as_oserror("open", name):
            return super()._open(name, mode)

    def _save(self, name, content):
        with _as_oserror("write", name):
            return super()._save(name, content)

    def delete(self, name):
        with _as_oserror("delete", name):
            return super().delete(name)

    def exists(self, name):
        with _as_oserror("look up", name):
            return super().exists(name)

    def listdir(self, name):
        with _as_oserror("list", name):
            return super().listdir(name)

    def size(self, name):
        with _as_oserror("size of", name):
            return super().size(name)

    def key(self, name):
        """The object's key in the bucket (the prefix and the name)."""
        return self._normalize_name(name)
