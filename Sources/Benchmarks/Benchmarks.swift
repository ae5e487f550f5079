// The Benchmarks module. See ../shared/DESIGN.md.
