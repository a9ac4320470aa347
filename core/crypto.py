"""Envelope encryption of personal data, field by field, and blind indexes for exact lookup.

Each subject (a person's case, a user's second factor) has its own 256-bit data key. Values
are sealed with AES-256-GCM under that data key, with associated data naming the table,
column, row and data key, so a ciphertext copied to another row or column does not open.
Data keys are stored only wrapped (AES-256-GCM) by a versioned master key kept outside the
database. Destroying a data key (crypto-shredding) makes every copy of its ciphertexts
unreadable, backups included.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import unicodedata
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

FORMAT = b"\x01"  # first byte of every sealed value: the layout below
NONCE_BYTES = 12
KEY_BYTES = 32
INDEX_BYTES = 16
# Bump when normalise() changes; old indexes then need rebuilding. Still n1 after normalise()
# was made idempotent and folded the dotless i: that changed only text n1 left unfolded (a
# capital from a compatibility decomposition, ı), and there is no rebuild yet; a person's
# index over such a name is written anew when their name, birth date or age is corrected.
NORMALISATION = b"n1"


class DecryptionError(Exception):
    """A sealed value failed authentication: tampered, moved, or its key is gone."""


def new_data_key() -> bytes:
    """A fresh random data key."""
    return AESGCM.generate_key(bit_length=KEY_BYTES * 8)


def field_aad(table: str, column: str, row_id: Any, key_id: Any) -> bytes:
    """Associated data binding a value to where it belongs."""
    return f"field|{table}|{column}|{row_id}|{key_id}".encode()


def seal(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    """Encrypt and authenticate ``plaintext`` under ``key`` with a random 96-bit nonce."""
    nonce = os.urandom(NONCE_BYTES)
    return FORMAT + nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def unseal(key: bytes, sealed: bytes, aad: bytes) -> bytes:
    """Decrypt ``sealed``; raise :class:`DecryptionError` unless it is authentic for ``aad``."""
    if len(sealed) < 1 + NONCE_BYTES + 16 or sealed[:1] != FORMAT:
        raise DecryptionError("not a sealed value")
    nonce, body = sealed[1 : 1 + NONCE_BYTES], sealed[1 + NONCE_BYTES :]
    try:
        return AESGCM(key).decrypt(nonce, body, aad)
    except InvalidTag as error:
        raise DecryptionError("sealed value failed authentication") from error


def wrap_aad(key_id: Any, master_version: int) -> bytes:
    """Associated data binding a wrapped data key to its row and master key version."""
    return f"data-key|{key_id}|{master_version}".encode()


def wrap(master: bytes, data_key: bytes, key_id: Any, master_version: int) -> bytes:
    """Wrap ``data_key`` under a master key."""
    return seal(master, data_key, wrap_aad(key_id, master_version))


def unwrap(master: bytes, wrapped: bytes, key_id: Any, master_version: int) -> bytes:
    """Unwrap a data key; raise :class:`DecryptionError` if it was not wrapped for this row."""
    return unseal(master, wrapped, wrap_aad(key_id, master_version))


# The dotless i is the one letter whose capital (I) folds to another letter (i): folded to i,
# as the dot of an accented i is dropped, so that IŞIK and Işık match.
DOTLESS_I = {ord("ı"): "i"}


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(DOTLESS_I))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def normalise(value: str) -> str:
    """Normal form for exact matching: NFKC, case-folded, accents dropped, single spaces.

    Idempotent: folded twice, because a compatibility decomposition can yield a capital that
    the first case folding did not see (ℌ and 𝐀, copied from styled text, give H and A)."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", _fold(_fold(value)))).strip()


def blind_index(index_key: bytes, purpose: str, *parts: str) -> bytes:
    """A keyed, truncated HMAC of the normalised ``parts`` under a key derived for
    ``purpose``: equal inputs give equal indexes, and without the key the index reveals
    nothing."""
    message = NORMALISATION + b"\x00" + b"\x1f".join(normalise(part).encode() for part in parts)
    key = derive_key(index_key, f"blind-index|{purpose}")
    return hmac.new(key, message, hashlib.sha256).digest()[:INDEX_BYTES]


def derive_key(secret: bytes, purpose: str) -> bytes:
    """A 32-byte key for ``purpose`` derived from ``secret`` with HKDF-SHA256."""
    return HKDF(
        algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=b"passage|" + purpose.encode()
    ).derive(secret)
