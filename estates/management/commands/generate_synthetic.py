import random
from datetime import timedelta
from decimal import Decimal

from django.core.management import BaseCommand, call_command
from django.db import connection, transaction
from django.utils import timezone

from estates.enums import (
    ActivityCategory,
    CampaignLevel,
    CampaignPhase,
    EstateType,
    NominationState,
)
from estates.models import (
    Activity,
    Campaign,
    City,
    Criterion,
    Estate,
    KeyFigure,
    Mechanism,
    MechanismType,
    Metric,
    MetricType,
    Nomination,
    Photo,
    PropertyCompany,
    Province,
)
from estates.pinyin import full_pinyin, pinyin_initials
from estates.publication import announce_public_change, refresh_latest_metrics, refresh_publication
from estates.search import search_keys

FIRST = [
    "阳光",
    "幸福",
    "和谐",
    "锦绣",
    "翠湖",
    "华府",
    "金地",
    "绿城",
    "碧水",
    "青山",
    "东方",
    "龙湾",
    "书香",
    "枫林",
    "海棠",
    "紫荆",
    "长安",
    "丽景",
    "泰和",
    "明珠",
]
SECOND = ["花园", "家园", "名苑", "新村", "雅居", "小区", "公寓", "华庭", "嘉园", "里"]
DISTRICTS = ["城东区", "城西区", "高新区", "开发区", "新城区", "老城区"]
BATCH = 2000
YEARS = [2021, 2022, 2023, 2024, 2025]
# Of the estates a province selects, the share the national round of that year selects too:
# about a hundred a year at 100,000 estates.
NATIONAL_SHARE = 0.01


