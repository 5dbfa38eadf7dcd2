"""Property-based tests of every admin form, posted through the real admin as the role that
uses it: whatever arrives, the answer is a page (never a server error); a refused submission
writes nothing at all (its inlines included); every refusal says in Chinese, next to the field,
what is wrong; an accepted one keeps the text as typed."""

import datetime
import io
import re

import pytest
from django import forms
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django.utils.text import normalize_newlines
from hypothesis import event, given
from hypothesis import strategies as st
from PIL import Image

from estates.admin.nominations import create_missing_evidence
from estates.enums import (
    ActivityCategory,
    CampaignPhase,
    HonorLevel,
    NominationState,
    ObjectionState,
)
from estates.forms import LongTextCharField
from estates.models import (
    Campaign,
    City,
    Estate,
    MechanismType,
    MetricType,
    Nomination,
    NominationTransition,
    Objection,
    PendingChange,
    Photo,
)
from estates.workflow import assign_reviewer

from .builders import campaign_like, make_estate, make_staff, nominate
from .fuzzing import (
    FUZZ,
    AdminPage,
    admin_refusal_problems,
    changed_tables,
    hostile_text,
    is_chinese,
    rolled_back,
    snapshot,
    texts,
)

pytestmark = [pytest.mark.django_db, pytest.mark.fuzz]


def linyi():
    return City.objects.get(slug="linyi")


def draft_nomination():
    """A Shandong draft in a campaign that takes nominations, with its evidence boxes."""
    campaign = campaign_like("shandong-2023", CampaignPhase.NOMINATING, slug="fuzz-nominating")
    estate = make_estate(name="模糊测试小区", province=linyi().province, city=linyi())
    nomination = Nomination.objects.create(campaign=campaign, estate=estate)
    create_missing_evidence(nomination)
    return nomination


def review_in_progress():
    """A Hebei reviewer's unsubmitted review of a Shandong nomination under review."""
    campaign = campaign_like("shandong-2023", CampaignPhase.REVIEWING, slug="fuzz-reviewing")
    estate = make_estate(name="评审模糊小区", province=linyi().province, city=linyi())
    nomination = Nomination.objects.create(
        campaign=campaign, estate=estate, state=NominationState.UNDER_REVIEW
    )
    reviewer = make_staff("reviewer", "hebei")
    return assign_reviewer(nomination, reviewer, make_staff("ministry")), reviewer


def objection_received():
    campaign = campaign_like("shandong-2023", CampaignPhase.NOTICE, slug="fuzz-notice")
    estate = make_estate(name="公示模糊小区", province=linyi().province, city=linyi())
    nomination = Nomination.objects.create(
        campaign=campaign, estate=estate, state=NominationState.ON_NOTICE
    )
    return Objection.objects.create(nomination=nomination, text="该小区的满意度数据与实际不符。")


def small_published_estate():
    """A published Shandong estate with one row of each kind (a light page to post often)."""
    estate = make_estate(
        name="小型展示小区", province=linyi().province, city=linyi(), tagline="标题语"
    )
    nominate(estate, campaign=Campaign.objects.get(slug="shandong-2023"))
    estate.mechanisms.create(mechanism_type=MechanismType.objects.first(), title="议事会")
    estate.metrics.create(metric_type=MetricType.objects.get(code="satisfaction"), value=96)
    estate.key_figures.create(label="监控摄像", quantity=739, unit="台")
    estate.activities.create(title="邻里节", category=ActivityCategory.choices[0][0])
    estate.honors.create(title="示范小区", level=HonorLevel.choices[0][0], year=2020)
    return estate


def admin_url(model, view="add", pk=None):
    name = f"admin:estates_{model}_{view}"
    return reverse(name, args=[pk] if pk is not None else [])


