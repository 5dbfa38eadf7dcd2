"""Every URL of the site, requested by everyone, against one table of who may see what.

The test walks Django's URL resolver — the public pages in both languages, the feed, the
sitemap, open data, the notice pages, healthz, robots, and every page of every ModelAdmin on
the admin site including import, export and custom views — and classifies each pattern with
the tables below. A pattern the tables do not know fails the test, so a new URL cannot ship
without saying who may see it.

Each pattern is requested as anonymous and as each role (ministry; provincial staff of Beijing
and of Shandong; a reviewer from Hebei; an editor), with rows of the user's own province and
of another, published and unpublished estates, nominations in every kind of state, an id that
does not exist and one that is not an id at all. Each answer is checked against the table, and:

- no leak: the rows here carry marker names (机密…苑) and slugs; a marker the user may not see
  must not appear in any answer — page, list filter, autocomplete JSON, feed, sitemap, export,
  open data, error page, redirect target or message;
- no oracle: a row the user may not see answers exactly like a missing id — same status, same
  redirect, same message, same page apart from the id.
"""

import html
import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, timedelta
from urllib.parse import quote, unquote

import pytest
from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.views.main import SEARCH_VAR
from django.contrib.contenttypes.models import ContentType
from django.contrib.messages import get_messages
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.resolvers import LocalePrefixPattern
from django.utils import timezone, translation
from django.utils.encoding import iri_to_uri

from estates import models as m
from estates.admin.nominations import create_missing_evidence
from estates.enums import (
    RESULTS_PUBLIC_PHASES,
    ActivityCategory,
    CampaignLevel,
    CampaignPhase,
    HonorLevel,
    NominationState,
)
from estates.workflow import assign_reviewer

from .builders import campaign_like, make_estate, make_staff, nominate

pytestmark = pytest.mark.django_db

S = NominationState
P = CampaignPhase

# ---------------------------------------------------------------------------------------------
# Who asks.

USERS = {
    "anonymous": None,
    "ministry": ("ministry", None),
    "beijing": ("provincial", "beijing"),
    "shandong": ("provincial", "shandong"),
    "reviewer": ("reviewer", "hebei"),
    "editor": ("editor", None),
}
STAFF = frozenset(name for name, spec in USERS.items() if spec)
ROLE = {"ministry": 0, "beijing": 1, "shandong": 1, "reviewer": 2, "editor": 3}

# ---------------------------------------------------------------------------------------------
# The rows. Names and slugs are markers: none is part of another, none occurs in the seed data.

CAMPAIGNS = {
    # key: (title, slug, phase, province, staff who see it in the admin)
    "published": ("全国示范评选·已发布", "am-camp-published", P.PUBLISHED, None, STAFF),
    "nominating": ("全国秘密评选·申报", "am-camp-nominating", P.NOMINATING, None, STAFF),
    "reviewing": ("全国秘密评选·评审", "am-camp-reviewing", P.REVIEWING, None, STAFF),
    "notice": ("全国示范评选·公示", "am-camp-notice", P.NOTICE, None, STAFF),
    # Another province's own campaign: Shandong's staff must not learn of it.
    "beijing": ("北京市秘密评选", "am-camp-beijing", P.REVIEWING, "beijing", STAFF - {"shandong"}),
}
# Campaigns the public may read about: results published, or on notice.
PUBLIC_CAMPAIGNS = {"published", "notice"}

PROVINCIAL_SEES = {"beijing": {"ministry", "beijing"}, "shandong": {"ministry", "shandong"}}
ESTATES = {
    # key: (name, slug, province, campaign, nomination state, staff who see it in the admin)
    # Published (selected in a campaign whose results are out): every page may show them,
    # but in the admin only their own province, the ministry and editors see them.
    "pub_bj": ("公开京示范苑", "am-pub-bj", "beijing", "published", S.SELECTED, "bj+editor"),
    "pub_sd": ("公开鲁示范苑", "am-pub-sd", "shandong", "published", S.SELECTED, "sd+editor"),
    # Drafts: their province and the ministry only.
    "draft_bj": ("机密京草稿苑", "am-draft-bj", "beijing", "nominating", S.DRAFT, "bj"),
    "draft_sd": ("机密鲁草稿苑", "am-draft-sd", "shandong", "nominating", S.DRAFT, "sd"),
    # Handed in: reviewers from other provinces read them.
    "submitted_bj": ("机密京提交苑", "am-sub-bj", "beijing", "reviewing", S.SUBMITTED, "bj+rev"),
    "review_bj": ("机密京评审苑", "am-rev-bj", "beijing", "reviewing", S.UNDER_REVIEW, "bj+rev"),
    "review_sd": ("机密鲁评审苑", "am-rev-sd", "shandong", "reviewing", S.UNDER_REVIEW, "sd+rev"),
    # Hebei is the reviewer's own province: never theirs to review.
    "review_hb": ("机密冀评审苑", "am-rev-hb", "hebei", "reviewing", S.UNDER_REVIEW, "ministry"),
    "short_bj": ("机密京拟选苑", "am-short-bj", "beijing", "notice", S.SHORTLISTED, "bj+rev"),
    # On public notice: named on the notice page, nowhere else in public.
    "notice_sd": ("公示鲁候选苑", "am-notice-sd", "shandong", "notice", S.ON_NOTICE, "sd+rev"),
    # Selected, results not yet published: editors prepare it, the public must wait.
    "selected_bj": ("机密京待发苑", "am-sel-bj", "beijing", "notice", S.SELECTED, "bj+editor"),
    # Decided against: out of every public page, and out of editors' and reviewers' sight.
    "revoked_bj": ("机密京撤销苑", "am-revoked-bj", "beijing", "published", S.REVOKED, "bj"),
    "rejected_sd": ("机密鲁落选苑", "am-rej-sd", "shandong", "published", S.NOT_SELECTED, "sd"),
}
SEEN = {
    "ministry": {"ministry"},
    "bj": PROVINCIAL_SEES["beijing"],
    "sd": PROVINCIAL_SEES["shandong"],
    "bj+editor": PROVINCIAL_SEES["beijing"] | {"editor"},
    "sd+editor": PROVINCIAL_SEES["shandong"] | {"editor"},
    "bj+rev": PROVINCIAL_SEES["beijing"] | {"reviewer"},
    "sd+rev": PROVINCIAL_SEES["shandong"] | {"reviewer"},
}
ON_SITE = {"pub_bj", "pub_sd"}  # on every public page
ON_NOTICE_PAGE = {"notice_sd"}  # on the notice page only
# Estates whose rows (metrics, photos, evidence …) are probed in the admin: one of each kind.
ROW_MODELS = ["mechanism", "metric", "keyfigure", "activity", "honor", "photo"]
ROW_PROBES = ["pub_bj", "pub_sd", "draft_bj", "draft_sd", "review_bj", "review_hb", "selected_bj"]

