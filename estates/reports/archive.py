"""Several nominations' reports as one ZIP, streamed: each .docx is written into the archive
as soon as it is made and handed on, so a campaign of hundreds of reports never sits in
memory whole (StreamingHttpResponse(stream_reports(…))).

Entries are named in the official order, by province and the province's own sequence:
"山东/01-奥正诚园南区.docx"; with several campaigns, each has a folder of its own.
"""

import zipfile

from django.db.models import F, QuerySet
from django.utils import timezone

from .writing import report_queryset, safe_file_name, write_report


class _Pipe:
    """A write-only, unseekable file that hands on what was written since it was last
    emptied. zipfile writes to such a file since Python 3.5 (sizes and CRC go in a data
    descriptor after each entry), so no streaming-ZIP library is needed."""

    def __init__(self):
        self._parts = []

    def write(self, data):
        self._parts.append(bytes(data))
        return len(data)

    def flush(self):
        pass

    def take(self):
        data, self._parts = b"".join(self._parts), []
        return data


def ordered(nominations):
    """The official order: campaign, province's display order, the province's sequence
    (unnumbered last), the estate's pinyin."""
    return nominations.order_by(
        "-campaign__year",
        "campaign__slug",
        "estate__province__display_order",
        F("province_sequence").asc(nulls_last=True),
        "estate__name_pinyin",
        "pk",
    )


def entry_names(nominations):
    """The archive's names for these nominations (in their order), unique: a second
    estate of the same name in the same place gets "-2"."""
    campaigns = {nomination.campaign_id for nomination in nominations}
    names, taken = [], set()
    for nomination in nominations:
        folder = safe_file_name(nomination.estate.province.short_name)
        if len(campaigns) > 1:
            folder = f"{safe_file_name(nomination.campaign.label())}/{folder}"
        stem = safe_file_name(nomination.estate.name)
        if nomination.province_sequence is not None:
            stem = f"{nomination.province_sequence:02d}-{stem}"
        name, n = f"{folder}/{stem}.docx", 2
        while name in taken:
            name, n = f"{folder}/{stem}-{n}.docx", n + 1
        taken.add(name)
        names.append(name)
    return names


def _zip_time(moment):
    # ZIP stores local time without a zone (and no year before 1980).
    local = timezone.localtime(moment)
    when = (local.year, local.month, local.day, local.hour, local.minute, local.second)
    return max(when, (1980, 1, 1, 0, 0, 0))


def stream_reports(nominations):
    """An iterator of bytes making one ZIP of the nominations' .docx reports. A queryset is
    read in the official order with everything a report needs, in a fixed number of queries
    however many nominations it holds; any other iterable is written in its own order."""
    if isinstance(nominations, QuerySet):
        nominations = ordered(report_queryset(nominations))
    # The rows are read at once (their text, a few kB each; never their reports, which are
    # made one at a time) so the entries can be named before the first is written.
    rows = list(nominations)
    names = entry_names(rows)
    pipe = _Pipe()
    # Deflated although a .docx is compressed already: a stored entry of unknown size is
    # one that streaming unzip tools cannot find the end of.
    with zipfile.ZipFile(pipe, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for nomination, name in zip(rows, names, strict=True):
            info = zipfile.ZipInfo(name, date_time=_zip_time(nomination.updated_at))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, write_report(nomination))
            yield pipe.take()
    yield pipe.take()  # the central directory
