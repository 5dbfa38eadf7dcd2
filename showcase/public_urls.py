from django.urls import path

from . import notice, opendata, views
from .cache import cached_page
from .feeds import NewEstatesFeed

app_name = "showcase"

urlpatterns = [
    path("", views.home, name="home"),
    path("estates/", views.estate_list, name="estate_list"),
    path("estates/<slug:slug>/", views.estate_detail, name="estate_detail"),
    path("campaigns/", views.campaign_list, name="campaign_list"),
    path("campaigns/<slug:slug>/", views.campaign_detail, name="campaign_detail"),
    path("campaigns/<slug:slug>/notice/", notice.campaign_notice, name="campaign_notice"),
    path(
        "campaigns/<slug:slug>/notice/lookup/",
        notice.objection_lookup,
        name="objection_lookup",
    ),
    path(
        "campaigns/<slug:slug>/<slug:province_slug>/",
        views.province_feature,
        name="province_feature",
    ),
    path("mechanisms/", views.mechanism_list, name="mechanism_list"),
    path("mechanisms/<slug:slug>/", views.mechanism_detail, name="mechanism_detail"),
    path("stats/", views.stats, name="stats"),
    path("data/", opendata.data_page, name="data"),
    path("data/estates.json", opendata.estates_json, name="data_json"),
    path("data/estates.csv", opendata.estates_csv, name="data_csv"),
    path("data/estates.xlsx", opendata.estates_xlsx, name="data_xlsx"),
    path("feed/", cached_page(NewEstatesFeed()), name="feed"),
]
