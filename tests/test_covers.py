"""Each estate's cover: the generated card (drawn once per content, again when it changes), its
photo where it has one, the share image's address, the tags that show them and the font check."""

import io
import shutil

import pytest
from django.core.checks import run_checks
from django.core.files.base import ContentFile
from django.template import Context, Template
from django.test import RequestFactory
from PIL import Image

from estates.images import clean_photo
from estates.models import Estate, Metric, Photo
from showcase import cover_art, covers
from showcase.cache import current_version
from showcase.cover_art import Figure

from .builders import make_estate, nominate
from .html import parse

pytestmark = pytest.mark.django_db

SEED_SLUGS = [
    "shuangqigandongli",
    "changwajie7haoyuan",
    "lijingchangan",
    "xichanganyihao",
    "aozhengchengyuannanqu",
]
DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def image_of(response):
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return Image.open(io.BytesIO(body))


def estate(slug):
    return Estate.objects.select_related("province", "city").get(slug=slug)


@pytest.fixture
def draws(monkeypatch):
    """The cards drawn during a test, by estate name."""
    drawn = []
    original = covers.draw_card

    def counting(content):
        drawn.append(content.name)
        return original(content)

    monkeypatch.setattr(covers, "draw_card", counting)
    return drawn


def cover_files(slug, settings):
    folder = settings.MEDIA_ROOT / "covers" / slug
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# The card ------------------------------------------------------------------------------------


@pytest.mark.parametrize("slug", SEED_SLUGS)
def test_card_of_each_seed_estate_is_a_1200_by_630_png(client, slug):
    response = client.get(f"/estates/{slug}/cover.png")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Cache-Control"] == "public, max-age=3600"
    picture = image_of(response)
    assert (picture.format, picture.size) == ("PNG", (1200, 630))
    small = image_of(client.get(f"/estates/{slug}/cover-600.png"))
    assert small.size == (600, 315)


def test_card_files_are_small(client, settings):
    client.get("/estates/aozhengchengyuannanqu/cover.png")
    folder = settings.MEDIA_ROOT / "covers" / "aozhengchengyuannanqu"
    sizes = {p.name.rsplit("-", 1)[1]: p.stat().st_size for p in folder.iterdir()}
    assert sizes.keys() == {"1200.png", "600.png"}
    assert sizes["1200.png"] < 60_000
    assert sizes["600.png"] < 40_000


def test_card_figures_are_the_known_ones_most_telling_first():
    content = covers.cover_content(estate("xichanganyihao"))
    assert content.name == "西长安壹号"
    assert content.place == "北京·门头沟区"
    assert content.tagline == "探索红黄绿，让党建向基层延伸"
    # No year built, residents or buildings in the source: two figures, none of them a 0.
    assert content.figures == (
        Figure("96", "%", "业主满意度（2021年）"),
        Figure("759", "户", "小区住户"),
    )
    assert content.illustrative is False
    linyi = covers.cover_content(estate("aozhengchengyuannanqu"))
    assert linyi.place == "山东·临沂市·河东区"
    assert linyi.figures == (
        Figure("96.55", "%", "业主满意度（2022年）"),
        Figure("98.63", "%", "物业费收缴率（2021年）"),
        Figure("1250", "户", "小区住户"),
    )
    # Selected only in the Shandong round, whose dates and selection are illustrative.
    assert linyi.illustrative is True


def test_estate_without_figures_has_none_on_its_card(client):
    bare = make_estate(name="无数据小区")
    nominate(bare)
    bare = estate(bare.slug)
    content = covers.cover_content(bare)
    assert content.figures == ()
    assert content.tagline == ""
    response = client.get(f"/estates/{bare.slug}/cover.png")
    assert image_of(response).size == (1200, 630)


def test_card_of_an_estate_built_in_a_decade_names_the_decade():
    content = covers.cover_content(estate("shuangqigandongli"))
    assert content.figures == (
        Figure("90", "%", "业主满意度"),
        Figure("407", "户", "小区住户"),
        Figure("上世纪70年代", "", "建成年代"),
    )


def ink_beyond(picture, left, top, bottom):
    """Colours in a strip of the card that only the background should fill."""
    strip = picture.convert("RGB").crop((left, top, picture.width, bottom))
    return {colour for _n, colour in strip.getcolors(1 << 16)} - {
        cover_art.TINT,
        cover_art.TINT_DEEP,
    }


