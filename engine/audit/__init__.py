"""The approval trail: canonical entries, RFC 6962 Merkle log, signed checkpoints, verification."""

from engine.audit.keys import Signer, create_key_file, load_signer
from engine.audit.log import append_entry, checkpoint_now, log_origin
from engine.audit.verify import Finding, VerifyReport, verify_log

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
