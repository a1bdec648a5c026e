"""The verifiable core of the trail: RFC 6962 Merkle tree, C2SP signed notes, the offline bundle verifier.

Standard library and ``cryptography`` only: these modules are exactly what the standalone
``verify.py`` of an export bundle is assembled from.
"""