@pytest.mark.parametrize(
    ("name", "tagline"),
    [
        ("奥正诚园南区", "沂蒙红管家 服务三六五"),
        ("北京市朝阳区望京街道望京西园三区国际花园社区美好家园示范小区南区东院", "以" * 100),
        ("Wangjing International Garden Community Phase Three South", "党建引领" * 25),
        ("W" * 100, "x" * 100),
    ],
)
def test_long_names_and_taglines_stay_on_the_card(name, tagline):
    content = cover_art.CoverContent(name, "北京·朝阳区", tagline, (), False)
    picture = cover_art.draw_card(content)
    assert picture.size == (1200, 630)
    # Nothing in the right-hand margin (64 px) between the masthead and the foot.
    assert ink_beyond(picture, 1200 - 60, 100, 620) == set()
    face, lines = cover_art.fit(name, 1200 - 128, 2, range(88, 47, -4), bold=True)
    assert len(lines) <= 2
    assert all(face.getlength(line) <= 1200 - 128 for line in lines)


def test_a_tagline_too_long_for_two_lines_ends_in_an_ellipsis():
    face, lines = cover_art.fit("以党建引领" * 20, 1072, 2, range(40, 25, -2), bold=True)
    assert face.size == 26
    assert len(lines) == 2
    assert lines[1].endswith("…")
    assert "".join(lines).replace("…", "") in "以党建引领" * 20


def test_lines_do_not_start_with_closing_punctuation():
    face = cover_art.font(40, bold=True)
    width = face.getlength("以党建引领") + 5  # the comma would start the second line
    assert cover_art.wrap("以党建引领，让老旧小区换新颜", face, width)[1][0] != "，"


# Drawn once, again when what it shows changes --------------------------------------------------


def test_card_is_drawn_once_and_then_served_from_its_file(client, draws, settings):
    first = client.get("/estates/lijingchangan/cover.png")
    names = cover_files("lijingchangan", settings)
    client.get("/estates/lijingchangan/cover.png")
    client.get("/estates/lijingchangan/cover-600.png")
    assert draws == ["丽景长安"]
    assert cover_files("lijingchangan", settings) == names
    assert first["ETag"] == f'"{names[0].removesuffix(".png")}"'


