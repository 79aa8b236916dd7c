"""A key store on a PKCS#11 token (an HSM, or SoftHSM2 for development and tests).

:class:`Pkcs11KeyStore` implements :class:`jamana.trust.keys.KeyStore` on one token: each key
is an ECDSA P-256 key pair generated *on* the token, the private half marked
``CKA_SENSITIVE=True`` and ``CKA_EXTRACTABLE=False`` (so no PKCS#11 call, wrapping included,
can ever return its value), both halves labelled with the key's name.

The private keys it returns, :class:`Pkcs11PrivateKey`, implement ``cryptography``'s
:class:`~cryptography.hazmat.primitives.asymmetric.ec.EllipticCurvePrivateKey` interface:
``sign()`` hashes in Python and sends only the digest to the token (``CKM_ECDSA``: SoftHSM
2.6.1 refuses the combined ``CKM_ECDSA_SHA256`` with EC keys, TRUST-NOTES.md), then encodes
the token's ``r || s`` as the DER ``ECDSA-Sig-Value`` every X.509/CMS consumer expects.
``cryptography``'s certificate, CRL and OCSP builders sign by calling the key's ``sign()``,
as do our TSA and PAdES signer, so every signing path in the library works unchanged with
HSM keys; the methods that would reveal the private value (``private_bytes``,
``private_numbers``) and ECDH (``exchange``) raise :class:`KeyStoreError`.

Concurrency: python-pkcs11 initialises the module with ``C_Initialize(NULL)``, which tells it
the application will not call it from several threads at once (PKCS#11 v2.40 §5.4; SoftHSM
then runs without mutexes). Every call into the module therefore goes through one
process-wide lock, and each process keeps one logged-in session per token. A process forked
after the module was initialised re-initialises it before its first call (PKCS#11 §6.7.7:
a child must not use its parent's sessions). A session the token stops honouring (an HSM
restart, say) is replaced on the next call, and a signature interrupted that way is tried once
more; keys find their object handle again on the new session.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any, NoReturn

import pkcs11
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    Prehashed,
    encode_dss_signature,
)
from pkcs11 import Attribute, KeyType, Mechanism, ObjectClass
from pkcs11.exceptions import PKCS11Error
from pkcs11.util.ec import encode_ec_public_key, encode_named_curve_parameters

from jamana.trust.errors import KeyStoreError
from jamana.trust.keys import check_key_name

__all__ = ["DEFAULT_MODULE", "Pkcs11KeyStore", "Pkcs11PrivateKey"]

#: Where Debian's ``softhsm2`` package installs its PKCS#11 module.
DEFAULT_MODULE = "/usr/lib/softhsm/libsofthsm2.so"

# Every key the store creates. P-256: see jamana.trust.keys.
_CURVE_NAME = "secp256r1"

# The attributes that keep a private key on the token. ALWAYS_SENSITIVE and NEVER_EXTRACTABLE
# are set by the token itself: true only if the key was never exposed since its generation.
_KEPT_ON_TOKEN = {
    Attribute.SENSITIVE: True,
    Attribute.EXTRACTABLE: False,
    Attribute.ALWAYS_SENSITIVE: True,
    Attribute.NEVER_EXTRACTABLE: True,
}

# One lock for every call into any PKCS#11 module of this process (see the module docstring).
_LOCK = threading.RLock()


@dataclass
class _Connection:
    """The process's logged-in session on one token."""

    session: Any  # pkcs11.Session (the Cython class is not a usable annotation)
    pid: int
    pin_digest: bytes
    generation: int  # handles found through another connection are not valid on this one


_connections: dict[tuple[str, str], _Connection] = {}
_generations = itertools.count(1)

# A token that lost the session (HSM restarted, network HSM reconnected, session closed): the
# next call opens a new one, and a signature is tried once more.
_SESSION_LOST = (
    pkcs11.exceptions.SessionHandleInvalid,
    pkcs11.exceptions.SessionClosed,
    pkcs11.exceptions.UserNotLoggedIn,
    pkcs11.exceptions.DeviceRemoved,
    pkcs11.exceptions.TokenNotPresent,
    pkcs11.exceptions.KeyHandleInvalid,
    pkcs11.exceptions.ObjectHandleInvalid,
)


def _pin_digest(module: str, token_label: str, pin: str) -> bytes:
    # Only to tell whether a second store brings the same PIN; the PIN itself is not kept.
    return hashlib.sha256(f"{module}\0{token_label}\0{pin}".encode()).digest()


