"""Who is at the shell: recorded as `created_by`/`revoked_by` for what the CLI changes."""

from __future__ import annotations

import getpass


def cli_user() -> str:
    """`cli:<login name>`, or `cli` when the login name cannot be found (a container, say)."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"
