"""Constants and helpers shared by the browser tests and their fixtures.

A module of its own (not conftest.py) so that test modules can import it.
"""

from __future__ import annotations

import os
from typing import Any

CHROMIUM = os.environ.get("HUB_CHROMIUM", "/usr/bin/chromium")
# The machine's network is closed: without these, Chromium keeps calling home.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "correct-horse-battery"
LANGUAGES = ("nb", "nn", "en")


AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Run axe-core (bundled by axe-playwright-python) for WCAG 2.1 A and AA."""
    from axe_playwright_python.sync_playwright import Axe

    options = {"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]}
    return list(Axe().run(page, options=options).response["violations"])


def format_violations(where: str, violations: list[dict[str, Any]]) -> str:
    lines = [f"{where}: {len(violations)} axe violation(s)"]
    for violation in violations:
        lines.append(f"  [{violation['impact']}] {violation['id']}: {violation['help']}")
        for node in violation["nodes"]:
            target = " ".join(str(t) for t in node["target"])
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            lines.append(f"      {target} -- {summary}")
    return "\n".join(lines)
