"""Whole-page caching of public pages, invalidated as narrowly as the change.

Pages are cached under a key that includes a content version stored in the database
(:class:`showcase.models.ContentVersion`), which moves on with every change the public can
see — and only those: `estates.publication.public_reach()` says what a saved or deleted row
reaches, so a draft, a nomination in review or an unpublished estate moves nothing. Pages that
list or count estates (home, lists, campaigns, mechanisms, statistics, feed, sitemap, open data)
follow that version. An estate's own page follows two tags instead (:class:`PageTag`): "site",
moved by changes every page shows (a campaign, a criterion, a catalogue), and "estate:<slug>",
moved by changes to that estate — so an edit of one estate leaves every other estate's cached
page in place. Its key also holds a digest of the medians it compares with.

Each process reads the version at most every ``PAGE_CACHE_VERSION_SECONDS`` (1 s) and at once
after its own changes, and the tags that moved since it last looked only when the version
moved, so a cached page costs no query of its own. Queryset ``update()`` and
``bulk_create()`` send no model signals: the domain announces such changes
(``estates.signals.public_data_changed``) and ``connect_signals()`` listens.

The footer's 更新日期 is the one fact every page shows of the whole registry; it is filled in as
each page is served (showcase/footer.py), so a cached page never shows an old date.

The key holds the scheme and host (pages contain absolute links built from them), the language,
and only the query parameters a page reads: any other parameter (a share tracker's
``?from=singlemessage``, a random cache-buster) neither renders a new page nor fills the cache.
"""

import hashlib
import time
from functools import wraps

from django.apps import apps as global_apps
from django.conf import settings
from django.core.cache import cache
from django.db import connection, models, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpResponse
from django.utils.http import urlencode
from django.utils.translation import get_language

from estates.publication import EVERY_PAGE, public_reach
from estates.signals import public_data_changed

from . import statistics
from .models import ContentVersion, PageTag

VERSION_ROW = 1
VERSION_SQL = (
    f"SELECT version FROM {ContentVersion._meta.db_table} WHERE "
    f"{ContentVersion._meta.pk.column} = %s"
)
# Response headers worth replaying from the cache: every header a cached view sets itself
# (Content-Disposition names a download; the sitemap's and the feed's Last-Modified answer
# a conditional GET; the sitemap's X-Robots-Tag keeps its files out of search results), so
# a cached answer carries what the rendered one did (tests/test_page_cache_headers.py).
KEPT_HEADERS = (
    "Content-Type",
    "Content-Disposition",
    "Content-Language",
    "Last-Modified",
    "X-Robots-Tag",
)


# The version this process read last and when (time.monotonic()). It is read again once it
# is PAGE_CACHE_VERSION_SECONDS old, and at once after this process changes anything.
_last_read = None
SITE = "site"
# {tag: version} as this process knows them, complete up to the content version _tags_at.
_tags = {}
_tags_at = None


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


def forget_tags():
    """Read every tag again on the next request (a restored database, a test's fresh one)."""
    global _tags_at
    _tags.clear()
    _tags_at = None


def estate_tag(slug):
    return f"estate:{slug}"


def bump(estate_slugs=EVERY_PAGE):
    """Move the content version on: the pages that list or count estates render afresh, and
    the pages of these estates (every estate's, by default)."""
    updated = ContentVersion.objects.filter(pk=VERSION_ROW).update(version=models.F("version") + 1)
    if not updated:
        # A new database counts on from the clock (milliseconds), so it never reuses a number
        # that an earlier database gave to pages in a shared cache or to open-data files.
        ContentVersion.objects.get_or_create(
            pk=VERSION_ROW, defaults={"version": time.time_ns() // 1_000_000}
        )
    # The row stays locked until this transaction ends: versions are given in commit order.
    version = database_version()
    tags = [SITE] if estate_slugs == EVERY_PAGE else [estate_tag(s) for s in sorted(estate_slugs)]
    if tags:
        PageTag.objects.bulk_create(
            [PageTag(key=key, version=version) for key in tags],
            update_conflicts=True,
            unique_fields=["key"],
            update_fields=["version"],
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


def _on_change(sender, instance=None, **kwargs):
    # A history record is written with the change it records, which has moved the version on.
    if sender._meta.app_label != "estates" or hasattr(sender, "instance_type"):
        return
    if sender._meta.apps is not global_apps:
        # A migration's model of an older schema: every page; the tags' table may not be
        # there yet at that point of the migrations.
        tagged = PageTag._meta.db_table in connection.introspection.table_names()
        bump(EVERY_PAGE if tagged else set())
    elif isinstance(instance, models.Model):
        reach = public_reach(instance)
        if reach is not None:
            bump(reach)


def _on_m2m(sender, instance=None, action="", **kwargs):
    if action.startswith("post_") and instance is not None:
        _on_change(type(instance), instance=instance)


def _on_announced(sender, estate_slugs=None, **kwargs):
    bump(EVERY_PAGE if estate_slugs is None else set(estate_slugs))


def tag_versions(version):
    """{tag: version} of the tags that ever moved, as of content version `version`: read in
    full once per process, then only the tags that moved since."""
    global _tags_at
    if _tags_at != version:
        rows = PageTag.objects.all()
        if _tags_at is not None:
            rows = rows.filter(version__gt=_tags_at)
        for key, moved in rows.values_list("key", "version"):
            if moved > _tags.get(key, -1):
                _tags[key] = moved
        _tags_at = version
    return _tags


def connect_signals():
    # What the domain announces beside its models' signals (estates/signals.py).
    public_data_changed.connect(_on_announced, dispatch_uid="showcase-content-announced")
    post_save.connect(_on_change, dispatch_uid="showcase-content-save")
    post_delete.connect(_on_change, dispatch_uid="showcase-content-delete")
    m2m_changed.connect(_on_m2m, dispatch_uid="showcase-content-m2m")


def kept_query(request, params):
    """The page's own query parameters, in a fixed order, as a query string ('' if none)."""
    return urlencode(
        [(name, value) for name in params for value in request.GET.getlist(name) if value]
    )


def page_key(request, version, params):
    address = f"{request.scheme}://{request.get_host()}{request.path}?{kept_query(request, params)}"
    digest = hashlib.sha256(address.encode()).hexdigest()[:40]
    return f"page:{version}:{get_language()}:{request.method}:{digest}"


def estate_page_version(version, slug):
    """What an estate's own page is keyed on: the newer of its tags ("site" and its own), and
    the medians it compares its figures with."""
    tags = tag_versions(version)
    moved = max(tags.get(SITE, 0), tags.get(estate_tag(slug), 0))
    return f"e{moved}.{statistics.medians_digest(version)}"


def cached_page(view=None, *, params=(), estate_page=False):
    """Serve a public GET page from the cache while what it shows is unchanged.

    `params` lists the query parameters the page reads; all others are ignored. An
    `estate_page` (its `slug` argument names the estate) is kept until that estate or
    something every page shows changes; any other page until any public change."""

    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method not in ("GET", "HEAD"):
                return view(request, *args, **kwargs)
            version = current_version()
            # The view reads the kept figures of the same version (showcase/statistics.py).
            request.content_version = version
            if estate_page:
                slug = kwargs["slug"] if "slug" in kwargs else args[0]
                key = page_key(request, estate_page_version(version, slug), params)
            else:
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
