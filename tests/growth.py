"""Grow the published data set, for tests that must not depend on its size."""

import itertools

from estates.enums import ActivityCategory
from estates.models import (
    Activity,
    Campaign,
    Honor,
    KeyFigure,
    Mechanism,
    MechanismType,
    Metric,
    MetricType,
    Province,
)

from .builders import make_estate, nominate

_serial = itertools.count(1)


def grow(extra_estates):
    """Add published estates to both seed campaigns, each with a full profile."""
    national = Campaign.objects.get(slug="quanguo-2021")
    shandong = Campaign.objects.get(slug="shandong-2023")
    provinces = list(Province.objects.filter(code__in=["110000", "370000"]))
    kinds = list(MetricType.objects.all())
    mechanism_kinds = list(MechanismType.objects.all())
    for i in range(extra_estates):
        n = next(_serial)
        province = provinces[i % 2]
        estate = make_estate(
            name=f"增长小区{n}",
            province=province,
            city=province.cities.first(),
            households=100 + i,
            tagline="测试标题语",
            overview="测试概况。",
        )
        nominate(estate, campaign=national if province.code == "110000" else shandong)
        for j, kind in enumerate(kinds):
            Metric.objects.create(estate=estate, metric_type=kind, value=50 + j, sequence=1)
            Metric.objects.create(estate=estate, metric_type=kind, value=60 + j, sequence=2)
        for kind in mechanism_kinds[:3]:
            Mechanism.objects.create(estate=estate, mechanism_type=kind, title=f"机制{n}")
        Activity.objects.create(estate=estate, title="节日活动", category=ActivityCategory.FESTIVAL)
        KeyFigure.objects.create(estate=estate, label="监控摄像", quantity=10, unit="台")
        Honor.objects.create(estate=estate, title="示范小区", level="municipal")
