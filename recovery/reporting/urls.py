"""Report URLs: the report pages and their downloads, the dashboard, exceptions and the pack."""

from django.urls import path

import recovery.converters  # noqa: F401  (registers the fy and quarter converters)
from recovery.reporting import views

app_name = "reporting"

urlpatterns = [
    path("", views.index, name="index"),
    path("dashboard/", views.dashboard_latest, name="dashboard_latest"),
    path("dashboard/<fy:year>/", views.dashboard_year, name="dashboard_year"),
    path("dashboard/<fy:year>/<quarter:quarter>/", views.dashboard, name="dashboard"),
    path("appendix/<fy:year>/<quarter:quarter>/", views.appendix, name="appendix"),
    path("transformation/<fy:year>/<quarter:quarter>/", views.transformation, name="transformation"),
    path("exceptions/<fy:year>/<quarter:quarter>/", views.exceptions, name="exceptions"),
    path("pack/<fy:year>/<quarter:quarter>/", views.pack, name="pack"),
    path("plans/<int:pk>/", views.plan, name="plan"),
    path("schemes.csv", views.schemes_csv, name="schemes_csv"),
    path("pdf/<str:result_id>/", views.pdf_status, name="pdf_status"),
]
