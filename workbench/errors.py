"""The workbench's one small error hierarchy. The UI turns these into messages."""

from __future__ import annotations


class WorkbenchError(Exception):
    """Base class of every error the workbench raises on purpose."""


class ConfigError(WorkbenchError):
    """A configuration file or value is invalid."""


class InputError(WorkbenchError):
    """User input (a message, a file, a form value) is rejected."""


class ModelLoadError(WorkbenchError):
    """A model or tokenizer could not be loaded."""


class GenerationError(WorkbenchError):
    """A model failed while generating."""


class UnsupportedModelError(ModelLoadError):
    """A checkpoint uses a feature this implementation does not support."""


class DatasetError(WorkbenchError):
    """A dataset file could not be imported; carries row-level errors."""

    def __init__(self, message: str, row_errors: list[str] | None = None) -> None:
        super().__init__(message)
        self.row_errors = list(row_errors or [])


class StoreError(WorkbenchError):
    """The database refused a write or read (read-only, full, locked).

    The message is for users; ``detail`` keeps the driver's own text (tables, SQL, values) for the log.
    """

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.detail = detail


class AuthError(WorkbenchError):
    """The user is not logged in or not allowed to do this."""
