// Header-only target: this file exists so that SwiftPM compiles the header (and its static asserts) as C.
#include "CONNXRuntime.h"
