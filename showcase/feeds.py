from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext_lazy as _

from estates.models import Estate
from estates.spreadsheets.cells import xml_text


class NewEstatesFeed(Feed):
    """Newly published typical cases, newest publication first."""

    feed_type = Atom1Feed
    title = _("美好家园 · 新发布的典型案例")
    subtitle = _("“加强物业管理 共建美好家园”活动新发布的入选小区。")

    def link(self):
        return reverse("showcase:estate_list")

    def items(self):
        return (
            Estate.objects.published()
            .published_since()
            .with_illustrative()
            .select_related("province", "city")
            .order_by("-published_at", "name_pinyin")[:50]
        )

    # The feed at /en/feed/ gives the English name, tagline and summary where there are.
    def item_title(self, estate):
        # An estate public only through an illustrative round is marked as on every page.
        mark = _("（示例）") if estate.is_illustrative else ""
        return xml_text(f"{estate.display_headline()}{mark}")

    def item_description(self, estate):
        return xml_text(estate.display_summary()[:300])

    def item_pubdate(self, estate):
        return estate.published_at

    def item_updateddate(self, estate):
        return estate.updated_at

    def item_categories(self, estate):
        return [xml_text(estate.province.display_name())]
