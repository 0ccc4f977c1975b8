"""Reading a YAML file with errors that name the file: configs, rubrics and patient cases."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from workbench.errors import ConfigError, WorkbenchError


def read_yaml(path: str | Path, what: str, error: type[WorkbenchError] = ConfigError,
              invalid: str = "not valid YAML") -> Any:
    """The parsed content of ``path``; a missing, unreadable or malformed file raises ``error``."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(f"{p}: {what} file not found") from None
    except (OSError, UnicodeDecodeError) as e:
        raise error(f"{p}: cannot read {what}: {e}") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise error(f"{p}: {invalid}: {e}") from None
