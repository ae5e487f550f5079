// The Datasets module. See ../shared/DESIGN.md.
