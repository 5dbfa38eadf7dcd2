"""A page served from the page cache carries the headers the rendered page carried."""

import pytest

from .test_public_site import PAGES

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url", [*PAGES, "/en/feed/", "/en/estates/", "/mechanisms/dangjianyinling/?page=1"]
)
def test_a_cached_answer_carries_the_rendered_answers_headers(client, url):
    rendered = client.get(url)
    cached = client.get(url)
    assert rendered.status_code == cached.status_code == 200
    if "X-Page-Cache" not in rendered:
        return  # not a cached page (an open-data file is served from its built file)
    assert (rendered["X-Page-Cache"], cached["X-Page-Cache"]) == ("miss", "hit")

    def headers(response):
        return {name: value for name, value in response.items() if name != "X-Page-Cache"}

    assert headers(cached) == headers(rendered)


def test_sitemap_files_keep_their_robots_tag_and_last_modified_from_the_cache(client):
    rendered = client.get("/sitemap-estates.xml")
    cached = client.get("/sitemap-estates.xml")
    assert cached["X-Page-Cache"] == "hit"
    for response in (rendered, cached):
        assert response["X-Robots-Tag"] == "noindex, noodp, noarchive"
        assert response["Last-Modified"].endswith(" GMT")
    assert cached["Last-Modified"] == rendered["Last-Modified"]