def _connection(module: str, token_label: str, pin: str) -> _Connection:
    """The process's logged-in read/write session on ``token_label`` (call under ``_LOCK``)."""
    if any(c.pid != os.getpid() for c in _connections.values()):
        # Forked since the parent opened its sessions: they are not ours to use (PKCS#11
        # v2.40 §6.7.7), so start the modules afresh in this process.
        modules = {module_path for module_path, _ in _connections}
        _connections.clear()
        for module_path in modules:
            pkcs11.lib(module_path).reinitialize()
    key = (module, token_label)
    digest = _pin_digest(module, token_label, pin)
    connection = _connections.get(key)
    if connection is not None:
        # PKCS#11 logs in the application, not a session: a second C_Login fails, so stores
        # share the session, but only with the PIN that opened it.
        if not hmac.compare_digest(connection.pin_digest, digest):
            raise KeyStoreError(f"token {token_label!r} is already open with another PIN")
        return connection
    try:
        library = pkcs11.lib(module)
    except (OSError, RuntimeError) as exc:  # python-pkcs11 raises RuntimeError for dlopen
        raise KeyStoreError(f"cannot load the PKCS#11 module {module!r}: {exc}") from None
    try:
        token = library.get_token(token_label=token_label)
    except pkcs11.NoSuchToken:
        raise KeyStoreError(f"no PKCS#11 token labelled {token_label!r}") from None
    except pkcs11.MultipleTokensReturned:
        raise KeyStoreError(f"several PKCS#11 tokens are labelled {token_label!r}") from None
    try:
        session = token.open(rw=True, user_pin=pin)
    except pkcs11.UserAlreadyLoggedIn:
        # Logged in through another session of this process (the login is application-wide).
        session = token.open(rw=True)
    except (pkcs11.PinIncorrect, pkcs11.PinLenRange, pkcs11.PinInvalid):
        # Never echo the PIN, not even its length.
        raise KeyStoreError(f"the PIN of token {token_label!r} was refused") from None
    except PKCS11Error as exc:
        raise KeyStoreError(f"cannot open token {token_label!r}: {type(exc).__name__}") from None
    connection = _Connection(
        session=session, pid=os.getpid(), pin_digest=digest, generation=next(_generations)
    )
    _connections[key] = connection
    return connection


def _forget(module: str, token_label: str) -> None:
    """Drop a session the token no longer honours (call under ``_LOCK``)."""
    connection = _connections.pop((module, token_label), None)
    if connection is not None:
        with suppress(PKCS11Error):
            connection.session.close()


@contextmanager
def _token_errors(what: str) -> Iterator[None]:
    """Turn python-pkcs11's exceptions into the trust library's."""
    try:
        yield
    except PKCS11Error as exc:
        raise KeyStoreError(f"{what}: {type(exc).__name__} {exc}".rstrip()) from exc