# ---------------------------------------------------------------------------------------------
# The admin: what each role may do with each model (v view, a add, c change, d delete; "" means
# every page of the model answers 403), which pages the model has, and which rows are probed.

LIST = {"changelist", "add", "change", "delete", "history", "object"}
DOMAIN = LIST | {"revert"}  # django-simple-history: history and revert of each row
SHEETS = {"import", "process_import", "import_errors", "export"}
REPORT_KINDS = {"report", "report_preview", "report_docx", "report_pdf", "report_archive"}


@dataclass(frozen=True)
class ModelRow:
    perms: tuple  # ministry, provincial, reviewer, editor
    kinds: frozenset  # its pages


MODELS = {
    # Estates and their rows.
    "estates.estate": ModelRow(("vacd", "vacd", "v", "vc"), DOMAIN | SHEETS | {"template"}),
    "estates.mechanism": ModelRow(("vacd", "vacd", "v", "v"), DOMAIN | SHEETS),
    "estates.metric": ModelRow(("vacd", "vacd", "v", "v"), DOMAIN | SHEETS),
    "estates.keyfigure": ModelRow(("vacd", "vacd", "v", "v"), DOMAIN | SHEETS),
    "estates.activity": ModelRow(("vacd", "vacd", "v", "v"), DOMAIN | SHEETS),
    "estates.honor": ModelRow(("vacd", "vacd", "v", "v"), DOMAIN),
    "estates.photo": ModelRow(("vacd", "vacd", "v", "vacd"), DOMAIN),
    # Nominations and what belongs to them.
    # Reports: read a Word report into a draft (upload, preview), download one as Word or PDF,
    # a campaign's as a ZIP (estates/admin/report_import.py, report_downloads.py).
    "estates.nomination": ModelRow(
        ("vacd", "vacd", "v", "vc"),
        DOMAIN | {"export", "transition"} | REPORT_KINDS,
    ),
    "estates.criterionevidence": ModelRow(("vacd", "vacd", "v", "v"), DOMAIN),
    "estates.activityevidence": ModelRow(("vacd", "vacd", "v", "v"), DOMAIN),
    # The log is written by the workflow only: nobody adds, changes or deletes it here.
    "estates.nominationtransition": ModelRow(("v", "v", "", ""), LIST),
    "estates.campaignphasechange": ModelRow(("v", "", "", ""), LIST),
    "estates.review": ModelRow(("vacd", "", "vc", ""), LIST),
    # Score rows are made when a reviewer is assigned and given on the review's page only.
    "estates.reviewscore": ModelRow(("v", "", "v", ""), LIST),
    # Objections come from the public notice page; only the ministry handles them.
    "estates.objection": ModelRow(("vcd", "", "", ""), LIST),
    # A province's edits of a public estate wait for review (estates/pending.py): made by
    # saving the estate, decided on their own page by editors and the ministry ("decide"),
    # read by the province that made them; nobody edits or deletes one.
    "estates.pendingchange": ModelRow(("v", "v", "", "v"), LIST | {"decide"}),
    # Reference data.
    # The national list of divisions (fixtures/regions.json): staff read it, and only
    # superusers correct it.
    "estates.province": ModelRow(("v", "v", "v", "v"), LIST),
    "estates.city": ModelRow(("v", "v", "v", "v"), LIST),
    "estates.propertycompany": ModelRow(("vacd", "va", "v", "v"), LIST),
    "estates.mechanismtype": ModelRow(("vacd", "v", "v", "v"), LIST),
    "estates.metrictype": ModelRow(("vacd", "v", "v", "v"), LIST),
    "estates.campaign": ModelRow(("vacd", "v", "v", "v"), LIST | {"advance", "publish", "copy"}),
    "estates.criterion": ModelRow(("vacd", "v", "v", "v"), LIST),
    "estates.activityrequirement": ModelRow(("vacd", "v", "v", "v"), LIST),
    # No role's group holds these permissions: only superusers keep province quotas and
    # accounts (which `manage.py create_staff_user` makes).
    "estates.provincequota": ModelRow(("vacd", "", "", ""), LIST),
    "auth.user": ModelRow(("", "", "", ""), LIST | {"password"}),
    # Each staff member's own notifications, read only; and their own mail on/off ("mail").
    "estates.notification": ModelRow(("v", "v", "v", "v"), LIST | {"mail"}),
    "auth.group": ModelRow(("", "", "", ""), LIST),
}
NOMINATION_DATA = {"estates.nomination", "estates.criterionevidence", "estates.activityevidence"}
ESTATE_ROWS = {f"estates.{name}" for name in ROW_MODELS}

# The admin site's own pages: URL name (or route, for the unnamed catch-all) -> kind.
ADMIN_SITE_ROUTES = {
    "admin:index": "index",
    "admin:login": "login",
    "admin:logout": "logout",
    "admin:password_change": "staff_page",
    "admin:password_change_done": "staff_page",
    "admin:jsi18n": "staff_page",
    "admin:autocomplete": "autocomplete",
    # Our view-on-site redirect (estates/admin/site.py) and Django's, which it must shadow.
    "safe_view_on_site": "view_on_site",
    "admin:view_on_site": "view_on_site",
    "admin:app_list": "app_index",
    "admin/(?P<url>.*)$": "catch_all",
}
# Public pages (both languages): route -> kind.
PUBLIC_ROUTES = {
    "": "page",
    "estates/": "estate_list",
    "estates/<slug:slug>/": "estate",
    "campaigns/": "page",
    "campaigns/<slug:slug>/": "campaign",
    "campaigns/<slug:slug>/notice/": "notice",
    # Looking an objection up by its reference: from the notice on (showcase/notice.py).
    "campaigns/<slug:slug>/notice/lookup/": "lookup",
    "campaigns/<slug:slug>/<slug:province_slug>/": "feature",
    "mechanisms/": "page",
    "mechanisms/<slug:slug>/": "mechanism",
    "stats/": "page",
    "data/": "page",
    "data/estates.json": "page",
    "data/estates.csv": "page",
    "data/estates.xlsx": "page",
    "feed/": "page",
}
SITE_ROUTES = {
    "healthz": "page",
    "robots.txt": "page",
    "sitemap.xml": "page",
    # The sitemap index's section files (showcase/sitemaps.py).
    "sitemap-<slug:section>.xml": "sitemap_section",
    # Each published estate's cover (showcase/covers.py), one address for every language.
    "estates/<slug:slug>/cover.png": "cover",
    "estates/<slug:slug>/cover-600.png": "cover",
    "estates/<slug:slug>/cover.jpg": "photo_cover",
}

