from django.conf import settings
from django.urls import translate_url
from django.utils.translation import get_language

LANGUAGE_NAMES = {"zh-hans": "中文", "en": "English"}
OG_LOCALES = {"zh-hans": "zh_CN", "en": "en_US"}


def site(request):
    """Canonical URL, the page in each language, and the language switch."""
    here = request.build_absolute_uri(request.path)
    current = get_language()
    alternates = [
        {
            "code": code,
            "hreflang": "zh-Hans" if code == "zh-hans" else code,
            "name": LANGUAGE_NAMES.get(code, name),
            "url": translate_url(here, code),
            "current": code == current,
        }
        for code, name in settings.LANGUAGES
    ]
    return {
        "canonical_url": here,
        "language_alternates": alternates,
        "og_locale": OG_LOCALES.get(current, "zh_CN"),
        "html_lang": "zh-Hans" if current == "zh-hans" else current,
    }
