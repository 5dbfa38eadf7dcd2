from django.db import models
from django.utils.translation import gettext_lazy as _


class Versioned(models.Model):
    """A number that moves on with every save, so a form opened before someone else saved can
    tell (estates/versions.py) instead of silently overwriting their changes."""

    version = models.PositiveIntegerField(_("版本"), default=0, editable=False)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        self.version = (self.version or 0) + 1
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "version"}
        super().save(*args, **kwargs)
