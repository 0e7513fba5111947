"""hall's events cipher: the library's AES-GCM format, nonces drawn in bulk but never reused."""

from __future__ import annotations

import os

import pytest
from eventsourcing.cryptography import AESCipher
from eventsourcing.utils import Environment

from hall.cipher import NONCE, NONCES_PER_DRAW, EventCipher


@pytest.fixture
def env() -> Environment:
    return Environment(env={"CIPHER_KEY": AESCipher.create_key(32)})


def test_ciphertexts_are_the_librarys_both_ways(env: Environment) -> None:
    ours, library = EventCipher(env), AESCipher(env)
    state = "身份证 110101199003074477".encode()

    assert library.decrypt(ours.encrypt(state)) == state
    assert ours.decrypt(library.encrypt(state)) == state


def test_damaged_ciphertexts_are_refused(env: Environment) -> None:
    cipher = EventCipher(env)
    sealed = bytearray(cipher.encrypt(b"state"))
    sealed[-1] ^= 1

    with pytest.raises(ValueError, match="tag"):
        cipher.decrypt(bytes(sealed))
    with pytest.raises(ValueError, match="too short"):
        cipher.decrypt(b"short")


def test_no_nonce_is_handed_out_twice_across_draws(env: Environment) -> None:
    cipher = EventCipher(env)
    nonces = [cipher.encrypt(b"x")[:NONCE] for _ in range(NONCES_PER_DRAW * 2 + 10)]

    assert len(set(nonces)) == len(nonces)


def test_a_forked_child_draws_its_own_nonces(env: Environment) -> None:
    cipher = EventCipher(env)
    cipher.encrypt(b"x")  # the parent now holds a pool of nonces
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # the child: without a fresh draw it would reuse the parent's next nonce
        os.write(write, cipher.encrypt(b"x")[:NONCE])
        os._exit(0)
    os.waitpid(child, 0)
    childs = os.read(read, NONCE)
    os.close(read)
    os.close(write)

    assert len(childs) == NONCE
    assert cipher.encrypt(b"x")[:NONCE] != childs
