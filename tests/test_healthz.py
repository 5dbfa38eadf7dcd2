"""/healthz answers load balancers as they call it: plain HTTP, any Host (often the server's
IP), no redirect; every other address keeps the host check and the HTTPS redirect."""

import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db

PRODUCTION_LIKE = override_settings(
    DEBUG=False, SECURE_SSL_REDIRECT=True, ALLOWED_HOSTS=["meihao.example.cn"]
)


@PRODUCTION_LIKE
def test_healthz_answers_plain_http_to_an_ip_host(client):
    response = client.get("/healthz", HTTP_HOST="10.0.0.5:8000")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@PRODUCTION_LIKE
def test_healthz_answers_head_to_an_ip_host(client):
    response = client.head("/healthz", HTTP_HOST="10.0.0.5:8000")
    assert response.status_code == 200


@PRODUCTION_LIKE
def test_other_pages_refuse_an_ip_host(client):
    assert client.get("/", HTTP_HOST="10.0.0.5:8000").status_code == 400
    assert client.get("/healthz/", HTTP_HOST="10.0.0.5:8000").status_code == 400


@PRODUCTION_LIKE
def test_other_pages_redirect_plain_http_to_https(client):
    response = client.get("/estates/", HTTP_HOST="meihao.example.cn")
    assert response.status_code == 301
    assert response["Location"] == "https://meihao.example.cn/estates/"


@PRODUCTION_LIKE
def test_healthz_answers_plain_http_on_the_site_host(client):
    response = client.get("/healthz", HTTP_HOST="meihao.example.cn")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})
