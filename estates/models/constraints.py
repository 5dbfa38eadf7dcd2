"""Builders for the check constraints that keep impossible values out of the database.

Each gives the constraint a stable name and a Chinese message, which ``full_clean()`` shows
next to the field; the database enforces the same rule for anything that skips the forms.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from ..validators import validate_campaign_year, validate_not_future_year
from .expressions import LatestAllowedDate, LatestAllowedYear

# Constraint name → (field, form field arguments): the bounds forms and imports check first,
# so a wrong value is refused next to its field or column (estates.admin.base.constraint_limits,
# ScopedResource.validate_instance) rather than for the whole form or row, naming no field.
# Kept aside because Django clones constraints from their arguments.
FORM_LIMITS = {}


def _checked_in_forms(constraint, field, **limits):
    FORM_LIMITS[constraint.name] = (field, limits)
    return constraint


def percentage_between_0_and_100(field, name):
    # The fields carry percentage validators, which forms already check next to the field.
    return models.CheckConstraint(
        condition=models.Q(**{f"{field}__isnull": True})
        | models.Q(**{f"{field}__gte": 0, f"{field}__lte": 100}),
        name=name,
        violation_error_code="percentage_range",
        violation_error_message=_("百分比必须在 0 到 100 之间。"),
    )


def not_negative(field, name):
    constraint = models.CheckConstraint(
        condition=models.Q(**{f"{field}__isnull": True}) | models.Q(**{f"{field}__gte": 0}),
        name=name,
        violation_error_code="negative",
        violation_error_message=_("数值不能为负数。"),
    )
    return _checked_in_forms(constraint, field, min_value=0)


EARLIEST_YEAR = 1800


def year_not_in_future(field, name):
    constraint = models.CheckConstraint(
        condition=models.Q(**{f"{field}__isnull": True})
        | models.Q(**{f"{field}__gte": EARLIEST_YEAR, f"{field}__lte": LatestAllowedYear()}),
        name=name,
        violation_error_code="year_range",
        violation_error_message=_("年份不能早于 1800 年，也不能是将来的年份。"),
    )
    return _checked_in_forms(
        constraint, field, min_value=EARLIEST_YEAR, validators=[validate_not_future_year]
    )


def year_not_after_next(field, name):
    """A campaign's year: a round is set up in the year before it runs, so next year is
    allowed (the database's bound is a day ahead, as for year_not_in_future)."""
    constraint = models.CheckConstraint(
        condition=models.Q(**{f"{field}__isnull": True})
        | models.Q(**{f"{field}__gte": EARLIEST_YEAR, f"{field}__lte": LatestAllowedYear() + 1}),
        name=name,
        violation_error_code="year_range",
        violation_error_message=_("年度不能早于 1800 年，也不能晚于明年。"),
    )
    return _checked_in_forms(
        constraint, field, min_value=EARLIEST_YEAR, validators=[validate_campaign_year]
    )


def date_not_in_future(field, name):
    return models.CheckConstraint(
        condition=models.Q(**{f"{field}__isnull": True})
        | models.Q(**{f"{field}__lte": LatestAllowedDate()}),
        name=name,
        violation_error_code="future_date",
        violation_error_message=_("日期不能晚于今天。"),
    )
