"""Kept copies on Estate that public pages read instead of joins, and what keeps them true.

- ``is_published``: selected in a campaign whose results are public. Recomputed from the
  nominations (the truth) whenever a nomination or a campaign is saved or deleted, in the same
  transaction, with one UPDATE per change.
- ``province_order``: the province's display order, refreshed when a province is saved.
- ``search_keys``: refreshed by Estate.save(), and for every estate of a city or property
  company when that is renamed.
- ``Metric.is_latest``: marks each estate's latest value of each metric type (the order of
  ``metric_order_key``), recomputed for the estate whenever one of its values is saved, deleted
  or moved by ``update()``.

Loading fixtures and bulk inserts send no signals that carry all of this (Django's loaddata
saves rows raw); ``refresh_all()`` recomputes everything and is run by load_seed and the
synthetic data generator.
"""

from django.db import models, transaction
from django.db.models.signals import post_delete, post_save, pre_save

from . import signals
from .enums import RESULTS_PUBLIC_PHASES, CampaignPhase, NominationState
from .search import search_keys

# A round is public from its notice period on.
PUBLIC_CAMPAIGN_PHASES = frozenset({CampaignPhase.NOTICE, *RESULTS_PUBLIC_PHASES})


def refresh_publication(estate_ids=None):
    """Recompute is_published for these estates (all when None); returns the rows updated.
    An estate that comes onto or off the public site is announced by name (its pages)."""
    from .models import Estate
    from .models.estates import published_nominations

    estates = (
        Estate.objects.all() if estate_ids is None else Estate.objects.filter(pk__in=estate_ids)
    )
    flag = models.Exists(published_nominations(models.OuterRef("pk")))
    # Only rows whose flag is wrong are written, so a refresh of a large campaign is cheap
    # when nothing changed.
    wrong = estates.exclude(is_published=flag)
    slugs = list(wrong.values_list("slug", flat=True))
    if not slugs:
        return 0
    rows = Estate.objects.filter(slug__in=slugs).update(is_published=flag)
    announce_public_change(reason="publication", estate_slugs=slugs)
    return rows


def refresh_province_order(province_ids=None):
    from .models import Estate, Province

    order = Province.objects.filter(pk=models.OuterRef("province_id")).values("display_order")
    estates = Estate.objects.all()
    if province_ids is not None:
        estates = estates.filter(province_id__in=province_ids)
    return estates.update(province_order=models.Subquery(order[:1]))


def refresh_search_keys(estates):
    """Recompute search_keys for an iterable of estates, writing only the changed ones."""
    from .models import Estate

    changed = []
    for estate in estates:
        keys = search_keys(estate)
        if keys != estate.search_keys:
            estate.search_keys = keys
            changed.append(estate)
    Estate.objects.bulk_update(changed, ["search_keys"], batch_size=1000)
    return len(changed)


def announce_public_change(reason="rows", estate_slugs=None):
    """Queryset updates and bulk creates send no model signals: announce the change (the site
    moves its page cache on, showcase/cache.py). `estate_slugs`: the estates whose own pages
    the change reaches, besides the pages that list or count estates; None for every page."""
    signals.public_data_changed.send(sender=None, reason=reason, estate_slugs=estate_slugs)


# What a saved or deleted row reaches on the public site (public_reach()).
EVERY_PAGE = "every page"

# Rows the public never sees, nor anything computed from them.
PRIVATE_MODELS = (
    "nominationtransition",
    "review",
    "reviewscore",
    "notification",
    "pendingchange",
    "staffprofile",
    "importupload",
)
ESTATE_ROW_MODELS = ("mechanism", "metric", "keyfigure", "activity", "honor", "photo")
CAMPAIGN_PART_MODELS = ("criterion", "activityrequirement", "provincequota", "campaignphasechange")


def public_reach(instance):
    """Which public pages show a row that was just saved or deleted:

    - None: none (a draft, an unpublished estate, a nomination in review, a private row);
    - a set of estate slugs: those estates' own pages, and the pages that list or count
      estates (an empty set: only those);
    - EVERY_PAGE: every page (campaigns, criteria, catalogues, regions — rarely changed, and
      shown on every profile).

    So a province saving drafts all day changes no public page, and an edit of one published
    estate leaves every other estate's page as it was (showcase/cache.py)."""
    from .models import Campaign, Estate, Nomination

    name = instance._meta.model_name
    if name in PRIVATE_MODELS or not getattr(instance, "affects_public_pages", True):
        return None
    if name == "estate":
        if not instance.is_published:
            return None
        return {instance.slug, getattr(instance, "slug_before_save", None)} - {None, ""}
    if name in ESTATE_ROW_MODELS:
        estates = {instance.estate_id, getattr(instance, "loaded_estate_id", None)} - {None}
        return _published_slugs(estates)
    if name == "nomination":
        phase = (
            Campaign.objects.filter(pk=instance.campaign_id).values_list("phase", flat=True).first()
        )
        if phase in RESULTS_PUBLIC_PHASES:
            # Selected or no longer: the estate's page shows it, or goes.
            return set(Estate.objects.filter(pk=instance.estate_id).values_list("slug", flat=True))
        return set() if phase == CampaignPhase.NOTICE else None  # the notice page's list
    if name in ("criterionevidence", "activityevidence"):
        shown = Nomination.objects.filter(
            pk=instance.nomination_id,
            state=NominationState.SELECTED,
            campaign__phase__in=RESULTS_PUBLIC_PHASES,
        ).values_list("estate__slug", flat=True)
        return set(shown) or None
    if name == "objection":
        return set()  # the notice page
    if name in CAMPAIGN_PART_MODELS or name == "campaign":
        # A round is public from its notice on; before that no page shows it or its parts.
        campaign_id = instance.pk if name == "campaign" else instance.campaign_id
        phase = Campaign.objects.filter(pk=campaign_id).values_list("phase", flat=True).first()
        if name == "campaign":
            phase = instance.phase
        if phase in PUBLIC_CAMPAIGN_PHASES:
            return EVERY_PAGE
        if name == "campaignphasechange" and instance.from_phase in PUBLIC_CAMPAIGN_PHASES:
            return EVERY_PAGE
        return None
    if name == "propertycompany":
        served = Estate.objects.published().filter(property_company_id=instance.pk)
        return set(served.values_list("slug", flat=True)) or None
    return EVERY_PAGE


