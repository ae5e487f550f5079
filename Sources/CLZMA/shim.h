#include <lzma.h>

// liblzma's function-like macros are not visible to Swift: the constants R's xz lazy-load data needs.
static const uint32_t clzma_preset_extreme = LZMA_PRESET_EXTREME;
static const lzma_vli clzma_filter_lzma2 = LZMA_FILTER_LZMA2;
static const lzma_vli clzma_vli_unknown = LZMA_VLI_UNKNOWN;
