"""JSON Lines for backups: Django's own format, with full precision.

Django's JSON encoder cuts datetimes and times to milliseconds, which a backup must not do
(history records are ordered by their timestamps, and a restored row should read back exactly
as it was saved). Everything else is Django's JSON Lines serializer unchanged, one object per
line, so a dump is written and read as a stream.
"""

import datetime

from django.core.serializers import jsonl
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.timezone import is_aware

FORMAT = "backup-jsonl"


class FullPrecisionEncoder(DjangoJSONEncoder):
    def default(self, o):
        if isinstance(o, datetime.datetime):
            text = o.isoformat()
            return text.removesuffix("+00:00") + "Z" if text.endswith("+00:00") else text
        if isinstance(o, datetime.time):
            if is_aware(o):
                raise ValueError("JSON can't represent timezone-aware times.")
            return o.isoformat()
        return super().default(o)


class Serializer(jsonl.Serializer):
    def _init_options(self):
        self.options.setdefault("cls", FullPrecisionEncoder)
        super()._init_options()


Deserializer = jsonl.Deserializer


def register():
    """Make the format known to dumpdata and to serializers.deserialize (idempotent)."""
    from django.core import serializers

    if FORMAT not in serializers.get_serializer_formats():
        serializers.register_serializer(FORMAT, __name__)
