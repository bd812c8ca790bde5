"""Shared test fixtures.

Real third-party samples are read in place from ``../shared/fixtures/real``
(never copied into the repo). Where that folder is absent (a user's own clone)
the tests that need it skip with the reason; under ``CI=true`` they fail instead.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("TRIAGE_SHARED_DIR", REPO.parent / "shared"))
REAL_FIXTURES = SHARED / "fixtures" / "real"
SAMPLE_DATA = REPO / "sample_data"


def _require(path: Path) -> Path:
    if not path.exists():
        message = (f"{path} is absent: the shared third-party fixtures live beside the "
                   f"repository (set TRIAGE_SHARED_DIR to point elsewhere)")
        if os.environ.get("CI") == "true":
            pytest.fail(message + " - CI must have them")
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def real() -> Path:
    """The folder of real third-party samples (``fixtures/real``)."""
    return _require(REAL_FIXTURES)


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    return _require(SHARED)
