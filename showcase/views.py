"""Public pages. Every estate they show comes through Estate.objects.published()."""

from decimal import Decimal
from itertools import groupby

from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Prefetch
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _

from estates.enums import RESULTS_PUBLIC_PHASES, NominationState
from estates.models import Activity, Estate, Mechanism, Metric, Nomination

from .templatetags.showcase import plain_number

ESTATES_PER_PAGE = 20


def published_estates():
    return Estate.objects.published().select_related("province", "city")


def home(request):
    estates = published_estates().order_by("province__display_order", "name_pinyin")
    return render(request, "showcase/home.html", {"estates": estates[:12]})


def estate_list(request):
    estates = published_estates().order_by("province__display_order", "name_pinyin")
    page = Paginator(estates, ESTATES_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "showcase/estate_list.html", {"page": page})


def estate_detail(request, slug):
    selected_in = Nomination.objects.filter(
        state=NominationState.SELECTED, campaign__phase__in=RESULTS_PUBLIC_PHASES
    ).select_related("campaign")
    estate = get_object_or_404(
        published_estates()
        .select_related("property_company")
        .prefetch_related(
            Prefetch("mechanisms", queryset=Mechanism.objects.select_related("mechanism_type")),
            Prefetch("metrics", queryset=Metric.objects.select_related("metric_type")),
            Prefetch("activities", queryset=Activity.objects.select_related("requirement")),
            "key_figures",
            "honors",
            "photos",
            Prefetch("nominations", queryset=selected_in, to_attr="public_nominations"),
        ),
        slug=slug,
    )
    return render(
        request,
        "showcase/estate_detail.html",
        {
            "estate": estate,
            "facts": estate_facts(estate),
            "metric_series": metric_series(estate.metrics.all()),
        },
    )


def estate_facts(estate):
    """The facts panel as (label, value) pairs; a value of None reads as unknown."""
    location = "".join(
        part
        for part in [
            estate.province.name,
            "" if estate.city.name == estate.province.name else estate.city.name,
            estate.district,
            estate.subdistrict,
        ]
        if part
    )
    if estate.year_built is not None:
        built = _("%(year)s年") % {"year": estate.year_built}
    else:
        built = estate.construction_period or None
    return [
        (_("所在地区"), location),
        (_("社区"), estate.community or None),
        (_("地址"), estate.address or None),
        (_("小区类型"), estate.get_estate_type_display() or None),
        (_("建成时间"), built),
        (_("楼栋数"), _with_unit(estate.buildings, _("栋"), estate.building_note)),
        (_("单元数"), _with_unit(estate.units, _("个"))),
        (_("户数"), _with_unit(estate.households, _("户"))),
        (_("居住人数"), _with_unit(estate.residents, _("人"))),
        (_("占地面积"), land_area_text(estate)),
        (_("总建筑面积"), floor_area_text(estate)),
        (_("容积率"), _plain(estate.plot_ratio)),
        (_("绿化覆盖率"), _with_unit(estate.green_coverage, "%")),
        (_("物业服务企业"), estate.property_company.name if estate.property_company else None),
    ]


def _plain(value):
    return None if value is None else plain_number(value)


def _with_unit(value, unit, note=""):
    if value is None:
        return None
    text = f"{_plain(value)}{unit}"
    return f"{text}（{note}）" if note else text


def area_text(square_metres, approximate=False):
    """'约34万平方米' as the sources write large areas; exact digits when 万 would round."""
    if square_metres >= 10000 and (approximate or square_metres % 100 == 0):
        value = (square_metres / 10000).quantize(Decimal("0.01"))
        text = _("%(value)s万平方米") % {"value": plain_number(value)}
    else:
        text = _("%(value)s平方米") % {"value": plain_number(square_metres)}
    return _("约%(text)s") % {"text": text} if approximate else text


def land_area_text(estate):
    if estate.land_area is None:
        return None
    if estate.land_area_in_mu:
        return _("%(mu)s亩（%(area)s）") % {
            "mu": plain_number(estate.land_area_mu),
            "area": area_text(estate.land_area, approximate=True),
        }
    return area_text(estate.land_area)


def floor_area_text(estate):
    if estate.floor_area is None:
        return None
    return area_text(estate.floor_area, approximate=estate.floor_area_is_approximate)


def metric_series(metrics):
    """Metrics grouped by type, each group in time order: [(metric_type, [metric, …]), …]."""
    ordered = sorted(
        metrics,
        # Undated values (a before/after pair) order by sequence; dated ones by date.
        key=lambda m: (
            m.metric_type.display_order,
            m.metric_type_id,
            m.date is not None,
            m.date or 0,
            m.sequence,
            m.pk,
        ),
    )
    return [(kind, list(group)) for kind, group in groupby(ordered, key=lambda m: m.metric_type)]


def healthz(request):
    """200 when the database answers; load balancers poll this."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # any database failure means unhealthy
        return JsonResponse({"status": "error"}, status=503)
    return JsonResponse({"status": "ok"})
