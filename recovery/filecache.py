"""The file cache (var/cache) for a single server, made honest about a missing data directory.

Django's FileBasedCache creates its directory, and every parent, the moment it is opened. Its
own system check opens it, so, depending on the order in which checks run, a missing data
directory was quietly re-created (empty, with no database) before the storage check could say
it was missing. This cache creates its directory on its first write instead, as Django's does
on every write anyway.
"""

from __future__ import annotations

import os
from typing import Any

from django.core.cache.backends.filebased import FileBasedCache


class FileCache(FileBasedCache):
    def __init__(self, dir: str, params: dict[str, Any]) -> None:
        super(FileBasedCache, self).__init__(params)
        self._dir = os.path.abspath(dir)
