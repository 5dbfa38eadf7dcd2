"""The sitemap: /sitemap.xml is an index of section files (/sitemap-<section>.xml?p=N), each
page of each public page in Chinese and in English with hreflang alternates.

A file holds at most URLS_PER_FILE addresses, well inside the protocol's 50,000, so that each
renders quickly at 100,000 estates: the items of one file are read with LIMIT/OFFSET (Django's
own sitemap reads every item of a section for each file), each item's address is built once and
given the language prefix (Django switches the language and reverses four times an item), and
the XML is written by a filter, not a template loop.
"""

import datetime

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps.views import index, sitemap
from django.core.paginator import Paginator
from django.urls import reverse
from django.utils import translation
from django.views.decorators.http import require_safe

from estates.models import Campaign, Estate, MechanismType, Nomination

from . import statistics
from .cache import cached_page, current_version
from .kept import with_the_figures

# 500 estates in both languages: about 0.45 MB of XML.
URLS_PER_FILE = 1000


class ItemsInEveryLanguage(Paginator):
    """Pages of items read from the database a page at a time; each item comes once per
    language, as Django's sitemap expects of an i18n sitemap. `count`: the number of items,
    where the site keeps it."""

    def __init__(self, items, per_page, languages, count=None):
        super().__init__(items, per_page)
        self.languages = languages
        if count is not None:
            self.count = count

    def _get_page(self, object_list, number, paginator):
        every = [(item, language) for item in object_list for language in self.languages]
        return super()._get_page(every, number, paginator)


def language_prefixes():
    """{language: what its addresses start with before the default language's address}:
    '' for Chinese, '/en' for English (i18n_patterns without a prefix for the default)."""
    prefixes = {}
    for language in I18nSitemap.languages:
        with translation.override(language):
            prefixes[language] = reverse("showcase:home").rstrip("/")
    return prefixes


def kept_figures():
    """The figures kept for the content version this process holds (showcase/statistics.py)."""
    return statistics.current_figures(current_version())


class I18nSitemap(Sitemap):
    """Each page in Chinese and in English, with hreflang alternates."""

    i18n = True
    languages = [code for code, _name in settings.LANGUAGES]
    alternates = True
    x_default = True
    limit = URLS_PER_FILE

    def item_count(self):
        """How many items there are, where it is known without counting them."""
        return None

    @property
    def paginator(self):
        return ItemsInEveryLanguage(
            self.items(), self.limit // len(self.languages), self.languages, self.item_count()
        )

    def get_urls(self, page=1, site=None, protocol=None):
        # Addresses in the default language, whatever the request's.
        with translation.override(settings.LANGUAGE_CODE):
            self._prefixes, self._paths = language_prefixes(), {}
            return super().get_urls(page, site, protocol)

    def _location(self, item, force_lang_code=None):
        # Django's switches the language and reverses for each address of each item: here
        # the item's address in the default language is made once, and given each prefix.
        obj, language = item
        key = id(obj)
        if key not in self._paths:
            # Kept with the item, so that its id is not another's while the file is built.
            self._paths[key] = (obj, self.location(obj))
        return self._prefixes[force_lang_code or language] + self._paths[key][1]


class StaticPagesSitemap(I18nSitemap):
    changefreq = "weekly"

    def items(self):
        return [
            "showcase:home",
            "showcase:estate_list",
            "showcase:campaign_list",
            "showcase:mechanism_list",
            "showcase:stats",
            "showcase:data",
        ]

    def location(self, name):
        return reverse(name)


class PublishedEstates:
    """The published estates as a sitemap file reads them, a window at a time: the window's
    keys from the estate list's index alone, then their rows (the estates' table is wide; with
    OFFSET, PostgreSQL reads every row before the window too)."""

    def __getitem__(self, window):
        keys = list(
            Estate.objects.published()
            .order_by("province_order", "name_pinyin", "pk")
            .values_list("pk", flat=True)[window]
        )
        rows = Estate.objects.published().only("slug", "updated_at").in_bulk(keys)
        return [rows[key] for key in keys if key in rows]


class EstateSitemap(I18nSitemap):
    changefreq = "monthly"

    def items(self):
        return PublishedEstates()

    def item_count(self):
        return statistics.published_count(kept_figures())

    def location(self, estate):
        # Estate.get_absolute_url() without a reverse() per estate (a test compares the two).
        if not hasattr(self, "_list_path"):
            self._list_path = reverse("showcase:estate_list")
        return f"{self._list_path}{estate.slug}/"

    def lastmod(self, estate):
        return estate.updated_at

    def get_latest_lastmod(self):
        # When the published data last changed, kept with the figures (Django's default
        # reads every estate).
        updated = kept_figures()["updated"]
        return datetime.datetime.fromisoformat(updated) if updated else None


class CampaignSitemap(I18nSitemap):
    def items(self):
        return Campaign.objects.public().only("slug").order_by("pk")

    def location(self, campaign):
        return reverse("showcase:campaign_detail", kwargs={"slug": campaign.slug})


@with_the_figures
def province_features():
    """Every (campaign, province) with a feature page: a join of every public nomination with
    its estate, so read once per content version (showcase/kept.py)."""
    return list(
        Nomination.objects.public()
        .values_list("campaign__slug", "estate__province__slug")
        .distinct()
        .order_by("campaign__slug", "estate__province__slug")
    )


class ProvinceFeatureSitemap(I18nSitemap):
    def items(self):
        return province_features()

    def location(self, item):
        campaign, province = item
        return reverse(
            "showcase:province_feature", kwargs={"slug": campaign, "province_slug": province}
        )


class MechanismSitemap(I18nSitemap):
    def items(self):
        return MechanismType.objects.order_by("display_order", "pk")

    def location(self, kind):
        return reverse("showcase:mechanism_detail", kwargs={"slug": kind.slug})


SITEMAPS = {
    "pages": StaticPagesSitemap,
    "estates": EstateSitemap,
    "campaigns": CampaignSitemap,
    "provinces": ProvinceFeatureSitemap,
    "mechanisms": MechanismSitemap,
}


@require_safe
@cached_page
def sitemap_index(request):
    return index(request, SITEMAPS, sitemap_url_name="sitemap_section")


@require_safe
@cached_page(params=("p",))
def sitemap_section(request, section):
    return sitemap(request, SITEMAPS, section, template_name="showcase/sitemap.xml")
