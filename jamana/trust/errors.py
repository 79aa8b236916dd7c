"""The trust library's own exception tree."""


class TrustError(Exception):
    """Base of every error raised by jamana.trust."""


class KeyStoreError(TrustError):
    """A key is missing, cannot be decrypted, or cannot be created."""


class MalformedRequest(TrustError):
    """A protocol request (OCSP, timestamp, PDF) could not be parsed."""
