// Our own declarations of the ONNX Runtime C API: only the entries SwiftMLPerf calls.
//
// The library is never linked at build time. The ONNXRuntime module dlopen()s libonnxruntime.so, looks up the one
// exported symbol `OrtGetApiBase`, asks it for the function table of API version ORTAPI_VERSION_REQUESTED and calls
// through the table declared below.
//
// `OrtApi` is a table of function pointers that upstream only ever appends to, and whose layout is frozen once an
// API version ships. We therefore declare a *prefix* of it: the entries we use at their fixed positions, everything
// in between as opaque `void *` padding. Each used entry's position is checked at compile time against the index
// upstream gives it (see ORTAPI_CHECK below), so a miscounted pad cannot go unnoticed.
#pragma once

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// The API version we ask for. Every entry declared below exists in this version; ORT >= 1.15 provides it.
#define ORTAPI_VERSION_REQUESTED 15

// Opaque handles owned by ONNX Runtime.
typedef struct OrtEnv OrtEnv;
typedef struct OrtStatus OrtStatus;
typedef struct OrtMemoryInfo OrtMemoryInfo;
typedef struct OrtSession OrtSession;
typedef struct OrtValue OrtValue;
typedef struct OrtRunOptions OrtRunOptions;
typedef struct OrtTypeInfo OrtTypeInfo;
typedef struct OrtTensorTypeAndShapeInfo OrtTensorTypeAndShapeInfo;
typedef struct OrtSessionOptions OrtSessionOptions;
typedef struct OrtAllocator OrtAllocator;

/// Element types of a tensor (the values of ONNX's TensorProto.DataType).
typedef enum ORTTensorElementType {
    ORT_ELEMENT_UNDEFINED = 0,
    ORT_ELEMENT_FLOAT = 1,
    ORT_ELEMENT_UINT8 = 2,
    ORT_ELEMENT_INT8 = 3,
    ORT_ELEMENT_UINT16 = 4,
    ORT_ELEMENT_INT16 = 5,
    ORT_ELEMENT_INT32 = 6,
    ORT_ELEMENT_INT64 = 7,
    ORT_ELEMENT_STRING = 8,
    ORT_ELEMENT_BOOL = 9,
    ORT_ELEMENT_FLOAT16 = 10,
    ORT_ELEMENT_DOUBLE = 11,
    ORT_ELEMENT_UINT32 = 12,
    ORT_ELEMENT_UINT64 = 13,
    ORT_ELEMENT_COMPLEX64 = 14,
    ORT_ELEMENT_COMPLEX128 = 15,
    ORT_ELEMENT_BFLOAT16 = 16
} ORTTensorElementType;

/// Severity of ONNX Runtime's own log messages (the minimum that is shown).
typedef enum ORTLoggingLevel {
    ORT_LOG_VERBOSE = 0,
    ORT_LOG_INFO = 1,
    ORT_LOG_WARNING = 2,
    ORT_LOG_ERROR = 3,
    ORT_LOG_FATAL = 4
} ORTLoggingLevel;

/// The error code carried by a non-NULL OrtStatus.
typedef enum ORTErrorCode {
    ORT_CODE_OK = 0,
    ORT_CODE_FAIL = 1,
    ORT_CODE_INVALID_ARGUMENT = 2,
    ORT_CODE_NO_SUCHFILE = 3,
    ORT_CODE_NO_MODEL = 4,
    ORT_CODE_ENGINE_ERROR = 5,
    ORT_CODE_RUNTIME_EXCEPTION = 6,
    ORT_CODE_INVALID_PROTOBUF = 7,
    ORT_CODE_MODEL_LOADED = 8,
    ORT_CODE_NOT_IMPLEMENTED = 9,
    ORT_CODE_INVALID_GRAPH = 10,
    ORT_CODE_EP_FAIL = 11
} ORTErrorCode;

/// Graph optimisation levels accepted by SetSessionGraphOptimizationLevel.
typedef enum ORTGraphOptimizationLevel {
    ORT_OPT_DISABLE_ALL = 0,
    ORT_OPT_ENABLE_BASIC = 1,
    ORT_OPT_ENABLE_EXTENDED = 2,
    ORT_OPT_ENABLE_ALL = 99
} ORTGraphOptimizationLevel;

typedef enum ORTAllocatorType {
    ORT_ALLOCATOR_INVALID = -1,
    ORT_ALLOCATOR_DEVICE = 0,
    ORT_ALLOCATOR_ARENA = 1
} ORTAllocatorType;

typedef enum ORTMemType {
    ORT_MEMTYPE_CPU_INPUT = -2,
    ORT_MEMTYPE_CPU_OUTPUT = -1,
    ORT_MEMTYPE_DEFAULT = 0
} ORTMemType;

/// A NULL status means success; a non-NULL one must be released with ReleaseStatus.
typedef OrtStatus *ORTStatusPtr;