# Answers other than a plain status.
LOGIN = "302 to the admin login"
GONE = "302 to the admin index: “…不存在…”"  # Django admin's answer for a missing id
MISSING_ID = "999999"
NOT_AN_ID = "x"

# ---------------------------------------------------------------------------------------------
# The URL patterns.


@dataclass
class Route:
    route: str
    name: str | None  # with its namespace
    i18n: bool


def walk(resolver, prefix="", namespace="", i18n=False):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            space = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            inner_i18n = i18n or isinstance(entry.pattern, LocalePrefixPattern)
            inner_prefix = prefix + ("" if inner_i18n and not i18n else str(entry.pattern))
            yield from walk(entry, inner_prefix, space, inner_i18n)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}{entry.name}" if entry.name else None
            yield Route(prefix + str(entry.pattern), name, i18n)


def model_route(route):
    """(model label, kind) for a page of a registered ModelAdmin, else None."""
    for model in admin.site._registry:
        opts = model._meta
        base = f"admin/{opts.app_label}/{opts.model_name}/"
        if not route.route.startswith(base):
            continue
        label = f"{opts.app_label}.{opts.model_name}"
        if route.name is None:
            return label, "object"  # <id>/ redirects to <id>/change/
        kind = route.name.removeprefix(f"admin:{opts.app_label}_{opts.model_name}_")
        aliases = {"simple_history": "revert", "password_change": "password"}
        return label, aliases.get(kind, kind)
    return None


def classify(routes):
    """{route: (area, kind, model)}; and the routes the tables do not know."""
    known, unknown = {}, []
    registered = {f"{m_._meta.app_label}.{m_._meta.model_name}" for m_ in admin.site._registry}
    for model in registered - set(MODELS):
        unknown.append(f"ModelAdmin for {model}")
    for route in routes:
        found = None
        if route.i18n and route.route in PUBLIC_ROUTES:
            found = ("public", PUBLIC_ROUTES[route.route], None)
        elif not route.i18n and route.route in SITE_ROUTES:
            found = ("site", SITE_ROUTES[route.route], None)
        elif not route.i18n and (route.name or route.route) in ADMIN_SITE_ROUTES:
            found = ("admin", ADMIN_SITE_ROUTES[route.name or route.route], None)
        elif not route.i18n and (owner := model_route(route)):
            label, kind = owner
            if label in MODELS and kind in MODELS[label].kinds:
                found = ("model", kind, label)
        if found is None:
            unknown.append(f"{route.route} ({route.name})")
        else:
            known[route.route] = (route, *found)
    return known, unknown


# ---------------------------------------------------------------------------------------------
# The world.


@dataclass(frozen=True)
class Probe:
    label: str
    pk: str
    seen_by: frozenset = frozenset()  # staff who may see the row
    version: str = MISSING_ID  # a historical record of the row, for the revert page
    published: bool = False  # shown on a public page: deletion is refused with a reason
    state: str = ""  # the nomination's state, for nomination data
    public_campaign: bool = False  # part of a campaign whose results are public


def absent_probes():
    return [Probe("missing", MISSING_ID), Probe("not-an-id", NOT_AN_ID), Probe("huge", "9" * 20)]


@dataclass
class World:
    users: dict
    campaigns: dict = field(default_factory=dict)
    estates: dict = field(default_factory=dict)
    nominations: dict = field(default_factory=dict)
    probes: dict = field(default_factory=dict)