class Pkcs11PrivateKey(ec.EllipticCurvePrivateKey):
    """An EC private key that stays on a PKCS#11 token; it signs there.

    It is a ``cryptography`` ``EllipticCurvePrivateKey``, so it can be passed wherever the
    trust library (or ``cryptography``'s X.509 builders) take one. Only :meth:`sign` and
    :meth:`public_key` work: :meth:`private_bytes`, :meth:`private_numbers` and
    :meth:`exchange` raise :class:`KeyStoreError`.

    Each signature is verified with the public key before it is returned, so a token fault
    or a key mix-up surfaces here rather than as a document no one can verify.
    """

    def __init__(
        self,
        *,
        store: Pkcs11KeyStore,
        handle: Any,
        generation: int,
        public_key: ec.EllipticCurvePublicKey,
        label: str,
    ) -> None:
        self._store = store
        self._handle = handle
        self._generation = generation
        self._public_key = public_key
        self.label = label
        self.token_label = store.token_label

    def __repr__(self) -> str:
        return f"<Pkcs11PrivateKey {self.label!r} on token {self.token_label!r}>"

    @property
    def pkcs11_object(self) -> Any:
        """The python-pkcs11 private-key object (to inspect its attributes)."""
        with _LOCK:
            return self._current_handle()

    def _current_handle(self) -> Any:
        """The handle on the current session: found again after a fork or a reconnection,
        since object handles belong to a session (call under ``_LOCK``)."""
        connection = self._store._connection()
        if connection.generation != self._generation:
            self._handle = self._store._private_object(self.label)
            self._generation = connection.generation
        return self._handle

    @property
    def curve(self) -> ec.EllipticCurve:
        return self._public_key.curve

    @property
    def key_size(self) -> int:
        return self._public_key.key_size

    def public_key(self) -> ec.EllipticCurvePublicKey:
        return self._public_key

    def sign(
        self,
        data: bytes,
        signature_algorithm: ec.EllipticCurveSignatureAlgorithm,
    ) -> bytes:
        """ECDSA-sign ``data`` on the token; returns the DER ``ECDSA-Sig-Value``.

        ``signature_algorithm`` must be ``ec.ECDSA(hash)`` with any hash ``cryptography``
        knows, or ``ec.ECDSA(Prehashed(hash))`` with ``data`` already a digest.

        Raises:
            KeyStoreError: another algorithm, deterministic signing (RFC 6979, which the
                token does not offer), or a token failure.
        """
        if not isinstance(signature_algorithm, ec.ECDSA):
            raise KeyStoreError("a PKCS#11 EC key only signs with ECDSA")
        if signature_algorithm.deterministic_signing:
            raise KeyStoreError("the token does not offer deterministic ECDSA (RFC 6979)")
        algorithm = signature_algorithm.algorithm
        if isinstance(algorithm, Prehashed):
            if len(data) != algorithm.digest_size:
                raise KeyStoreError("the prehashed data is not a digest of the announced size")
            digest = bytes(data)
            prehashed = signature_algorithm
        else:
            hasher = hashes.Hash(algorithm)
            hasher.update(data)
            digest = hasher.finalize()
            prehashed = ec.ECDSA(Prehashed(algorithm))
        raw = self._sign_on_token(digest)
        # CKM_ECDSA returns r || s, each as long as the group order (PKCS#11 v2.40 §2.3.1).
        size = (self.key_size + 7) // 8
        if len(raw) != 2 * size:
            raise KeyStoreError(f"the token returned a {len(raw)}-byte ECDSA signature")
        signature = encode_dss_signature(
            int.from_bytes(raw[:size], "big"), int.from_bytes(raw[size:], "big")
        )
        try:
            self._public_key.verify(signature, digest, prehashed)
        except InvalidSignature:
            raise KeyStoreError(
                f"the token's signature with key {self.label!r} does not verify"
            ) from None
        return signature

    def _sign_on_token(self, digest: bytes) -> bytes:
        with _LOCK, _token_errors(f"signing with key {self.label!r} failed"):
            try:
                return bytes(self._current_handle().sign(digest, mechanism=Mechanism.ECDSA))
            except _SESSION_LOST:
                self._store._forget()
            return bytes(self._current_handle().sign(digest, mechanism=Mechanism.ECDSA))

    def _refuse(self) -> NoReturn:
        raise KeyStoreError(f"the private key {self.label!r} never leaves its PKCS#11 token")

    def private_numbers(self) -> ec.EllipticCurvePrivateNumbers:
        self._refuse()

    def private_bytes(
        self,
        encoding: serialization.Encoding,
        format: serialization.PrivateFormat,
        encryption_algorithm: serialization.KeySerializationEncryption,
    ) -> bytes:
        self._refuse()

    def exchange(self, algorithm: ec.ECDH, peer_public_key: ec.EllipticCurvePublicKey) -> bytes:
        raise KeyStoreError("PKCS#11 keys of the trust library only sign")

    def __reduce__(self) -> NoReturn:
        raise TypeError(
            f"the PKCS#11 key {self.label!r} cannot be pickled: load it by name where it is needed"
        )

    # The key is a handle to an immutable token object: a copy is the same key.
    def __copy__(self) -> Pkcs11PrivateKey:
        return self

    def __deepcopy__(self, memo: dict[int, object]) -> Pkcs11PrivateKey:
        return self


