"""``build.json``: the build's metadata (CONTRACT §1)."""
from __future__ import annotations

from typing import Any

import orjson

from triage.ingest.base import Head, Ingestor, ParseContext, SourceFile, UnreadableSource
from triage.model import SourceKind

KNOWN_KEYS = {"build", "env", "baseline", "commit", "image", "started_at", "finished_at",
              "flags", "browser", "region", "runner", "changed_paths", "trigger"}


class BuildJsonIngestor(Ingestor):
    name = "build-json"
    kind = SourceKind.METADATA
    description = "build metadata (build, env, baseline, commit, image, runner, ...)"

    def sniff(self, head: Head) -> float:
        doc = head.document
        if not isinstance(doc, dict) or not doc:
            return 0.0
        known = KNOWN_KEYS.intersection(doc)
        if head.path.rsplit("/", 1)[-1] == "build.json" and known:
            return 1.0
        return 0.6 if len(known) >= 3 and {"build", "env"} & known else 0.0

    def parse(self, source: SourceFile, ctx: ParseContext) -> dict[str, Any]:
        try:
            doc = orjson.loads(source.read_bytes())
        except orjson.JSONDecodeError as exc:
            raise UnreadableSource("error", f"build.json is not valid JSON: {exc}") from None
        if not isinstance(doc, dict):
            raise UnreadableSource("error", "build.json must hold a JSON object")
        for key in ("build", "baseline", "commit"):
            if key in doc and doc[key] is not None:
                doc[key] = str(doc[key])
        return doc
