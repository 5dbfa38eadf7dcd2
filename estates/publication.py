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
from .search import search_keys


def refresh_publication(estate_ids=None):
    """Recompute is_published for these estates (all when None); returns the rows updated."""
    from .models import Estate
    from .models.estates import published_nominations

    estates = (
        Estate.objects.all() if estate_ids is None else Estate.objects.filter(pk__in=estate_ids)
    )
    flag = models.Exists(published_nominations(models.OuterRef("pk")))
    # Only rows whose flag is wrong are written, so a refresh of a large campaign is cheap
    # when nothing changed.
    return estates.exclude(is_published=flag).update(is_published=flag)


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


def announce_public_change(reason="rows"):
    """Queryset updates and bulk creates send no model signals: announce the change (the site
    moves its page cache on, showcase/cache.py)."""
    signals.public_data_changed.send(sender=None, reason=reason)


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
    from .models import Campaign, City, Metric, Nomination, PropertyCompany, Province

    pre_save.connect(_metric_moving, sender=Metric, dispatch_uid="publication-metric-pre")
    post_save.connect(_metric_changed, sender=Metric, dispatch_uid="publication-metric")
    post_delete.connect(_metric_changed, sender=Metric, dispatch_uid="publication-metric-d")

    post_save.connect(_nomination_changed, sender=Nomination, dispatch_uid="publication-nom")
    post_delete.connect(_nomination_changed, sender=Nomination, dispatch_uid="publication-nom-d")
    post_save.connect(_campaign_changed, sender=Campaign, dispatch_uid="publication-campaign")
    post_save.connect(_province_changed, sender=Province, dispatch_uid="publication-province")
    post_save.connect(_names_changed, sender=City, dispatch_uid="publication-city")
    post_save.connect(_names_changed, sender=PropertyCompany, dispatch_uid="publication-company")
