"""The statistics page's national figures, computed when the data changes, not when asked.

They aggregate every published estate: estates per province and per type, estates per
governance mechanism (distinct estates, an estate may record a mechanism twice) and the
headline metrics' latest values in bands; and every public selection: the estates each
campaign selected (the campaigns page) and the province feature pages there are (the
sitemap). At 100,000 estates that is a third of a second of SQL, too much for a public
page. So the figures are kept in one row (:class:`showcase.models.PublicStatistics`):

- after every change of the public data commits (``bump()`` asks for
  ``refresh_after_commit``), the figures are computed again, in the process that made the
  change, and stored labelled with the content version read *before* computing, so the figures
  are never older than their label;
- a later refresh never overwrites a row of a newer version (two commits' refreshes may finish
  in either order), and a refresh finding the row already at the current version does nothing
  (a transaction that saved many rows asked many times);
- the page uses the row when it is at least as new as the content version the process knows;
  otherwise (no refresh yet, or a refresh that failed) it computes the figures itself and
  stores them. So the figures shown are never older than the page cache's own version.

Everything stored is an integer (the metric sum in cents), so the page's averages stay exact.
The figures carry the shape they were computed in (``FORMAT``): after a release that changes
it, the row is computed again rather than read in the old shape.
"""

import hashlib
import json
import logging

from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Round
from django.utils import timezone

from estates.models import Estate, Mechanism, Metric, MetricType, Nomination

from .models import PublicStatistics

ROW = 1
HEADLINE_METRICS = ("satisfaction", "fee_collection")
# (label, lowest value included, lowest value excluded) of the headline metrics' bands.
BANDS = [("≥ 98%", 98, 101), ("95–98%", 95, 98), ("90–95%", 90, 95), ("< 90%", 0, 90)]
# Change the revision whenever compute() changes what it returns.
FORMAT = json.dumps(
    {"revision": 3, "headline": HEADLINE_METRICS, "bands": [[lo, hi] for _l, lo, hi in BANDS]},
    sort_keys=True,
)

logger = logging.getLogger(__name__)


def province_rows():
    """[[province id, published estates, households summed, estates whose households are
    known], …], from one grouped query that PostgreSQL answers from the covering index
    estate_public_by_province without reading the table."""
    return [
        [row["province_id"], row["n"], row["total"], row["known"]]
        for row in Estate.objects.published()
        .values("province_id")
        .annotate(n=Count("province"), total=Sum("households"), known=Count("households"))
        .order_by("province_id")
    ]


def published_count(figures):
    """How many estates are published, from these figures (the sum of the provinces')."""
    return sum(row[1] for row in figures["provinces"])


def selections():
    """(campaigns, features): [[campaign id, estates it selected], …] of the public campaigns,
    and [[campaign slug, province slug], …] of every province feature page (a campaign's
    selections in a province), in the sitemap's order. One grouped query of every public
    nomination with its estate's province: too much to read for a page."""
    rows = (
        Estate.objects.rows_of_published(Nomination.objects.public())
        .order_by()
        .values("campaign", "campaign__slug", "estate__province__slug")
        .annotate(n=Count("pk"))
        .values_list("campaign", "campaign__slug", "estate__province__slug", "n")
    )
    campaigns, features = {}, []
    for campaign, slug, province, n in rows:
        campaigns[campaign] = campaigns.get(campaign, 0) + n
        features.append([slug, province])
    return sorted([pk, n] for pk, n in campaigns.items()), sorted(features)


def compute():
    """The figures, from the database: a dict of lists of integers (and of the slugs of the
    province feature pages), JSON as it is."""
    published = Estate.objects.published()
    provinces = province_rows()
    types = [
        [row["estate_type"], row["n"]]
        for row in published.exclude(estate_type="")
        .values("estate_type")
        .annotate(n=Count("estate_type"))
        .order_by("-n", "estate_type")
    ]
    mechanisms = [
        [row["mechanism_type"], row["n"]]
        for row in Estate.objects.rows_of_published(Mechanism.objects.all())
        .values("mechanism_type")
        .annotate(n=Count("estate", distinct=True))
        .order_by("mechanism_type")
    ]
    headline = MetricType.objects.filter(code__in=HEADLINE_METRICS)
    metrics = {
        str(row["metric_type"]): {
            "known": row["known"],
            # In cents, so the sum is exact on SQLite too (it adds decimals as floats).
            "cents": int(row["cents"]),
            "bands": [row[f"band{i}"] for i in range(len(BANDS))],
        }
        for row in Estate.objects.rows_of_published(
            Metric.objects.filter(is_latest=True, metric_type__in=headline)
        )
        .values("metric_type")
        .annotate(
            known=Count("pk"),
            cents=Sum(Round(F("value") * 100)),
            **{
                f"band{i}": Count("pk", filter=Q(value__gte=low, value__lt=high))
                for i, (_label, low, high) in enumerate(BANDS)
            },
        )
        .order_by("metric_type")
    }
    campaigns, features = selections()
    return {
        "provinces": provinces,
        "campaigns": campaigns,
        "features": features,
        "types": types,
        "mechanisms": mechanisms,
        "metrics": metrics,
        "medians": medians(),
        "updated": _last_updated(),
    }


