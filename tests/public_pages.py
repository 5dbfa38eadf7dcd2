"""Every public page of the URL contract, with the seed's examples, in both languages: the list
the site-wide checks walk (tests/test_html_validity.py, tests/browser/test_public_pages.py).

Some pages need data the seed does not have: a campaign on public notice (open_notice()) and a
second page of the estate list and of a mechanism's page (grow_to_a_second_page(), which adds
synthetic estates and so changes the other pages: check them last).
"""

import datetime
from dataclasses import dataclass

LANGUAGES = {"zh": "", "en": "/en"}

SEED_ESTATES = [
    "shuangqigandongli",
    "changwajie7haoyuan",
    "lijingchangan",
    "xichanganyihao",
    "aozhengchengyuannanqu",
]
SEED_CAMPAIGNS = ["quanguo-2021", "shandong-2023"]
# (campaign, province): every province with a selected estate in a published campaign.
SEED_FEATURES = [("quanguo-2021", "beijing"), ("shandong-2023", "shandong")]
# Used by all five estates; used by the illustrative Linyi estate only.
MECHANISMS = ["dangjianyinling", "zhihuianfang"]
NOTICE_SLUG = "notice-check"

# (name, path, status), the Chinese address; the English one is the same under /en/.
PAGES = [
    ("home", "/", 200),
    ("estates", "/estates/", 200),
    (
        "estates-filtered",
        "/estates/?province=beijing&campaign=quanguo-2021&type=old&mechanism=dangjianyinling",
        200,
    ),
    ("estates-search", "/estates/?q=sqg", 200),
    ("estates-search-none", "/estates/?q=%E4%B8%8D%E5%AD%98%E5%9C%A8", 200),
    *[(f"profile-{slug}", f"/estates/{slug}/", 200) for slug in SEED_ESTATES],
    ("campaigns", "/campaigns/", 200),
    *[(f"campaign-{slug}", f"/campaigns/{slug}/", 200) for slug in SEED_CAMPAIGNS],
    *[
        (f"feature-{campaign}-{province}", f"/campaigns/{campaign}/{province}/", 200)
        for campaign, province in SEED_FEATURES
    ],
    ("notice", f"/campaigns/{NOTICE_SLUG}/notice/", 200),
    # The objection lookup's form (the answers are checked in tests/test_objection_lookup.py).
    ("notice-lookup", f"/campaigns/{NOTICE_SLUG}/notice/lookup/", 200),
    ("mechanisms", "/mechanisms/", 200),
    *[(f"mechanism-{slug}", f"/mechanisms/{slug}/", 200) for slug in MECHANISMS],
    ("stats", "/stats/", 200),
    ("data", "/data/", 200),
    ("not-found", "/estates/no-such-estate/", 404),
]
# Only after grow_to_a_second_page().
SECOND_PAGE = ("estates-page-2", "/estates/?page=2", 200)
SECOND_PAGES = [
    SECOND_PAGE,
    # The grown estates use the first kinds of mechanism, 党建引领 among them.
    (f"mechanism-{MECHANISMS[0]}-page-2", f"/mechanisms/{MECHANISMS[0]}/?page=2", 200),
]


@dataclass(frozen=True)
class Page:
    language: str
    name: str
    url: str
    status: int

    @property
    def label(self):
        return f"{self.language} {self.name} {self.url}"


def pages(entries=PAGES):
    """Every entry in both languages, Chinese first."""
    return [
        Page(language, name, prefix + path, status)
        for language, prefix in LANGUAGES.items()
        for name, path, status in entries
    ]


def open_notice():
    """A campaign on notice from two days ago to five days on, with one estate on notice (and
    one under review, which the page must not show): what /campaigns/<slug>/notice/ lists."""
    from django.utils import timezone

    from estates.enums import CampaignPhase, NominationState
    from estates.models import City, Nomination

    from .builders import campaign_like, make_estate

    today = timezone.localdate()
    campaign = campaign_like(
        "shandong-2023",
        CampaignPhase.NOTICE,
        slug=NOTICE_SLUG,
        title="2026 山东省“加强物业管理 共建美好家园”活动",
        year=2026,
        notice_starts_on=today - datetime.timedelta(days=2),
        notice_ends_on=today + datetime.timedelta(days=5),
    )
    linyi = City.objects.get(slug="linyi")
    on_notice = Nomination.objects.create(
        campaign=campaign,
        estate=make_estate(name="公示中小区", province=linyi.province, city=linyi, households=980),
        state=NominationState.ON_NOTICE,
    )
    Nomination.objects.create(
        campaign=campaign,
        estate=make_estate(name="评审中小区", province=linyi.province, city=linyi),
        state=NominationState.UNDER_REVIEW,
    )
    return campaign, on_notice


def more_on_notice(campaign, count, name):
    """`count` more Linyi estates on the campaign's notice, named `name` with their number
    (a str.format pattern), in province sequence 1, 2, …"""
    from estates.enums import NominationState
    from estates.models import City, Nomination

    from .builders import make_estate

    linyi = City.objects.get(slug="linyi")
    for i in range(count):
        Nomination.objects.create(
            campaign=campaign,
            estate=make_estate(name=name.format(i), province=linyi.province, city=linyi),
            state=NominationState.ON_NOTICE,
            province_sequence=i + 1,
        )


def grow_to_a_second_page():
    """Enough published estates for the estate list, and the first mechanism's page, to have
    a second page."""
    from estates.models import Estate
    from showcase.views import ESTATES_PER_PAGE

    from .growth import grow

    missing = ESTATES_PER_PAGE + 1 - Estate.objects.published().count()
    if missing > 0:
        grow(missing)