# (page, role, province, setup returning (url, user or None))
PAGES = {
    "estate-add": ("provincial", "shandong", lambda: admin_url("estate")),
    "estate-change": (
        "ministry",
        None,
        lambda: admin_url("estate", "change", small_published_estate().pk),
    ),
    "estate-change-by-editor": (
        "editor",
        None,
        lambda: admin_url("estate", "change", small_published_estate().pk),
    ),
    "estate-change-by-province": (
        "provincial",
        "shandong",
        lambda: admin_url("estate", "change", small_published_estate().pk),
    ),
    "nomination-add": ("provincial", "shandong", lambda: admin_url("nomination")),
    "nomination-change": (
        "provincial",
        "shandong",
        lambda: admin_url("nomination", "change", draft_nomination().pk),
    ),
    "mechanism-add": ("provincial", "shandong", lambda: admin_url("mechanism")),
    "metric-add": ("provincial", "shandong", lambda: admin_url("metric")),
    "keyfigure-add": ("provincial", "shandong", lambda: admin_url("keyfigure")),
    "activity-add": ("provincial", "shandong", lambda: admin_url("activity")),
    "honor-add": ("provincial", "shandong", lambda: admin_url("honor")),
    "propertycompany-add": ("provincial", "shandong", lambda: admin_url("propertycompany")),
    "campaign-add": ("ministry", None, lambda: admin_url("campaign")),
    "campaign-change": (
        "ministry",
        None,
        lambda: admin_url(
            "campaign", "change", campaign_like("shandong-2023", CampaignPhase.DRAFT).pk
        ),
    ),
    "mechanismtype-add": ("ministry", None, lambda: admin_url("mechanismtype")),
    "metrictype-add": ("ministry", None, lambda: admin_url("metrictype")),
    "criterion-add": ("ministry", None, lambda: admin_url("criterion")),
    "objection-change": (
        "ministry",
        None,
        lambda: admin_url("objection", "change", objection_received().pk),
    ),
}


def object_id(url):
    parts = url.rstrip("/").split("/")
    return int(parts[-2]) if parts[-1] == "change" else None


def check_answer(page, data, response, before, pks_before):
    assert response.status_code in (200, 302), (response.status_code, data)
    event("accepted" if response.status_code == 302 else "refused")
    if response.status_code == 200:
        assert changed_tables(before, snapshot()) == [], "a refused form wrote something"
        unclear, count = admin_refusal_problems(response)
        assert count > 0, "refused without saying why"
        assert unclear == []
        return
    pk = object_id(page.url)
    if pk is None:
        new = page.model._default_manager.exclude(pk__in=pks_before)
        assert new.count() == 1
        saved = new.get()
    else:
        saved = page.model._default_manager.get(pk=pk)
        # A province's save of a public estate waits for review (estates/pending.py): what
        # was typed is in the waiting change, the estate keeps its approved text.
        waiting = PendingChange.objects.filter(estate_id=pk, state="pending").first()
        if page.model is Estate and waiting is not None:
            for name, value in waiting.values.items():
                if isinstance(value, str):
                    setattr(saved, name, value)
    model_fields = {f.name for f in page.model._meta.concrete_fields}
    for name, field in page.form.fields.items():
        typed = data.get(name)
        if (
            isinstance(field, forms.CharField)
            and name in model_fields
            and name != "slug"
            and isinstance(typed, str)
        ):
            assert getattr(saved, name) == as_kept(field, typed), name


def as_kept(field, typed):
    """A text as it is stored: line breaks as "\\n", surrounding whitespace gone, except that a
    long text keeps the indent of its first line that is not blank."""
    if not isinstance(field, LongTextCharField):
        return normalize_newlines(typed.strip())
    lines = normalize_newlines(typed).rstrip().split("\n")
    while lines and not lines[0].strip():
        lines.pop(0)
    return "\n".join(lines)


@pytest.mark.parametrize("page_name", list(PAGES))
def test_admin_form_answers_clearly_and_writes_all_or_nothing(client, page_name):
    role, province, url = PAGES[page_name]
    client.force_login(make_staff(role, province))
    page = AdminPage(client, url())

    @FUZZ
    @given(data=page.submissions())
    def submit(data):
        with rolled_back():
            before = snapshot()
            pks_before = list(page.model._default_manager.values_list("pk", flat=True))
            response = client.post(page.url, data)
            check_answer(page, data, response, before, pks_before)

    submit()


def test_a_valid_estate_with_one_bad_inline_row_writes_nothing(client):
    """The partial write that matters most, made certain rather than left to chance: the
    estate itself is fine, one metric row is not."""
    client.force_login(make_staff("provincial", "shandong"))
    page = AdminPage(client, admin_url("estate"))
    metric_type = page.formsets[1].empty_form.fields["metric_type"].queryset.first()

    @FUZZ
    @given(
        name=texts(100).filter(lambda s: s.strip() and "\x00" not in s),
        value=st.sampled_from(["101", "-1", "abc", "1e999", ""]),
    )
    def submit(name, value):
        with rolled_back():
            data = {
                **page.base,
                "name": name,
                "city": linyi().pk,
                "province": linyi().province_id,
                "metrics-TOTAL_FORMS": "1",
                "metrics-0-metric_type": metric_type.pk,
                "metrics-0-value": value,
                "metrics-0-date_precision": "day",
                "metrics-0-sequence": "0",
            }
            before = snapshot()
            response = client.post(page.url, data)
            assert response.status_code == 200
            assert changed_tables(before, snapshot()) == []
            metric_form = response.context["inline_admin_formsets"][1].formset.forms[0]
            assert all(is_chinese(m) for m in metric_form.errors.get("value", [])) and (
                metric_form.errors
            )

    submit()


