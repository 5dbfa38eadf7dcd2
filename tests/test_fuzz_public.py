"""Property-based tests of what anyone can send: the public list's search and filters, the
admin change lists' search, filters, ordering and paging, the objection form on the notice
page, and query parameters on the open-data files and other public pages. Never a server
error; nothing unpublished and nothing outside a user's scope ever listed; an objection is
either received exactly as written or refused with a Chinese message next to its field."""

import datetime
import re
from urllib.parse import parse_qsl, quote, unquote, urlencode

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from hypothesis import given
from hypothesis import strategies as st

from estates.access import visible
from estates.enums import CampaignPhase, EstateType, NominationState
from estates.models import (
    Campaign,
    City,
    Estate,
    MechanismType,
    Nomination,
    Objection,
    Province,
)
from showcase.forms import ObjectionForm

from .builders import campaign_like, make_estate, make_staff
from .fuzzing import (
    FUZZ,
    HOSTILE,
    changed_tables,
    form_problems,
    hostile_text,
    rolled_back,
    snapshot,
)

pytestmark = [pytest.mark.django_db, pytest.mark.fuzz]

JUNK = st.one_of(
    st.text(max_size=30),
    hostile_text,
    st.sampled_from(["", "0", "-1", "99999999999999999999999", "1e9", "null", "[]", "%00"]),
)


def param_values(valid):
    """A parameter's value: one the page knows, junk, or several at once."""
    one = st.one_of(st.sampled_from(valid), JUNK) if valid else JUNK
    return st.one_of(one, st.lists(one, min_size=2, max_size=3))


def query(draw_params):
    return urlencode(draw_params, doseq=True)


# --- the public estate list ------------------------------------------------------------------

SLUG_LINK = re.compile(r'href="(?:/en)?/estates/([-\w]+)/"')


def test_public_list_search_and_filters(client):
    published = {e.slug: e for e in Estate.objects.published().select_related("province")}
    params = st.fixed_dictionaries(
        {},
        optional={
            "q": param_values(["双旗杆", "sqg", "changan", "临沂", "shuangqigan", "物业"]),
            "province": param_values(list(Province.objects.values_list("slug", flat=True))),
            "campaign": param_values(list(Campaign.objects.values_list("slug", flat=True))),
            "type": param_values([value for value, _label in EstateType.choices]),
            "mechanism": param_values(list(MechanismType.objects.values_list("slug", flat=True))),
            "page": param_values(["1", "2", "0", "-1", "last"]),
            "utm_source": JUNK,
        },
    )

    @FUZZ
    @given(params=params, english=st.booleans())
    def check(params, english):
        url = ("/en/estates/?" if english else "/estates/?") + query(params)
        response = client.get(url)
        assert response.status_code == 200
        body = response.content.decode()
        listed = set(SLUG_LINK.findall(body))
        assert listed <= set(published), listed - set(published)
        province = params.get("province")
        if isinstance(province, str) and province in {p.province.slug for p in published.values()}:
            assert all(published[slug].province.slug == province for slug in listed)
        typed = params.get("q")
        if isinstance(typed, str) and any(ch in typed for ch in '<>"'):
            assert typed not in body  # shown back in the search box, escaped

    check()


# --- the admin change lists ------------------------------------------------------------------

CHANGELISTS = [
    ("estate", "ministry", None),
    ("estate", "provincial", "shandong"),
    ("estate", "editor", None),
    ("nomination", "ministry", None),
    ("nomination", "reviewer", "hebei"),
    ("mechanism", "provincial", "shandong"),
    ("metric", "ministry", None),
    ("keyfigure", "provincial", "shandong"),
    ("activity", "ministry", None),
    ("honor", "provincial", "shandong"),
    ("photo", "ministry", None),
    ("campaign", "ministry", None),
    ("objection", "ministry", None),
    ("review", "reviewer", "hebei"),
    ("criterionevidence", "provincial", "shandong"),
]
ADMIN_KNOBS = ["q", "o", "p", "e", "all", "_to_field", "_popup", "foo", "estate__slug__regex"]


