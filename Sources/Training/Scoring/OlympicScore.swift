/// The official strong-scaling score (spec training.md §7): drop `maxDrop` fastest runs and, for each failed run
/// fewer than `maxDrop`, one slowest run; average the rest. More than `maxDrop` failed runs invalidate the result.
public struct OlympicScore: Sendable, Equatable {
    /// The olympic mean in minutes, nil when the result is invalid.
    public var minutes: Double?
    /// The runs (minutes, sorted) that were averaged.
    public var counted: [Double]
    public var failedRuns: Int
    public var maxDrop: Int
    /// Why there is no score, when there is none.
    public var invalidReason: String?

    /// `times`: minutes of the successful runs; `failed`: number of failed runs.
    public init(successfulMinutes times: [Double], failed: Int, maxDrop: Int = 1) {
        self.failedRuns = failed
        self.maxDrop = maxDrop
        let sorted = times.sorted()
        if failed > maxDrop {
            minutes = nil
            counted = []
            invalidReason = "\(failed) failed runs: at most \(maxDrop) may fail (each stands in for a slowest run)"
            return
        }
        let lo = maxDrop
        let hi = sorted.count - (maxDrop - failed)
        guard hi > lo else {
            minutes = nil
            counted = []
            invalidReason = "too few successful runs (\(sorted.count)) to drop \(maxDrop) fastest and \(maxDrop - failed) slowest"
            return
        }
        counted = Array(sorted[lo..<hi])
        minutes = counted.reduce(0, +) / Double(counted.count)
        invalidReason = nil
    }
}

/// Summary statistics of a list of times.
public struct RunStatistics: Sendable, Equatable {
    public var count: Int
    public var mean: Double
    public var median: Double
    /// Sample standard deviation (n − 1), 0 for one value.
    public var standardDeviation: Double
    /// standardDeviation / mean.
    public var coefficientOfVariation: Double
    public var min: Double
    public var max: Double

    public init?(_ values: [Double]) {
        guard !values.isEmpty else { return nil }
        let s = values.sorted()
        count = s.count
        mean = s.reduce(0, +) / Double(s.count)
        median = s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
        let m = mean
        standardDeviation = s.count > 1 ? (s.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(s.count - 1)).squareRoot() : 0
        coefficientOfVariation = mean != 0 ? standardDeviation / mean : 0
        min = s.first!
        max = s.last!
    }
}
