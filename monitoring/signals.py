"""Signals other apps listen to, so monitoring needs to know nothing of them."""

from django.dispatch import Signal

# Sent with ``period`` (a Period) once the lock of a quarter is committed (and again whenever it
# is re-locked after being reopened). Reporting renders the quarter's committee pack on it.
quarter_locked = Signal()
