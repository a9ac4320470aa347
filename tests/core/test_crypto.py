"""Envelope encryption primitives and blind indexes (R35, R39, R57)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core import crypto

KEY = crypto.new_data_key()
AAD = crypto.field_aad("cases", "given_name", "row-1", "key-1")


@given(st.binary(max_size=2048))
def test_seal_then_unseal_round_trips(plaintext: bytes) -> None:
    assert crypto.unseal(KEY, crypto.seal(KEY, plaintext, AAD), AAD) == plaintext


def test_nonces_are_fresh() -> None:
    assert crypto.seal(KEY, b"same", AAD) != crypto.seal(KEY, b"same", AAD)


@pytest.mark.parametrize(
    "other",
    [
        crypto.field_aad("cases", "given_name", "row-2", "key-1"),  # another row
        crypto.field_aad("cases", "family_name", "row-1", "key-1"),  # another column
        crypto.field_aad("notes", "given_name", "row-1", "key-1"),  # another table
        crypto.field_aad("cases", "given_name", "row-1", "key-2"),  # another key id
    ],
)
def test_ciphertext_moved_elsewhere_fails(other: bytes) -> None:
    sealed = crypto.seal(KEY, b"canary-name", AAD)
    with pytest.raises(crypto.DecryptionError):
        crypto.unseal(KEY, sealed, other)


@given(st.integers(min_value=0, max_value=200), st.integers(min_value=0, max_value=7))
def test_any_flipped_bit_fails(position: int, bit: int) -> None:
    sealed = bytearray(crypto.seal(KEY, b"canary-value-" * 10, AAD))
    sealed[position % len(sealed)] ^= 1 << bit
    with pytest.raises(crypto.DecryptionError):
        crypto.unseal(KEY, bytes(sealed), AAD)


def test_wrong_key_and_garbage_fail() -> None:
    sealed = crypto.seal(KEY, b"x", AAD)
    with pytest.raises(crypto.DecryptionError):
        crypto.unseal(crypto.new_data_key(), sealed, AAD)
    for garbage in (b"", b"\x01", b"\x02" + sealed[1:], b"plain text value"):
        with pytest.raises(crypto.DecryptionError):
            crypto.unseal(KEY, garbage, AAD)


def test_wrapped_data_key_is_bound_to_its_row_and_version() -> None:
    master = crypto.new_data_key()
    wrapped = crypto.wrap(master, KEY, "key-1", 1)
    assert crypto.unwrap(master, wrapped, "key-1", 1) == KEY
    for key_id, version in (("key-2", 1), ("key-1", 2)):
        with pytest.raises(crypto.DecryptionError):
            crypto.unwrap(master, wrapped, key_id, version)


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("Amina  Diallo", "amina diallo"),
        ("AMINA DIALLO", " Amina Diallo "),
        ("Éloïse Müller", "eloise muller"),
        ("ｆｕｌｌ ｗｉｄｔｈ", "full width"),
        ("Straße", "STRASSE"),
    ],
)
def test_blind_index_normalisation_collides_as_intended(left: str, right: str) -> None:
    index_key = crypto.new_data_key()
    assert crypto.blind_index(index_key, "person", left, "1999") == crypto.blind_index(
        index_key, "person", right, "1999"
    )


def test_blind_index_separates_keys_purposes_and_values() -> None:
    one, two = crypto.new_data_key(), crypto.new_data_key()
    base = crypto.blind_index(one, "person", "amina diallo", "1999")
    assert len(base) == crypto.INDEX_BYTES
    assert base != crypto.blind_index(two, "person", "amina diallo", "1999")
    assert base != crypto.blind_index(one, "partner", "amina diallo", "1999")
    assert base != crypto.blind_index(one, "person", "amina diallo", "2000")
    assert base != crypto.blind_index(one, "person", "amina dialloo", "1999")
    # The separator keeps ("ab", "c") and ("a", "bc") apart.
    assert crypto.blind_index(one, "p", "ab", "c") != crypto.blind_index(one, "p", "a", "bc")


def test_blind_index_is_a_truncated_hmac_sha256_of_the_tagged_normal_form() -> None:
    # Worked out apart from core.crypto: HKDF-SHA256 of bytes 0..31 with info
    # b"passage|blind-index|person", then HMAC-SHA256 of b"n1\x00amina diallo\x1f1999",
    # its first 16 bytes.
    index = crypto.blind_index(bytes(range(32)), "person", " Amina  DIALLO", "1999")
    assert index == bytes.fromhex("27e7baa3d591e0533033e49d27d5faf1")


def test_derived_keys_differ_by_purpose() -> None:
    secret = crypto.new_data_key()
    assert crypto.derive_key(secret, "a") != crypto.derive_key(secret, "b")
    assert len(crypto.derive_key(secret, "a")) == 32
