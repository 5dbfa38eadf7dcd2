"""Content-Security-Policy for every response, public and admin, without 'unsafe-inline'.

The portal's own pages load scripts and styles from files only. A few templates of the admin's
third-party packages carry inline code: a <style> element in Django's change list, and style
attributes and an onchange handler in django-import-export's export form. Rather than
allowing any inline code, the policy allows exactly those snippets by their SHA-256 hashes,
read from the installed templates when the site starts (so an upgrade that changes them
changes the hashes with them; the browser tests load those pages and fail on any violation).
Hashes of attributes need the CSP 3 keyword 'unsafe-hashes', which allows nothing else.
"""

import base64
import hashlib
import importlib
import re
from functools import cache
from pathlib import Path

from django.conf import settings

# (package, template) whose inline code the admin serves as it is.
THIRD_PARTY_TEMPLATES = [
    ("django.contrib.admin", "admin/change_list.html"),
    ("import_export", "admin/import_export/export.html"),
    ("simple_history", "simple_history/object_history_list.html"),
]

STYLE_ELEMENT = re.compile(r"<style>(.*?)</style>", re.S)
STYLE_ATTRIBUTE = re.compile(r'\sstyle="([^"{}]*)"')
HANDLER_ATTRIBUTE = re.compile(r'\son[a-z]+="([^"{}]*)"')


def _hash(text):
    digest = hashlib.sha256(text.encode()).digest()
    return "'sha256-" + base64.b64encode(digest).decode() + "'"


def template_source(package, name):
    folder = Path(importlib.import_module(package).__file__).parent
    return (folder / "templates" / name).read_text(encoding="utf-8")


@cache
def inline_hashes():
    """({style hashes}, {script hashes}) of the inline code in THIRD_PARTY_TEMPLATES."""
    styles, scripts = set(), set()
    for package, name in THIRD_PARTY_TEMPLATES:
        source = template_source(package, name)
        styles.update(_hash(text) for text in STYLE_ELEMENT.findall(source))
        styles.update(_hash(text) for text in STYLE_ATTRIBUTE.findall(source))
        scripts.update(_hash(text) for text in HANDLER_ATTRIBUTE.findall(source))
    return sorted(styles), sorted(scripts)


@cache
def policy():
    styles, scripts = inline_hashes()
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'", *(["'unsafe-hashes'", *scripts] if scripts else [])],
        "style-src": ["'self'", *(["'unsafe-hashes'", *styles] if styles else [])],
        # Photos on object storage (DJANGO_MEDIA_STORAGE) load from the storage's address.
        "img-src": ["'self'", "data:", *filter(None, [settings.MEDIA_STORAGE_ORIGIN])],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    text = "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())
    if not settings.DEBUG:
        text += "; upgrade-insecure-requests"
    return text


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", policy())
        return response
