"""The admin's sign-in belongs to the site: repeated failures are throttled per account and per
client (login_throttle.py). The domain's model admins are in estates/admin/."""

from django.contrib import admin

from .login_throttle import ThrottledAdminAuthenticationForm

admin.site.login_form = ThrottledAdminAuthenticationForm