def build_world():
    today = timezone.localdate()
    provinces = {
        p.slug: p for p in m.Province.objects.filter(slug__in=["beijing", "shandong", "hebei"])
    }
    cities = {
        "beijing": m.City.objects.get(province=provinces["beijing"], slug="beijing"),
        "shandong": m.City.objects.get(province=provinces["shandong"], slug="linyi"),
        "hebei": m.City.objects.get(province=provinces["hebei"], name="石家庄市"),
    }
    users = {name: make_staff(*spec) for name, spec in USERS.items() if spec}
    world = World(users=users)
    for key, (title, slug, phase, province, _seen) in CAMPAIGNS.items():
        extra = {}
        if province:
            extra = {"level": CampaignLevel.PROVINCIAL, "province": provinces[province]}
        if phase == P.NOTICE:
            extra["notice_starts_on"] = today - timedelta(days=1)
            extra["notice_ends_on"] = today + timedelta(days=10)
        world.campaigns[key] = campaign_like("quanguo-2021", phase, title=title, slug=slug, **extra)

    mechanism_type = m.MechanismType.objects.order_by("pk").first()
    satisfaction = m.MetricType.objects.get(code="satisfaction")
    rows = {model: [] for model in MODELS}
    for key, (name, slug, province, campaign, state, _seen) in ESTATES.items():
        estate = make_estate(
            name=name, slug=slug, province=provinces[province], city=cities[province]
        )
        nomination = nominate(estate, world.campaigns[campaign], state=state)
        create_missing_evidence(nomination)
        world.estates[key], world.nominations[key] = estate, nomination
        if state != S.DRAFT:  # a draft never handed in has no move in the log
            m.NominationTransition.objects.create(
                nomination=nomination, from_state=S.DRAFT, to_state=state, actor=users["ministry"]
            )
        if key not in ROW_PROBES:
            continue
        made = {
            "estates.mechanism": m.Mechanism.objects.create(
                estate=estate, mechanism_type=mechanism_type, title="议事协商机制"
            ),
            "estates.metric": m.Metric.objects.create(
                estate=estate, metric_type=satisfaction, value=96, date=date(2023, 12, 31)
            ),
            "estates.keyfigure": m.KeyFigure.objects.create(
                estate=estate, label="监控摄像", quantity=12, unit="台"
            ),
            "estates.activity": m.Activity.objects.create(
                estate=estate, title="邻里节", category=ActivityCategory.FESTIVAL
            ),
            "estates.honor": m.Honor.objects.create(
                estate=estate, title="文明小区", level=HonorLevel.DISTRICT
            ),
            "estates.photo": m.Photo.objects.create(
                estate=estate, image=f"photos/{slug}.jpg", caption="小区一角"
            ),
        }
        for evidence_model, evidence in [
            ("estates.criterionevidence", nomination.criterion_evidence.first()),
            ("estates.activityevidence", nomination.activity_evidence.first()),
        ]:
            evidence.text = "已落实"
            evidence.save()  # a historical record to revert to
            made[evidence_model] = evidence
        for model, obj in made.items():
            rows[model].append((key, obj))

    # Reviews: one of ours, two of another reviewer's (from Beijing).
    other_reviewer = make_staff("reviewer", "beijing")
    ours = assign_reviewer(world.nominations["review_bj"], users["reviewer"], users["ministry"])
    theirs = [
        assign_reviewer(world.nominations[key], other_reviewer, users["ministry"])
        for key in ["review_sd", "review_hb"]
    ]
    objection = m.Objection.objects.create(
        nomination=world.nominations["notice_sd"], text="该小区的物业费收缴率数据有误。"
    )
    quota = m.ProvinceQuota.objects.create(
        campaign=world.campaigns["notice"], province=provinces["beijing"], quota=3
    )

    def estate_probe(key, obj):
        return Probe(
            key,
            str(obj.pk),
            frozenset(SEEN[ESTATES[key][5]]),
            version=str(obj.history.latest().pk),
            published=key in ON_SITE,
            state=ESTATES[key][4],
        )

    probes = world.probes
    probes["estates.estate"] = [estate_probe(k, e) for k, e in world.estates.items()]
    probes["estates.nomination"] = [estate_probe(k, n) for k, n in world.nominations.items()]
    for model, made in rows.items():
        if made:
            probes[model] = [estate_probe(k, obj) for k, obj in made]
    ministry = frozenset({"ministry"})
    # A province reads the log of its own nominations (the reasons given to it).
    probes["estates.nominationtransition"] = [
        Probe(k, str(world.nominations[k].transitions.get().pk), ministry | {province})
        for k, province in [
            ("review_bj", "beijing"),
            ("rejected_sd", "shandong"),
            ("pub_bj", "beijing"),
        ]
    ]
    phase_change = m.CampaignPhaseChange.objects.create(
        campaign=world.campaigns["notice"],
        from_phase="reviewing",
        to_phase="notice",
        actor=users["ministry"],
    )
    probes["estates.campaignphasechange"] = [Probe("phase", str(phase_change.pk), ministry)]
    probes["estates.objection"] = [Probe("objection", str(objection.pk), ministry)]
    # A change waiting for review on each public estate, made by its province.
    probes["estates.pendingchange"] = [
        Probe(
            key,
            str(
                m.PendingChange.objects.create(
                    estate=world.estates[key],
                    author=users[province],
                    base_version=world.estates[key].version,
                    values={"tagline": "待审核的标题语"},
                    base_values={"tagline": ""},
                ).pk
            ),
            frozenset(SEEN[ESTATES[key][5]]),
        )
        for key, province in [("pub_bj", "beijing"), ("pub_sd", "shandong")]
    ]
    probes["estates.review"] = [
        Probe("our review", str(ours.pk), frozenset({"ministry", "reviewer"})),
        *[Probe(f"other review {r.pk}", str(r.pk), ministry) for r in theirs],
    ]
    probes["estates.reviewscore"] = [
        Probe("our score", str(ours.scores.first().pk), frozenset({"ministry", "reviewer"})),
        *[Probe(f"other score {r.pk}", str(r.scores.first().pk), ministry) for r in theirs],
    ]
    probes["estates.province"] = [Probe(s, str(provinces[s].pk), STAFF) for s in provinces]
    probes["estates.city"] = [
        Probe("beijing", str(cities["beijing"].pk), STAFF - {"shandong"}),
        Probe("linyi", str(cities["shandong"].pk), STAFF - {"beijing"}),
        Probe("shijiazhuang", str(cities["hebei"].pk), STAFF - {"beijing", "shandong"}),
    ]
    company = m.PropertyCompany.objects.order_by("pk").first()
    probes["estates.propertycompany"] = [Probe("company", str(company.pk), STAFF)]
    probes["estates.mechanismtype"] = [Probe("type", str(mechanism_type.pk), STAFF)]
    probes["estates.metrictype"] = [Probe("metric type", str(satisfaction.pk), STAFF)]
    probes["estates.campaign"] = [
        Probe(
            k,
            str(world.campaigns[k].pk),
            frozenset(CAMPAIGNS[k][4]),
            public_campaign=CAMPAIGNS[k][2] in RESULTS_PUBLIC_PHASES,
        )
        for k in ["published", "notice", "beijing"]
    ]
    for model, related in [
        ("estates.criterion", "criteria"),
        ("estates.activityrequirement", "activity_requirements"),
    ]:
        probes[model] = [
            Probe(
                k,
                str(getattr(world.campaigns[k], related).first().pk),
                frozenset(CAMPAIGNS[k][4]),
                public_campaign=CAMPAIGNS[k][2] in RESULTS_PUBLIC_PHASES,
            )
            for k in ["published", "beijing"]
        ]
    probes["estates.provincequota"] = [Probe("quota", str(quota.pk), ministry)]
    # Notifications are their recipient's alone (read already: opening one changes nothing).
    probes["estates.notification"] = [
        Probe(
            f"notification of {name}",
            str(
                m.Notification.objects.create(
                    recipient=users[name],
                    kind="returned",
                    subject=f"推荐被退回修改：{ESTATES['draft_bj'][0]}",
                    body="理由：材料不全。",
                    link=f"/admin/estates/nomination/{world.nominations['draft_bj'].pk}/change/",
                    read_at=timezone.now(),
                ).pk
            ),
            frozenset({name}),
        )
        for name in ["beijing", "ministry"]
    ]
    probes["auth.user"] = [Probe("user", str(users["reviewer"].pk))]
    probes["auth.group"] = [Probe("group", str(users["editor"].groups.get().pk))]
    return world


def probes_for(world, label):
    return [*world.probes[label], *absent_probes()]


# ---------------------------------------------------------------------------------------------
# Markers and leaks.


def admin_markers_hidden_from(user):
    """Names and slugs the user must never meet in the admin."""
    hidden = []
    for name, slug, *_rest, seen in ESTATES.values():
        if user not in SEEN[seen]:
            hidden += [name, slug]
    for title, slug, _phase, _province, seen in CAMPAIGNS.values():
        if user not in seen:
            hidden += [title, slug]
    return hidden


def names_seen_by(user):
    return [name for name, _slug, *_rest, seen in ESTATES.values() if user in SEEN[seen]]


def public_markers_hidden(kind):
    allowed = ON_SITE | (ON_NOTICE_PAGE if kind == "notice" else set())
    hidden = []
    for key, (name, slug, *_rest) in ESTATES.items():
        if key not in allowed:
            hidden += [name, slug]
    for key, (title, slug, *_rest) in CAMPAIGNS.items():
        if key not in PUBLIC_CAMPAIGNS:
            hidden += [title, slug]
    return hidden


def body_of(response):
    if not response.streaming:
        return response.content
    if not hasattr(response, "streamed"):  # a stream reads once: keep it for a second look
        response.streamed = b"".join(response.streaming_content)
    return response.streamed


