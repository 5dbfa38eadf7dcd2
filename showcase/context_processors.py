"""What every public page's frame needs: its address in each language and the footer's facts."""

import re
from datetime import datetime

from django.conf import settings
from django.urls import reverse, translate_url
from django.utils import timezone
from django.utils.translation import get_language, override

from . import cache, statistics

LANGUAGE_NAMES = {"zh-hans": "中文", "en": "English"}
OG_LOCALES = {"zh-hans": "zh_CN", "en": "en_US"}
# The dialable part of a phone setting such as "010-12345678（值班）".
DIALABLE = re.compile(r"\+?\d[\d -]{4,}\d")


def last_updated():
    """The date the published data last changed, or None: kept with the statistics' figures
    (showcase/statistics.py), which the process holds per content version, so the footer of
    every page costs no query of its own once the version is read. A draft saved moves the
    content version but not this date."""
    # The version the page cache read for this request, else a fresh read (a 404 page).
    last = cache._last_read
    version = last[0] if last is not None else cache.current_version()
    updated = statistics.current_figures(version).get("updated")
    if not updated:
        return None
    return timezone.localdate(datetime.fromisoformat(updated))


def language_url(request, here, code):
    """The page in language `code`; that language's home page when the path resolves to
    nothing (a 404), where translate_url() would hand back the address unchanged."""
    url = translate_url(here, code)
    if url == here and code != get_language():
        with override(code):
            return request.build_absolute_uri(reverse("showcase:home"))
    return url


def footer_date_mark():
    from .footer import updated_mark

    return updated_mark()


def footer():
    organiser, organiser_lang = settings.SITE_ORGANISER, ""
    if get_language() == "en":
        if settings.SITE_ORGANISER_EN:
            organiser = settings.SITE_ORGANISER_EN
        else:  # the Chinese name, marked as such for screen readers
            organiser_lang = "zh-Hans"
    phone = settings.SITE_CONTACT_PHONE
    dialable = DIALABLE.search(phone)
    return {
        "organiser": organiser,
        "organiser_lang": organiser_lang,
        "email": settings.SITE_CONTACT_EMAIL,
        "phone": phone,
        "phone_href": "tel:" + re.sub(r"[ -]", "", dialable.group()) if dialable else "",
        "address": settings.SITE_CONTACT_ADDRESS,
        "icp": settings.SITE_ICP_NUMBER,
        # The defaults say （示例）: say once what that means, until a deployment sets them.
        "has_examples": any(
            "示例" in value
            for value in (
                settings.SITE_ORGANISER,
                settings.SITE_CONTACT_PHONE,
                settings.SITE_CONTACT_ADDRESS,
                settings.SITE_ICP_NUMBER,
            )
        ),
        # Filled in as the page is served (showcase/footer.py), cached or not.
        "updated_mark": footer_date_mark(),
    }


def site(request):
    """Canonical URL, the page in each language, the language switch and the footer."""
    here = request.build_absolute_uri(request.path)
    current = get_language()
    alternates = [
        {
            "code": code,
            "hreflang": "zh-Hans" if code == "zh-hans" else code,
            "name": LANGUAGE_NAMES.get(code, name),
            "url": language_url(request, here, code),
            "current": code == current,
        }
        for code, name in settings.LANGUAGES
    ]
    default = next(a for a in alternates if a["code"] == settings.LANGUAGE_CODE)
    return {
        "canonical_url": here,
        "language_alternates": alternates,
        # Readers whose language the site lacks get the default language's page.
        "x_default_url": default["url"],
        "og_locale": OG_LOCALES.get(current, "zh_CN"),
        "html_lang": "zh-Hans" if current == "zh-hans" else current,
        "site_footer": footer(),
    }
