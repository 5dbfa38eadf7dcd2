from django.contrib.syndication.views import Feed
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext_lazy as _

from estates.models import Campaign, Estate, Nomination
from estates.spreadsheets.cells import xml_text

from .views import mark_illustrative

ENTRIES = 50


class NewEstatesFeed(Feed):
    """Newly published typical cases, newest publication first."""

    feed_type = Atom1Feed
    title = _("美好家园 · 新发布的典型案例")
    subtitle = _("“加强物业管理 共建美好家园”活动新发布的入选小区。")

    def link(self):
        return reverse("showcase:estate_list")

    def items(self):
        """The ENTRIES estates first made public last, newest first, by name within a day.

        An estate's publication is that of the first campaign that selected it. Read one
        publication date at a time, newest first, each in the estate list's name order (an
        index walk that stops after ENTRIES): ordering every published estate by its first
        publication took seconds at 100,000. One query per date needed, normally one."""
        dates = (
            Campaign.objects.public()
            .order_by("-results_published_at")
            .values_list("results_published_at", flat=True)
            .distinct()
        )
        public = Nomination.objects.public().filter(estate=OuterRef("pk"))
        entries = []
        for date in dates:
            first_then = (
                Estate.objects.published()
                .filter(Exists(public.filter(campaign__results_published_at=date)))
                .exclude(Exists(public.filter(campaign__results_published_at__lt=date)))
                .select_related("province", "city")
                .order_by("name_pinyin", "pk")[: ENTRIES - len(entries)]
            )
            for estate in first_then:
                estate.published_at = date
                entries.append(estate)
            if len(entries) == ENTRIES:
                break
        # Marked 示例 when public only through illustrative rounds.
        mark_illustrative(entries)
        return entries

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