/// Padding for table entries we do not call.
#define ORTAPI_PAD(first, last) void *unused_##first##_##last[(last) - (first) + 1]

/// The C API function table, declared up to GetBuildInfoString (index 254, the last entry of API version 15).
typedef struct OrtApi {
    ORTStatusPtr (*CreateStatus)(ORTErrorCode code, const char *message);                                  // 0
    ORTErrorCode (*GetErrorCode)(const OrtStatus *status);                                                 // 1
    const char *(*GetErrorMessage)(const OrtStatus *status);                                               // 2
    ORTStatusPtr (*CreateEnv)(ORTLoggingLevel level, const char *logID, OrtEnv **out);                     // 3
    ORTAPI_PAD(4, 6);
    ORTStatusPtr (*CreateSession)(const OrtEnv *env, const char *modelPath, const OrtSessionOptions *options,
                                  OrtSession **out);                                                       // 7
    ORTStatusPtr (*CreateSessionFromArray)(const OrtEnv *env, const void *modelData, size_t modelDataLength,
                                           const OrtSessionOptions *options, OrtSession **out);            // 8
    ORTStatusPtr (*Run)(OrtSession *session, const OrtRunOptions *runOptions,
                        const char *const *inputNames, const OrtValue *const *inputs, size_t inputCount,
                        const char *const *outputNames, size_t outputCount, OrtValue **outputs);           // 9
    ORTStatusPtr (*CreateSessionOptions)(OrtSessionOptions **out);                                         // 10
    ORTAPI_PAD(11, 12);
    ORTStatusPtr (*SetSessionExecutionMode)(OrtSessionOptions *options, int mode);                         // 13
    ORTAPI_PAD(14, 22);
    ORTStatusPtr (*SetSessionGraphOptimizationLevel)(OrtSessionOptions *options,
                                                     ORTGraphOptimizationLevel level);                     // 23
    ORTStatusPtr (*SetIntraOpNumThreads)(OrtSessionOptions *options, int threads);                         // 24
    ORTStatusPtr (*SetInterOpNumThreads)(OrtSessionOptions *options, int threads);                         // 25
    ORTAPI_PAD(26, 29);
    ORTStatusPtr (*SessionGetInputCount)(const OrtSession *session, size_t *out);                          // 30
    ORTStatusPtr (*SessionGetOutputCount)(const OrtSession *session, size_t *out);                         // 31
    ORTAPI_PAD(32, 32);
    ORTStatusPtr (*SessionGetInputTypeInfo)(const OrtSession *session, size_t index, OrtTypeInfo **out);   // 33
    ORTStatusPtr (*SessionGetOutputTypeInfo)(const OrtSession *session, size_t index, OrtTypeInfo **out);  // 34
    ORTAPI_PAD(35, 35);
    ORTStatusPtr (*SessionGetInputName)(const OrtSession *session, size_t index, OrtAllocator *allocator,
                                        char **out);                                                       // 36
    ORTStatusPtr (*SessionGetOutputName)(const OrtSession *session, size_t index, OrtAllocator *allocator,
                                         char **out);                                                      // 37
    ORTAPI_PAD(38, 47);
    ORTStatusPtr (*CreateTensorAsOrtValue)(OrtAllocator *allocator, const int64_t *shape, size_t rank,
                                           ORTTensorElementType type, OrtValue **out);                     // 48
    ORTStatusPtr (*CreateTensorWithDataAsOrtValue)(const OrtMemoryInfo *info, void *data, size_t byteCount,
                                                   const int64_t *shape, size_t rank, ORTTensorElementType type,
                                                   OrtValue **out);                                        // 49
    ORTStatusPtr (*IsTensor)(const OrtValue *value, int *out);                                             // 50
    ORTStatusPtr (*GetTensorMutableData)(OrtValue *value, void **out);                                     // 51
    ORTAPI_PAD(52, 54);
    ORTStatusPtr (*CastTypeInfoToTensorInfo)(const OrtTypeInfo *typeInfo,
                                             const OrtTensorTypeAndShapeInfo **out);                       // 55
    ORTAPI_PAD(56, 59);
    ORTStatusPtr (*GetTensorElementType)(const OrtTensorTypeAndShapeInfo *info, ORTTensorElementType *out); // 60
    ORTStatusPtr (*GetDimensionsCount)(const OrtTensorTypeAndShapeInfo *info, size_t *out);                // 61
    ORTStatusPtr (*GetDimensions)(const OrtTensorTypeAndShapeInfo *info, int64_t *dims, size_t count);     // 62
    ORTAPI_PAD(63, 63);
    ORTStatusPtr (*GetTensorShapeElementCount)(const OrtTensorTypeAndShapeInfo *info, size_t *out);        // 64
    ORTStatusPtr (*GetTensorTypeAndShape)(const OrtValue *value, OrtTensorTypeAndShapeInfo **out);         // 65
    ORTAPI_PAD(66, 68);
    ORTStatusPtr (*CreateCpuMemoryInfo)(ORTAllocatorType type, ORTMemType memType, OrtMemoryInfo **out);   // 69
    ORTAPI_PAD(70, 75);
    ORTStatusPtr (*AllocatorFree)(OrtAllocator *allocator, void *pointer);                                 // 76
    ORTAPI_PAD(77, 77);
    ORTStatusPtr (*GetAllocatorWithDefaultOptions)(OrtAllocator **out);                                    // 78
    ORTAPI_PAD(79, 91);
    void (*ReleaseEnv)(OrtEnv *object);                                                                    // 92
    void (*ReleaseStatus)(OrtStatus *object);                                                              // 93
    void (*ReleaseMemoryInfo)(OrtMemoryInfo *object);                                                      // 94
    void (*ReleaseSession)(OrtSession *object);                                                            // 95
    void (*ReleaseValue)(OrtValue *object);                                                                // 96
    void (*ReleaseRunOptions)(OrtRunOptions *object);                                                      // 97
    void (*ReleaseTypeInfo)(OrtTypeInfo *object);                                                          // 98
    void (*ReleaseTensorTypeAndShapeInfo)(OrtTensorTypeAndShapeInfo *object);                              // 99
    void (*ReleaseSessionOptions)(OrtSessionOptions *object);                                              // 100
    ORTAPI_PAD(101, 253);
    const char *(*GetBuildInfoString)(void);                                                               // 254
} OrtApi;

