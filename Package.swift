// swift-tools-version:6.0
import PackageDescription

// One MLPerf concept, one module. Libraries never print, exit or read arguments: only `mlperf` does.
let package = Package(
    name: "SwiftMLPerf",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "mlperf", targets: ["mlperf"]),
        .executable(name: "go-selfplay", targets: ["go-selfplay"]),
        .library(name: "LoadGen", targets: ["LoadGen"]),
        .library(name: "MLLog", targets: ["MLLog"]),
        .library(name: "Training", targets: ["Training"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // SHA-256 of accuracy logs and model files in submission trees.
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        // Allocation counting for the hot-path check (loadgen-alloc-probe, preloaded by a test).
        .package(url: "https://github.com/ordo-one/malloc-interposer", from: "1.6.1"),
        // HTTP/1.1 client with connection pooling and keep-alive for the network SUTs (NetworkSUT only).
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        // The `:::MLLOG {json}` line format (training logs and LoadGen's detail log).
        .target(name: "MLLog"),
        // The inference load generator. Depends on nothing but the log format.
        .target(name: "LoadGen", dependencies: ["MLLog", "CLoadGenSupport"]),
        .target(name: "CLoadGenSupport"),
        // Time-to-train harness: runs, scoring, RCP, compliance rules.
        .target(name: "Training", dependencies: ["MLLog", "ProjectEnvironment"], resources: [.copy("Rulesets")]),
        // Submission trees, the inference checker, summaries, the suite score and normalization (chips, power, cost).
        .target(name: "Submission", dependencies: ["MLLog", "Training", .product(name: "Crypto", package: "swift-crypto")],
                resources: [.copy("Rules")]),
        // The suite: one folder per benchmark (data, split, QSL, model contract, metric, target, closed rules,
        // trainers) and the registry that lists them.
        // Optimised in debug builds too: the tests serve real test sets whose preparation (log-mel features, image
        // planes) runs here, ~50x slower unoptimised.
        .target(name: "Benchmarks", dependencies: [
            "Datasets", "LoadGen", "MLLog", "NeuralNet", "ONNXRuntime", "ProjectEnvironment", "Serving", "Training",
        ], swiftSettings: [.unsafeFlags(["-O"], .when(configuration: .debug))]),
        // C shims over system libraries.
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CLZMA", path: "Sources/CLZMA", providers: [.apt(["liblzma-dev"])]),
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .target(name: "CONNXRuntime", path: "Sources/CONNXRuntime"),
        // Dataset readers (IDX) and query sample libraries.
        .target(name: "Datasets", dependencies: ["CZlib", "CLZMA", "LoadGen"]),
        // Swift reference models on OpenBLAS: layers, optimizers, training loop, ONNX export.
        // Optimised in debug builds too: the tests train real models (SIMD code unoptimised is ~30x slower).
        .target(name: "NeuralNet", dependencies: ["CBLAS", "Datasets", "MLLog"],
                swiftSettings: [.unsafeFlags(["-O"], .when(configuration: .debug))]),
        // The project's Python interpreter (MLPERF_PYTHON, else the checkout's .venv made by scripts/setup.sh).
        .target(name: "ProjectEnvironment"),
        // ONNX Runtime C API, loaded with dlopen at run time.
        .target(name: "ONNXRuntime", dependencies: ["CONNXRuntime", "ProjectEnvironment"]),
        // Systems under test over real backends (ORT), for LoadGen.
        .target(name: "Serving", dependencies: ["LoadGen", "ONNXRuntime", "Datasets", "ProjectEnvironment"]),
        // SUTs over the network: OpenAI-compatible (completions, chat, SSE streaming, token metrics) and KServe v2
        // (Open Inference Protocol, REST). The only module with an HTTP stack.
        .target(name: "NetworkSUT", dependencies: [
            "Datasets", "LoadGen", "MLLog", "ONNXRuntime", "Serving", .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ], swiftSettings: [.unsafeFlags(["-O"], .when(configuration: .debug))]),  // request encoding: ~10x slower unoptimised
        .executableTarget(
            name: "mlperf",
            dependencies: [
                "LoadGen", "MLLog", "Training", "Benchmarks", "Datasets", "NeuralNet", "ONNXRuntime", "Serving", "NetworkSUT",
                "ProjectEnvironment", "Submission", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // The rules-side helper of the Go reference trainer (references/pytorch/train_go.py): positions, self-play,
        // games against GnuGo.
        .executableTarget(name: "go-selfplay", dependencies: [
            "Benchmarks", "Datasets", "ONNXRuntime", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // Counts LoadGen's heap allocations under the malloc interposer (run by LoadGenTests with LD_PRELOAD).
        .executableTarget(name: "loadgen-alloc-probe", dependencies: [
            "LoadGen", .product(name: "MallocInterposerSwift", package: "malloc-interposer"),
        ]),
        // Scratch directories (removed at exit) and a python runner, shared by the test targets.
        .target(name: "TestSupport", dependencies: ["ProjectEnvironment"], path: "Tests/TestSupport"),
        .testTarget(name: "MLLogTests", dependencies: ["MLLog"]),
        .testTarget(name: "SubmissionTests", dependencies: ["Submission", "MLLog", "LoadGen", "TestSupport"]),
        .testTarget(name: "LoadGenTests", dependencies: ["LoadGen", "MLLog", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "MLLog", "Benchmarks", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets"]),
        .testTarget(name: "NeuralNetTests", dependencies: ["NeuralNet", "Datasets", "CBLAS", "TestSupport"]),
        // Runs the built `mlperf` binary as a user would.
        .testTarget(name: "CLITests", dependencies: ["mlperf", "Submission", "NetworkSUT", "TestSupport"]),
        .testTarget(name: "ProjectEnvironmentTests", dependencies: ["ProjectEnvironment", "TestSupport"]),
        .testTarget(name: "ONNXRuntimeTests", dependencies: ["ONNXRuntime", "TestSupport"]),
        .testTarget(name: "NetworkSUTTests", dependencies: ["NetworkSUT", "LoadGen", "MLLog", "TestSupport",
                                                          .product(name: "NIOCore", package: "swift-nio")]),
        .testTarget(name: "ServingTests", dependencies: ["Serving", "Benchmarks", "LoadGen", "ONNXRuntime", "Datasets", "TestSupport"]),
        .testTarget(name: "BenchmarksTests", dependencies: ["Benchmarks", "Serving", "Datasets", "NeuralNet", "MLLog", "ONNXRuntime", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
