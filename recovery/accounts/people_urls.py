"""The People page (administrators)."""

from django.urls import path

from recovery.accounts import people_views

app_name = "people"

urlpatterns = [
    path("", people_views.people_list, name="list"),
    path("add/", people_views.person_add, name="add"),
    path("<int:pk>/", people_views.person_change, name="change"),
    path("<int:pk>/password-reset/", people_views.person_password_reset, name="password_reset"),
]
