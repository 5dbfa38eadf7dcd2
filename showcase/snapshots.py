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

The JSON and CSV files are also written gzip-compressed beside the plain file, by the same
build (about 6% of the bytes for the JSON): a client that accepts gzip, as every browser does,
gets that copy with ``Content-Encoding: gzip``, and any other client the plain file. The two are
different bytes, so each has its own ETag, and the responses say ``Vary: Accept-Encoding`` for
caches on the way.

Each app server keeps its own folder; the files are derived, so nothing is lost with them, and
backups leave them out.
"""

import gzip
import hashlib
import io
import os
import tempfile
import threading
from pathlib import Path

from django.conf import settings
from django.http import FileResponse
from django.utils.cache import (
    get_conditional_response,
    patch_response_headers,
    patch_vary_headers,
)
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


def _gzip_copy(path):
    return path.with_name(f"{path.name}.gz")


def _compress(body):
    # Level 6 makes the JSON within a few percent of level 9's size in a fraction of its time;
    # no timestamp inside, so the same data gives the same bytes.
    return gzip.compress(body, compresslevel=6, mtime=0)


def _open(path, digest, version, build, compressible, gzipped):
    """The file at `path`, or its gzip copy if `gzipped`, open for reading. If it is not there
    yet, `build()` makes the file's bytes, and both the file and (if `compressible`) its gzip
    copy are written."""
    wanted = _gzip_copy(path) if gzipped else path
    try:
        return wanted.open("rb")
    except FileNotFoundError:
        pass
    with _building:
        try:  # another thread may have built it while this one waited
            return wanted.open("rb")
        except FileNotFoundError:
            pass
        try:  # only the copy is missing (one is being written by another process)
            body, copies = path.read_bytes(), {}
        except FileNotFoundError:
            body = build()
            copies = {path: body}
        if compressible:
            copies[_gzip_copy(path)] = _compress(body)
        for copy, content in copies.items():
            _write(copy, content)
        _delete_older(digest, version)
    # Served from the bytes at hand: a newer version's writer may delete the file at any time.
    return io.BytesIO(copies.get(wanted, body))


def accepts_gzip(request):
    """Whether the request's Accept-Encoding admits gzip (``gzip``, or ``*``, with q above 0)."""
    qualities = {}
    for item in request.headers.get("Accept-Encoding", "").split(","):
        coding, *parameters = (part.strip() for part in item.split(";"))
        quality = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        qualities[coding.lower()] = quality
    return qualities.get("gzip", qualities.get("*", 0.0)) > 0


def _headers(response, etag, compressible):
    response["ETag"] = etag
    if compressible:
        patch_vary_headers(response, ["Accept-Encoding"])
    # Browsers and proxies ask again each time (a change may come at any moment) and get a
    # 304 while the file is unchanged.
    patch_response_headers(response, cache_timeout=0)
    return response


def serve_snapshot(
    request, extension, build, content_type, filename, download=True, compressible=True
):
    """A response that streams the file for this address and the current content version,
    under `filename` (as a download unless `download` is false), gzip-compressed for a client
    that accepts it if the file is `compressible`; 304, without reading or building anything,
    to a client that already holds this version."""
    digest = _digest(request)
    version = current_version()
    gzipped = compressible and accepts_gzip(request)
    etag = f'"{digest[:16]}-{version}{"-gzip" if gzipped else ""}"'
    not_modified = get_conditional_response(request, etag=etag)
    if not_modified is not None:
        return _headers(not_modified, etag, compressible)
    path = _folder() / f"{digest}.{version}.{extension}"
    response = FileResponse(
        _open(path, digest, version, build, compressible, gzipped),
        content_type=content_type,
        as_attachment=download,
        filename=filename,
    )
    if gzipped:
        response["Content-Encoding"] = "gzip"
    # Read in large blocks where the server cannot send the file itself (gunicorn can).
    response.block_size = 256 * 1024
    return _headers(response, etag, compressible)
