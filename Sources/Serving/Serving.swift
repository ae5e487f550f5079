// The Serving module. See ../shared/DESIGN.md.
