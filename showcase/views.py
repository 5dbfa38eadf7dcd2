"""Public pages. Every estate they show comes through Estate.objects.published()."""

import re
from decimal import Decimal
from itertools import groupby

from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Case, IntegerField, Prefetch, Value, When
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from estates.enums import (
    CampaignLevel,
    EstateType,
)
from estates.models import (
    Activity,
    ActivityEvidence,
    Campaign,
    CriterionEvidence,
    Estate,
    Honor,
    KeyFigure,
    Mechanism,
    MechanismType,
    Metric,
    MetricType,
    Nomination,
    Photo,
    Province,
)
from estates.numbers import two_places

from . import charts, covers, statistics, tilemap, viewcounts
from .cache import cached_page, current_version, kept_query
from .forms import EstateFilterForm
from .notice import open_notices
from .presenters import EstateProfile, Narrative, estate_facts, metric_series
from .templatetags.showcase import display_number

ESTATES_PER_PAGE = 20
# Crawlers and link previews do not count as views.
BOT_AGENTS = re.compile(r"bot|crawl|spider|slurp|preview|facebookexternalhit|monitor", re.I)


def published_estates():
    return Estate.objects.published().with_illustrative().select_related("province", "city")


def public_campaigns():
    return Campaign.objects.public()


def selected_nominations():
    return Nomination.objects.public()


def cover_photos():
    return Prefetch("photos", queryset=Photo.objects.filter(is_cover=True), to_attr="covers")


def published_by_province(rows):
    """([every province with .estate_count, 0 where none is published, …] in official
    order, national figures), from the rows of statistics.province_rows() as the kept
    figures hold them. The tile map shows every province, so all are read in one query."""
    counts = {pk: n for pk, n, _total, _known in rows}
    provinces = list(Province.objects.order_by("display_order"))
    for province in provinces:
        province.estate_count = counts.get(province.pk, 0)
    known_totals = [total for _pk, _n, total, known in rows if known]
    figures = {
        "estates": sum(counts.values()),
        "provinces": sum(1 for province in provinces if province.estate_count),
        "households": sum(known_totals) if known_totals else None,
        "households_known": sum(known for *_rest, known in rows),
    }
    return provinces, figures


class KeysPaginator(Paginator):
    """Pages of a long list's keys: `keys` is a values_list query of them in the list's order,
    and a page's `object_list` the query of its own keys, for the view to read their rows by
    key and put them in the list's order itself. `count`: the list's length where the site
    keeps it ready; counted otherwise.

    A page in the list's second half is read from the end, in the reverse order: PostgreSQL
    passes over every key before a page's (OFFSET), so the last page of 100,000 estates costs
    what the first does, not a walk through all of them."""

    def __init__(self, keys, per_page, count=None):
        super().__init__(keys, per_page)
        if count is not None:
            self.count = count

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = min(bottom + self.per_page, self.count)
        if bottom > self.count - top:
            keys = self.object_list.reverse()[self.count - top : self.count - bottom]
        else:
            keys = self.object_list[bottom:top]
        return self._get_page(keys, number, self)


def mark_illustrative(estates):
    """Set `is_illustrative` on these estates (as Estate.objects.with_illustrative() does) with
    one query about them alone: as an annotation of a page of a long list, PostgreSQL reads
    every public nomination to answer it."""
    real = set(
        Nomination.objects.public()
        .filter(estate__in=[estate.pk for estate in estates], campaign__is_illustrative=False)
        .order_by()
        .values_list("estate_id", flat=True)
    )
    for estate in estates:
        estate.is_illustrative = estate.pk not in real
    return estates


LEVEL_ORDER = {CampaignLevel.NATIONAL: 0, CampaignLevel.PROVINCIAL: 1, CampaignLevel.MUNICIPAL: 2}


@require_safe
@cached_page
def home(request):
    # The newest national round, else the newest of the next level; a registry holds a
    # provincial round per province and year, so they are counted, not read.
    level_rank = Case(
        *[When(level=level, then=Value(rank)) for level, rank in LEVEL_ORDER.items()],
        output_field=IntegerField(),
    )
    current = (
        public_campaigns().select_related("province").order_by(level_rank, "-year", "slug").first()
    )
    # National counts from the figures kept ready after each change, as on the stats page.
    provinces, figures = published_by_province(
        statistics.current_figures(current_version())["provinces"]
    )
    featured = published_estates().prefetch_related(cover_photos())
    if current is not None:
        featured = featured.selected_in(current)
    featured = featured.order_by("province_order", "name_pinyin", "pk")[:6]
    on_notice = open_notices().order_by("-year", "slug")
    return render(
        request,
        "showcase/home.html",
        {
            "on_notice": on_notice,
            "current_campaign": current,
            "figures": figures,
            "campaign_count": public_campaigns().count(),
            "tile_map": tilemap.tile_map(provinces) if figures["estates"] else None,
            "featured": featured,
        },
    )


