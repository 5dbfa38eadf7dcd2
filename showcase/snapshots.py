"""Open-data files built once per change of the published data, then served as files.

The open-data files hold every published estate: tens of thousands of rows and megabytes of
JSON, which take seconds to build. Each one is built the first time it is asked for after a
change (a new content version, showcase/cache.py) and written to ``OPEN_DATA_ROOT``; every
request after that, in any process of this server, streams the file from disk without asking
the database for more than the content version. So a download is as quick as a static file
whatever the page cache holds, and the files take no room in the cache.

A file's name holds a digest of the address it answers (scheme, host, path and language,
as in the page cache: the files hold absolute profile addresses) and the content version it
was built from, so a change is visible at the next request, as on every other page. When a
newer file is written, the older ones of the same address are deleted. The folder is private
(not under MEDIA_ROOT): an old file may hold an estate that is no longer published.

Each app server keeps its own folder; the files are derived, so nothing is lost with them, and
backups leave them out.
"""

import hashlib
import io
import os
import tempfile
import threading
from pathlib import Path

from django.conf import settings
from django.http import FileResponse
from django.utils.cache import get_conditional_response, patch_response_headers
from django.utils.translation import get_language

from .cache import current_version

# One build at a time in a process: a burst of downloads after a change builds each file once.
_building = threading.Lock()


def _folder():
    return Path(settings.OPEN_DATA_ROOT)


def _digest(request):
    address = f"{request.scheme}://{request.get_host()}{request.path}|{get_language()}"
    return hashlib.sha256(address.encode()).hexdigest()[:40]


def _write(path, body):
    """Write atomically: a reader sees the whole old file, the whole new one, or none."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".building-")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(body)
        os.chmod(temporary, 0o640)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _delete_older(digest, version):
    for old in _folder().glob(f"{digest}.*"):
        built_from = old.name.split(".")[1]
        # Only older ones: another process may have just written a newer file than this one.
        if built_from.isdigit() and int(built_from) < version:
            # A request streaming the old file keeps reading it: an open file outlives unlink.
            old.unlink(missing_ok=True)


def _open(path, digest, version, build):
    """The file at `path`, open for reading, built by `build()` (which returns its bytes) if
    there is none yet."""
    try:
        return path.open("rb")
    except FileNotFoundError:
        pass
    with _building:
        try:  # another thread may have built it while this one waited
            return path.open("rb")
        except FileNotFoundError:
            body = build()
        _write(path, body)
        _delete_older(digest, version)
    # Served from the bytes at hand: a newer version's writer may delete the file at any time.
    return io.BytesIO(body)


def serve_snapshot(request, extension, build, content_type, filename, download=True):
    """A response that streams the file for this address and the current content version,
    under `filename` (as a download unless `download` is false); 304, without reading or
    building anything, to a client that already holds this version."""
    digest = _digest(request)
    version = current_version()
    etag = f'"{digest[:16]}-{version}"'
    not_modified = get_conditional_response(request, etag=etag)
    if not_modified is not None:
        return not_modified
    path = _folder() / f"{digest}.{version}.{extension}"
    response = FileResponse(
        _open(path, digest, version, build),
        content_type=content_type,
        as_attachment=download,
        filename=filename,
    )
    # Read in large blocks where the server cannot send the file itself (gunicorn can).
    response.block_size = 256 * 1024
    response["ETag"] = etag
    # Browsers and proxies ask again each time (a change may come at any moment) and get a
    # 304 while the file is unchanged.
    patch_response_headers(response, cache_timeout=0)
    return response
