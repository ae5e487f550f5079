// The NeuralNet module. See ../shared/DESIGN.md.
