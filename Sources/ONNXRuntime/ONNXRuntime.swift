// The ONNXRuntime module. See ../shared/DESIGN.md.
