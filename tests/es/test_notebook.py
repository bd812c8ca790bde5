"""notebooks/elasticsearch.ipynb runs top to bottom against the real node.

The node is each engine's (``TRIAGE_ES_URL`` / ``TRIAGE_OS_URL``; the ``es_url`` fixture
skips without one, and fails under ``CI=true``). The notebook loads sample_data under its own
index prefix and deletes it at the end; its cells assert what they find, and here
the outputs must show those findings.
"""
from __future__ import annotations

import json
from pathlib import Path

import nbformat
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parents[2]
NOTEBOOK = REPO / "notebooks" / "elasticsearch.ipynb"
FINDINGS = ["58 builds, 12013 documents into", "expected 2464 documents, received 2464",
            "'flaky': 9", "outage builds: ['1193', '1221']", "crossed ['app', 'gateway', 'ingress']",
            "deleted triage-notebook-logs-ingress"]


def test_notebook_is_stored_without_outputs():
    for cell in json.loads(NOTEBOOK.read_text())["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None


def test_notebook_uses_only_the_public_api():
    code = "\n".join(c.source for c in nbformat.read(NOTEBOOK, as_version=4).cells if c.cell_type == "code")
    imports = [line.strip() for line in code.splitlines() if line.strip().startswith(("import ", "from "))]
    assert imports and all(line in ("import pandas as pd", "import triage", "from triage import api")
                           for line in imports)


def test_notebook_runs_against_the_node_and_shows_its_findings(es_url, engine, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", str(REPO))
    monkeypatch.setenv("TRIAGE_ES_URL", es_url)
    monkeypatch.setenv("TRIAGE_ES_ENGINE", engine)
    monkeypatch.delenv("TRIAGE_ES_INDEX_PREFIX", raising=False)
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(notebook, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    outputs = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = json.dumps([o.get("data", {}).get("text/plain", o.get("text", "")) for o in outputs])
    for finding in FINDINGS:
        assert finding in text, finding
    assert any("image/png" in o.get("data", {}) for o in outputs)  # the timeline plot