def test_review_scores_and_submission(client):
    review, reviewer = review_in_progress()
    client.force_login(reviewer)
    page = AdminPage(client, admin_url("review", "change", review.pk))

    @FUZZ
    @given(data=page.submissions(new_rows=0), submit_review=st.booleans())
    def submit(data, submit_review):
        with rolled_back():
            if submit_review:
                data = {**data, "_submit_review": "1"}
            before = snapshot()
            response = client.post(page.url, data)
            assert response.status_code in (200, 302)
            if response.status_code == 200:
                assert changed_tables(before, snapshot()) == []
                unclear, count = admin_refusal_problems(response)
                assert count > 0 and unclear == []
                return
            review.refresh_from_db()
            messages = [str(m) for m in get_messages(response.wsgi_request)]
            assert all(is_chinese(m) for m in messages), messages
            scores = list(review.scores.all())
            if submit_review and review.submitted_at is None:
                assert any("没有打分" in m for m in messages), messages
            if review.submitted_at is not None:
                assert all(score.score is not None for score in scores)

    submit()


STATES = [state.value for state in NominationState] + ["", "bogus", "\x00", "<b>"]


@pytest.mark.parametrize(
    ("role", "province", "state", "phase"),
    [
        ("provincial", "shandong", NominationState.DRAFT, CampaignPhase.NOMINATING),
        ("ministry", None, NominationState.SUBMITTED, CampaignPhase.REVIEWING),
        ("ministry", None, NominationState.ON_NOTICE, CampaignPhase.NOTICE),
    ],
)
def test_state_moves_are_refused_or_made_and_logged(client, role, province, state, phase):
    campaign = campaign_like("shandong-2023", phase, slug=f"fuzz-moves-{phase}")
    nomination = Nomination.objects.create(
        campaign=campaign,
        estate=make_estate(name="状态模糊小区", province=linyi().province, city=linyi()),
        state=state,
    )
    create_missing_evidence(nomination)
    client.force_login(make_staff(role, province))
    url = reverse("admin:estates_nomination_transition", args=[nomination.pk])

    @FUZZ
    @given(to_state=st.sampled_from(STATES), reason=st.one_of(texts(300), hostile_text))
    def move(to_state, reason):
        with rolled_back():
            before = snapshot()
            response = client.post(url, {"to_state": to_state, "reason": reason})
            assert response.status_code == 302
            messages = [str(m) for m in get_messages(response.wsgi_request)]
            assert messages and all(is_chinese(m) for m in messages), messages
            nomination.refresh_from_db()
            if nomination.state == state:
                assert changed_tables(before, snapshot()) == []
            else:
                log = NominationTransition.objects.get(nomination=nomination)
                assert (log.from_state, log.to_state) == (state, to_state)

    move()


def test_objection_handling_moves_only_along_the_allowed_paths(client):
    objection = objection_received()
    client.force_login(make_staff("ministry"))
    url = admin_url("objection", "change", objection.pk)

    @FUZZ
    @given(
        state=st.sampled_from([s.value for s in ObjectionState] + ["", "bogus"]),
        response_text=st.one_of(texts(300), hostile_text),
    )
    def handle(state, response_text):
        with rolled_back():
            before = snapshot()
            response = client.post(url, {"state": state, "response": response_text})
            assert response.status_code in (200, 302)
            if response.status_code == 200:
                assert changed_tables(before, snapshot()) == []
                unclear, count = admin_refusal_problems(response)
                assert count > 0 and unclear == []
            else:
                objection.refresh_from_db()
                assert objection.state == state
                if objection.state != ObjectionState.RECEIVED:
                    assert objection.handled_by is not None

    handle()