class Pkcs11KeyStore:
    """ECDSA P-256 keys on the PKCS#11 token labelled ``token_label``, one pair per name.

    :param module: path of the PKCS#11 module (``libsofthsm2.so``, a vendor's library).
    :param token_label: the token's label (``softhsm2-util --init-token --label``).
    :param pin: the token's user PIN; never logged nor put in an exception.

    The token is opened on first use, not here, so configuring a store costs nothing and a
    forked worker opens its own session. Key objects carry ``CKA_LABEL`` = ``CKA_ID`` = the
    key's name; names follow :func:`jamana.trust.keys.check_key_name`.

    Two processes generating the *same* name at the same instant could both create it
    (PKCS#11 has no unique constraint); :meth:`load` then refuses the ambiguous name. The
    platform never does this: key names end in a random suffix.
    """

    def __init__(self, *, module: str, token_label: str, pin: str) -> None:
        if not token_label:
            raise KeyStoreError("a PKCS#11 key store needs a token label")
        if not pin:
            raise KeyStoreError("a PKCS#11 key store needs the token's user PIN")
        self.module = module
        self.token_label = token_label
        self._pin = pin
        # Keys already found (they find their handle again after a fork or a reconnection).
        self._loaded: dict[str, Pkcs11PrivateKey] = {}

    def __repr__(self) -> str:
        return f"<Pkcs11KeyStore token={self.token_label!r} module={self.module!r}>"

    def _connection(self) -> _Connection:
        return _connection(self.module, self.token_label, self._pin)

    def _session(self) -> Any:
        return self._connection().session

    def _forget(self) -> None:
        _forget(self.module, self.token_label)

    def _objects(self, name: str, object_class: ObjectClass) -> list[Any]:
        return list(
            self._session().get_objects(
                {
                    Attribute.CLASS: object_class,
                    Attribute.KEY_TYPE: KeyType.EC,
                    Attribute.LABEL: name,
                }
            )
        )

    def exists(self, name: str) -> bool:
        check_key_name(name)
        with _LOCK, _token_errors(f"cannot search token {self.token_label!r}"):
            return bool(self._objects(name, ObjectClass.PRIVATE_KEY))

    def generate(self, name: str) -> Pkcs11PrivateKey:
        """Generate a P-256 key pair on the token; refuses a name already in use.

        Raises:
            KeyStoreError: the name is invalid or taken, the token fails, or the token did
                not honour ``CKA_SENSITIVE``/``CKA_EXTRACTABLE`` (the pair is then destroyed).
        """
        check_key_name(name)
        with _LOCK, _token_errors(f"cannot generate key {name!r}"):
            if self._objects(name, ObjectClass.PRIVATE_KEY):
                raise KeyStoreError(f"key {name!r} already exists")
            parameters = self._session().create_domain_parameters(
                KeyType.EC,
                {Attribute.EC_PARAMS: encode_named_curve_parameters(_CURVE_NAME)},
                local=True,
            )
            public, private = parameters.generate_keypair(
                id=name.encode(),
                label=name,
                store=True,
                capabilities=pkcs11.MechanismFlag.SIGN | pkcs11.MechanismFlag.VERIFY,
                public_template={Attribute.PRIVATE: False, Attribute.MODIFIABLE: False},
                private_template={
                    Attribute.PRIVATE: True,
                    Attribute.SENSITIVE: True,
                    Attribute.EXTRACTABLE: False,
                    Attribute.DERIVE: False,
                    Attribute.DECRYPT: False,
                    Attribute.UNWRAP: False,
                    Attribute.MODIFIABLE: False,
                },
            )
            kept = {attribute: private[attribute] for attribute in _KEPT_ON_TOKEN}
            if kept != _KEPT_ON_TOKEN:
                private.destroy()
                public.destroy()
                raise KeyStoreError(
                    f"token {self.token_label!r} did not keep key {name!r} sensitive and "
                    "non-extractable"
                )
            key = self._wrap(name, private, public)
        self._loaded[name] = key
        return key

    def load(self, name: str) -> Pkcs11PrivateKey:
        """The key ``name``, as a handle that signs on the token.

        Raises:
            KeyStoreError: no such key, several keys with that name, or a token failure.
        """
        check_key_name(name)
        cached = self._loaded.get(name)
        if cached is not None:
            return cached
        with _LOCK, _token_errors(f"cannot load key {name!r}"):
            private = self._private_object(name)
            publics = self._objects(name, ObjectClass.PUBLIC_KEY)
            if len(publics) != 1:
                raise KeyStoreError(f"key {name!r} has {len(publics)} public key objects")
            key = self._wrap(name, private, publics[0])
        self._loaded[name] = key
        return key

    def _private_object(self, name: str) -> Any:
        """The one private-key object named ``name`` (call under ``_LOCK``)."""
        privates = self._objects(name, ObjectClass.PRIVATE_KEY)
        if not privates:
            raise KeyStoreError(f"no key named {name!r}")
        if len(privates) > 1:
            raise KeyStoreError(f"several keys are named {name!r} on the token")
        return privates[0]

    def _wrap(self, name: str, private: Any, public: Any) -> Pkcs11PrivateKey:
        public_key = serialization.load_der_public_key(encode_ec_public_key(public))
        if not isinstance(public_key, ec.EllipticCurvePublicKey):
            raise KeyStoreError(f"key {name!r} is not an EC key")
        return Pkcs11PrivateKey(
            store=self,
            handle=private,
            generation=self._connection().generation,
            public_key=public_key,
            label=name,
        )
