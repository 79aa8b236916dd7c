"""Trust services: pure Python, no Django (PKI, timestamps, seals, Merkle log)."""
