"""Quarterly monitoring: plan updates, savings schemes and their RAG. Imports plans and the shared
kernel, never reporting."""
