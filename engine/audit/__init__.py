"""The approval trail: canonical entries, RFC 6962 Merkle log, signed checkpoints, verification.

The names below load on first use (PEP 562), so that importing one light module of this package
(``engine.audit.budget`` for a case page) does not load the signing keys' cryptography.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__all__ = [
    "Finding",
    "Signer",
    "VerifyReport",
    "append_entry",
    "checkpoint_now",
    "create_key_file",
    "load_signer",
    "log_origin",
    "verify_log",
]

_HOME = {
    "Signer": "keys", "create_key_file": "keys", "load_signer": "keys",
    "append_entry": "log", "checkpoint_now": "log", "log_origin": "log",
    "Finding": "verify", "VerifyReport": "verify", "verify_log": "verify",
}


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module 'engine.audit' has no attribute {name!r}")
    return getattr(import_module(f"engine.audit.{_HOME[name]}"), name)
