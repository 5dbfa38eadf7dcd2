"""The footer's 更新日期, filled in as each public page is served.

It is the date the published data last changed (showcase/context_processors.last_updated): a
fact of the whole registry on every page. Rendered into a cached page, it would keep an estate's
page from being cached longer than any change anywhere (showcase/cache.py keeps an estate's page
until that estate changes), so pages carry a mark that this middleware replaces with the date:
a byte replacement on each response, and no query (the date is kept with the statistics of
the content version the process holds).
"""

from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from . import context_processors

MARK = "<!--site-updated-->"
_MARK_BYTES = MARK.encode()


def updated_mark():
    return mark_safe(MARK)


class FooterDateMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            not response.streaming
            and response.get("Content-Type", "").startswith("text/html")
            and _MARK_BYTES in response.content
        ):
            date = render_to_string(
                "showcase/_updated.html", {"updated": context_processors.last_updated()}
            )
            response.content = response.content.replace(_MARK_BYTES, date.strip().encode())
        return response
