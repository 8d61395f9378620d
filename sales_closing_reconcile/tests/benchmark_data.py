"""The matching benchmark's data generator, for the engine's tests.

It lives with the benchmarks (``tests/benchmarks/matching_dataset.py``),
not in the addon: the tests run from the repository, they load it by path."""

import importlib.util
from pathlib import Path

PATH = Path(__file__).resolve().parents[2] / "tests" / "benchmarks"


def load_dataset():
    """The module ``tests/benchmarks/matching_dataset.py``."""
    spec = importlib.util.spec_from_file_location(
        "sales_closing_matching_dataset", PATH / "matching_dataset.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


dataset = load_dataset()
