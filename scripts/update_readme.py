"""Refresh the generated parts of README.md: the real output of
`triage run --build 1234` and the table of formats. Run after changing either.

    python scripts/update_readme.py
"""
from __future__ import annotations

import re
from pathlib import Path

import triage
from triage.ingest.registry import ingestors

README = Path(__file__).resolve().parents[1] / "README.md"


def block(marker: str, body: str, text: str) -> str:
    pattern = re.compile(rf"<!-- {marker} -->.*?<!-- /{marker} -->|<!-- {marker} -->", re.DOTALL)
    return pattern.sub(lambda _: f"<!-- {marker} -->\n{body}\n<!-- /{marker} -->", text, count=1)


def main() -> None:
    report = triage.run("1234")
    output = triage.render(report, "terminal", width=110).rstrip()
    formats = ["| format | kind | default layer | what |", "|---|---|---|---|"]
    for name, ingestor in ingestors().items():
        layer = ingestor.layer.value if ingestor.kind.value == "events" else ""
        formats.append(f"| `{name}` | {ingestor.kind.value} | {layer} | {ingestor.description} |")
    text = README.read_text()
    text = block("output:1234", "```text\n$ triage run --build 1234\n" + output + "\n```", text)
    text = block("formats", "\n".join(formats), text)
    README.write_text(text)


if __name__ == "__main__":
    main()
