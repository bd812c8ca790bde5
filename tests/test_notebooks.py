"""Notebooks run top to bottom on sample_data, headless, and are stored without outputs.

Every notebook in notebooks/ is executed (elasticsearch.ipynb needs a running
Elasticsearch and has its own test). The kernel imports triage from this
checkout (PYTHONPATH), not from wherever it is installed. Each notebook's cells
assert what it finds; here we also check that its outputs show those findings.
"""
import json
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p for p in (REPO / "notebooks").glob("*.ipynb") if p.name != "elasticsearch.ipynb")
# What each notebook's outputs must show: its findings on sample_data.
FINDINGS = {
    "investigate_build.ipynb": ["12 tests, 2464 log events", "'logs/app/checkout-api.log': 4.216",
                                "team.search-vendor", "search vendor search-backend.vendor.example:443 failed",
                                "CORS_ALLOWED_ORIGINS", "/api/cart/checkout"],
    "flakiness.ipynb": ["'flaky': 9", "HikariPool-1 - Connection is not available",
                        "broken since 1214 - last passed in 1213", "PromoService.java",
                        "flaky flaky-timing first bad in 1181"],
}


def test_the_notebooks_are_the_ones_whose_findings_are_checked():
    assert sorted(p.name for p in NOTEBOOKS) == sorted(FINDINGS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_stored_without_outputs(path):
    for cell in json.loads(path.read_text())["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_uses_only_the_public_api(path):
    code = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code")
    imports = [line.strip() for line in code.splitlines() if line.strip().startswith(("import ", "from "))]
    assert all(line in ("import pandas as pd", "import triage", "from triage import api") for line in imports)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_and_shows_its_findings(path, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", str(REPO))
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(notebook, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    outputs = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = json.dumps([o.get("data", {}).get("text/plain", o.get("text", "")) for o in outputs])
    for finding in FINDINGS[path.name]:
        assert finding in text, finding
    if path.name == "investigate_build.ipynb":
        assert any("image/png" in o.get("data", {}) for o in outputs)  # the timeline plot
