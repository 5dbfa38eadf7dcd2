from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from estates.models import Campaign, Estate, MechanismType, Nomination


class I18nSitemap(Sitemap):
    """Each page in Chinese and in English, with hreflang alternates."""

    i18n = True
    languages = ["zh-hans", "en"]
    alternates = True
    x_default = True


class StaticPagesSitemap(I18nSitemap):
    changefreq = "weekly"

    def items(self):
        return [
            "showcase:home",
            "showcase:estate_list",
            "showcase:campaign_list",
            "showcase:mechanism_list",
            "showcase:stats",
            "showcase:data",
        ]

    def location(self, name):
        return reverse(name)


class EstateSitemap(I18nSitemap):
    changefreq = "monthly"

    def items(self):
        return Estate.objects.published().order_by("pk")

    def lastmod(self, estate):
        return estate.updated_at


class CampaignSitemap(I18nSitemap):
    def items(self):
        return Campaign.objects.public().order_by("pk")

    def location(self, campaign):
        return reverse("showcase:campaign_detail", kwargs={"slug": campaign.slug})


class ProvinceFeatureSitemap(I18nSitemap):
    def items(self):
        return list(
            Nomination.objects.public()
            .values_list("campaign__slug", "estate__province__slug")
            .distinct()
            .order_by("campaign__slug", "estate__province__slug")
        )

    def location(self, item):
        campaign, province = item
        return reverse(
            "showcase:province_feature", kwargs={"slug": campaign, "province_slug": province}
        )


class MechanismSitemap(I18nSitemap):
    def items(self):
        return MechanismType.objects.order_by("display_order", "pk")

    def location(self, kind):
        return reverse("showcase:mechanism_detail", kwargs={"slug": kind.slug})


SITEMAPS = {
    "pages": StaticPagesSitemap,
    "estates": EstateSitemap,
    "campaigns": CampaignSitemap,
    "provinces": ProvinceFeatureSitemap,
    "mechanisms": MechanismSitemap,
}
