import pytest
from django.core.management import call_command


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hashing():
    """Tests hash the passwords of the accounts they make with MD5, which Django ships for
    tests: the production hasher is slow on purpose and took a quarter of the suite's time.
    A test of hashing itself sets its own hashers."""
    from django.test.utils import override_settings

    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Every test database starts with the seed data, as `make run` serves it."""
    with django_db_blocker.unblock():
        call_command("load_seed", verbosity=0)


@pytest.fixture(autouse=True)
def _fresh_page_cache():
    """Page cache keys carry the content version, which a rolled-back test reuses."""
    from django.core.cache import cache

    from showcase.cache import forget_tags, forget_version

    cache.clear()
    forget_version()
    forget_tags()
    yield
    cache.clear()
    forget_version()
    forget_tags()


@pytest.fixture(autouse=True)
def _fresh_open_data_files(settings, tmp_path):
    """Open-data files are named by the content version too: each test builds its own."""
    settings.OPEN_DATA_ROOT = tmp_path / "opendata"


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Pages draw the estates' cover cards into MEDIA_ROOT (showcase/covers.py): each test
    into its own folder, never the checkout's."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _no_timing_in_query_counts(settings):
    """Read the content version on every request and write views only when a test says so,
    so the queries a page runs never depend on how long a test has taken (the tests of the
    intervals set them)."""
    settings.PAGE_CACHE_VERSION_SECONDS = 0
    settings.VIEW_COUNT_FLUSH_SECONDS = 3600


@pytest.fixture(autouse=True)
def _no_views_carried_over():
    """Profile views wait in memory until written; none may cross from one test to the next
    (a rolled-back test's estates are gone)."""
    from showcase import viewcounts

    viewcounts.discard()
    yield
    viewcounts.discard()


@pytest.fixture(autouse=True)
def _chinese_by_default():
    """A request to an /en/ page leaves English active in the thread; start each test in
    the site's default language."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)