/// What OrtGetApiBase() returns: the way to the versioned function table.
typedef struct OrtApiBase {
    const OrtApi *(*GetApi)(uint32_t version);
    const char *(*GetVersionString)(void);
} OrtApiBase;

/// The type of the library's one entry point, `OrtGetApiBase`, as found with dlsym.
typedef const OrtApiBase *(*ORTGetApiBaseFunction)(void);

// Every used entry sits at the index upstream assigns to it (the table is append-only and frozen per version).
#define ORTAPI_CHECK(name, index) \
    _Static_assert(offsetof(OrtApi, name) == (index) * sizeof(void *), "OrtApi." #name " must be entry " #index)
ORTAPI_CHECK(CreateStatus, 0);
ORTAPI_CHECK(GetErrorCode, 1);
ORTAPI_CHECK(GetErrorMessage, 2);
ORTAPI_CHECK(CreateEnv, 3);
ORTAPI_CHECK(CreateSession, 7);
ORTAPI_CHECK(CreateSessionFromArray, 8);
ORTAPI_CHECK(Run, 9);
ORTAPI_CHECK(CreateSessionOptions, 10);
ORTAPI_CHECK(SetSessionExecutionMode, 13);
ORTAPI_CHECK(SetSessionGraphOptimizationLevel, 23);
ORTAPI_CHECK(SetIntraOpNumThreads, 24);
ORTAPI_CHECK(SetInterOpNumThreads, 25);
ORTAPI_CHECK(SessionGetInputCount, 30);
ORTAPI_CHECK(SessionGetOutputCount, 31);
ORTAPI_CHECK(SessionGetInputTypeInfo, 33);
ORTAPI_CHECK(SessionGetOutputTypeInfo, 34);
ORTAPI_CHECK(SessionGetInputName, 36);
ORTAPI_CHECK(SessionGetOutputName, 37);
ORTAPI_CHECK(CreateTensorAsOrtValue, 48);
ORTAPI_CHECK(CreateTensorWithDataAsOrtValue, 49);
ORTAPI_CHECK(IsTensor, 50);
ORTAPI_CHECK(GetTensorMutableData, 51);
ORTAPI_CHECK(CastTypeInfoToTensorInfo, 55);
ORTAPI_CHECK(GetTensorElementType, 60);
ORTAPI_CHECK(GetDimensionsCount, 61);
ORTAPI_CHECK(GetDimensions, 62);
ORTAPI_CHECK(GetTensorShapeElementCount, 64);
ORTAPI_CHECK(GetTensorTypeAndShape, 65);
ORTAPI_CHECK(CreateCpuMemoryInfo, 69);
ORTAPI_CHECK(AllocatorFree, 76);
ORTAPI_CHECK(GetAllocatorWithDefaultOptions, 78);
ORTAPI_CHECK(ReleaseEnv, 92);
ORTAPI_CHECK(ReleaseStatus, 93);
ORTAPI_CHECK(ReleaseMemoryInfo, 94);
ORTAPI_CHECK(ReleaseSession, 95);
ORTAPI_CHECK(ReleaseValue, 96);
ORTAPI_CHECK(ReleaseRunOptions, 97);
ORTAPI_CHECK(ReleaseTypeInfo, 98);
ORTAPI_CHECK(ReleaseTensorTypeAndShapeInfo, 99);
ORTAPI_CHECK(ReleaseSessionOptions, 100);
ORTAPI_CHECK(GetBuildInfoString, 254);
#undef ORTAPI_CHECK

#ifdef __cplusplus
}
#endif
