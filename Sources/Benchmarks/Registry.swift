import Serving

/// Every benchmark of the suite. Adding one = its folder plus one line here.
public enum BenchmarkRegistry {
    public static let all: [Benchmark] = [
        FashionMNISTBenchmark.benchmark,
        NCFBenchmark.benchmark,
        SentimentBenchmark.benchmark,
        ObjectDetectionBenchmark.benchmark,
        SpeechBenchmark.benchmark,
        TranslationBenchmark.benchmark,
        GoBenchmark.benchmark,
        TextDetectionBenchmark.benchmark,
        ResNet50Perf.benchmark,
    ]

    /// The benchmarks `mlperf suite` runs by default: those that train here.
    public static var suite: [Benchmark] { all.filter { $0.training != nil } }

    /// The benchmarks `mlperf suite --benchmarks` accepts: those that train here, and those whose built-in model has
    /// a known reference quality (text-detection: its four scenarios take ~10 minutes on 2 cores, so it is not in
    /// the default suite).
    public static var suiteEligible: [Benchmark] {
        all.filter { $0.training != nil || ($0.builtInModel != nil && $0.referenceQuality != nil && $0.scoreAccuracy != nil) }
    }

    public static func named(_ name: String) -> Benchmark? { all.first { $0.matches(name) } }

    /// - Throws: `ServingError.unknownBenchmark` listing the known names.
    public static func require(_ name: String) throws -> Benchmark {
        guard let b = named(name) else { throw ServingError.unknownBenchmark(name, known: all.map(\.name)) }
        return b
    }
}
