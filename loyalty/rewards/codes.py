"""Coupon codes people can read aloud and type: no 0/O, no 1/I, 50 bits of randomness.

Codes are stored normalised (ten characters from :data:`ALPHABET`) and shown as two groups of
five, ``ABCDE-FGHJK``. Whatever a shopper types (lower case, spaces, dashes) is normalised
before lookup, so the shop never has to.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
LENGTH = 10
BITS = LENGTH * (len(ALPHABET).bit_length() - 1)

Generator = Callable[[], str]


def generate() -> str:
    """A fresh normalised code from the OS's cryptographic random source."""
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalise(raw: str) -> str:
    """The stored form of what someone typed: upper case, separators and spaces removed."""
    return "".join(ch for ch in raw.upper() if ch not in " -_\t")


def display(code: str) -> str:
    """The printed form: ``ABCDE-FGHJK``."""
    half = len(code) // 2
    return f"{code[:half]}-{code[half:]}"
