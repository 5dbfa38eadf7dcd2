"""File names of the spreadsheets staff download, in Chinese, and the header that sends them."""

import re
from urllib.parse import quote

# Characters Windows refuses in a file name, and control characters.
_NOT_IN_FILE_NAMES = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')
_NOT_IN_FALLBACK = re.compile(r"[^A-Za-z0-9._-]+")


def file_name(text):
    """A title as a file name that Windows, macOS and WeChat keep as it is."""
    return _NOT_IN_FILE_NAMES.sub("_", text).strip(" .") or "download"


def content_disposition(name, fallback):
    """An attachment named `name` (RFC 6266 / 5987 filename*, which current browsers use)
    with an ASCII `fallback` for older clients. Django's content_disposition_header gives
    the UTF-8 form alone, without a fallback, so it is written here."""
    fallback = _NOT_IN_FALLBACK.sub("-", fallback).strip("-.") or "download"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(file_name(name))}"