def _last_updated():
    """When the published data last changed, as an ISO timestamp (the footer's 更新日期 and
    the open-data page's "last updated"), or None."""
    from .opendata import last_updated  # opendata reaches this module through the cache

    at = last_updated()
    return at.isoformat() if at is not None else None


def medians():
    """{metric type id: [estates with a latest value, their median as a decimal string]}.

    The median of the published estates' latest values, so that a profile can say what a
    value means among its peers. Two ordered look-ups per metric type, not every value read
    (a registry of 100,000 estates holds that many values per type); SQLite has no
    percentile function, so the middle rows are found by offset on both databases."""
    latest = Estate.objects.rows_of_published(Metric.objects.filter(is_latest=True))
    counts = dict(
        latest.values("metric_type").annotate(n=Count("pk")).values_list("metric_type", "n")
    )
    found = {}
    for kind, known in sorted(counts.items()):
        ordered = latest.filter(metric_type=kind).order_by("value").values_list("value", flat=True)
        low = ordered[(known - 1) // 2]
        high = ordered[known // 2] if known % 2 == 0 else low
        found[str(kind)] = [known, str((low + high) / 2)]
    return found


def store(version, figures):
    """Keep these figures of this version unless the row holds a newer one of this format.

    One UPDATE: the row is made by the migration; if it was deleted, it is made again."""
    updated = (
        PublicStatistics.objects.filter(pk=ROW)
        .filter(Q(version__lt=version) | ~Q(format=FORMAT))
        .update(version=version, format=FORMAT, figures=figures, computed_at=timezone.now())
    )
    if updated or PublicStatistics.objects.filter(pk=ROW).exists():
        return
    try:
        with transaction.atomic():
            PublicStatistics.objects.create(pk=ROW, version=version, format=FORMAT, figures=figures)
    except IntegrityError:
        pass  # another process made the row meanwhile, with figures as new


def _usable(row, version):
    """The stored figures if they are of this format and at least this version."""
    if row is not None and row[0] >= version and row[1] == FORMAT:
        return row[2]
    return None


def _stored():
    return (
        PublicStatistics.objects.filter(pk=ROW).values_list("version", "format", "figures").first()
    )


def refresh():
    """Compute and store the figures unless the row is at the database's version already."""
    from .cache import database_version

    version = database_version()
    if _usable(_stored(), version) is None:
        store(version, compute())


def refresh_after_commit():
    """For transaction.on_commit: a failure is logged and left to the page (it computes)."""
    try:
        refresh()
    except Exception:
        logger.exception("统计数据未能刷新，统计页将自行计算")


# (version, figures) this process read last: the figures of a version never change, and a
# page and its footer both ask for them.
_read = None


def forget():
    global _read
    _read = None


_digest = None  # (version, digest of its medians) this process worked out last


def medians_digest(version):
    """A short digest of the medians of this version's figures: part of a profile's cache key,
    so profiles render afresh when the medians they cite change, and only then."""
    global _digest
    known = _digest
    if known is not None and known[0] == version:
        return known[1]
    text = json.dumps(current_figures(version)["medians"], sort_keys=True)
    digest = hashlib.sha256(text.encode()).hexdigest()[:12]
    _digest = (version, digest)
    return digest


def current_figures(version):
    """The figures for a page of this content version."""
    global _read
    known = _read
    if known is not None and known[0] == version:
        return known[1]
    figures = _usable(_stored(), version)
    if figures is None:
        figures = compute()
        store(version, figures)
    _read = (version, figures)
    return figures
