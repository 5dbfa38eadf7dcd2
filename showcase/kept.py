"""What a public page derives from every public row, worked out once for the figures this
process holds (showcase/statistics.py keeps them per content version), not for each reader.

The first request after a change pays for it, in each process; the figures of a version are
read again after forget_version() (a test's fresh database), and so is what is kept here.
"""

from functools import wraps

from . import statistics
from .cache import current_version


def with_the_figures(compute):
    """compute() again only when the process holds figures of another version."""
    kept = None

    @wraps(compute)
    def wrapper():
        nonlocal kept
        figures = statistics.current_figures(current_version())
        # The figures object itself: the same version number comes back in a restored
        # database, the same object does not.
        if kept is None or kept[0] is not figures:
            kept = (figures, compute())
        return kept[1]

    return wrapper
