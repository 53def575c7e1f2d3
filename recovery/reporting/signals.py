"""What reporting does when monitoring tells it something happened."""

from __future__ import annotations

import logging
from typing import Any

from recovery.periods import Period

logger = logging.getLogger(__name__)


def prerender_committee_pack(sender: Any, *, period: Period, **kwargs: Any) -> None:
    """A quarter was locked: queue its committee pack, so the first download is a cache hit.
    A queue that cannot take the job must not undo or fail the lock: the pack is then rendered
    on its first download, as before."""
    from recovery.reporting.jobs import committee_pack_submit

    try:
        committee_pack_submit(period=period)
    except Exception:
        logger.exception("Could not queue the committee pack of %s; it will be rendered when first asked for", period)