def _published_slugs(estate_ids):
    from .models import Estate

    slugs = Estate.objects.published().filter(pk__in=estate_ids).values_list("slug", flat=True)
    return set(slugs) or None


def _estate_slug_before(sender, instance, raw=False, **kwargs):
    """Before an estate's save: its address until now, whose cached page must go if it moves."""
    if instance.pk is not None and instance.is_published:
        instance.slug_before_save = (
            sender.objects.filter(pk=instance.pk).values_list("slug", flat=True).first()
        )


def refresh_latest_metrics(estate_ids=None):
    """Recompute Metric.is_latest for these estates' values (all when None), writing only
    the rows whose flag changes; returns the rows written. (Migration 0016 holds a copy.)"""
    from .models import Metric
    from .models.profile import LATEST_FIRST

    values = Metric.objects.all()
    if estate_ids is not None:
        values = values.filter(estate_id__in=list(estate_ids))
    latest = (
        Metric.objects.filter(
            estate_id=models.OuterRef("estate_id"), metric_type_id=models.OuterRef("metric_type_id")
        )
        .order_by(*LATEST_FIRST)
        .values("pk")[:1]
    )
    latest_pks = values.filter(pk=models.Subquery(latest)).values("pk")
    # QuerySet.update (not the MetricQuerySet override): only the flag changes here.
    unmarked = models.QuerySet.update(
        values.filter(is_latest=True).exclude(pk__in=latest_pks), is_latest=False
    )
    marked = models.QuerySet.update(
        values.filter(is_latest=False, pk__in=latest_pks), is_latest=True
    )
    return unmarked + marked


def refresh_all():
    from .models import Estate

    refresh_latest_metrics()
    refresh_province_order()
    refresh_search_keys(
        Estate.objects.select_related("city", "property_company").iterator(chunk_size=2000)
    )
    refresh_publication()


def _nomination_changed(sender, instance, raw=False, **kwargs):
    refresh_publication([instance.estate_id])


def _campaign_changed(sender, instance, raw=False, **kwargs):
    refresh_publication(instance.nominations.values("estate_id"))


def lock_estates(estate_ids):
    """Hold these estates' rows until the transaction ends, so two transactions changing one
    estate's values refresh its flags one after the other, each seeing the other's rows.
    (FOR NO KEY UPDATE: it does not wait for the key-share locks that inserting a row with a
    foreign key to the estate takes.)"""
    from .models import Estate

    list(
        Estate.objects.select_for_update(no_key=True)
        .filter(pk__in=sorted(estate_ids))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _metric_moving(sender, instance, raw=False, **kwargs):
    """Before a save: the estate the value belonged to, if it may be moving to another one.
    A row loaded from the database knows it already (Metric.from_db); one built otherwise
    (a history revert) asks."""
    if instance.pk is not None and not hasattr(instance, "loaded_estate_id"):
        instance.loaded_estate_id = (
            sender.objects.filter(pk=instance.pk).values_list("estate_id", flat=True).first()
        )


def _metric_changed(sender, instance, raw=False, **kwargs):
    estates = {instance.estate_id, getattr(instance, "loaded_estate_id", None)} - {None}
    with transaction.atomic():
        lock_estates(estates)
        refresh_latest_metrics(estates)
    instance.loaded_estate_id = instance.estate_id


def _province_changed(sender, instance, raw=False, **kwargs):
    refresh_province_order([instance.pk])


def _names_changed(sender, instance, raw=False, created=False, **kwargs):
    if created:
        return  # nothing refers to a new city or company yet
    refresh_search_keys(
        instance.estates.select_related("city", "property_company").iterator(chunk_size=2000)
    )


def connect_signals():
    from .models import Campaign, City, Estate, Metric, Nomination, PropertyCompany, Province

    pre_save.connect(_estate_slug_before, sender=Estate, dispatch_uid="publication-estate-pre")

    pre_save.connect(_metric_moving, sender=Metric, dispatch_uid="publication-metric-pre")
    post_save.connect(_metric_changed, sender=Metric, dispatch_uid="publication-metric")
    post_delete.connect(_metric_changed, sender=Metric, dispatch_uid="publication-metric-d")

    post_save.connect(_nomination_changed, sender=Nomination, dispatch_uid="publication-nom")
    post_delete.connect(_nomination_changed, sender=Nomination, dispatch_uid="publication-nom-d")
    post_save.connect(_campaign_changed, sender=Campaign, dispatch_uid="publication-campaign")
    post_save.connect(_province_changed, sender=Province, dispatch_uid="publication-province")
    post_save.connect(_names_changed, sender=City, dispatch_uid="publication-city")
    post_save.connect(_names_changed, sender=PropertyCompany, dispatch_uid="publication-company")
