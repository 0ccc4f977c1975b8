"""``python -m workbench.demo [--force] [--cache DIR]``: build (if needed) and print where the demo models are."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from workbench.demo.cache import ensure_demo_models
from workbench.demo.recipe import DEMO_CACHE_DEFAULT


def main(argv: list[str] | None = None) -> int:
    """Build (if needed) and print where the demo models are."""
    parser = argparse.ArgumentParser(
        prog="python -m workbench.demo", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--cache", type=Path, default=DEMO_CACHE_DEFAULT, help="cache folder (default: %(default)s)"
    )
    parser.add_argument("--force", action="store_true", help="rebuild even when the cache is fresh")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    models = ensure_demo_models(args.cache, force=args.force, progress=lambda m: print(m, file=sys.stderr))
    took = time.perf_counter() - start
    print(f"v1: {models.v1_path}")
    print(f"v2: {models.v2_path}")
    print(f"{'built' if models.built else 'cached'} in {took:.1f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
