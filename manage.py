#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "recovery.settings")
    from django.core.management import execute_from_command_line
    from django.db.utils import OperationalError

    try:
        execute_from_command_line(sys.argv)
    except OperationalError:
        # Django's own model checks open the database before ours can say why it cannot be
        # (a missing or read-only data directory): say that in a few lines, not a traceback.
        from recovery.checks import refuse_to_start_without_storage

        refuse_to_start_without_storage()  # exits with the storage problems, if there are any
        raise


if __name__ == "__main__":
    main()
