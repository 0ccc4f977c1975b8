"""Debian Chromium through Playwright (never `playwright install`)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).parent / "artifacts"


def require_chromium() -> None:
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is missing: apt-get install -y chromium chromium-driver fonts-noto-cjk")


def launch(playwright):
    require_chromium()
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)


# Gradio's virtual table: headers in a header table, the rows as role=row divs below it.
TABLE_JS = """(root) => {
  const headers = [...root.querySelector('table thead').querySelectorAll('th')].map(th => th.innerText.trim());
  const rows = [...root.querySelectorAll('[role=row].virtual-row')].map(
    row => [...row.querySelectorAll('[role=gridcell]')].map(cell => cell.innerText.trim()));
  return {headers, rows};
}"""


def read_table(loc):
    """The rows a Gradio Dataframe (``loc``) shows, under its displayed headers, without filler rows."""
    import pandas as pd

    data = loc.evaluate(TABLE_JS)
    rows = [r for r in data["rows"] if len(r) == len(data["headers"]) and any(r)]
    return pd.DataFrame(rows, columns=data["headers"])
