"""Whole-page caching of public pages, invalidated whenever public data changes.

Pages are cached under a key that includes the content version stored in the database
(:class:`showcase.models.ContentVersion`). Any save or delete of a domain row bumps the version,
so the next request renders afresh; stale entries simply expire. Queryset ``update()`` and
``bulk_create()`` send no signals: code that changes public data that way calls ``bump()``.
"""

import hashlib
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.db import models
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpResponse
from django.utils.translation import get_language

from .models import ContentVersion

VERSION_ROW = 1


def current_version():
    version = ContentVersion.objects.filter(pk=VERSION_ROW).values_list("version", flat=True)
    return version.first() or 0


def bump():
    updated = ContentVersion.objects.filter(pk=VERSION_ROW).update(version=models.F("version") + 1)
    if not updated:
        ContentVersion.objects.get_or_create(pk=VERSION_ROW, defaults={"version": 1})


def _on_change(sender, **kwargs):
    if sender._meta.app_label == "estates":
        bump()


def connect_signals():
    post_save.connect(_on_change, dispatch_uid="showcase-content-save")
    post_delete.connect(_on_change, dispatch_uid="showcase-content-delete")
    m2m_changed.connect(_on_change, dispatch_uid="showcase-content-m2m")


def page_key(request, version):
    path = request.get_full_path()
    digest = hashlib.sha256(path.encode()).hexdigest()[:32]
    return f"page:{version}:{get_language()}:{request.method == 'HEAD'}:{digest}"


def cached_page(view):
    """Serve a public GET page from the cache while the content version is unchanged."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            return view(request, *args, **kwargs)
        key = page_key(request, current_version())
        hit = cache.get(key)
        if hit is not None:
            content, content_type = hit
            response = HttpResponse(content, content_type=content_type)
            response["X-Page-Cache"] = "hit"
            return response
        response = view(request, *args, **kwargs)
        if response.status_code == 200 and not response.streaming:
            if hasattr(response, "render") and callable(response.render):
                response.render()
            cache.set(
                key,
                (response.content, response["Content-Type"]),
                settings.PUBLIC_PAGE_CACHE_SECONDS,
            )
            response["X-Page-Cache"] = "miss"
        return response

    return wrapper