def test_campaign_phase_buttons_never_fail(client):
    """Advancing and publishing answer with a Chinese message whatever the campaign's state."""
    client.force_login(make_staff("ministry"))
    today = timezone.localdate()

    @FUZZ
    @given(
        phase=st.sampled_from([p.value for p in CampaignPhase]),
        dates=st.sampled_from([(None, None), (today, today + datetime.timedelta(days=3))]),
        action=st.sampled_from(["advance", "publish"]),
    )
    def press(phase, dates, action):
        with rolled_back():
            campaign = campaign_like(
                "shandong-2023", phase, notice_starts_on=dates[0], notice_ends_on=dates[1]
            )
            url = reverse(f"admin:estates_campaign_{action}", args=[campaign.pk])
            response = client.post(url)
            assert response.status_code in (200, 302)
            if response.status_code == 200:
                # Refused on its confirmation page, with what was typed kept: nothing moved.
                form = response.context["form"]
                messages = [str(m) for errors in form.errors.values() for m in errors]
                campaign_phase = type(campaign).objects.get(pk=campaign.pk).phase
                assert campaign_phase == phase
            else:
                messages = [str(m) for m in get_messages(response.wsgi_request)]
            assert messages and all(is_chinese(m) for m in messages), messages

    press()


def picture(kind, width, height):
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (30, 120, 200)).save(buffer, format=kind)
    return buffer.getvalue()


pictures = st.builds(
    picture,
    st.sampled_from(["JPEG", "PNG", "WEBP", "GIF", "BMP"]),
    st.integers(1, 80),
    st.integers(1, 80),
)
uploads = st.one_of(
    pictures,
    st.tuples(pictures, st.integers(0, 200)).map(lambda pair: pair[0][: pair[1]]),  # truncated
    st.binary(max_size=300),
)


def test_photo_uploads_are_kept_clean_or_refused_clearly(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    client.force_login(make_staff("provincial", "shandong"))
    estate = make_estate(name="照片小区", province=linyi().province, city=linyi())
    url = admin_url("photo")

    def stored_files():
        return sorted(str(f) for f in tmp_path.rglob("*") if f.is_file())

    @FUZZ
    @given(
        data=uploads,
        name=st.sampled_from(["a.jpg", "照片.png", "../../evil.webp", "x", "<b>.gif"]),
        caption=texts(200),
    )
    def send(data, name, caption):
        with rolled_back():
            before, files_before = snapshot(), stored_files()
            response = client.post(
                url,
                {
                    "estate": estate.pk,
                    "caption": caption,
                    "display_order": "0",
                    "image": SimpleUploadedFile(name, data),
                },
            )
            assert response.status_code in (200, 302)
            if response.status_code == 200:
                assert changed_tables(before, snapshot()) == []
                assert stored_files() == files_before, "a refused upload left files"
                unclear, count = admin_refusal_problems(response)
                assert count > 0 and unclear == []
                return
            photo = Photo.objects.get(estate=estate)
            assert photo.caption == normalize_newlines(caption.strip())
            assert photo.width and photo.height
            # A random name of the portal's own, never the sender's.
            assert re.fullmatch(rf"photos/{estate.slug}/[0-9a-f]{{32}}\.jpg", photo.image.name)
            assert Image.open(photo.image.path).format == "JPEG"

    send()


def test_moving_a_criterion_onto_a_number_another_still_holds_says_so(client):
    """Found by the fuzzing above: an exchange of two numbers passed Django's checks (they
    compare the submitted rows only) and failed in the database as the rows were saved one by
    one. It is refused next to the number, in Chinese, and nothing changes."""
    from estates.models import Criterion

    campaign = campaign_like("shandong-2023", CampaignPhase.DRAFT)
    client.force_login(make_staff("ministry", None))
    page = AdminPage(client, admin_url("campaign", "change", campaign.pk))
    numbers = {
        key: value
        for key, value in page.base.items()
        if key.startswith("criteria-") and key.endswith("-number")
    }
    fifth, eighth = (
        [k for k, v in numbers.items() if str(v) == "5"],
        [k for k, v in numbers.items() if str(v) == "8"],
    )
    data = {**page.base, fifth[0]: "8", eighth[0]: "0"}
    before = sorted(Criterion.objects.filter(campaign=campaign).values_list("pk", "number"))
    response = client.post(page.url, data)
    assert response.status_code == 200
    assert sorted(Criterion.objects.filter(campaign=campaign).values_list("pk", "number")) == before
    formset = next(
        f.formset
        for f in response.context["inline_admin_formsets"]
        if f.formset.prefix == "criteria"
    )
    errors = [e for form in formset.forms for e in form.errors.get("number", [])]
    assert len(errors) == 1
    assert errors[0].startswith("序号“8”目前由另一行（") and "请先把那一行改为别的序号" in errors[0]
    # One at a time, the exchange goes through.
    response = client.post(page.url, {**page.base, eighth[0]: "0"})
    assert response.status_code == 302
    page = AdminPage(client, admin_url("campaign", "change", campaign.pk))
    assert client.post(page.url, {**page.base, fifth[0]: "8"}).status_code == 302
