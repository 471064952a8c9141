"""Hub configuration as data: a YAML file of organizations, hubs and users.

``load_text`` applies a file through the domain services (an idempotent upsert
that rejects a bad file whole, listing every problem with its path);
``dump_text`` writes the same format back. The format is in docs/hubfile.md.
"""

from __future__ import annotations

from pathlib import Path

from hub.hubfile.dump import dump_data, dump_text
from hub.hubfile.load import HubfileInvalid, LoadReport, Problem, load_data, load_text

DEMO_FILE = Path(__file__).resolve().parent / "demo.yaml"

__all__ = [
    "DEMO_FILE",
    "HubfileInvalid",
    "LoadReport",
    "Problem",
    "dump_data",
    "dump_text",
    "load_data",
    "load_text",
]
