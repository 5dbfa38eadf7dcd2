"""Every value that must never be stored is refused twice: by validation with a clear Chinese
message, and by the database itself for anything that skips validation."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from estates.enums import CampaignLevel, CampaignPhase, NominationState
from estates.models import (
    Campaign,
    Criterion,
    Estate,
    Honor,
    KeyFigure,
    Metric,
    MetricType,
    Nomination,
    Photo,
)

from .builders import beijing, make_campaign, make_estate

pytestmark = pytest.mark.django_db

PERCENT_MESSAGE = "百分比必须在 0 到 100 之间。"
NEGATIVE_MESSAGE = "数值不能为负数。"


def validation_messages(obj):
    with pytest.raises(ValidationError) as caught:
        obj.full_clean()
    return caught.value.message_dict


def assert_database_refuses(obj, constraint_name=None):
    """Save without validation; the database must refuse. SQLite names a unique
    constraint by its columns, so pass a name only for check constraints."""
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        obj.save()
    if constraint_name is not None:
        assert constraint_name in str(caught.value)


def unsaved_estate(**fields):
    estate = make_estate()
    for name, value in fields.items():
        setattr(estate, name, value)
    return estate


@pytest.mark.parametrize("value", [Decimal("100.01"), Decimal("-0.01"), Decimal("250")])
def test_estate_green_coverage_outside_0_100_refused(value):
    estate = unsaved_estate(green_coverage=value)
    messages = validation_messages(estate)
    assert messages["green_coverage"] in (["百分比不能大于 100。"], ["百分比不能小于 0。"])
    # The model's check constraint gives the same rule without the field validators.
    assert estate._meta.get_field("green_coverage").validators
    assert_database_refuses(estate, "estate_green_coverage_percentage")


@pytest.mark.parametrize("value", [Decimal("0"), Decimal("100"), None])
def test_estate_green_coverage_bounds_accepted(value):
    estate = unsaved_estate(green_coverage=value)
    estate.full_clean()
    estate.save()
    estate.refresh_from_db()
    assert estate.green_coverage == value


@pytest.mark.parametrize("field", ["buildings", "units", "households", "residents"])
def test_estate_negative_count_refused(field):
    estate = unsaved_estate(**{field: -1})
    assert validation_messages(estate)[field] == ["确保该值大于或等于0。"]
    assert_database_refuses(estate)


@pytest.mark.parametrize("field", ["land_area", "floor_area", "plot_ratio"])
def test_estate_negative_area_refused(field):
    estate = unsaved_estate(**{field: Decimal("-1")})
    assert validation_messages(estate)["__all__"] == [NEGATIVE_MESSAGE]
    assert_database_refuses(estate, f"estate_{field}_not_negative")


def test_estate_year_built_in_future_refused():
    next_year = timezone.localdate().year + 1
    estate = unsaved_estate(year_built=next_year + 1)
    assert validation_messages(estate)["year_built"] == [
        f"年份 {next_year + 1} 是将来的年份，请填写已经发生的年份。"
    ]
    assert_database_refuses(estate, "estate_year_built_not_in_future")


def test_estate_year_built_implausibly_early_refused():
    estate = unsaved_estate(year_built=1700)
    assert validation_messages(estate)["__all__"] == ["年份不能早于 1800 年，也不能是将来的年份。"]
    assert_database_refuses(estate, "estate_year_built_not_in_future")


def test_estate_year_built_this_year_accepted():
    estate = unsaved_estate(year_built=timezone.localdate().year)
    estate.full_clean()
    estate.save()


def test_estate_duplicate_slug_refused():
    estate = unsaved_estate(slug="lijingchangan")
    assert validation_messages(estate)["slug"] == ["具有 拼音标识 的 小区 已存在。"]
    assert_database_refuses(estate)


def test_estate_city_of_another_province_refused():
    estate = unsaved_estate(province=beijing())
    estate.city = Estate.objects.get(slug="aozhengchengyuannanqu").city
    assert validation_messages(estate)["city"] == ["所选城市不属于北京市。"]


def test_two_nominations_of_one_estate_in_one_campaign_refused():
    existing = Nomination.objects.get(estate__slug="lijingchangan")
    duplicate = Nomination(
        estate=existing.estate, campaign=existing.campaign, state=NominationState.DRAFT
    )
    assert validation_messages(duplicate)["__all__"] == [
        "该小区已被推荐参加本次评选活动，不能重复推荐。"
    ]
    assert_database_refuses(duplicate)


def test_same_estate_in_two_campaigns_accepted():
    existing = Nomination.objects.get(estate__slug="lijingchangan")
    other = Nomination(estate=existing.estate, campaign=make_campaign())
    other.full_clean()
    other.save()


def metric(type_code, value, **fields):
    return Metric(
        estate=Estate.objects.get(slug="lijingchangan"),
        metric_type=MetricType.objects.get(code=type_code),
        value=value,
        **fields,
    )


def test_percentage_metric_over_100_refused():
    bad = metric("satisfaction", Decimal("100.5"))
    assert validation_messages(bad)["value"] == [PERCENT_MESSAGE]
    assert_database_refuses(bad, "metric_percentage_at_most_100")


def test_non_percentage_metric_over_100_accepted():
    minutes = metric("response_time", Decimal("120"))
    minutes.full_clean()
    minutes.save()
    assert minutes.is_percentage is False


def test_negative_metric_refused():
    bad = metric("response_time", Decimal("-5"))
    assert validation_messages(bad)["__all__"] == [NEGATIVE_MESSAGE]
    assert_database_refuses(bad, "metric_value_not_negative")


def test_metric_dated_in_future_refused():
    later = timezone.localdate() + datetime.timedelta(days=3)
    bad = metric("satisfaction", Decimal("95"), date=later)
    assert validation_messages(bad)["date"] == [f"日期 {later} 晚于今天，请填写已经发生的日期。"]
    assert_database_refuses(bad, "metric_date_not_in_future")


def test_metric_type_becoming_percentage_keeps_copies_in_step():
    minutes = metric("response_time", Decimal("15"))
    minutes.save()
    kind = minutes.metric_type
    kind.is_percentage = True
    kind.save()
    minutes.refresh_from_db()
    assert minutes.is_percentage is True


def test_negative_key_figure_refused():
    bad = KeyFigure(
        estate=Estate.objects.get(slug="xichanganyihao"), label="锦旗", quantity=-1, unit="面"
    )
    assert validation_messages(bad)["__all__"] == [NEGATIVE_MESSAGE]
    assert_database_refuses(bad, "key_figure_quantity_not_negative")


def test_honor_year_in_future_refused():
    year = timezone.localdate().year + 2
    bad = Honor(
        estate=Estate.objects.get(slug="lijingchangan"),
        title="示范小区",
        level="municipal",
        year=year,
    )
    assert validation_messages(bad)["year"] == [f"年份 {year} 是将来的年份，请填写已经发生的年份。"]
    assert_database_refuses(bad, "honor_year_not_in_future")


def test_second_cover_photo_refused():
    estate = Estate.objects.get(slug="lijingchangan")
    Photo.objects.create(estate=estate, image="photos/a.jpg", caption="小区大门", is_cover=True)
    second = Photo(estate=estate, image="photos/b.jpg", caption="花园", is_cover=True)
    assert validation_messages(second)["__all__"] == ["每个小区只能有一张封面照片。"]
    assert_database_refuses(second)


def test_criterion_weight_over_100_refused():
    criterion = Criterion.objects.filter(campaign__slug="shandong-2023").first()
    criterion.weight = Decimal("101")
    assert validation_messages(criterion)["weight"] == ["百分比不能大于 100。"]
    assert_database_refuses(criterion, "criterion_weight_percentage")


def test_national_campaign_with_a_province_refused():
    bad = Campaign(
        title="错误的活动",
        slug="bad",
        year=2024,
        level=CampaignLevel.NATIONAL,
        province=beijing(),
    )
    assert validation_messages(bad)["__all__"] == [
        "全国活动不填省份和城市；省级活动只填省份；市级活动填省份和城市。"
    ]
    assert_database_refuses(bad, "campaign_region_matches_level")


def test_published_campaign_without_publication_time_refused():
    bad = Campaign(
        title="未写发布时间",
        slug="no-date",
        year=2024,
        level=CampaignLevel.NATIONAL,
        phase=CampaignPhase.PUBLISHED,
    )
    assert validation_messages(bad)["__all__"] == ["结果已发布的活动必须有发布时间。"]
    assert_database_refuses(bad, "campaign_published_has_date")


def test_notice_ending_before_it_starts_refused():
    bad = Campaign(
        title="公示日期颠倒",
        slug="notice",
        year=2024,
        level=CampaignLevel.NATIONAL,
        notice_starts_on=datetime.date(2024, 6, 10),
        notice_ends_on=datetime.date(2024, 6, 1),
    )
    assert validation_messages(bad)["__all__"] == ["公示结束日期不能早于开始日期。"]
    assert_database_refuses(bad, "campaign_notice_ends_after_start")
