from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

from estates.admin import site as admin_site

from . import covers, views
from .sitemaps import sitemap_index, sitemap_section

# Chinese pages live at the contract's URLs (/estates/…); English ones under /en/.
urlpatterns = [
    # Before the admin's own route of the same address, and taking every address that one
    # takes (a content type of "+13" would reach it otherwise): see estates/admin/site.py.
    path(
        "admin/r/<path:content_type_id>/<path:object_id>/",
        admin_site.view_on_site,
        name="safe_view_on_site",
    ),
    path("admin/", admin.site.urls),
    path("healthz", views.healthz, name="healthz"),
    path("robots.txt", views.robots_txt, name="robots_txt"),
    # An index of the section files, each within the sitemap protocol's limits.
    path("sitemap.xml", sitemap_index, name="sitemap"),
    path("sitemap-<slug:section>.xml", sitemap_section, name="sitemap_section"),
    # Each published estate's cover, the same image in every language (showcase/covers.py).
    path("estates/<slug:slug>/cover.png", covers.card_image, name="estate_cover"),
    path(
        "estates/<slug:slug>/cover-600.png",
        covers.card_image,
        {"width": 600},
        name="estate_cover_small",
    ),
    path("estates/<slug:slug>/cover.jpg", covers.photo_image, name="estate_photo_cover"),
    *i18n_patterns(path("", include("showcase.public_urls")), prefix_default_language=False),
]

# Photos under `make run` (DEBUG): served by Django from MEDIA_ROOT. In production the proxy
# serves them (docs/deployment.md) and static() adds nothing.
urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
