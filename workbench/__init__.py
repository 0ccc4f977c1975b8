"""BianQue Workbench: compare, rate and export BianQue medical dialogue models."""

__version__ = "0.1.0"