@pytest.mark.parametrize(("model", "role", "province"), CHANGELISTS)
def test_admin_change_list_parameters(client, model, role, province):
    user = make_staff(role, province)
    client.force_login(user)
    url = reverse(f"admin:estates_{model}_changelist")
    first = client.get(url)
    assert first.status_code == 200
    changelist = first.context["cl"]
    allowed = set(
        visible(changelist.model._default_manager.all(), user).values_list("pk", flat=True)
    )
    names = {name for spec in changelist.filter_specs for name in spec.expected_parameters()}
    offered = {""}  # the values the filters offer, as links
    for spec in changelist.filter_specs:
        for choice in spec.choices(changelist):
            offered |= {value for _key, value in parse_qsl(choice["query_string"].lstrip("?"))}
    params = st.dictionaries(
        st.sampled_from(sorted(names | set(ADMIN_KNOBS))),
        st.one_of(JUNK, st.sampled_from(sorted(offered))),
        max_size=4,
    )

    @FUZZ
    @given(params=params)
    def check(params):
        response = client.get(f"{url}?{query(params)}")
        assert response.status_code in (200, 302, 400), response.status_code
        if response.status_code == 200 and "cl" in (response.context or {}):
            shown = {obj.pk for obj in response.context["cl"].result_list}
            assert shown <= allowed, shown - allowed

    check()


EXPORTS = [
    ("estate", "ministry", None),
    ("estate", "provincial", "shandong"),
    ("nomination", "editor", None),
    ("metric", "provincial", "shandong"),
]


@pytest.mark.parametrize(("model", "role", "province"), EXPORTS)
def test_admin_export_follows_any_list_parameters(client, model, role, province):
    """The export page reads the list's filters and search; a wrong one is answered as the
    list answers it."""
    client.force_login(make_staff(role, province))
    changelist = client.get(reverse(f"admin:estates_{model}_changelist")).context["cl"]
    names = {name for spec in changelist.filter_specs for name in spec.expected_parameters()}
    params = st.dictionaries(
        st.sampled_from(sorted(names | {"q", "o", "foo"})), JUNK, min_size=1, max_size=3
    )
    url = reverse(f"admin:estates_{model}_export")

    @FUZZ
    @given(params=params)
    def check(params):
        response = client.get(f"{url}?{query(params)}")
        assert response.status_code in (200, 302), response.status_code

    check()


AUTOCOMPLETES = [
    ("mechanism", "estate", "provincial", "shandong"),
    ("review", "nomination", "ministry", None),
    ("estate", "property_company", "provincial", "shandong"),
    ("estate", "city", "provincial", "shandong"),
]


@pytest.mark.parametrize(("model", "field", "role", "province"), AUTOCOMPLETES)
def test_admin_autocomplete_answers_any_term_within_scope(client, model, field, role, province):
    user = make_staff(role, province)
    client.force_login(user)
    related = apps.get_model("estates", model)._meta.get_field(field).related_model
    allowed = {
        str(pk) for pk in visible(related._default_manager.all(), user).values_list("pk", flat=True)
    }

    @FUZZ
    @given(term=st.one_of(JUNK, st.sampled_from(["临沂", "sqg", "奥正", "物业"])))
    def check(term):
        response = client.get(
            "/admin/autocomplete/",
            {"term": term, "app_label": "estates", "model_name": model, "field_name": field},
        )
        assert response.status_code == 200
        shown = {row["id"] for row in response.json()["results"]}
        assert shown <= allowed, shown - allowed

    check()


# --- the objection form ----------------------------------------------------------------------


@pytest.fixture
def notice():
    today = timezone.localdate()
    campaign = campaign_like(
        "shandong-2023",
        CampaignPhase.NOTICE,
        slug="fuzz-notice",
        notice_starts_on=today - datetime.timedelta(days=1),
        notice_ends_on=today + datetime.timedelta(days=5),
    )
    linyi = City.objects.get(slug="linyi")
    on_notice = Nomination.objects.create(
        campaign=campaign,
        estate=make_estate(name="公示小区", province=linyi.province, city=linyi),
        state=NominationState.ON_NOTICE,
    )
    under_review = Nomination.objects.create(
        campaign=campaign,
        estate=make_estate(name="评审小区", province=linyi.province, city=linyi),
        state=NominationState.UNDER_REVIEW,
    )
    return campaign, on_notice, under_review


def objection_text():
    return st.one_of(
        st.text(min_size=0, max_size=60),
        st.text(min_size=1990, max_size=2010, alphabet="异议内容abc \n"),
        hostile_text,
    )


