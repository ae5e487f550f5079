import Foundation

/// One figure of a reference system, against which results are scored.
public struct ReferenceFigure: Sendable, Codable, Equatable {
    /// Benchmark (as in the tree) and scenario (`SingleStream`…`Offline`, or `training`).
    public var benchmark: String
    public var scenario: String
    public var value: Double
    /// `Latency (ms)`, `Samples/s`, `Queries/s`, `Tokens/s` or `minutes`.
    public var units: String

    public init(benchmark: String, scenario: String, value: Double, units: String) {
        self.benchmark = benchmark; self.scenario = scenario; self.value = value; self.units = units
    }
}

/// A reference system's results: the denominator of the suite score.
public struct ReferenceResults: Sendable, Codable, Equatable {
    /// The machine and software the figures were measured on, and how.
    public var system: String
    public var note: String
    public var figures: [ReferenceFigure]

    public init(system: String, note: String, figures: [ReferenceFigure]) {
        self.system = system; self.note = note; self.figures = figures
    }

    /// - Throws: `SubmissionError` naming the file when it is missing or malformed.
    public static func read(_ path: String) throws(SubmissionError) -> ReferenceResults {
        guard let data = FileManager.default.contents(atPath: path) else { throw .unreadable(file: path, reason: "no such file") }
        do { return try JSONDecoder().decode(ReferenceResults.self, from: data) } catch {
            throw .invalid(file: path, line: nil, expected: "{system, note, figures: [{benchmark, scenario, value, units}]}",
                           found: "\(error)")
        }
    }

    /// The reference SwiftMLPerf ships (`Rules/reference_results.json`).
    public static func builtIn() throws(SubmissionError) -> ReferenceResults {
        try read(Bundle.module.resourceURL!.appendingPathComponent("Rules/reference_results.json").path)
    }
}

/// The suite score, SPEC-style: the weighted geometric mean of per-result ratios to a reference system, where a
/// ratio above 1 is better than the reference: our throughput / reference throughput, reference latency / our
/// latency, reference time to train / our time to train. Divisions are scored apart.
public struct SuiteScore: Sendable, Codable {
    public struct Ratio: Sendable, Codable {
        public var benchmark, scenario: String
        public var ours, reference, ratio, weight: Double
    }
    public var division: String
    public var score: Double?
    public var ratios: [Ratio]
    /// What limits the comparison (benchmarks missing on either side, mixed scenarios, a different reference machine).
    public var caveats: [String]

    /// - Parameters:
    ///   - results: (benchmark, scenario, value, units) of one division; scenario `training` for time to train.
    ///   - weights: per benchmark (default 1); a weight of 0 leaves a benchmark out.
    public static func compute(division: String, results: [(benchmark: String, scenario: String, value: Double, units: String)],
                               reference: ReferenceResults, weights: [String: Double]) -> SuiteScore {
        var ratios: [Ratio] = [], caveats: [String] = []
        for r in results {
            guard let ref = reference.figures.first(where: { $0.benchmark == r.benchmark && $0.scenario == r.scenario }) else {
                caveats.append("\(r.benchmark) \(r.scenario): not in the reference, not scored")
                continue
            }
            guard ref.units == r.units else {
                caveats.append("\(r.benchmark) \(r.scenario): in \(r.units) here but \(ref.units) in the reference, not scored")
                continue
            }
            let w = weights[r.benchmark] ?? 1
            guard w > 0, r.value > 0, ref.value > 0 else {
                caveats.append("\(r.benchmark) \(r.scenario): left out (weight \(w), value \(r.value))")
                continue
            }
            let lowerIsBetter = r.units.hasPrefix("Latency") || r.units == "minutes"
            ratios.append(Ratio(benchmark: r.benchmark, scenario: r.scenario, ours: r.value, reference: ref.value,
                                ratio: lowerIsBetter ? ref.value / r.value : r.value / ref.value, weight: w))
        }
        let scored = Set(ratios.map { "\($0.benchmark)/\($0.scenario)" })
        let missing = reference.figures.filter { !scored.contains("\($0.benchmark)/\($0.scenario)") }
        if !missing.isEmpty {
            caveats.append("subset: \(missing.count) of the reference's \(reference.figures.count) figures have no result here ("
                           + missing.map { "\($0.benchmark) \($0.scenario)" }.prefix(6).joined(separator: ", ")
                           + (missing.count > 6 ? ", …" : "") + ")")
        }
        if Set(ratios.map(\.scenario)).count > 1 {
            caveats.append("mixed scenarios: latency, throughput and time-to-train ratios are averaged together")
        }
        caveats.append("reference: \(reference.system)")
        let total = ratios.reduce(0) { $0 + $1.weight }
        let score = total > 0 ? exp(ratios.reduce(0) { $0 + $1.weight * log($1.ratio) } / total) : nil
        return SuiteScore(division: division, score: score, ratios: ratios, caveats: caveats)
    }
}
