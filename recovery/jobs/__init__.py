"""Background jobs that survive a killed worker (API and rules: recovery/jobs/services.py)."""
