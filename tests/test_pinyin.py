import pytest
from django.core.exceptions import ValidationError

from estates.models.campaigns import chinese_numeral
from estates.pinyin import full_pinyin, pinyin_initials
from estates.validators import credit_code_check_char, validate_credit_code

from .builders import make_estate


@pytest.mark.parametrize(
    ("name", "pinyin", "initials"),
    [
        ("双旗杆东里", "shuangqigandongli", "sqgdl"),
        ("厂洼街7号院", "changwajie7haoyuan", "cwj7hy"),
        ("丽景长安", "lijingchangan", "ljca"),
        ("西长安壹号", "xichanganyihao", "xcayh"),
        ("奥正诚园南区", "aozhengchengyuannanqu", "azcynq"),
        ("Park 1号", "park1hao", "park1h"),
    ],
)
def test_pinyin_forms(name, pinyin, initials):
    assert full_pinyin(name) == pinyin
    assert pinyin_initials(name) == initials


@pytest.mark.django_db
def test_new_estate_gets_a_pinyin_slug_and_search_keys():
    estate = make_estate(name="幸福里")
    assert (estate.slug, estate.name_pinyin, estate.name_initials) == (
        "xingfuli",
        "xingfuli",
        "xfl",
    )


@pytest.mark.django_db
def test_same_name_in_another_city_gets_a_distinct_slug():
    from estates.models import City

    linyi = City.objects.get(slug="linyi")
    first = make_estate(name="阳光花园")
    second = make_estate(name="阳光花园", province=linyi.province, city=linyi)
    third = make_estate(name="阳光花园", province=linyi.province, city=linyi)
    assert [first.slug, second.slug, third.slug] == [
        "yangguanghuayuan",
        "yangguanghuayuan-linyi",
        "yangguanghuayuan-linyi-2",
    ]


@pytest.mark.django_db
def test_renaming_keeps_the_slug_but_updates_search_keys():
    estate = make_estate(name="幸福里")
    estate.name = "幸福新里"
    estate.save()
    assert (estate.slug, estate.name_initials) == ("xingfuli", "xfxl")


def test_credit_code_with_correct_check_character_is_accepted():
    first17 = "91371300MA3C1234"[:16] + "5"
    validate_credit_code(first17 + credit_code_check_char(first17))


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("12345", "统一社会信用代码应为 18 位数字或大写字母（不含 I、O、S、V、Z）。"),
        ("91371300MA3C1234IO", "统一社会信用代码应为 18 位数字或大写字母（不含 I、O、S、V、Z）。"),
    ],
)
def test_malformed_credit_code_is_refused(code, message):
    with pytest.raises(ValidationError) as caught:
        validate_credit_code(code)
    assert caught.value.messages == [message]


def test_credit_code_with_wrong_check_character_is_refused():
    first17 = "91371300MA3C12345"
    right = credit_code_check_char(first17)
    wrong = "0" if right != "0" else "1"
    with pytest.raises(ValidationError) as caught:
        validate_credit_code(first17 + wrong)
    assert caught.value.messages == ["统一社会信用代码的校验位不正确，请核对后重新输入。"]


@pytest.mark.parametrize(
    "code", ["9144030071526726XG", "91330100799655058B", "914403001922038216", "91110000802100433B"]
)
def test_registered_companies_credit_codes_are_accepted(code):
    # Real, publicly registered codes: their check characters confirm the GB 32100 weights.
    assert credit_code_check_char(code[:17]) == code[17]
    validate_credit_code(code)


@pytest.mark.parametrize(
    ("n", "text"), [(1, "一"), (9, "九"), (10, "十"), (12, "十二"), (20, "二十")]
)
def test_chinese_numerals(n, text):
    assert chinese_numeral(n) == text


@pytest.mark.django_db
def test_longest_name_fits_its_pinyin():
    estate = make_estate(name="双" * 100)
    estate.refresh_from_db()
    assert estate.name_pinyin == "shuang" * 100
    assert estate.name_initials == "s" * 100
