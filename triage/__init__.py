"""triage: why did the canary go red?

The public API lives in ``triage.api`` and is re-exported here.
"""
from __future__ import annotations

__version__ = "0.1.0"

from triage.api import analyze, list_builds, load_build, run  # noqa: E402
from triage.model import Category, Failure, Report  # noqa: E402
from triage.report import render  # noqa: E402

__all__ = ["__version__", "analyze", "list_builds", "load_build", "run", "render",
           "Category", "Failure", "Report"]
