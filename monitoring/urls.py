"""Monitoring URLs: quarters and their lock, the scheme grid, updates and the tracker import."""

from django.urls import path

import recovery.converters  # noqa: F401  (registers the fy and quarter converters)
from monitoring import commentary_views, import_views, plan_import_views, views

app_name = "monitoring"

urlpatterns = [
    path("", views.quarter_list, name="quarters"),
    path("import/", import_views.tracker_upload, name="tracker_upload"),
    path("import/template.xlsx", import_views.tracker_template, name="tracker_template"),
    path("import/<str:token>/confirm/", import_views.tracker_confirm, name="tracker_confirm"),
    path("import/jobs/<str:job_id>/", import_views.tracker_job, name="tracker_job"),
    path("import/<str:token>/problems.csv", import_views.tracker_problems, name="tracker_problems"),
    path("import-plans/", plan_import_views.plan_import_upload, name="plan_import"),
    path("import-plans/<str:token>/confirm/", plan_import_views.plan_import_confirm, name="plan_import_confirm"),
    path("<fy:year>/<quarter:quarter>/lock/", views.quarter_lock, name="lock"),
    path("<fy:year>/<quarter:quarter>/reopen/", views.quarter_reopen, name="reopen"),
    path("<fy:year>/<quarter:quarter>/schemes/", views.scheme_grid, name="grid"),
    path("<fy:year>/<quarter:quarter>/schemes/<int:scheme_pk>/", views.scheme_row, name="scheme_row"),
    path("<fy:year>/<quarter:quarter>/plans/", views.plan_update_list, name="plan_updates"),
    path("<fy:year>/<quarter:quarter>/summary/", commentary_views.quarter_summary, name="summary"),
    path("schemes/<int:scheme_pk>/history/", views.scheme_history, name="scheme_history"),
    path("plans/<int:pk>/<quarter:quarter>/", views.plan_update, name="plan_update"),
    path("plans/<int:pk>/<quarter:quarter>/submit/", views.plan_update_submit, name="plan_update_submit"),
    path("plans/<int:pk>/<quarter:quarter>/review/", views.plan_update_review, name="plan_update_review"),
    path("plans/<int:pk>/<quarter:quarter>/dmt/", views.plan_update_dmt, name="plan_update_dmt"),
]
