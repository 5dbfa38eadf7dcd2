from django.urls import path

from . import views

app_name = "showcase"

urlpatterns = [
    path("", views.home, name="home"),
    path("estates/", views.estate_list, name="estate_list"),
    path("estates/<slug:slug>/", views.estate_detail, name="estate_detail"),
    path("healthz", views.healthz, name="healthz"),
]
