"""The admin ministry and provincial staff, reviewers and editors work in."""

from . import (  # noqa: F401 - registers the admins
    estates,
    logs,
    nominations,
    notifications,
    objections,
    pending,
    reference,
    reviews,
    staff,
)
