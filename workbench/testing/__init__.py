"""Support shared by the tests and the benchmarks (harnesses, not test cases)."""
