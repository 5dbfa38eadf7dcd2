import pytest
import tablib
from django.core.exceptions import ValidationError

from estates.models import Estate
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


@pytest.mark.parametrize(
    ("name", "pinyin"),
    [
        # 都 is a city in a name: dū, where pypinyin alone reads dōu (lvdou, jindou).
        ("绿都花园", "lvduhuayuan"),
        ("金都华庭", "jinduhuating"),
        ("华都公寓", "huadugongyu"),
        ("新都花园", "xinduhuayuan"),
        ("鑫都家园", "xindujiayuan"),
        ("首都华城", "shouduhuacheng"),
        ("成都路小区", "chengduluxiaoqu"),
        ("都市花园", "dushihuayuan"),
        ("大都会", "daduhui"),
        # 长: long in names, elder where a phrase says so.
        ("长安小区", "changanxiaoqu"),
        ("长江花园", "changjianghuayuan"),
        ("长宁小区", "changningxiaoqu"),
        ("长治路", "changzhilu"),
        ("长者公寓", "zhangzhegongyu"),
        ("校长宿舍", "xiaozhangsushe"),
        # 重, 乐, 朝, 厦, 单, 行, 调 in the words estate names use.
        ("重庆路", "chongqinglu"),
        ("重华苑", "chonghuayuan"),
        ("重工宿舍", "zhonggongsushe"),
        ("乐园小区", "leyuanxiaoqu"),
        ("快乐家园", "kuailejiayuan"),
        ("音乐花园", "yinyuehuayuan"),
        ("乐清路", "yueqinglu"),
        ("朝阳小区", "chaoyangxiaoqu"),
        ("朝阳门", "chaoyangmen"),
        ("朝晖苑", "zhaohuiyuan"),
        ("华夏大厦", "huaxiadasha"),
        ("厦门路", "xiamenlu"),
        ("单元楼", "danyuanlou"),
        ("单县小区", "shanxianxiaoqu"),
        ("银行宿舍", "yinhangsushe"),
        ("行知苑", "xingzhiyuan"),
        ("调度楼", "diaodulou"),
        ("空调厂宿舍", "kongtiaochangsushe"),
    ],
)
def test_polyphonic_characters_read_as_in_estate_names(name, pinyin):
    assert full_pinyin(name) == pinyin


def test_initials_follow_the_names_reading():
    assert [pinyin_initials(name) for name in ["绿都花园", "长宁小区", "朝阳门"]] == [
        "ldhy",
        "cnxq",
        "cym",
    ]


@pytest.mark.django_db
def test_new_estate_slug_reads_du():
    assert [make_estate(name=name).slug for name in ["绿都花园", "金都华庭"]] == [
        "lvduhuayuan",
        "jinduhuating",
    ]


@pytest.mark.django_db
def test_saving_an_estate_keeps_a_slug_made_by_an_older_reading():
    # As made before 都 read dū: the address stays, the search forms follow the new reading.
    estate = make_estate(name="绿都花园")
    Estate.objects.filter(pk=estate.pk).update(
        slug="lvdouhuayuan", name_pinyin="lvdouhuayuan", name_initials="ldhy"
    )
    estate = Estate.objects.get(pk=estate.pk)
    estate.households = 800
    estate.save()
    estate.refresh_from_db()
    assert (estate.slug, estate.name_pinyin) == ("lvdouhuayuan", "lvduhuayuan")
    assert " lvduhuayuan " in estate.search_keys


@pytest.mark.django_db
def test_reimporting_an_estate_keeps_its_old_slug():
    from estates.spreadsheets.importing import run_import
    from estates.spreadsheets.resources import EstateResource

    estate = make_estate(name="金都华庭", households=100)
    Estate.objects.filter(pk=estate.pk).update(slug="jindouhuating")
    exported = EstateResource().export(queryset=Estate.objects.filter(pk=estate.pk))
    row = list(exported[0])
    row[exported.headers.index("户数（户）")] = 120
    _result, problems = run_import(EstateResource(), tablib.Dataset(row, headers=exported.headers))
    assert problems == []
    assert list(Estate.objects.filter(name="金都华庭").values_list("slug", "households")) == [
        ("jindouhuating", 120)
    ]


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