LIST_PARAMS = ("q", "province", "campaign", "type", "mechanism", "page")


# The public list's order, which the index estate_public_list holds.
LIST_ORDER = ("province_order", "name_pinyin", "pk")


def page_of_estates(keys):
    """The published estates whose keys are `keys` (a page's slice of a list's keys, as a
    query), in the list's order, with their regions and cover photos: one query, the page's
    keys read in it from the list's index alone (a deep page passes thousands of rows: only
    their keys). Each estate is marked 示例 as with_illustrative() says: an estate of the page
    is looked up by its key (as an annotation of the whole list, PostgreSQL read every public
    nomination for it)."""
    return list(
        published_estates()
        .filter(pk__in=keys)
        .prefetch_related(cover_photos())
        .order_by(*LIST_ORDER)
    )


@require_safe
@cached_page(params=LIST_PARAMS)
def estate_list(request):
    form = EstateFilterForm(request.GET)
    # The whole list's count is kept with the statistics; a search or filter counts its own.
    keys = (
        form.filter(Estate.objects.published()).order_by(*LIST_ORDER).values_list("pk", flat=True)
    )
    if any(form.cleaned_data.values()):
        paginator = KeysPaginator(keys, ESTATES_PER_PAGE)
    else:
        figures = statistics.current_figures(request.content_version)
        paginator = KeysPaginator(keys, ESTATES_PER_PAGE, statistics.published_count(figures))
    page = paginator.get_page(request.GET.get("page"))
    page.object_list = page_of_estates(page.object_list)
    filters = kept_query(request, LIST_PARAMS[:-1])
    return render(
        request,
        "showcase/estate_list.html",
        {
            "form": form,
            "page": page,
            "query_string": filters,
            "is_filtered": bool(filters),
            # The canonical address, og:url and the other languages' addresses keep the
            # page's own parameters; search results are not indexed.
            "canonical_query": kept_query(request, LIST_PARAMS),
            "noindex": bool(filters),
        },
    )


def counts_as_view(request):
    """A GET from a browser; crawlers and HEAD requests are not counted."""
    return request.method == "GET" and not BOT_AGENTS.search(request.headers.get("User-Agent", ""))


# Stands in for the view count in the cached page; replaced on every request.
VIEW_COUNT_MARK = "\u2063views\u2063"


@require_safe
def estate_detail(request, slug):
    response = _estate_profile(request, slug)  # 404 unless published
    if hasattr(response, "view_count"):  # rendered now, not served from the cache
        viewcounts.remember(response.estate_id, slug, response.view_count)
    count = viewcounts.record(slug) if counts_as_view(request) else viewcounts.shown(slug)
    response.content = response.content.replace(
        VIEW_COUNT_MARK.encode(), display_number(count).encode()
    )
    return response


@cached_page(estate_page=True)
def _estate_profile(request, slug):
    # Each list in the order its model's Meta gives within one estate, named here: a model's
    # ordering by its estate or nomination would join the estate and campaign tables and make
    # the compiler resolve their own orderings, for rows that all belong to one estate.
    estate = get_object_or_404(
        published_estates()
        .select_related("property_company")
        .prefetch_related(
            Prefetch(
                "mechanisms",
                queryset=Mechanism.objects.select_related("mechanism_type").order_by(
                    "display_order", "pk"
                ),
            ),
            Prefetch(
                "metrics",
                queryset=Metric.objects.select_related("metric_type").order_by(
                    "metric_type__display_order", "date", "sequence", "pk"
                ),
            ),
            Prefetch(
                "activities",
                queryset=Activity.objects.select_related("requirement").order_by(
                    "display_order", "pk"
                ),
            ),
            Prefetch("key_figures", queryset=KeyFigure.objects.order_by("display_order", "pk")),
            Prefetch("honors", queryset=Honor.objects.order_by("-year", "pk")),
            Prefetch("photos", queryset=Photo.objects.order_by("display_order", "pk")),
            Prefetch(
                "nominations",
                queryset=selected_nominations()
                .select_related("campaign")
                .order_by(
                    "-campaign__year",
                    "campaign__level",
                    "campaign__slug",
                    "province_sequence",
                    "pk",
                )
                .prefetch_related(
                    Prefetch(
                        "criterion_evidence",
                        queryset=CriterionEvidence.objects.select_related("criterion").order_by(
                            "criterion__number"
                        ),
                    ),
                    Prefetch(
                        "activity_evidence",
                        queryset=ActivityEvidence.objects.select_related("requirement").order_by(
                            "requirement__number"
                        ),
                    ),
                ),
                to_attr="public_nominations",
            ),
        ),
        slug=slug,
    )
    figures = statistics.current_figures(request.content_version)
    profile = EstateProfile(estate, figures["medians"])
    photos = list(estate.photos.all())
    response = render(
        request,
        "showcase/estate_detail.html",
        {
            "estate": estate,
            "profile": profile,
            "facts": [(label, value) for label, value in estate_facts(estate) if value is not None],
            "photos": photos,
            "share_image": covers.share_url(estate),
            "view_count_mark": VIEW_COUNT_MARK,
        },
    )
    response.estate_id, response.view_count = estate.pk, estate.view_count
    return response


