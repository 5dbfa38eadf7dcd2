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

from estates.models import Campaign, Estate, MechanismType

from . import statistics
from .cache import cached_page, current_version

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


def published_estate_rows(window):
    """(slug, updated_at) of the published estates in this window (a slice) of the estate
    list's order: the window's keys from the list's index alone, then their rows (the
    estates' table is wide; with OFFSET, PostgreSQL reads every row before the window too)."""
    keys = (
        Estate.objects.published()
        .order_by("province_order", "name_pinyin", "pk")
        .values_list("pk", flat=True)[window]
    )
    return list(
        Estate.objects.published()
        .filter(pk__in=keys)
        .order_by("province_order", "name_pinyin", "pk")
        .values_list("slug", "updated_at")
    )


class EstateSitemap(I18nSitemap):
    """The published estates, URLS_PER_FILE addresses a file. A file's entries are written
    straight from its estates' slugs and dates, each estate's addresses made once for its
    entries in both languages: through Django's Sitemap (a model instance, four look-ups of
    attributes and a dictionary of alternates per address) the file cost three times as
    much."""

    changefreq = "monthly"

    def items(self):
        raise NotImplementedError("get_urls() reads a file's estates itself")

    def item_count(self):
        return statistics.published_count(kept_figures())

    @property
    def paginator(self):
        # The pages of the estates (each its addresses in every language): only the count is
        # read from it, get_urls() reads a page's estates itself.
        return Paginator(range(self.item_count()), self.limit // len(self.languages))

    def get_urls(self, page=1, site=None, protocol=None):
        """Django's sitemap entries of this file (Sitemap.get_urls()): each estate in each
        language, with its addresses in every language as alternates and x-default, the
        default language's; latest_lastmod, for the view's Last-Modified."""
        paginator = self.paginator
        number = paginator.validate_number(page)  # EmptyPage, PageNotAnInteger: a 404
        start = (number - 1) * paginator.per_page
        rows = published_estate_rows(slice(start, start + paginator.per_page))
        site_root = f"{self.get_protocol(protocol)}://{self.get_domain(site)}"
        with translation.override(settings.LANGUAGE_CODE):
            prefixes = language_prefixes()
            # Estate.get_absolute_url() without a reverse() per estate (a test compares them).
            list_path = reverse("showcase:estate_list")
        roots = [
            (language, f"{site_root}{prefixes[language]}{list_path}") for language in self.languages
        ]
        default_root = f"{site_root}{prefixes[settings.LANGUAGE_CODE]}{list_path}"
        urls = []
        for slug, updated in rows:
            alternates = [
                {"location": f"{root}{slug}/", "lang_code": language} for language, root in roots
            ]
            alternates.append({"location": f"{default_root}{slug}/", "lang_code": "x-default"})
            for alternate in alternates[:-1]:
                urls.append(
                    {
                        "item": slug,
                        "location": alternate["location"],
                        "lastmod": updated,
                        "changefreq": self.changefreq,
                        "priority": "",
                        "alternates": alternates,
                    }
                )
        if rows:
            self.latest_lastmod = max(updated for _slug, updated in rows)
        return urls

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


class ProvinceFeatureSitemap(I18nSitemap):
    def items(self):
        # Every (campaign, province) with a feature page, kept with the figures: a join of
        # every public nomination with its estate.
        return kept_figures()["features"]

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