def test_objection_form_receives_exactly_or_refuses_clearly(notice):
    campaign, on_notice, under_review = notice
    url = reverse("showcase:campaign_notice", args=[campaign.slug])
    fields = {
        "nomination": st.one_of(
            st.sampled_from([str(on_notice.pk), str(under_review.pk), "", "0"]), JUNK
        ),
        "text": objection_text(),
        "contact": st.one_of(st.text(max_size=110), hostile_text),
        "website": st.sampled_from(["", "", "", "http://spam.example", "\x00"]),
    }
    nomination = fields.pop("nomination")
    sent = st.fixed_dictionaries({"nomination": nomination}, optional=fields)

    @FUZZ
    @given(data=sent, address=st.ip_addresses(v=4).map(str))
    def check(data, address):
        client = Client(REMOTE_ADDR=address)
        with rolled_back():
            before = snapshot()
            response = client.post(url, data)
            assert response.status_code in (200, 400), response.status_code
            form = response.context["form"]
            if response.status_code == 400:
                assert changed_tables(before, snapshot()) == []
                assert form.errors
                assert form_problems(form) == []
                for messages in form.errors.values():
                    for message in messages:
                        assert escape(message) in response.content.decode()
                return
            saved = Objection.objects.get()
            assert saved.nomination == on_notice
            assert saved.text == data["text"].strip()
            assert saved.contact == data.get("contact", "").strip()
            assert saved.reference in response.content.decode()
            assert data["text"].strip() not in client.get("/").content.decode()

    check()


def test_objection_form_field_messages_are_chinese(notice):
    """The form itself, with no page around it: every refusal names its field in Chinese."""
    _campaign, on_notice, _under_review = notice
    nominations = Nomination.objects.filter(pk=on_notice.pk)

    @FUZZ
    @given(text=objection_text(), contact=st.one_of(st.text(max_size=120), hostile_text))
    def check(text, contact):
        form = ObjectionForm(
            {"nomination": on_notice.pk, "text": text, "contact": contact},
            nominations=nominations,
        )
        if not form.is_valid():
            assert form_problems(form) == []

    check()


# --- open data and the other public pages ----------------------------------------------------

DATA_FILES = ["/data/estates.json", "/data/estates.csv", "/data/estates.xlsx"]
PAGES = [
    "/",
    "/campaigns/",
    "/mechanisms/",
    "/stats/",
    "/data/",
    "/feed/",
    "/sitemap.xml",
    "/sitemap-estates.xml",
]
random_params = st.dictionaries(
    st.one_of(st.sampled_from(["format", "page", "q", "callback", "from"]), st.text(max_size=8)),
    JUNK,
    max_size=3,
)


@pytest.mark.parametrize("path", DATA_FILES)
def test_open_data_ignores_query_parameters(client, path):
    canonical = client.get(path)
    assert canonical.status_code == 200
    body = canonical.getvalue()  # a streamed file: read once

    @FUZZ
    @given(params=random_params)
    def check(params):
        response = client.get(f"{path}?{query(params)}")
        assert response.status_code == 200
        assert response.getvalue() == body
        assert response["Content-Type"] == canonical["Content-Type"]

    check()


@pytest.mark.parametrize("path", PAGES)
def test_public_pages_ignore_query_parameters(client, path):
    @FUZZ
    @given(params=random_params)
    def check(params):
        response = client.get(f"{path}?{query(params)}")
        assert response.status_code == 200
        body = response.content.decode()
        for value in params.values():
            if any(ch in value for ch in '<>"') and value in HOSTILE:
                assert value not in body

    check()


@given(
    path=st.one_of(
        st.from_regex(r"\A/(en/)?estates/[-a-zA-Z0-9_]{1,90}/\Z"),
        st.from_regex(r"\A/(en/)?campaigns/[-a-z0-9_]{1,30}/([-a-z0-9_]{1,20}/)?\Z"),
        st.from_regex(r"\A/(en/)?mechanisms/[-a-z0-9_]{1,30}/\Z"),
        st.text(min_size=1, max_size=40).map(lambda s: "/estates/" + quote(s) + "/"),
    ),
    method=st.sampled_from(["get", "head", "post", "put", "delete"]),
)
@FUZZ
def test_unknown_addresses_and_methods_are_answered(client, path, method):
    response = getattr(client, method)(path)
    assert response.status_code in (200, 301, 302, 403, 404, 405), (path, response.status_code)
    if response.status_code == 200:
        assert method in ("get", "head")
        if "/estates/" in path:
            slug = unquote(path.split("/")[-2])
            assert Estate.objects.published().filter(slug=slug).exists()
