"""Whole-page caching of public pages, invalidated whenever public data changes.

Pages are cached under a key that includes the content version stored in the database
(:class:`showcase.models.ContentVersion`). Any save or delete of a domain row bumps the version,
so the next request renders afresh; stale entries simply expire. Each process reads the version
at most every ``PAGE_CACHE_VERSION_SECONDS`` (1 s; reading it was half the cost of a cached
page) and at once after its own changes, so a change shows on every server within that time.
Queryset ``update()`` and ``bulk_create()`` send no model signals: the domain announces such
changes (``estates.signals.public_data_changed``) and ``connect_signals()`` listens.

The key holds the scheme and host (pages contain absolute links built from them), the language,
and only the query parameters a page reads: any other parameter (a share tracker's
``?from=singlemessage``, a random cache-buster) neither renders a new page nor fills the cache.
"""

import hashlib
import time
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.db import connection, models, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpResponse
from django.utils.http import urlencode
from django.utils.translation import get_language

from estates.signals import public_data_changed

from . import statistics
from .models import ContentVersion

VERSION_ROW = 1
VERSION_SQL = (
    f"SELECT version FROM {ContentVersion._meta.db_table} WHERE "
    f"{ContentVersion._meta.pk.column} = %s"
)
# Response headers worth replaying from the cache (Content-Disposition names a download).
KEPT_HEADERS = ("Content-Type", "Content-Disposition", "Content-Language")


# The version this process read last and when (time.monotonic()). It is read again once it
# is PAGE_CACHE_VERSION_SECONDS old, and at once after this process changes anything.
_last_read = None


def current_version():
    global _last_read
    now = time.monotonic()
    last = _last_read
    if last is not None and now - last[1] < settings.PAGE_CACHE_VERSION_SECONDS:
        return last[0]
    version = database_version()
    _last_read = (version, now)
    return version


def database_version():
    """The version in the database now (current_version() may be up to a second older)."""
    # Plain SQL: on a cached page, building the ORM query cost as much as the rest.
    with connection.cursor() as cursor:
        cursor.execute(VERSION_SQL, [VERSION_ROW])
        row = cursor.fetchone()
    return row[0] if row else 0


def forget_version():
    """Read the version (and the figures kept for it) from the database on the next request."""
    global _last_read
    _last_read = None
    statistics.forget()


def bump():
    updated = ContentVersion.objects.filter(pk=VERSION_ROW).update(version=models.F("version") + 1)
    if not updated:
        # A new database counts on from the clock (milliseconds), so it never reuses a number
        # that an earlier database gave to pages in a shared cache or to open-data files.
        ContentVersion.objects.get_or_create(
            pk=VERSION_ROW, defaults={"version": time.time_ns() // 1_000_000}
        )
    forget_version()
    # Again once the change is visible to others: a request in between may have read the
    # version from before it.
    transaction.on_commit(forget_version)
    # The statistics page's figures are computed once the change is visible: once per
    # transaction, however many rows it saves.
    if not any(
        func is statistics.refresh_after_commit for _s, func, _r in connection.run_on_commit
    ):
        transaction.on_commit(statistics.refresh_after_commit, robust=True)


def _on_change(sender, **kwargs):
    # A history record is written with the change it records, which has moved the version on.
    if (
        sender._meta.app_label == "estates"
        and not hasattr(sender, "instance_type")
        and getattr(sender, "affects_public_pages", True)
    ):
        bump()


def _on_announced(sender, **kwargs):
    bump()


def connect_signals():
    # What the domain announces beside its models' signals (estates/signals.py).
    public_data_changed.connect(_on_announced, dispatch_uid="showcase-content-announced")
    post_save.connect(_on_change, dispatch_uid="showcase-content-save")
    post_delete.connect(_on_change, dispatch_uid="showcase-content-delete")
    m2m_changed.connect(_on_change, dispatch_uid="showcase-content-m2m")


def kept_query(request, params):
    """The page's own query parameters, in a fixed order, as a query string ('' if none)."""
    return urlencode(
        [(name, value) for name in params for value in request.GET.getlist(name) if value]
    )


def page_key(request, version, params):
    address = f"{request.scheme}://{request.get_host()}{request.path}?{kept_query(request, params)}"
    digest = hashlib.sha256(address.encode()).hexdigest()[:40]
    return f"page:{version}:{get_language()}:{request.method}:{digest}"


def cached_page(view=None, *, params=()):
    """Serve a public GET page from the cache while the content version is unchanged.

    `params` lists the query parameters the page reads; all others are ignored."""

    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method not in ("GET", "HEAD"):
                return view(request, *args, **kwargs)
            version = current_version()
            # The view reads the kept figures of the same version (showcase/statistics.py).
            request.content_version = version
            key = page_key(request, version, params)
            hit = cache.get(key)
            if hit is not None:
                content, headers = hit
                response = HttpResponse(content)
                for name, value in headers.items():
                    response[name] = value
                response["X-Page-Cache"] = "hit"
                return response
            response = view(request, *args, **kwargs)
            if response.status_code == 200 and not response.streaming:
                if callable(getattr(response, "render", None)):
                    response.render()
                headers = {name: response[name] for name in KEPT_HEADERS if name in response}
                cache.set(key, (response.content, headers), settings.PUBLIC_PAGE_CACHE_SECONDS)
                response["X-Page-Cache"] = "miss"
            return response

        return wrapper

    return decorate(view) if view is not None else decorate
