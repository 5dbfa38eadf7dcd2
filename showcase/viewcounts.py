"""Profile view counts: added up in memory, written to the database in batches.

Writing every view at once made each profile request a database write and commit, which cost
more than serving the page from the cache. Each server process instead adds its views up in
memory, per estate id, and writes them with one ``UPDATE … SET view_count = view_count + n``
per batch of estates (never read-modify-write, so processes writing at the same time lose
nothing):

- every ``VIEW_COUNT_FLUSH_SECONDS`` from a background thread, which gunicorn starts in each
  worker (``post_worker_init`` in gunicorn.conf.py); other servers (runserver) write from the
  request that finds the interval over instead;
- when the process ends: gunicorn's ``worker_exit`` hook, after the worker has answered its
  last request, and ``atexit`` for any other server.

A process killed without warning (SIGKILL, power loss) loses the views of its last interval;
a graceful stop or restart loses none. A failed write keeps its views for the next one.

A page shows the count read from the database (at most one interval ago) plus this process's
views not yet written, so with several processes it may lag the others' views by about one
interval. ``VIEW_COUNT_FLUSH_SECONDS = 0`` writes every view at once.
"""

import atexit
import logging
import threading
import time

from django.conf import settings
from django.db import connections
from django.db.models import Case, F, PositiveBigIntegerField, Value, When

from estates.models import Estate

log = logging.getLogger(__name__)

# Estates per UPDATE statement.
BATCH = 500
# Remembered estates beyond this many are dropped wholesale, so a crawl through the whole
# registry cannot grow a process without bound.
KNOWN_LIMIT = 20_000

_lock = threading.Lock()
_pending = {}  # estate id -> views not yet written
_ids = {}  # slug -> estate id, for pages served from the cache
_known = {}  # estate id -> (view_count read from the database, when it was read)
_last_write = time.monotonic()
_timer = None  # (thread, stop event) while a background thread writes


def _interval():
    return getattr(settings, "VIEW_COUNT_FLUSH_SECONDS", 10)


def _remember(estate_id, slug, count, now):
    if len(_known) >= KNOWN_LIMIT:
        _known.clear()
        _ids.clear()
    _ids[slug] = estate_id
    _known[estate_id] = (count, now)


def remember(estate_id, slug, count):
    """Note the count the database held for an estate, read while rendering its page."""
    with _lock:
        _remember(estate_id, slug, count, time.monotonic())


def record(slug):
    """Count one view of the published estate `slug`; returns the count to show."""
    estate_id, count = _current(slug)
    if estate_id is None:
        return count
    with _lock:
        _pending[estate_id] = _pending.get(estate_id, 0) + 1
        interval = _interval()
        due = interval <= 0 or (_timer is None and time.monotonic() - _last_write >= interval)
    if due:
        flush()
    return shown(slug)


def shown(slug):
    """The count to show: as read from the database, plus views not yet written."""
    estate_id, count = _current(slug)
    with _lock:
        return count + _pending.get(estate_id, 0)


def _current(slug):
    """(estate id, count read from the database), read again once older than the interval."""
    now = time.monotonic()
    with _lock:
        estate_id = _ids.get(slug)
        known = _known.get(estate_id)
    if known is not None and now - known[1] < max(_interval(), 1):
        return estate_id, known[0]
    row = Estate.objects.filter(slug=slug).values_list("pk", "view_count").first()
    if row is None:
        return None, 0
    with _lock:
        _remember(row[0], slug, row[1], now)
    return row


def flush():
    """Write every view counted so far; returns how many were written."""
    global _last_write
    with _lock:
        batch = sorted(_pending.items())
        _pending.clear()
        _last_write = time.monotonic()
    written = []
    for start in range(0, len(batch), BATCH):
        chunk = batch[start : start + BATCH]
        try:
            Estate.objects.filter(pk__in=[estate_id for estate_id, _views in chunk]).update(
                view_count=F("view_count")
                + Case(
                    *[When(pk=estate_id, then=Value(views)) for estate_id, views in chunk],
                    default=Value(0),
                    output_field=PositiveBigIntegerField(),
                )
            )
        except Exception:
            # Each statement is all or nothing: keep this chunk and the rest for the next try.
            unwritten = batch[start:]
            log.exception("Could not write %s profile views; keeping them", len(unwritten))
            with _lock:
                for estate_id, views in unwritten:
                    _pending[estate_id] = _pending.get(estate_id, 0) + views
            break
        written += chunk
    if written:
        _refresh_known([estate_id for estate_id, _views in written])
    return sum(views for _estate_id, views in written)


def _refresh_known(estate_ids):
    try:
        counts = Estate.objects.filter(pk__in=estate_ids).values_list("pk", "view_count")
        now = time.monotonic()
        with _lock:
            for estate_id, count in counts:
                if estate_id in _known:
                    _known[estate_id] = (count, now)
    except Exception:  # the views are written; only the shown counts wait for the next read
        log.exception("Could not read profile view counts")


def start_timer():
    """Write every interval from a background thread (gunicorn starts it in each worker)."""
    global _timer
    if _timer is not None or _interval() <= 0:
        return
    stop = threading.Event()

    def write_regularly():
        while not stop.wait(_interval()):
            try:
                flush()
            finally:
                connections.close_all()  # this thread's own connections

    thread = threading.Thread(target=write_regularly, name="view-counts", daemon=True)
    _timer = (thread, stop)
    thread.start()


def stop_timer():
    global _timer
    if _timer is not None:
        thread, stop = _timer
        stop.set()
        thread.join()
        _timer = None


def pending():
    with _lock:
        return sum(_pending.values())


def discard():
    """Forget unwritten views and remembered counts (tests start each case clean)."""
    global _last_write
    with _lock:
        _pending.clear()
        _ids.clear()
        _known.clear()
        _last_write = time.monotonic()


def _flush_at_exit():
    try:
        flush()
    except Exception:  # the database may already be gone; nothing more can be done
        log.exception("Could not write profile views at exit")


atexit.register(_flush_at_exit)
