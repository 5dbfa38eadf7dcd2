"""A handed-in review is a record: no path changes its scores afterwards, and every score
belongs to one criterion of the review's own campaign, within the scale."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from estates.enums import CampaignPhase, NominationState
from estates.models import City, Criterion, Nomination, ReviewScore
from estates.workflow import assign_reviewer, submit_review

from .builders import campaign_like, make_estate, make_staff

pytestmark = pytest.mark.django_db


def reviewing_nomination(slug="review-integrity"):
    linyi = City.objects.get(slug="linyi")
    estate = make_estate(name="临沂评审小区", province=linyi.province, city=linyi)
    campaign = campaign_like("shandong-2023", CampaignPhase.REVIEWING, slug=slug)
    return Nomination.objects.create(
        estate=estate, campaign=campaign, state=NominationState.UNDER_REVIEW
    )


def handed_in_review():
    nomination = reviewing_nomination()
    reviewer = make_staff("reviewer", "hebei")
    review = assign_reviewer(nomination, reviewer, make_staff("ministry"))
    review.scores.update(score=80)
    submit_review(review, reviewer)
    return review, reviewer


def other_campaign_criterion():
    other = campaign_like("shandong-2023", CampaignPhase.REVIEWING, slug="another-round")
    return Criterion.objects.filter(campaign=other).first()


def test_score_add_page_refused_for_a_handed_in_review(client):
    review, reviewer = handed_in_review()
    client.force_login(reviewer)
    response = client.post(
        reverse("admin:estates_reviewscore_add"),
        {"review": review.pk, "criterion": other_campaign_criterion().pk, "score": "100"},
    )
    assert response.status_code == 403
    assert review.scores.count() == 9
    assert review.total() == Decimal("80")


def test_score_add_page_refused_for_the_ministry_too(client):
    review, _reviewer = handed_in_review()
    client.force_login(make_staff("ministry"))
    response = client.post(
        reverse("admin:estates_reviewscore_add"),
        {"review": review.pk, "criterion": review.scores.first().criterion_id, "score": "100"},
    )
    assert response.status_code == 403
    assert review.scores.count() == 9


def test_score_of_a_handed_in_review_refused_by_the_model():
    review, _reviewer = handed_in_review()
    score = review.scores.first()
    score.score = Decimal("100")
    with pytest.raises(ValidationError) as error:
        score.save()
    assert error.value.messages[0].startswith("这份评审已于 ")
    assert error.value.messages[0].endswith("提交，得分不能再修改。")
    assert review.total() == Decimal("80")


def test_score_added_to_a_handed_in_review_refused_by_the_model():
    review, _reviewer = handed_in_review()
    criterion = other_campaign_criterion()
    with pytest.raises(ValidationError) as error:
        ReviewScore.objects.create(review=review, criterion=criterion, score=100)
    assert error.value.message_dict["criterion"] == ["这项原则要求不属于该评审所在的评选活动。"]
    assert review.scores.count() == 9


def test_score_with_another_campaigns_criterion_refused_on_an_open_review():
    nomination = reviewing_nomination()
    review = assign_reviewer(nomination, make_staff("reviewer", "hebei"), make_staff("ministry"))
    score = ReviewScore(review=review, criterion=other_campaign_criterion(), score=90)
    with pytest.raises(ValidationError) as error:
        score.full_clean()
    assert error.value.message_dict == {"criterion": ["这项原则要求不属于该评审所在的评选活动。"]}


def test_score_outside_the_review_phase_refused_by_the_model():
    nomination = reviewing_nomination()
    review = assign_reviewer(nomination, make_staff("reviewer", "hebei"), make_staff("ministry"))
    nomination.campaign.phase = CampaignPhase.NOTICE
    nomination.campaign.save()
    score = review.scores.first()
    score.score = Decimal("70")
    with pytest.raises(ValidationError) as error:
        score.save()
    assert error.value.messages == [f"评选活动“{nomination.campaign}”不在评审阶段，不能打分。"]


def test_score_on_an_open_review_saves():
    nomination = reviewing_nomination()
    review = assign_reviewer(nomination, make_staff("reviewer", "hebei"), make_staff("ministry"))
    score = review.scores.first()
    score.score = Decimal("95.5")
    score.full_clean()
    score.save()
    score.refresh_from_db()
    assert score.score == Decimal("95.50")


def review_form_data(review, score):
    rows = list(review.scores.order_by("criterion__number"))
    data = {
        "comment": "改过的意见",
        "scores-TOTAL_FORMS": str(len(rows)),
        "scores-INITIAL_FORMS": str(len(rows)),
        "scores-MIN_NUM_FORMS": "0",
        "scores-MAX_NUM_FORMS": "1000",
    }
    for i, row in enumerate(rows):
        data[f"scores-{i}-id"] = str(row.pk)
        data[f"scores-{i}-review"] = str(review.pk)
        data[f"scores-{i}-score"] = score
        data[f"scores-{i}-comment"] = "改"
    return data


@pytest.mark.parametrize("who", ["ministry", "reviewer"])
def test_review_page_of_a_handed_in_review_changes_nothing(client, who):
    review, reviewer = handed_in_review()
    client.force_login(reviewer if who == "reviewer" else make_staff("ministry"))
    url = reverse("admin:estates_review_change", args=[review.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert 'name="scores-0-score"' not in page.content.decode()  # shown, not offered
    response = client.post(url, review_form_data(review, "100"))
    assert response.status_code == 403
    assert sorted(set(review.scores.values_list("score", flat=True))) == [Decimal("80")]
    review.refresh_from_db()
    assert review.comment == ""


def test_review_page_outside_the_review_phase_offers_no_score_to_the_ministry(client):
    nomination = reviewing_nomination()
    review = assign_reviewer(nomination, make_staff("reviewer", "hebei"), make_staff("ministry"))
    nomination.campaign.phase = CampaignPhase.NOTICE
    nomination.campaign.save()
    client.force_login(make_staff("ministry"))
    url = reverse("admin:estates_review_change", args=[review.pk])
    response = client.post(url, {**review_form_data(review, "100"), "_continue": "1"})
    assert response.status_code == 302
    assert set(review.scores.values_list("score", flat=True)) == {None}


def test_submitting_twice_keeps_the_first_hand_in_time():
    review, reviewer = handed_in_review()
    first = review.submitted_at
    with pytest.raises(ValidationError) as error:
        submit_review(review, reviewer)
    assert error.value.code == "already_submitted"
    review.refresh_from_db()
    assert review.submitted_at == first


def test_review_handed_in_with_the_scores_typed_in_the_same_click(client):
    nomination = reviewing_nomination()
    reviewer = make_staff("reviewer", "hebei")
    review = assign_reviewer(nomination, reviewer, make_staff("ministry"))
    client.force_login(reviewer)
    url = reverse("admin:estates_review_change", args=[review.pk])
    response = client.post(url, {**review_form_data(review, "88"), "_submit_review": "1"})
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.submitted_at is not None
    assert review.total() == Decimal("88")


def test_ministry_reads_an_open_reviews_scores_and_does_not_change_them(client):
    nomination = reviewing_nomination()
    reviewer = make_staff("reviewer", "hebei")
    review = assign_reviewer(nomination, reviewer, make_staff("ministry"))
    review.scores.update(score=88)
    client.force_login(make_staff("ministry"))
    url = reverse("admin:estates_review_change", args=[review.pk])
    page = client.get(url).content.decode()
    assert 'name="scores-0-score"' not in page
    client.post(url, {**review_form_data(review, "70"), "_continue": "1"})
    assert set(review.scores.values_list("score", flat=True)) == {Decimal("88")}