@require_safe
@cached_page
def campaign_list(request):
    # Estates each selected, kept ready after each change (showcase/statistics.py).
    counts = dict(statistics.current_figures(request.content_version)["campaigns"])
    campaigns = list(public_campaigns().select_related("province", "city"))
    for campaign in campaigns:
        campaign.selected_count = counts.get(campaign.pk, 0)
    ordered = sorted(campaigns, key=lambda c: (LEVEL_ORDER[c.level], -c.year, c.slug))
    groups = [
        (level, list(items))
        for level, items in groupby(ordered, key=lambda c: c.get_level_display())
    ]
    # The notices open today come first: a notice is a round before its results.
    on_notice = open_notices().order_by("-year", "slug")
    return render(
        request, "showcase/campaign_list.html", {"groups": groups, "on_notice": on_notice}
    )


def get_public_campaign(slug):
    return get_object_or_404(public_campaigns().select_related("province", "city"), slug=slug)


def numbered(nominations, campaign):
    """Number a province's selected estates 01, 02 … by their sequence, then by name. Each
    estate is marked 示例 as its selection in this campaign is (Campaign.is_illustrative)."""
    ordered = sorted(
        nominations,
        key=lambda n: (n.province_sequence is None, n.province_sequence or 0, n.estate.name_pinyin),
    )
    for nomination in ordered:
        nomination.estate.is_illustrative = campaign.is_illustrative
    return [(f"{i:02d}", n) for i, n in enumerate(ordered, 1)]


@require_safe
@cached_page
def campaign_detail(request, slug):
    campaign = get_public_campaign(slug)
    nominations = (
        selected_nominations()
        .filter(campaign=campaign)
        .select_related("estate__province", "estate__city")
        # A card shows the estate's cover photo where it has one (else its generated card).
        .prefetch_related(
            Prefetch(
                "estate__photos", queryset=Photo.objects.filter(is_cover=True), to_attr="covers"
            )
        )
        .order_by("estate__province__display_order")
    )
    provinces = [
        (province, numbered(items, campaign))
        for province, items in groupby(nominations, key=lambda n: n.estate.province)
    ]
    return render(
        request,
        "showcase/campaign_detail.html",
        {
            "campaign": campaign,
            "provinces": provinces,
            "total": sum(len(items) for _, items in provinces),
        },
    )


@require_safe
@cached_page
def province_feature(request, slug, province_slug):
    campaign = get_public_campaign(slug)
    province = get_object_or_404(Province, slug=province_slug)
    nominations = list(
        selected_nominations()
        .filter(campaign=campaign, estate__province=province)
        .select_related("estate__city", "estate__property_company", "estate__province")
        .prefetch_related(
            Prefetch("estate__metrics", queryset=Metric.objects.select_related("metric_type")),
            "estate__key_figures",
            Prefetch(
                "estate__photos", queryset=Photo.objects.filter(is_cover=True), to_attr="covers"
            ),
        )
    )
    if not nominations:
        raise Http404
    entries = [
        (number, nomination.estate, metric_series(nomination.estate.metrics.all()))
        for number, nomination in numbered(nominations, campaign)
    ]
    for _number, estate, _series in entries:
        # The overview and highlights as one story, each sentence once (the sources'
        # highlights often open by restating the overview).
        story = Narrative()
        estate.story = story.paragraphs(estate.overview) + story.paragraphs(estate.highlights)
    return render(
        request,
        "showcase/province_feature.html",
        {"campaign": campaign, "province": province, "entries": entries},
    )


@require_safe
@cached_page
def mechanism_list(request):
    # Published estates per kind, kept ready after each change (showcase/statistics.py).
    counts = dict(statistics.current_figures(request.content_version)["mechanisms"])
    kinds = list(MechanismType.objects.order_by("display_order", "name"))
    for kind in kinds:
        kind.estate_count = counts.get(kind.pk, 0)
    return render(request, "showcase/mechanism_list.html", {"kinds": kinds})


