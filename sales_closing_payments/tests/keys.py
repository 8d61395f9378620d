"""Test-only key material shared by the provider engine tests."""

import os

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

DATA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")


def read_data(name):
    """Return the text of a file of tests/data (TEST-ONLY keys)."""
    with open(os.path.join(DATA_DIR, name), encoding="ascii") as handle:
        return handle.read()


def new_key_pair():
    """Return (private_pem, public_pem) of a freshly generated RSA 2048 key."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")
    public_pem = (
        key.public_key()
        .public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        .decode("ascii")
    )
    return private_pem, public_pem
