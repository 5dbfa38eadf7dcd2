"""Where an import's file waits between the preview and the confirmation.

django-import-export keeps it in the server's temp folder and lets the confirmation form post
the file's name back: any name in that folder could be imported (and was then deleted), and
another app server or a cleaned folder had no file. Here the file is a database row, the form
carries a token signed for the uploading user that expires, and the confirmation takes the
row under a lock and marks it imported, so a second click is told what the first did
instead of importing twice.
"""

import io
import secrets
from datetime import timedelta

from django.core import signing
from django.utils import timezone
from import_export.tmp_storages import BaseStorage

from ..models import ImportUpload

MAX_AGE = timedelta(hours=2)
SALT = "estates.import-upload"


class DatabaseUploadStorage(BaseStorage):
    """import-export's temporary storage, as database rows (see the module's docstring)."""

    def save(self, data):
        discard_expired()
        self.name = secrets.token_hex(16)
        if isinstance(data, str):
            data = data.encode("utf-8")
        ImportUpload.objects.create(token=self.name, data=data)

    def read(self):
        data = ImportUpload.objects.filter(token=self.name).values_list("data", flat=True).first()
        return None if data is None else as_read(bytes(data), self.read_mode, self.encoding)

    def remove(self):
        discard(self.name)


def as_read(data, read_mode, encoding):
    """The file as import-export's temporary file gave it to the parser: bytes for a binary
    format; for text, decoded with every line ending (\r\n, a lone \r) read as \n, as a
    file opened in text mode reads them (a line break inside a CSV cell stays a line break)."""
    if "b" in read_mode:
        return data
    return io.TextIOWrapper(io.BytesIO(data), encoding=encoding or "utf-8", newline=None).read()


def discard(token):
    ImportUpload.objects.filter(token=token).delete()


def discard_expired():
    """Previews nobody confirmed are removed once they can no longer be confirmed."""
    ImportUpload.objects.filter(created_at__lt=timezone.now() - MAX_AGE).delete()


def _salt(user):
    return f"{SALT}:{user.pk}"


def signed_name(token, user):
    """What the confirmation form carries: the token, signed for this user and timed."""
    return signing.dumps(token, salt=_salt(user), compress=False)


def token_from(name, user):
    """The token of a signed name; signing.SignatureExpired or signing.BadSignature when it
    is too old, forged, or another user's."""
    return signing.loads(name, salt=_salt(user), max_age=MAX_AGE)


def take(token):
    """The upload, locked for the rest of the caller's transaction (the import's), or None
    when it is gone (expired). A concurrent confirmation of the same file waits for the
    lock and then finds it imported (`imported_at` set)."""
    return ImportUpload.objects.select_for_update().filter(token=token).first()


def mark_imported(upload, outcome):
    """Drop the file, keep what its import did."""
    upload.data = b""
    upload.imported_at = timezone.now()
    upload.outcome = str(outcome)[:200]
    upload.save(update_fields=["data", "imported_at", "outcome"])
