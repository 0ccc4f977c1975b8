import sys

from workbench.omp_policy import prefer_passive_waiting

# Before anything imports torch: its OpenMP runtime reads the wait policy once, when it is loaded.
prefer_passive_waiting()

from workbench.cli import main  # noqa: E402

sys.exit(main())