def text_of(response):
    """Everything a response tells: body (unzipped, JSON decoded), redirect target, messages."""
    content = body_of(response)
    parts = []
    if content[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            # XML parts may write characters as references (&#21378;): read them as text.
            parts += [
                html.unescape(archive.read(n).decode("utf-8", "replace"))
                for n in archive.namelist()
            ]
    else:
        text = content.decode("utf-8-sig", "replace")
        parts.append(text)
        if "json" in response.get("Content-Type", ""):
            parts.append(json.dumps(json.loads(text), ensure_ascii=False))
    parts.append(response.get("Location", ""))
    parts += messages_of(response)
    joined = "\n".join(parts)
    return joined + "\n" + unquote(joined)


def messages_of(response):
    request = getattr(response, "wsgi_request", None)
    if request is None or not hasattr(request, "_messages"):
        return []
    return [str(message) for message in get_messages(request)]


ASPECTS = ["status", "location", "messages", "body"]
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')


def normalised(response, path, pk):
    """What an answer looks like with the probed id taken out."""
    body = body_of(response).decode("utf-8", "replace")
    for form in {path, unquote(path), iri_to_uri(unquote(path)), quote(path, safe="")}:
        body = body.replace(form, "<path>")
    for part in pk.split("/"):
        if len(part) > 3 and not part.isdigit():  # a slug: also in the other language's link
            body = body.replace(part, "<id>")
    body = CSRF.sub("<csrf>", body)
    location = response.get("Location", "").replace(quote(pk), "<id>").replace(pk, "<id>")
    messages = [msg.replace(f"“{pk}”", "“<id>”") for msg in messages_of(response)]
    return response.status_code, location, messages, body


# ---------------------------------------------------------------------------------------------
# Expected answers, from the tables.


def perms_of(user, label):
    return set(MODELS[label].perms[ROLE[user]])


def sees(user, probe):
    return probe is not None and user in probe.seen_by


def may_change_row(user, label, probe):
    """Whether a row the user sees is theirs to change (the revert page needs that)."""
    if "c" not in perms_of(user, label):
        return False
    if label in NOMINATION_DATA and user in ("beijing", "shandong"):
        return probe.state == S.DRAFT  # provinces edit a nomination only while it is a draft
    # A public estate's rows are read-only for its province (changes wait for review).
    return not (label in ESTATE_ROWS and user in ("beijing", "shandong") and probe.published)


def delete_answer(user, label, probe, path):
    """The answer to a delete page of a row the user sees and may delete rows of."""
    if probe.published and label not in {
        "estates.campaign",
        "estates.criterion",
        "estates.activityrequirement",
    }:
        # On show: refused with a reason, back to the row's page.
        return (302, path.rsplit("/delete/", 1)[0] + "/change/")
    if label in NOMINATION_DATA and user in ("beijing", "shandong") and probe.state != S.DRAFT:
        return 403  # a handed-in nomination and its evidence stay
    if label == "estates.nomination" and probe.state != S.DRAFT:
        # Its moves are in the log, the campaign's record: kept, saying so on its page.
        return (302, path.rsplit("/delete/", 1)[0] + "/change/")
    if probe.public_campaign:
        return 403  # a campaign with published results and its criteria stay
    return 200


def model_answer(user, label, kind, probe, path):
    if user == "anonymous":
        return LOGIN
    perms = perms_of(user, label)
    views = bool(perms & {"v", "c"})
    seen = sees(user, probe)
    if kind == "changelist":
        return 200 if views else 403
    if kind == "add":
        return 200 if "a" in perms else 403
    if kind == "object":
        return (302, path + "change/")
    if kind == "change":
        if not views:
            return 403
        return 200 if seen else GONE
    if kind == "delete":
        if "d" not in perms:
            return 403
        return delete_answer(user, label, probe, path) if seen else GONE
    if kind == "history":
        if not views:
            return 403  # like the change page: no permission, whatever the id
        if "revert" in MODELS[label].kinds:  # django-simple-history's page
            if not seen:
                return 404
        elif not seen:
            return GONE
        return 200
    if kind == "revert":
        if not seen:
            return 404
        return 200 if may_change_row(user, label, probe) else 403
    if kind == "password":
        return 403 if "c" not in perms else (200 if seen else 404)
    raise AssertionError(kind)


# ---------------------------------------------------------------------------------------------
# The requests.


@dataclass
class Ask:
    what: str  # for messages
    path: str
    expected: object
    hidden: list  # markers that must not appear
    method: str = "GET"
    data: dict = field(default_factory=dict)
    group: str | None = None  # answers in one group must be identical apart from the id
    pk: str = ""
    shown: list = field(default_factory=list)  # markers a 200 answer must hold (not vacuous)


def admin_object_path(label, kind, pk, version=MISSING_ID):
    app, model = label.split(".")
    base = f"/admin/{app}/{model}/{quote(pk)}/"
    return {
        "object": base,
        "change": base + "change/",
        "delete": base + "delete/",
        "history": base + "history/",
        "revert": base + f"history/{version}/",
        "password": base + "password/",
    }[kind]


def model_asks(world, user, label, kind, route):
    hidden = admin_markers_hidden_from(user)
    app, model = label.split(".")
    if kind in ("changelist", "add"):
        path = reverse(f"admin:{app}_{model}_{kind}")
        asks = [Ask(f"{label} {kind}", path, model_answer(user, label, kind, None, path), hidden)]
        if kind == "changelist":
            # Every estate is named …苑: the search finds exactly the ones the user sees.
            shown = names_seen_by(user) if label in ("estates.estate", "estates.nomination") else []
            asks.append(
                Ask(
                    f"{label} search",
                    path,
                    model_answer(user, label, kind, None, path),
                    hidden,
                    data={SEARCH_VAR: "苑"},
                    shown=shown,
                )
            )
        return asks
    if kind in ("change", "delete", "history", "revert", "object", "password"):
        probes = probes_for(world, label)
        if kind == "object":
            probes = [probes[0], probes[-2]]
        asks = []
        for probe in probes:
            path = admin_object_path(label, kind, probe.pk, probe.version)
            expected = model_answer(user, label, kind, probe, path)
            group = f"{label} {kind}" if user != "anonymous" and not sees(user, probe) else None
            asks.append(
                Ask(
                    f"{label} {kind} {probe.label}",
                    path,
                    expected,
                    hidden,
                    group=group,
                    pk=probe.pk,
                )
            )
        if kind == "revert":  # a version that is not a number, of a row the user sees
            seen = next((p for p in probes if sees(user, p)), probes[0])
            path = admin_object_path(label, kind, seen.pk, NOT_AN_ID)
            expected = LOGIN if user == "anonymous" else 404
            asks.append(Ask(f"{label} revert {seen.label} to version x", path, expected, hidden))
        return asks
    if kind in ("import", "export", "template"):
        path = reverse(f"admin:{app}_{model}_{kind}")
        role = USERS[user][0] if USERS[user] else None
        may = (
            {
                "import": role in ("ministry", "provincial") and "a" in perms_of(user, label),
                "export": role in ("ministry", "provincial", "editor"),
                "template": role in ("ministry", "provincial"),
            }[kind]
            if role
            else False
        )
        expected = LOGIN if role is None else (200 if may else 403)
        asks = [Ask(f"{label} {kind}", path, expected, hidden)]
        if kind == "export":
            shown = names_seen_by(user) if label in ("estates.estate", "estates.nomination") else []
            asks.append(
                Ask(f"{label} export csv", path, expected, hidden, method="EXPORT", shown=shown)
            )
        return asks
    if kind == "process_import":
        path = reverse(f"admin:{app}_{model}_{kind}")
        return [Ask(f"{label} {kind}", path, LOGIN if user == "anonymous" else 405, hidden)]
    if kind == "import_errors":
        # The marked sheet of a refused preview: without a file of one's own, back to the
        # import page with a message; for those who may not import, refused.
        path = reverse(f"admin:{app}_{model}_{kind}")
        role = USERS[user][0] if USERS[user] else None
        may = role in ("ministry", "provincial") and "a" in perms_of(user, label)
        expected = (
            LOGIN
            if role is None
            else ((302, reverse(f"admin:{app}_{model}_import")) if may else 403)
        )
        return [Ask(f"{label} {kind}", path, expected, hidden)]
    if kind == "copy":
        return copy_asks(world, user, label)
    if kind == "mail":
        path = reverse("admin:estates_notification_mail")
        return [Ask(f"{label} mail", path, LOGIN if user == "anonymous" else 200, hidden)]
    if kind in REPORT_KINDS:
        return report_asks(world, user, kind)
    if kind in ("transition", "advance", "publish", "decide"):
        source = {"transition": "estates.nomination", "decide": "estates.pendingchange"}.get(
            kind, "estates.campaign"
        )
        asks = []
        for probe in [*world.probes[source], Probe("missing", MISSING_ID)]:
            path = reverse(f"admin:{app}_{model}_{kind}", args=[int(probe.pk)])
            if user == "anonymous":
                expected = LOGIN
            elif sees(user, probe) and (user, kind, probe.label) in REFUSED_ON_ITS_PAGE:
                expected = 200
            elif sees(user, probe):
                # The move is refused with a message (a state that does not exist, a phase
                # that cannot move, a role that may not): back to the row, nothing changed.
                expected = (302, admin_object_path(label, "change", probe.pk))
            else:
                expected = 404
            group = f"{label} {kind}" if user != "anonymous" and not sees(user, probe) else None
            asks.append(
                Ask(
                    f"{label} {kind} {probe.label}",
                    path,
                    expected,
                    hidden,
                    method="POST",
                    data={"to_state": "no-such-state", "decision": "no-such-decision"},
                    group=group,
                    pk=probe.pk,
                )
            )
        get_expected = LOGIN if user == "anonymous" else 404
        if kind in ("advance", "publish") and user != "anonymous":
            # The confirmation page: the ministry's; others are sent back to the campaign.
            campaign_page = admin_object_path(label, "change", "1")
            # Campaign 1's results are out: archiving is its step, publishing is not.
            ministry_may = kind == "advance"
            get_expected = 200 if user == "ministry" and ministry_may else (302, campaign_page)
        asks.append(
            Ask(
                f"{label} {kind} GET",
                reverse(f"admin:{app}_{model}_{kind}", args=[1]),
                get_expected,
                hidden,
            )
        )
        return asks
    raise AssertionError(f"no requests for {label} {kind}")


def report_asks(world, user, kind):
    """Reading a report in: the province's or the ministry's, for a draft; downloading: whoever
    sees the nomination (PDF: no converter in this test, so back to the nomination with the
    reason); a campaign's ZIP: the ministry's."""
    hidden = admin_markers_hidden_from(user)
    role = USERS[user][0] if USERS[user] else None
    if kind == "report_archive":
        campaign = world.campaigns["notice"]
        path = reverse("admin:estates_nomination_report_archive")
        expected = LOGIN if role is None else (200 if role == "ministry" else 403)
        return [
            Ask(
                "nomination reports zip",
                path,
                expected,
                hidden,
                # Its entries are Word documents, zipped again: tests/test_report_downloads.py
                # reads them.
                data={"campaign__id__exact": campaign.pk},
            ),
            Ask(
                "nomination reports zip, no campaign", path, LOGIN if role is None else 403, hidden
            ),
        ]
    asks = []
    for probe in [*world.probes["estates.nomination"], Probe("missing", MISSING_ID)]:
        args = [int(probe.pk)] + (["x"] if kind == "report_preview" else [])
        path = reverse(f"admin:estates_nomination_{kind}", args=args)
        may_import = role in ("ministry", "provincial") and probe.state == S.DRAFT
        if role is None:
            expected = LOGIN
        elif not sees(user, probe):
            expected = 404
        elif kind == "report_docx":
            expected = 200
        elif kind == "report_pdf":
            expected = (302, admin_object_path("estates.nomination", "change", probe.pk))
        elif not may_import:
            expected = 403
        else:
            expected = 200 if kind == "report" else 404  # a preview token that is not one
        group = f"nomination {kind}" if role and not sees(user, probe) else None
        asks.append(
            Ask(
                f"nomination {kind} {probe.label}", path, expected, hidden, group=group, pk=probe.pk
            )
        )
    return asks


# A step the ministry may take but that is refused now answers on its confirmation page, with
# the reason and what was typed (the notice period has not ended; drafts would block…).
REFUSED_ON_ITS_PAGE = {("ministry", "publish", "notice"), ("ministry", "advance", "beijing")}


def copy_asks(world, user, label):
    """The copy page: the ministry's, for a campaign that exists; 403 to others whatever the id."""
    asks = []
    for probe in [*world.probes["estates.campaign"], Probe("missing", MISSING_ID)]:
        path = reverse("admin:estates_campaign_copy", args=[int(probe.pk)])
        if user == "anonymous":
            expected = LOGIN
        elif user != "ministry":
            expected = 403
        else:
            expected = 200 if probe.label != "missing" else 404
        asks.append(
            Ask(f"{label} copy {probe.label}", path, expected, admin_markers_hidden_from(user))
        )
    return asks


def admin_site_asks(world, user, kind, route):
    hidden = admin_markers_hidden_from(user)
    anonymous = user == "anonymous"
    if kind == "index":
        return [Ask("admin index", "/admin/", LOGIN if anonymous else 200, hidden)]
    if kind == "login":
        return [Ask("admin login", "/admin/login/", 200 if anonymous else (302, "/admin/"), hidden)]
    if kind == "logout":  # a POST; Django sends anonymous visitors to the index (→ login)
        expected = (302, "/admin/") if anonymous else 405
        return [Ask("admin logout (GET)", "/admin/logout/", expected, hidden)]
    if kind == "staff_page":
        path = reverse(route.name)
        return [Ask(path, path, LOGIN if anonymous else 200, hidden)]
    if kind == "app_index":
        return [
            Ask("app estates", "/admin/estates/", LOGIN if anonymous else 200, hidden),
            Ask("app auth", "/admin/auth/", LOGIN if anonymous else 404, hidden),
        ]
    if kind == "catch_all":
        return [
            Ask("no such admin page", "/admin/no-such-page/", LOGIN if anonymous else 404, hidden)
        ]
    if kind == "autocomplete":
        return autocomplete_asks(user, hidden)
    if kind == "view_on_site":
        return view_on_site_asks(world, user, route, hidden)
    raise AssertionError(kind)


def autocomplete_asks(user, hidden):
    """Every autocomplete field of every ModelAdmin, as its widget asks, with and without a term."""
    asks = [
        Ask(
            "autocomplete without parameters",
            "/admin/autocomplete/",
            LOGIN if user == "anonymous" else 403,
            hidden,
        )
    ]
    for model, model_admin in admin.site._registry.items():
        for field_name in model_admin.autocomplete_fields:
            remote = model._meta.get_field(field_name).related_model
            label = f"{remote._meta.app_label}.{remote._meta.model_name}"
            if user == "anonymous":
                expected = LOGIN
            else:
                expected = 200 if perms_of(user, label) & {"v", "c"} else 403
            shown = names_seen_by(user) if label == "estates.estate" else []
            for term in ["", "苑", "am-"]:
                asks.append(
                    Ask(
                        f"autocomplete {model._meta.model_name}.{field_name} {term!r}",
                        "/admin/autocomplete/",
                        expected,
                        hidden,
                        data={
                            "app_label": model._meta.app_label,
                            "model_name": model._meta.model_name,
                            "field_name": field_name,
                            "term": term,
                        },
                        shown=shown if term == "苑" and expected == 200 else [],
                    )
                )
    return asks


def view_on_site_asks(world, user, route, hidden):
    # A published estate's public address is what the redirect is for.
    public = {marker for key in ON_SITE for marker in ESTATES[key][:2]}
    hidden = [marker for marker in hidden if marker not in public]
    estate_type = ContentType.objects.get_for_model(m.Estate).pk
    # Our route takes a number; Django's takes anything, so "+13" reaches it.
    type_id = str(estate_type) if route.name == "safe_view_on_site" else f"+{estate_type}"
    asks = []
    probes = [
        *world.probes["estates.estate"],
        Probe("missing", MISSING_ID),
        Probe("not-an-id", "²"),
    ]
    for probe in probes:
        path = f"/admin/r/{quote(type_id)}/{quote(probe.pk)}/"
        if user == "anonymous":
            expected = LOGIN
        elif probe.label in ON_SITE and type_id.isdigit():
            expected = (302, f"/estates/{ESTATES[probe.label][1]}/")
        else:
            expected = 404
        group = None if user == "anonymous" or expected != 404 else f"view on site {type_id}"
        asks.append(
            Ask(
                f"view on site {type_id} {probe.label}",
                path,
                expected,
                hidden,
                group=group,
                pk=probe.pk,
            )
        )
    return asks


def public_asks(world, user, kind, route):
    hidden = public_markers_hidden(kind)
    name = route.name
    cases = []  # (what, kwargs, query, expected, group)
    public_names = [ESTATES[key][0] for key in sorted(ON_SITE)]
    public_slugs = [ESTATES[key][1] for key in sorted(ON_SITE)]
    # Pages that list every published estate must list ours (so the leak check is not vacuous).
    shows = {
        "showcase:home": public_names,
        "showcase:data_json": public_names + public_slugs,
        "showcase:data_csv": public_names + public_slugs,
        "showcase:data_xlsx": public_names + public_slugs,
        "showcase:feed": public_names,
        # The index lists the section files; the estates' file lists the estates.
        "sitemap_section estates": public_slugs,
    }
    if kind in ("page", "estate_list"):
        cases.append((name, {}, {}, 200, None))
        if kind == "estate_list":
            cases.append((f"{name} search", {}, {"q": "苑"}, 200, None))
            shows[f"{name} search"] = public_names
            cases.append((f"{name} by campaign", {}, {"campaign": "am-camp-notice"}, 200, None))
    elif kind == "estate":
        for key, (_name, slug, *_rest) in ESTATES.items():
            public = key in ON_SITE
            cases.append(
                (
                    f"estate {key}",
                    {"slug": slug},
                    {},
                    200 if public else 404,
                    None if public else "estate",
                )
            )
            shows[f"estate {key}"] = [_name]
        cases.append(("estate missing", {"slug": "am-no-such-estate"}, {}, 404, "estate"))
    elif kind in ("cover", "photo_cover"):
        # A published estate's card; no estate here has a cover photo to cut one from, and
        # an unpublished estate's cover answers as a missing one's.
        for key, (_name, slug, *_rest) in ESTATES.items():
            shown = kind == "cover" and key in ON_SITE
            group = None if shown else name
            cases.append((f"{name} {key}", {"slug": slug}, {}, 200 if shown else 404, group))
        cases.append((f"{name} missing", {"slug": "am-no-such-estate"}, {}, 404, name))
    elif kind in ("campaign", "notice"):
        for key, (_title, slug, phase, *_rest) in CAMPAIGNS.items():
            shown = phase in RESULTS_PUBLIC_PHASES if kind == "campaign" else phase == P.NOTICE
            cases.append(
                (
                    f"{kind} {key}",
                    {"slug": slug},
                    {},
                    200 if shown else 404,
                    None if shown else kind,
                )
            )
            if shown and kind == "notice":
                shows[f"{kind} {key}"] = [ESTATES[k][0] for k in sorted(ON_NOTICE_PAGE)]
        cases.append((f"{kind} missing", {"slug": "am-no-such-campaign"}, {}, 404, kind))
    elif kind == "lookup":
        # While on notice and after; a campaign that had no notice answers as a missing one.
        for key, (_title, slug, phase, *_rest) in CAMPAIGNS.items():
            shown = phase == P.NOTICE or phase in RESULTS_PUBLIC_PHASES
            group = None if shown else kind
            cases.append((f"{kind} {key}", {"slug": slug}, {}, 200 if shown else 404, group))
        cases.append((f"{kind} missing", {"slug": "am-no-such-campaign"}, {}, 404, kind))
    elif kind == "feature":
        for campaign, province, shown in [
            ("am-camp-published", "beijing", True),
            ("am-camp-published", "hebei", False),  # nothing selected there
            ("am-camp-notice", "beijing", False),  # selected, results not yet out
            ("am-camp-beijing", "beijing", False),
            ("am-no-such-campaign", "beijing", False),
            ("am-camp-published", "no-such-province", False),
        ]:
            cases.append(
                (
                    f"feature {campaign} {province}",
                    {"slug": campaign, "province_slug": province},
                    {},
                    200 if shown else 404,
                    None if shown else "feature",
                )
            )
        shows["feature am-camp-published beijing"] = [ESTATES["pub_bj"][0]]
    elif kind == "sitemap_section":
        from showcase.sitemaps import SITEMAPS

        for section in SITEMAPS:
            cases.append((f"{name} {section}", {"section": section}, {}, 200, None))
        cases.append((f"{name} missing", {"section": "am-no-such-section"}, {}, 404, None))
    elif kind == "mechanism":
        slug = m.MechanismType.objects.order_by("pk").first().slug
        cases.append(("mechanism", {"slug": slug}, {}, 200, None))
        cases.append(("mechanism missing", {"slug": "am-no-such-mechanism"}, {}, 404, "mechanism"))
    else:
        raise AssertionError(kind)

    asks = []
    languages = [code for code, _label in settings.LANGUAGES] if route.i18n else [None]
    for language in languages:
        for what, kwargs, query, expected, group in cases:
            with translation.override(language or settings.LANGUAGE_CODE):
                path = reverse(name, kwargs=kwargs)
            pk = kwargs.get("slug", "") if group else ""
            if kind == "feature" and group:
                pk = f"{kwargs['slug']}/{kwargs['province_slug']}"
            asks.append(
                Ask(
                    f"{what} [{language or '-'}]",
                    path,
                    expected,
                    hidden,
                    data=query,
                    group=f"{group} {language}" if group else None,
                    pk=pk,
                    shown=shows.get(what, []),
                )
            )
    if kind == "lookup":
        # The objection's reference, on its campaign's page (its state only: not its estate)
        # and on another's (not found).
        reference = m.Objection.objects.get().reference
        for language in languages:
            for key, expected in [("notice", 200), ("published", 404)]:
                with translation.override(language):
                    path = reverse(name, kwargs={"slug": CAMPAIGNS[key][1]})
                asks.append(
                    Ask(
                        f"lookup POST {key} [{language}]",
                        path,
                        expected,
                        hidden,
                        method="POST",
                        data={"reference": reference},
                        shown=[reference] if expected == 200 else [],
                    )
                )
    return asks


def asks_for(world, user, known):
    asks = []
    for route, area, kind, label in known.values():
        if area == "model":
            asks += model_asks(world, user, label, kind, route)
        elif area == "admin":
            asks += admin_site_asks(world, user, kind, route)
        else:
            asks += public_asks(world, user, kind, route)
    # Bulk action: a campaign's result list in Excel, for the ministry and editors.
    campaign = world.campaigns["notice"]
    path = reverse("admin:estates_campaign_changelist")
    role = USERS[user][0] if USERS[user] else None
    expected = LOGIN if role is None else (200 if role in ("ministry", "editor") else (302, path))
    asks.append(
        Ask(
            "campaign result list",
            path,
            expected,
            admin_markers_hidden_from(user),
            method="POST",
            data={"action": "export_result_list", "_selected_action": [campaign.pk]},
        )
    )
    return asks


# ---------------------------------------------------------------------------------------------
# Asking and judging.


def send(client, ask):
    client.cookies.pop("messages", None)  # each answer's messages are its own
    if ask.method == "GET":
        return client.get(ask.path, ask.data)
    if ask.method == "POST":
        return client.post(ask.path, ask.data)
    # EXPORT: the export form, filled in as a person would, for CSV with every column.
    page = client.get(ask.path)
    if page.status_code != 200:
        return client.post(ask.path, {"format": "0"})
    form = page.context["form"]
    data = {"format": next(v for v, label in form.fields["format"].choices if label == "csv")}
    data["resource"] = 0
    for name, form_field in form.fields.items():
        if isinstance(form_field, forms.BooleanField):
            data[name] = "on"
    return client.post(ask.path, data)


def judge(ask, response):
    """Problems with one answer, as text."""
    problems = []
    status, location = response.status_code, response.get("Location", "")
    expected = ask.expected
    if expected == LOGIN:
        ok = status == 302 and location.startswith("/admin/login/?next=")
    elif expected == GONE:
        messages = messages_of(response)
        ok = (
            status == 302
            and location == reverse("admin:index")
            and len(messages) == 1
            and "不存在" in messages[0]
        )
    elif isinstance(expected, tuple):
        ok = (status, location) == expected
    else:
        ok = status == expected
    if not ok:
        problems.append(
            f"{ask.what}: {ask.method} {ask.path} answered {status} {location} "
            f"{messages_of(response)}, expected {expected}"
        )
    if status >= 500:
        problems.append(f"{ask.what}: {ask.path} failed with {status}")
    text = text_of(response)
    asked = unquote(ask.path)  # what the user typed is no news to them
    leaked = [marker for marker in ask.hidden if marker in text and marker not in asked]
    if leaked:
        problems.append(f"{ask.what}: {ask.method} {ask.path} shows {leaked}")
    lacking = [marker for marker in ask.shown if marker not in text]
    if status == 200 and lacking:
        problems.append(f"{ask.what}: {ask.method} {ask.path} lacks {lacking}")
    return problems


def all_routes():
    return list(walk(get_resolver()))


@pytest.mark.parametrize("user", list(USERS))
def test_every_url_answers_each_user_as_the_table_says(client, settings, user):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.REPORT_PDF_CONVERTER = "/no/such/soffice"  # a PDF costs seconds; refused here
    known, unknown = classify(all_routes())
    assert not unknown, (
        "URL patterns missing from the access table in tests/test_access_matrix.py: "
        + "; ".join(unknown)
    )
    world = build_world()
    if USERS[user]:
        client.force_login(world.users[user])
    client.raise_request_exception = False  # a 500 is an answer to judge, not a crash

    problems = []
    groups = {}
    for ask in asks_for(world, user, known):
        response = send(client, ask)
        problems += judge(ask, response)
        if ask.group:
            groups.setdefault(ask.group, []).append((ask, normalised(response, ask.path, ask.pk)))
    # A row the user may not see answers exactly like an id that does not exist.
    for group, answers in groups.items():
        first_ask, first = answers[0]
        for ask, answer in answers[1:]:
            if answer != first:
                differs = [n for n, a, b in zip(ASPECTS, answer, first, strict=True) if a != b]
                problems.append(f"{group}: {ask.what} differs from {first_ask.what} in {differs}")
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems)
