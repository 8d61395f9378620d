"""Test-only key material shared by the provider engine tests."""

import os

DATA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")


def read_data(name):
    """Return the text of a file of tests/data (TEST-ONLY keys)."""
    with open(os.path.join(DATA_DIR, name), encoding="ascii") as handle:
        return handle.read()