def test_unchanged_card_answers_not_modified(client, draws):
    first = client.get("/estates/lijingchangan/cover.png")
    again = client.get("/estates/lijingchangan/cover.png", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert again["ETag"] == first["ETag"]


@pytest.mark.parametrize(
    "change",
    [
        lambda e: setattr(e, "tagline", "用心服务，温暖每一位业主"),
        lambda e: setattr(e, "name", "丽景长安小区"),
        lambda e: setattr(e, "households", 1600),
        lambda e: setattr(e, "district", "门头沟"),
    ],
)
def test_card_is_drawn_again_when_what_it_shows_changes(client, draws, settings, change):
    client.get("/estates/lijingchangan/cover.png")
    before = cover_files("lijingchangan", settings)
    row = Estate.objects.get(slug="lijingchangan")
    change(row)
    row.save()
    response = client.get("/estates/lijingchangan/cover.png")
    assert response.status_code == 200
    assert len(draws) == 2
    after = cover_files("lijingchangan", settings)
    assert len(after) == 2 and not set(after) & set(before)  # the old drawing is removed


def test_card_is_drawn_again_when_a_shown_metric_changes(client, draws):
    client.get("/estates/xichanganyihao/cover.png")
    satisfaction = Metric.objects.get(
        estate__slug="xichanganyihao", metric_type__code="satisfaction"
    )
    satisfaction.value = 97
    satisfaction.save()
    client.get("/estates/xichanganyihao/cover.png")
    assert draws == ["西长安壹号", "西长安壹号"]
    shown = covers.cover_content(estate("xichanganyihao")).figures[0]
    assert shown == Figure("97", "%", "业主满意度（2021年）")


def test_card_is_not_drawn_again_when_something_it_does_not_show_changes(client, draws):
    client.get("/estates/lijingchangan/cover.png")
    row = Estate.objects.get(slug="lijingchangan")
    row.overview += "\n新的一段概况。"
    row.save()
    response = client.get("/estates/lijingchangan/cover.png")
    assert response.status_code == 200
    assert draws == ["丽景长安"]


# Who may see it ------------------------------------------------------------------------------


@pytest.mark.parametrize("ending", ["cover.png", "cover-600.png", "cover.jpg"])
def test_cover_of_an_unpublished_estate_is_not_found(client, ending, settings):
    hidden = make_estate(name="未入选小区")
    nominate(hidden, state="submitted")
    assert client.get(f"/estates/{hidden.slug}/{ending}").status_code == 404
    assert client.get(f"/estates/no-such-estate/{ending}").status_code == 404
    assert cover_files(hidden.slug, settings) == []


def test_cover_has_one_address_in_every_language(client):
    assert client.get("/en/estates/lijingchangan/cover.png").status_code == 404


# Photos --------------------------------------------------------------------------------------


def add_cover_photo(slug, size=(1600, 1200)):
    buffer = io.BytesIO()
    Image.new("RGB", size, (40, 120, 60)).save(buffer, format="JPEG")
    photo = Photo(estate=Estate.objects.get(slug=slug), caption="小区中心花园", is_cover=True)
    photo.store(clean_photo(ContentFile(buffer.getvalue(), name="garden.jpg")))
    photo.save()
    return photo


def og_image(client, path):
    tree = parse(client.get(path).content)
    return tree.find("meta", property="og:image").attrs["content"]


def test_estate_with_a_cover_photo_shares_its_photo(client):
    add_cover_photo("lijingchangan")
    share = og_image(client, "/estates/lijingchangan/")
    assert share.startswith("http://testserver/estates/lijingchangan/cover.jpg?v=")
    response = client.get(share.removeprefix("http://testserver"))
    assert response["Content-Type"] == "image/jpeg"
    picture = image_of(response)
    assert (picture.format, picture.size) == ("JPEG", (1200, 630))
    # The middle of the picture is the photo's green, not a card's tint.
    red, green, blue = picture.convert("RGB").getpixel((600, 200))
    assert green > red + 40 and green > blue + 20


def test_photo_estate_card_shows_its_photo(client):
    photo = add_cover_photo("lijingchangan")
    tree = parse(client.get("/estates/").content)
    [card] = [
        li for li in tree.find_all("li", class_="estate-card") if "丽景长安" in li.clean_text()
    ]
    image = card.find("img")
    assert image.attrs["src"] == photo.medium_url
    assert image.attrs["srcset"] == f"{photo.thumb_url} 480w, {photo.medium_url} 1200w"
    assert "estate-cover-photo" in image.classes


def test_a_photo_not_marked_as_cover_leaves_the_card(client):
    photo = add_cover_photo("lijingchangan")
    Photo.objects.filter(pk=photo.pk).update(is_cover=False)
    assert client.get("/estates/lijingchangan/cover.jpg").status_code == 404
    assert "/cover.png?v=" in og_image(client, "/estates/lijingchangan/")


# On the pages --------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/estates/", "/en/", "/en/estates/"])
def test_every_card_has_a_cover(client, path):
    tree = parse(client.get(path).content)
    cards = tree.find_all("li", class_="estate-card")
    assert cards
    for card in cards:
        slug = card.find("a").attrs["href"].rstrip("/").rsplit("/", 1)[1]
        image = card.find("img", class_="estate-cover")
        assert image.attrs["src"].startswith(f"/estates/{slug}/cover.png?v=")
        assert image.attrs["srcset"].startswith(f"/estates/{slug}/cover-600.png?v=")
        assert (image.attrs["width"], image.attrs["height"]) == ("1200", "630")
        assert image.attrs["alt"] == ""  # the card's name and place follow as text


def test_province_feature_leads_each_case_with_its_cover(client):
    tree = parse(client.get("/campaigns/quanguo-2021/beijing/").content)
    cases = tree.find_all("section", class_="case")
    assert len(cases) == 4
    for case in cases:
        assert case.find("img", class_="estate-cover-feature") is not None


@pytest.mark.parametrize("slug", SEED_SLUGS)
def test_each_profile_shares_its_card(client, slug):
    content = covers.cover_content(Estate.objects.select_related("province", "city").get(slug=slug))
    share = og_image(client, f"/estates/{slug}/")
    assert share == f"http://testserver/estates/{slug}/cover.png?v={content.digest()}"
    assert image_of(client.get(share.removeprefix("http://testserver"))).size == (1200, 630)
    english = og_image(client, f"/en/estates/{slug}/")
    assert english == share  # the card is Chinese, as the estate's data is


def render(source, **context):
    return Template("{% load covers %}" + source).render(Context(context))


def test_header_cover_says_what_the_card_shows():
    row = (
        Estate.objects.select_related("province", "city")
        .prefetch_related("metrics__metric_type", "photos")
        .get(slug="xichanganyihao")
    )
    tree = parse(render('{% estate_cover estate "header" %}', estate=row))
    image = tree.find("img")
    assert image.attrs["alt"] == (
        "西长安壹号；北京·门头沟区；探索红黄绿，让党建向基层延伸；"
        "业主满意度（2021年）96%，小区住户759户"
    )
    # One file for the page and its share preview, named by what is drawn.
    assert image.attrs["src"] == covers.share_url(row)
    digest = covers.cover_content(row).digest()
    assert image.attrs["srcset"] == (
        f"/estates/xichanganyihao/cover-600.png?v={digest} 600w, "
        f"/estates/xichanganyihao/cover.png?v={digest} 1200w"
    )
    assert "loading" not in image.attrs  # the first thing a reader sees loads at once
    assert image.classes == ["estate-cover", "estate-cover-header", "estate-cover-generated"]


def test_header_cover_of_a_photo_estate_is_its_photo():
    photo = add_cover_photo("xichanganyihao")
    row = Estate.objects.prefetch_related("photos").get(slug="xichanganyihao")
    image = parse(render('{% estate_cover estate "header" %}', estate=row)).find("img")
    assert image.attrs["src"] == photo.medium_url
    assert image.attrs["alt"] == "小区中心花园"
    assert image.attrs["srcset"] == f"{photo.medium_url} 1200w"


def test_share_image_tag_gives_an_absolute_address():
    row = estate("lijingchangan")
    request = RequestFactory().get("/estates/lijingchangan/")
    address = render("{% estate_share_image estate %}", estate=row, request=request)
    assert address == f"http://testserver{covers.share_url(row)}"


def test_cards_of_a_list_read_no_photos_of_their_own(django_assert_num_queries):
    rows = list(Estate.objects.published().select_related("province", "city"))
    current_version()  # as the page cache reads it before the page is rendered
    with django_assert_num_queries(0):
        for row in rows:
            render('{% estate_cover estate "card" %}', estate=row)


# The font ------------------------------------------------------------------------------------


def font_warnings():
    return [m for m in run_checks() if m.id == "showcase.W002"]


def test_font_check_is_quiet_with_the_installed_font():
    assert font_warnings() == []


def test_font_check_says_how_to_install_a_missing_font(settings):
    settings.SHOWCASE_COVER_FONT = "/nonexistent/NotoSansCJK-Regular.ttc"
    [warning] = font_warnings()
    assert "找不到封面卡片的中文字体文件 /nonexistent/NotoSansCJK-Regular.ttc" in warning.msg
    assert "apt-get install fonts-noto-cjk" in warning.hint
    assert "SHOWCASE_COVER_FONT" in warning.hint


def test_font_check_refuses_a_file_that_is_no_font(settings, tmp_path):
    broken = tmp_path / "broken.ttc"
    broken.write_bytes(b"not a font")
    settings.SHOWCASE_COVER_FONT = str(broken)
    [warning] = font_warnings()
    assert "无法读取" in warning.msg


@pytest.mark.skipif(not shutil.os.path.exists(DEJAVU), reason="DejaVu Sans is not installed")
def test_font_check_refuses_a_font_without_chinese(settings):
    settings.SHOWCASE_COVER_FONT = DEJAVU
    [warning] = font_warnings()
    assert "不含简体中文字形" in warning.msg


def test_without_a_font_the_site_share_image_stands_in(client, settings):
    settings.SHOWCASE_COVER_FONT = "/nonexistent/NotoSansCJK-Regular.ttc"
    response = client.get("/estates/lijingchangan/cover.png")
    assert response.status_code == 200
    assert image_of(response).size == (1200, 630)
    assert client.get("/estates/no-such-estate/cover.png").status_code == 404
    assert not (settings.MEDIA_ROOT / "covers").exists()
