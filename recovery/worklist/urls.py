"""My tasks: the page and the count shown beside it in the navigation."""

from django.urls import path

from recovery.worklist import views

app_name = "worklist"

urlpatterns = [
    path("", views.my_tasks, name="my_tasks"),
    path("count/", views.task_count, name="count"),
]
