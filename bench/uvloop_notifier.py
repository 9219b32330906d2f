"""`irm notifier` on uvloop's event loop, for the webhook benchmark's same-run comparison.

The notifier itself runs on asyncio's loop; this installs uvloop's policy first and then runs
the very same command, so the comparison differs in the event loop alone. uvloop is not a
dependency of the project (it did not pay, docs/performance.md): `pip install uvloop` first.
"""

from __future__ import annotations

import importlib

from services.cli.main import notifier

if __name__ == "__main__":
    importlib.import_module("uvloop").install()
    notifier()
