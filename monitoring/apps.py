"""The monitoring app: quarterly updates, savings schemes, their RAG and the quarter lock."""

from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "monitoring"
    verbose_name = "Quarterly monitoring"
