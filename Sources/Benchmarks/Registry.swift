import Serving

/// Every benchmark of the suite. Adding one = its folder plus one line here.
public enum BenchmarkRegistry {
    public static let all: [Benchmark] = [
        FashionMNISTBenchmark.benchmark,
        NCFBenchmark.benchmark,
        SentimentBenchmark.benchmark,
        ResNet50Perf.benchmark,
    ]

    /// The benchmarks `mlperf suite` runs by default (those that train here).
    public static var suite: [Benchmark] { all.filter { $0.training != nil } }

    public static func named(_ name: String) -> Benchmark? { all.first { $0.matches(name) } }

    /// - Throws: `ServingError.unknownBenchmark` listing the known names.
    public static func require(_ name: String) throws -> Benchmark {
        guard let b = named(name) else { throw ServingError.unknownBenchmark(name, known: all.map(\.name)) }
        return b
    }
}
