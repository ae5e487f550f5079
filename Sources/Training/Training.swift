// The Training module. See ../shared/DESIGN.md.
