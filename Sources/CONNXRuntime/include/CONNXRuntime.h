// Our own declarations of the ONNX Runtime C API entries we use (filled in by the ONNXRuntime module work).
#pragma once