@require_safe
@cached_page(params=("page",))
def mechanism_detail(request, slug):
    kind = get_object_or_404(MechanismType, slug=slug)
    # The estates using it a page at a time, in the estate list's order. The page's keys
    # first, from the list's index alone (a deep page sorts thousands of rows: only their
    # keys), then its estates; how many use it is kept with the statistics.
    keys = (
        Estate.objects.published()
        .filter(pk__in=Mechanism.objects.filter(mechanism_type=kind).values("estate_id"))
        .order_by(*LIST_ORDER)
        .values_list("pk", flat=True)
    )
    counts = dict(statistics.current_figures(request.content_version)["mechanisms"])
    page = KeysPaginator(keys, ESTATES_PER_PAGE, counts.get(kind.pk, 0)).get_page(
        request.GET.get("page")
    )
    estates = (
        Estate.objects.published()
        .filter(pk__in=list(page.object_list))
        .select_related("province", "city")
        .prefetch_related(
            Prefetch(
                "mechanisms",
                queryset=Mechanism.objects.filter(mechanism_type=kind).order_by(
                    "display_order", "pk"
                ),
                to_attr="kind_mechanisms",
            )
        )
        .order_by(*LIST_ORDER)
    )
    return render(
        request,
        "showcase/mechanism_detail.html",
        {
            "kind": kind,
            "page": page,
            "estates": mark_illustrative(list(estates)),
            # A later page is its own address; page 1 is the page without a number.
            "canonical_query": f"page={page.number}" if page.number > 1 else "",
        },
    )


@require_safe
@cached_page
def stats(request):
    # Aggregates of the whole registry, kept ready after each change (showcase/statistics.py).
    figures = statistics.current_figures(current_version())
    by_province, national = published_by_province(figures["provinces"])
    totals = {
        "estates": national["estates"],
        "provinces": national["provinces"],
        "households_total": national["households"],
        "households_known": national["households_known"],
    }
    type_labels = dict(EstateType.choices)
    # A type no longer offered (its rows not yet migrated) is left out, as unknown.
    types = [(kind, n) for kind, n in figures["types"] if kind in type_labels]
    mechanism_counts = dict(figures["mechanisms"])
    by_mechanism = list(MechanismType.objects.filter(pk__in=mechanism_counts))
    by_mechanism.sort(key=lambda kind: (-mechanism_counts[kind.pk], kind.display_order))
    headline = MetricType.objects.filter(code__in=statistics.HEADLINE_METRICS)
    metric_summaries = []
    for kind in headline:
        # None when no published estate has a value of it.
        row = figures["metrics"].get(str(kind.pk))
        known = row["known"] if row else 0
        metric_summaries.append(
            {
                "kind": kind,
                "known": known,
                "unknown": totals["estates"] - known,
                "average": two_places(Decimal(row["cents"]) / 100 / known) if known else None,
                # A distribution of a handful of values would be mostly empty bands.
                "chart": (
                    charts.bar_chart(
                        [
                            (label, n)
                            for (label, _l, _h), n in zip(
                                statistics.BANDS, row["bands"], strict=True
                            )
                        ],
                        _("个"),
                        kind.display_name(),
                    )
                    if charts.enough_for_distribution(known)
                    else None
                ),
            }
        )
    return render(
        request,
        "showcase/stats.html",
        {
            "totals": totals,
            "tile_map": tilemap.tile_map(by_province) if totals["estates"] else None,
            "type_chart": charts.bar_chart(
                [(type_labels[kind], n) for kind, n in types],
                _("个"),
                _("小区类型"),
            ),
            "type_unknown": totals["estates"] - sum(n for _kind, n in types),
            "mechanism_chart": charts.bar_chart(
                [(m.display_name(), mechanism_counts[m.pk]) for m in by_mechanism],
                _("个"),
                _("采用各类治理机制的小区数"),
            ),
            "metric_summaries": metric_summaries,
            "distribution_minimum": charts.MIN_VALUES_FOR_DISTRIBUTION,
        },
    )


@require_safe
def robots_txt(request):
    sitemap = request.build_absolute_uri(reverse("sitemap"))
    lines = ["User-agent: *", "Disallow: /admin/", "Allow: /", f"Sitemap: {sitemap}", ""]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")


@require_safe
def healthz(request):
    """200 when the database answers; load balancers poll this."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # any database failure means unhealthy
        return JsonResponse({"status": "error"}, status=503)
    return JsonResponse({"status": "ok"})
