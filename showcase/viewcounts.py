"""Profile view counts: added up in memory, written to the database in batches.

Writing every view at once made each profile request a database write and commit, which cost
more than serving the page from the cache. Each server process instead adds its views up in
memory and writes them with one atomic ``UPDATE … SET view_count = view_count + n`` per estate
(never read-modify-write, so processes writing at the same time lose nothing):

- on a counted view, when ``VIEW_COUNT_FLUSH_SECONDS`` have passed since the last write;
- when the process ends: gunicorn's ``worker_exit`` hook (gunicorn.conf.py) after it has
  answered its last request, and ``atexit`` for any other server.

A process killed without warning (SIGKILL, power loss) loses the views of its last interval;
a graceful stop or restart loses none. A page shows the count last read from the database plus
this process's views not yet written, so with several processes it may lag the others' views by
up to one interval. ``VIEW_COUNT_FLUSH_SECONDS = 0`` writes every view at once.
"""

import atexit
import logging
import threading
import time

from django.conf import settings
from django.db import transaction
from django.db.models import F

from estates.models import Estate

log = logging.getLogger(__name__)

# Counts read from the database are kept for display; dropped wholesale beyond this many
# estates, so a crawl through the whole registry cannot grow a process without bound.
KNOWN_LIMIT = 20_000

_lock = threading.Lock()
_pending = {}  # slug -> views not yet written
_known = {}  # slug -> view_count as last read from the database
_last_write = time.monotonic()


def _interval():
    return getattr(settings, "VIEW_COUNT_FLUSH_SECONDS", 10)


def remember(slug, count):
    """Note the count the database holds for an estate (read while rendering its page).
    Counts only grow, so the larger of two readings is the newer."""
    with _lock:
        if len(_known) >= KNOWN_LIMIT:
            _known.clear()
        _known[slug] = max(count, _known.get(slug, 0))


def record(slug):
    """Count one view of the published estate `slug`; returns the count to show."""
    with _lock:
        _pending[slug] = _pending.get(slug, 0) + 1
        due = time.monotonic() - _last_write >= _interval()
    if due:
        flush()
    return shown(slug)


def shown(slug):
    """The count to show: as last read from the database, plus views not yet written."""
    with _lock:
        known = _known.get(slug)
    if known is None:
        count = Estate.objects.filter(slug=slug).values_list("view_count", flat=True).first()
        remember(slug, count or 0)
        known = count or 0
    with _lock:
        return known + _pending.get(slug, 0)


def flush():
    """Write every view counted so far; on a database error keep them for the next try."""
    global _last_write
    with _lock:
        batch = dict(_pending)
        _pending.clear()
        _last_write = time.monotonic()
    if not batch:
        return 0
    try:
        with transaction.atomic():
            for slug, views in sorted(batch.items()):  # one lock order for every process
                Estate.objects.filter(slug=slug).update(view_count=F("view_count") + views)
        counts = dict(Estate.objects.filter(slug__in=list(batch)).values_list("slug", "view_count"))
    except Exception:
        log.exception("Could not write %s profile views; keeping them", sum(batch.values()))
        with _lock:
            for slug, views in batch.items():
                _pending[slug] = _pending.get(slug, 0) + views
        return 0
    with _lock:
        for slug, count in counts.items():
            _known[slug] = count
    return sum(batch.values())


def pending():
    with _lock:
        return sum(_pending.values())


def discard():
    """Forget unwritten views and remembered counts (tests start each case clean)."""
    with _lock:
        _pending.clear()
        _known.clear()


def _flush_at_exit():
    try:
        flush()
    except Exception:  # the database may already be gone; nothing more can be done
        log.exception("Could not write profile views at exit")


atexit.register(_flush_at_exit)
