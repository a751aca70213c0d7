"""The audit trail: who changed what, written in the caller's transaction."""

from __future__ import annotations

import getpass
import os
import socket
from functools import cache

from jobtui.clock import utc_now
from jobtui.store import AuditEntry


@cache
def actor() -> str:
    """``user@host`` of this process (``JOBTUI_ACTOR`` overrides it)."""
    explicit = os.environ.get("JOBTUI_ACTOR")
    if explicit:
        return explicit
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = str(os.getuid())
    return f"{user}@{socket.gethostname()}"


def record(action: str, target: str = "", detail: str = "") -> None:
    """Append one entry; call it inside the transaction that makes the change."""
    AuditEntry.insert(at=utc_now().timestamp(), actor=actor(), action=action,
                      target=str(target), detail=str(detail)).execute()
