"""The admin's "view on site" redirect, narrowed to what the public may see.

Django's built-in redirect (admin/r/<content type>/<id>/) loads any row by id and sends the
browser to its public address, which would tell anyone with admin access that an unpublished
estate exists, and its slug. This one redirects only to a published estate's page; its route
takes every address Django's does, so Django's is never reached."""

import re

from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.contenttypes.models import ContentType
from django.http import Http404, HttpResponseRedirect

from ..models import Estate

NUMBER = re.compile(r"[0-9]{1,18}")


@staff_member_required
def view_on_site(request, content_type_id, object_id):
    # Plain ASCII digits only: int() also reads "+13", " 13" and "١٣", and "²" makes it fail.
    if not (NUMBER.fullmatch(content_type_id) and NUMBER.fullmatch(object_id)):
        raise Http404
    content_type = ContentType.objects.filter(pk=content_type_id).first()
    if content_type is None or content_type.model_class() is not Estate:
        raise Http404
    estate = Estate.objects.published().filter(pk=object_id).first()
    if estate is None:
        raise Http404
    return HttpResponseRedirect(estate.get_absolute_url())
