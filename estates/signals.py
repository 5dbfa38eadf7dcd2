"""What the domain announces and the site acts on (showcase/cache.py keeps the page cache, the
content version and the statistics in step). The domain never imports the site."""

from django.dispatch import Signal

# Public data changed in a way the models' own save and delete signals do not tell: a queryset
# update, a bulk create, a recomputed flag. Sent with `reason`, a short English word naming
# what changed ("nominations", "synthetic data", …), for logs.
public_data_changed = Signal()