class Command(BaseCommand):
    help = (
        "生成用于基准测试的合成数据（不在生产环境使用）：指定数量的小区及其指标、机制、活动、推荐。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--estates", type=int, required=True, help="小区数量")
        parser.add_argument("--seed", type=int, default=1, help="随机种子，相同种子生成相同数据")

    def handle(self, estates, seed, **options):
        rng = random.Random(seed)
        call_command("load_seed", if_empty=True, verbosity=0)
        with transaction.atomic():
            cities = self.cities()
            companies = self.companies(max(1, estates // 20))
            campaigns = self.campaigns()
            start = Estate.objects.count()
            for offset in range(0, estates, BATCH):
                size = min(BATCH, estates - offset)
                self.batch(rng, start + offset, size, cities, companies, campaigns)
                self.stderr.write(f"\r已生成 {offset + size}/{estates} 个小区")
            self.stderr.write("\n")
        # bulk_create sends no signals: the kept flags are computed in one pass each.
        refresh_publication()
        refresh_latest_metrics()
        announce_public_change(reason="synthetic data")
        self.gather_statistics()
        self.stdout.write(self.style.SUCCESS(f"已生成 {estates} 个合成小区。"))

    def gather_statistics(self):
        """What autovacuum does soon after a bulk load, so the data is measured as a running
        registry holds it: fresh planner statistics and, on PostgreSQL, the visibility map
        that index-only scans need (measured straight after the load, pages took 2–3 times
        as long)."""
        vacuum = connection.vendor == "postgresql" and not connection.in_atomic_block
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE" if vacuum else "ANALYZE")  # VACUUM needs autocommit

    def cities(self):
        # The national list of cities ships with the seed (fixtures/regions.json).
        return list(City.objects.select_related("province"))

    def companies(self, count):
        existing = PropertyCompany.objects.filter(name__startswith="合成物业").count()
        PropertyCompany.objects.bulk_create(
            PropertyCompany(name=f"合成物业服务有限公司{i}") for i in range(existing, count)
        )
        return list(PropertyCompany.objects.filter(name__startswith="合成物业"))

    def campaigns(self):
        """Campaign rounds as the registry grows them: a provincial round in every province
        each year (2021–2024 published; the 2025 round still running, in a different phase
        by province) and a national round each year that selects about a hundred estates."""
        template = list(Campaign.objects.get(slug="quanguo-2021").criteria.all())
        now = timezone.now()
        # A round on notice has its days, as the admin requires, around today: its page
        # shows the objection form, as a real notice's does.
        today = timezone.localdate()
        notice_days = {
            "notice_starts_on": today - timedelta(days=2),
            "notice_ends_on": today + timedelta(days=5),
        }
        running = [
            CampaignPhase.NOMINATING,
            CampaignPhase.REVIEWING,
            CampaignPhase.NOTICE,
        ]
        made = {"provincial": {}, "national": {}}
        specs = []
        for province in Province.objects.all():
            for year in YEARS:
                phase = (
                    running[province.display_order % len(running)]
                    if year == YEARS[-1]
                    else CampaignPhase.PUBLISHED
                )
                specs.append(("provincial", province, year, phase))
        for year in YEARS[:-1]:
            specs.append(("national", None, year, CampaignPhase.PUBLISHED))
        for level, province, year, phase in specs:
            slug = f"synthetic-{province.slug}-{year}" if province else f"synthetic-national-{year}"
            campaign, created = Campaign.objects.get_or_create(
                slug=slug,
                defaults={
                    "title": f"{province.name if province else '全国'}{year}年度美好家园（合成）",
                    "year": year,
                    "level": CampaignLevel.PROVINCIAL if province else CampaignLevel.NATIONAL,
                    "province": province,
                    "phase": phase,
                    "results_published_at": now if phase == CampaignPhase.PUBLISHED else None,
                    **(notice_days if phase == CampaignPhase.NOTICE else {}),
                },
            )
            if created:
                Criterion.objects.bulk_create(
                    Criterion(campaign=campaign, number=c.number, title=c.title, weight=c.weight)
                    for c in template
                )
            made[level][(province.pk if province else None, year)] = campaign
        return made

    def nomination_states(self, rng, campaign):
        """A state the campaign's phase allows, in realistic proportions."""
        choices = {
            CampaignPhase.PUBLISHED: [
                (NominationState.SELECTED, 45),
                (NominationState.NOT_SELECTED, 45),
                (NominationState.REVOKED, 2),
                (NominationState.WITHDRAWN, 8),
            ],
            CampaignPhase.NOTICE: [
                (NominationState.ON_NOTICE, 60),
                (NominationState.NOT_SELECTED, 35),
                (NominationState.WITHDRAWN, 5),
            ],
            CampaignPhase.REVIEWING: [
                (NominationState.SUBMITTED, 30),
                (NominationState.UNDER_REVIEW, 50),
                (NominationState.SHORTLISTED, 15),
                (NominationState.WITHDRAWN, 5),
            ],
            CampaignPhase.NOMINATING: [
                (NominationState.DRAFT, 60),
                (NominationState.SUBMITTED, 35),
                (NominationState.WITHDRAWN, 5),
            ],
        }[campaign.phase]
        states, weights = zip(*choices, strict=True)
        return rng.choices(states, weights)[0]

    def batch(self, rng, first, size, cities, companies, campaigns):
        estates = []
        for i in range(first, first + size):
            name = f"{rng.choice(FIRST)}{rng.choice(SECOND)}{i}"
            city = rng.choice(cities)
            estates.append(
                Estate(
                    name=name,
                    slug=f"{full_pinyin(name)}-s{i}",
                    name_pinyin=full_pinyin(name),
                    name_initials=pinyin_initials(name),
                    province=city.province,
                    city=city,
                    district=rng.choice(DISTRICTS),
                    estate_type=rng.choice(EstateType.values),
                    year_built=rng.choice([None, *range(1970, 2022)]),
                    buildings=rng.randint(3, 80),
                    households=rng.choice([None, *range(100, 5000, 7)]),
                    green_coverage=Decimal(rng.randint(2000, 4500)) / 100,
                    property_company=rng.choice(companies),
                    tagline="以党建引领，共建美好家园",
                    overview="合成数据：用于测量性能。",
                )
            )
        for estate in estates:  # what Estate.save() would keep
            estate.search_keys = search_keys(estate)
            estate.province_order = estate.province.display_order
        estates = Estate.objects.bulk_create(estates)
        kinds = {k.code: k for k in MetricType.objects.all()}
        mechanisms = list(MechanismType.objects.all())
        metrics, rows, activities, figures, photos, nominations = [], [], [], [], [], []
        for estate in estates:
            for year in (2021, 2022, 2023):
                for code in ("satisfaction", "fee_collection"):
                    metrics.append(
                        Metric(
                            estate=estate,
                            metric_type=kinds[code],
                            is_percentage=True,
                            value=Decimal(rng.randint(8000, 10000)) / 100,
                            date=timezone.datetime(year, 12, 31).date(),
                            date_precision="year",
                        )
                    )
            for kind in rng.sample(mechanisms, rng.randint(2, 5)):
                rows.append(Mechanism(estate=estate, mechanism_type=kind, title=f"{kind.name}做法"))
            for _ in range(rng.randint(1, 3)):
                activities.append(
                    Activity(estate=estate, title="节日活动", category=ActivityCategory.FESTIVAL)
                )
            figures.append(
                KeyFigure(estate=estate, label="监控摄像", quantity=rng.randint(10, 900), unit="台")
            )
            if rng.random() < 0.3:
                photos.append(
                    Photo(estate=estate, image="photos/synthetic/none.jpg", caption="小区一景")
                )
            year = rng.choice(YEARS)
            campaign = campaigns["provincial"][(estate.province_id, year)]
            state = self.nomination_states(rng, campaign)
            nominations.append(Nomination(estate=estate, campaign=campaign, state=state))
            national = campaigns["national"].get((None, year))
            if (
                national is not None
                and state == NominationState.SELECTED
                and rng.random() < NATIONAL_SHARE
            ):
                nominations.append(
                    Nomination(estate=estate, campaign=national, state=NominationState.SELECTED)
                )
        for model, objects in [
            (Metric, metrics),
            (Mechanism, rows),
            (Activity, activities),
            (KeyFigure, figures),
            (Photo, photos),
            (Nomination, nominations),
        ]:
            model.objects.bulk_create(objects, batch_size=BATCH)
