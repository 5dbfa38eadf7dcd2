from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EstatesConfig(AppConfig):
    name = "estates"
    verbose_name = _("美好家园小区库")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from .publication import connect_signals
        from .reports import pdf  # noqa: F401  registers the PDF converter's check (estates.W001)

        connect_signals()
