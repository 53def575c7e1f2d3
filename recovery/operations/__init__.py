"""Running the app for years: backup and restore, the health endpoint."""
