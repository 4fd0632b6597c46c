"""Lambda SnapStart hooks (issue 15; the API functions have ``SnapStart: ApplyOn: PublishedVersions`` in the
template). Lambda initialises a published version once, runs the before-snapshot hooks, snapshots the memory,
and resumes every new execution environment of that version from the snapshot, running the after-restore hooks.

* **Priming** (before the snapshot): what a first request would do that needs no I/O - imports made lazily,
  request models built on first use - is done once, so restored environments start with it done. Priming never
  talks to AWS (no client is built: credentials and connections must not be frozen into a snapshot).
* **Uniqueness** (after restore): every environment restored from one snapshot starts with the same memory,
  so the same ``random`` state. ``hourbank.kernel.ids`` draws on ``secrets`` (the OS, never in a snapshot); the retry
  jitter (``hourbank.store.transactions``) uses ``random``, and identical jitter in environments restored together would
  retry in step - so ``random`` is reseeded from the OS after every restore.

The hooks are registered through ``snapshot_restore_py``, which Lambda's Python runtimes (3.12+) ship, and only
in an Init that Lambda will snapshot: it says so in its own variable ``AWS_LAMBDA_INITIALIZATION_TYPE=snap-start``
(``on-demand`` otherwise). Elsewhere (the local stack, which imports many environments in one process; tests;
a function without SnapStart) nothing is registered, and nothing keeps a reference to the resolvers.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable

try:
    from snapshot_restore_py import register_after_restore, register_before_snapshot
except ImportError:  # not Lambda's runtime: no snapshot will be taken
    register_after_restore = register_before_snapshot = None  # type: ignore[assignment]


def reseed() -> None:
    """After a restore: fresh entropy for ``random`` (the retry jitter), unlike every sibling environment."""
    random.seed()


def register(prime: Callable[[], object]) -> bool:
    """Prime before the snapshot and reseed after each restore. False where no snapshot will be taken."""
    if register_before_snapshot is None or register_after_restore is None:
        return False
    if os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE") != "snap-start":  # Lambda's own variable, not settings
        return False
    register_before_snapshot(prime)
    register_after_restore(reseed)
    return True
