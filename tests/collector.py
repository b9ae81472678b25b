"""What the cyclic garbage collector would have to free after some work: the audit pauses the
collector (``app.gc_paused``), so anything left in a cycle stays until the audit ends."""

from __future__ import annotations

import gc
from collections.abc import Callable


def cyclic_garbage(work: Callable[[], object], kind: type) -> list[object]:
    """The objects of ``kind`` that ``work``, run with the collector paused, left in cycles."""
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        work()
        gc.collect()
        return [o for o in gc.garbage if isinstance(o, kind)]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
