"""Quarterly monitoring of plans and savings schemes (built in the monitoring issue)."""
