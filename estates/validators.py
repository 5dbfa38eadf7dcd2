"""Validators for identifiers that have a check digit."""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# GB 32100-2015: the alphabet of the unified social credit code (no I, O, S, V, Z).
_CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_code_check_char(first17):
    total = sum(
        _CREDIT_ALPHABET.index(char) * weight
        for char, weight in zip(first17, _CREDIT_WEIGHTS, strict=True)
    )
    return _CREDIT_ALPHABET[(31 - total % 31) % 31]


def validate_credit_code(value):
    """Check an 18-character unified social credit code (统一社会信用代码) and its check digit."""
    code = value.strip().upper()
    if len(code) != 18 or any(char not in _CREDIT_ALPHABET for char in code):
        raise ValidationError(
            _("统一社会信用代码应为 18 位数字或大写字母（不含 I、O、S、V、Z）。"),
            code="credit_code_format",
        )
    if credit_code_check_char(code[:17]) != code[17]:
        raise ValidationError(
            _("统一社会信用代码的校验位不正确，请核对后重新输入。"), code="credit_code_checksum"
        )


def validate_not_future_year(value):
    if value is not None and value > timezone.localdate().year:
        raise ValidationError(
            _("年份 %(value)s 是将来的年份，请填写已经发生的年份。"),
            code="future_year",
            params={"value": value},
        )


def latest_campaign_year(today=None):
    """The latest year a campaign may be for: next year, since a round is set up in the year
    before it runs (the ministry copies the 2027 round in December 2026)."""
    return (today or timezone.localdate()).year + 1


def validate_campaign_year(value):
    latest = latest_campaign_year()
    if value is not None and value > latest:
        raise ValidationError(
            _("评选年度最晚可以填 %(latest)s 年（评选活动最多提前一年筹备），%(value)s 年太远了。"),
            code="future_year",
            params={"value": value, "latest": latest},
        )


def validate_not_future_date(value):
    if value is not None and value > timezone.localdate():
        raise ValidationError(
            _("日期 %(value)s 晚于今天，请填写已经发生的日期。"),
            code="future_date",
            params={"value": value},
        )


percentage_validators = [
    MinValueValidator(0, message=_("百分比不能小于 0。")),
    MaxValueValidator(100, message=_("百分比不能大于 100。")),
]
# A reviewer's score is out of 100 points, not a percentage.
score_validators = [
    MinValueValidator(0, message=_("得分不能小于 0。")),
    MaxValueValidator(100, message=_("得分不能大于 100（满分 100 分）。")),
]
