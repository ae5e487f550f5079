import Foundation
import MLLog
import ProjectEnvironment

#if canImport(Glibc)
import Glibc
#endif

/// A reference convergence point set: the epochs (or samples) to converge of ≥ 2N reference runs at one batch size.
/// Stored as data in the official layout (`rcps_<benchmark>.json`: a map from record name to `{Benchmark, BS,
/// Hyperparams, "Epochs to converge": [...]}`).
public struct RCPRecord: Sendable, Equatable {
    public var name: String
    public var benchmark: String
    public var batchSize: Double
    public var convergence: [Double]

    public init(name: String, benchmark: String, batchSize: Double, convergence: [Double]) {
        self.name = name
        self.benchmark = benchmark
        self.batchSize = batchSize
        self.convergence = convergence
    }

    /// Parses the official `rcps_<benchmark>.json` layout.
    public static func parseFile(_ json: JSONValue) throws(RulesetError) -> [RCPRecord] {
        guard case .object(let records) = json else { throw RulesetError(file: "", message: "an RCP file is a JSON object") }
        var out: [RCPRecord] = []
        for r in records {
            guard let bs = r.value["BS"]?.doubleValue else {
                throw RulesetError(file: "", message: "RCP record '\(r.key)' has no numeric BS")
            }
            guard case .array(let list)? = r.value["Epochs to converge"] ?? r.value["samples to converge"] else {
                throw RulesetError(file: "", message: "RCP record '\(r.key)' has no \"Epochs to converge\" list")
            }
            out.append(RCPRecord(name: r.key, benchmark: r.value["Benchmark"]?.stringValue ?? "", batchSize: bs,
                                 convergence: list.compactMap(\.doubleValue)))
        }
        return out
    }

    /// The official layout for `records` (what `mlperf train --write-rcp` produces from reference runs).
    public static func fileJSON(_ records: [RCPRecord], creator: String, platform: String,
                                hyperparameters: [JSONField]) -> JSONValue {
        .object(records.map { r in
            JSONField(r.name, .object([
                JSONField("Benchmark", .string(r.benchmark)), JSONField("Creator", .string(creator)),
                JSONField("When", .string("Reference RCPs")), JSONField("Platform", .string(platform)),
                JSONField("BS", r.batchSize.rounded() == r.batchSize ? .int(Int64(r.batchSize)) : .double(r.batchSize)),
                JSONField("Hyperparams", .object(hyperparameters)),
                JSONField("Epochs to converge", .array(r.convergence.map { .double($0) })),
            ]))
        })
    }
}

/// The statistics of one RCP record (spec training.md §6).
public struct RCPStatistics: Sendable, Equatable {
    public var batchSize: Double
    /// Olympic mean (drop `k` from each end).
    public var mean: Double
    /// Population standard deviation of the full list (as the official code; the rules text uses the trimmed list).
    public var stdev: Double
    /// The smallest submission mean not statistically faster than the reference (one-sided t-test, p = 0.05).
    public var minEpochs: Double
    public var maxSpeedup: Double
}

public enum RCPMath {
    public static let alpha = 0.05
    public static let tolerance = 0.0001

    /// Regularized incomplete beta I_x(a, b), by its continued fraction (modified Lentz).
    public static func incompleteBeta(_ x: Double, _ a: Double, _ b: Double) -> Double {
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        let lgammas: Double = lgamma(a + b) - lgamma(a) - lgamma(b)
        let lnFront: Double = lgammas + a * log(x) + b * log(1 - x)
        if x > (a + 1) / (a + b + 2) { return 1 - incompleteBeta(1 - x, b, a) }
        let tiny = 1e-300
        var f = 1.0, c = 1.0, d = 0.0
        for i in 0...400 {
            let m = Double(i / 2)
            let num: Double
            if i == 0 { num = 1 }
            else if i % 2 == 0 {
                let top: Double = m * (b - m) * x
                let bottom: Double = (a + 2 * m - 1) * (a + 2 * m)
                num = top / bottom
            } else {
                let top: Double = (a + m) * (a + b + m) * x
                let bottom: Double = (a + 2 * m) * (a + 2 * m + 1)
                num = -top / bottom
            }
            d = 1 + num * d
            if abs(d) < tiny { d = tiny }
            d = 1 / d
            c = 1 + num / c
            if abs(c) < tiny { c = tiny }
            let cd = c * d
            f *= cd
            if abs(1 - cd) < 1e-15 { break }
        }
        return exp(lnFront) * (f - 1) / a
    }

    /// P(T ≤ t) for Student's t with `df` degrees of freedom.
    public static func studentTCDF(_ t: Double, df: Double) -> Double {
        let x = df / (df + t * t)
        let tail = 0.5 * incompleteBeta(x, df / 2, 0.5)
        return t > 0 ? 1 - tail : tail
    }

    /// One-sided p-value that a submission with mean `m` is not faster than a reference with mean `mean`, both with
    /// stdev `sd` (scipy's `ttest_ind_from_stats`, equal variances, made one-sided as the official checker does).
    public static func oneSidedP(subm m: Double, sd: Double, nSubm: Int, ref mean: Double, nRef: Int) -> Double {
        let df = Double(nSubm + nRef - 2)
        let pooled = ((Double(nSubm - 1) * sd * sd + Double(nRef - 1) * sd * sd) / df).squareRoot()
        let t = (m - mean) / (pooled * (1 / Double(nSubm) + 1 / Double(nRef)).squareRoot())
        return studentTCDF(t, df: df)
    }

    /// Binary search in [0, mean] for the smallest acceptable submission mean. Note the argument order: the
    /// official code passes the candidate with `n_ref` samples and the reference mean with `N − 2`.
    public static func minAcceptableMean(mean: Double, stdev: Double, nRef: Int, submissionRuns: Int) -> Double {
        if stdev == 0 { return mean }
        let nSubm = submissionRuns - 2
        var lo = 0.0, hi = mean
        var mid = (lo + hi) / 2
        while hi - lo > tolerance {
            let p = oneSidedP(subm: mid, sd: stdev, nSubm: nRef, ref: mean, nRef: nSubm)
            if p > alpha { hi = mid } else { lo = mid }
            mid = (lo + hi) / 2
        }
        return mid
    }

    public static func statistics(_ r: RCPRecord, drop k: Int, submissionRuns: Int) -> RCPStatistics {
        let s = r.convergence.sorted()
        let trimmed = s.count > 2 * k ? Array(s[k..<(s.count - k)]) : s
        let mean = trimmed.reduce(0, +) / Double(max(trimmed.count, 1))
        let full = s.reduce(0, +) / Double(max(s.count, 1))
        let sd = (s.map { ($0 - full) * ($0 - full) }.reduce(0, +) / Double(max(s.count, 1))).squareRoot()
        let minE = minAcceptableMean(mean: mean, stdev: sd, nRef: trimmed.count, submissionRuns: submissionRuns)
        return RCPStatistics(batchSize: r.batchSize, mean: mean, stdev: sd, minEpochs: minE, maxSpeedup: mean / minE)
    }
}

/// The verdict of the convergence check for one benchmark directory.
public struct RCPVerdict: Sendable, Equatable {
    public enum Outcome: String, Sendable {
        case pass, fail
        case missingRCP = "missing_rcp"
        case insufficientConvergence = "insufficient_convergence"
        /// Failed, but let through with `--rcp-bypass` (for review), as the official package checker does.
        case bypassed
        /// No run converged, and no more than the dropped number failed: there is nothing to compare with the
        /// reference. (The official checker computes a mean of 1e9 epochs here and calls it a pass; that "pass"
        /// means nothing, and the result has no score anyway.)
        case notApplicable = "not_applicable"
    }
    public var outcome: Outcome
    public var message: String
    public var reference: RCPStatistics?
    /// Olympic mean of the submission's convergence points.
    public var submissionMean: Double?
    /// `RCP mean / submission mean` when the submission converges faster than the reference but within the allowed
    /// speed-up; 1 otherwise. Written as `scaling.json` when > 1.
    public var scalingFactor: Double
    public var passed: Bool { outcome == .pass || outcome == .bypassed }

    public init(outcome: Outcome, message: String, reference: RCPStatistics?, submissionMean: Double?,
                scalingFactor: Double) {
        self.outcome = outcome
        self.message = message
        self.reference = reference
        self.submissionMean = submissionMean
        self.scalingFactor = scalingFactor
    }
    /// One line for people: the outcome and the message ("not applicable: no run converged" on its own).
    public var summary: String { outcome == .notApplicable ? message : "\(outcome.rawValue): \(message)" }
}

/// The convergence point of one run, read as the official RCP checker reads it.
public struct ConvergencePoint: Sendable, Equatable {
    public var batchSize: Double?
    public var benchmark: String?
    /// nil: the run did not converge (no `run_stop` with status success).
    public var point: Double?
}

public enum RCPChecker {
    /// Not-converged runs count as this many epochs, as the official checker does.
    public static let notConverged = 1e9

    /// Benchmarks whose convergence point is the eval's `samples_count`; the others use `epoch_num`.
    public static let samplesCountBenchmarks: Set<String> = [
        "llama2_70b_lora", "flux1", "llama31_405b", "llama31_8b", "gpt_oss_20b", "deepseekv3_671b", "qwen35_397b_grpo", "dlrmv4",
    ]

    /// The `samples_count` (or `epoch_num`, rounded to 3 decimals) of the last `eval_accuracy` before a `run_stop`
    /// with status success.
    public static func convergencePoint(_ log: MLLogParseResult) -> ConvergencePoint {
        var out = ConvergencePoint(batchSize: nil, benchmark: nil, point: nil)
        var last: Double?
        for e in log.entries {
            let r = e.record
            switch r.key {
            case MLLogKey.globalBatchSize: out.batchSize = r.value.doubleValue
            case MLLogKey.submissionBenchmark: out.benchmark = r.value.stringValue
            case MLLogKey.evalAccuracy:
                if samplesCountBenchmarks.contains(out.benchmark ?? "") {
                    last = r.metadata(MLLogMetadataKey.samplesCount)?.doubleValue
                } else if let e = r.metadata(MLLogMetadataKey.epochNum)?.doubleValue {
                    last = (e * 1000).rounded() / 1000
                } else {
                    last = r.metadata(MLLogMetadataKey.samplesCount)?.doubleValue
                }
            case MLLogKey.runStop:
                out.point = r.metadata(MLLogMetadataKey.status)?.stringValue == MLLogRunStatus.success ? last : nil
            default: break
            }
        }
        return out
    }

    /// Judges a benchmark directory's logs as the official checker does: all runs must share one batch size and one
    /// benchmark; then `check(submission:...)`.
    public static func check(logs: [MLLogParseResult], records: [RCPRecord], submissionRuns: Int, drop k: Int = 1,
                             bypass: Bool = false) -> RCPVerdict {
        let points = logs.map(convergencePoint)
        let sizes = Set(points.map { $0.batchSize ?? -1 })
        let names = Set(points.map { $0.benchmark ?? "" })
        guard sizes.count == 1, let bs = sizes.first, bs > 0 else {
            return RCPVerdict(outcome: .fail, message: sizes.count > 1 ? "the runs' global_batch_size values differ" : "no global_batch_size in the logs",
                              reference: nil, submissionMean: nil, scalingFactor: 1)
        }
        guard names.count == 1 else {
            return RCPVerdict(outcome: .fail, message: "the runs' submission_benchmark values differ", reference: nil,
                              submissionMean: nil, scalingFactor: 1)
        }
        return check(submission: points.map(\.point), batchSize: bs, records: records, submissionRuns: submissionRuns,
                     drop: k, bypass: bypass)
    }

    /// Judges a submission's convergence points (`nil` for a run that did not converge) at batch size `bs`.
    /// `submissionRuns` is the benchmark's required number of runs N (the t-test uses N − 2 and 2N).
    public static func check(submission points: [Double?], batchSize bs: Double, records: [RCPRecord],
                             submissionRuns: Int, drop k: Int = 1, bypass: Bool = false) -> RCPVerdict {
        let failed = points.filter { $0 == nil }.count
        if failed > k {
            return RCPVerdict(outcome: .insufficientConvergence,
                              message: "insufficient convergence: \(failed) runs did not converge (at most \(k))",
                              reference: nil, submissionMean: nil, scalingFactor: 1)
        }
        if !points.isEmpty && failed == points.count {
            return RCPVerdict(outcome: .notApplicable, message: "not applicable: no run converged", reference: nil,
                              submissionMean: nil, scalingFactor: 1)
        }
        let n = points.count
        let subm = points.map { $0 ?? notConverged }.sorted()
        let trimmed = n > 2 * k ? Array(subm[k..<(n - k)]) : subm
        let submMean = trimmed.reduce(0, +) / Double(max(trimmed.count, 1))
        let stats = pruned(records.map { RCPMath.statistics($0, drop: k, submissionRuns: submissionRuns) })
        func missing(_ text: String) -> RCPVerdict {
            RCPVerdict(outcome: bypass ? .bypassed : .missingRCP, message: text, reference: nil, submissionMean: submMean,
                       scalingFactor: 1)
        }
        guard !stats.isEmpty else { return missing("cannot find any RCPs") }
        let ref: RCPStatistics
        let how: String
        if let exact = stats.first(where: { $0.batchSize == bs }) {
            ref = exact; how = "RCP found"
        } else if let low = stats.last(where: { $0.batchSize < bs }), let high = stats.first(where: { $0.batchSize > bs }) {
            ref = interpolate(bs, low, high, submissionRuns: submissionRuns)
            how = "RCP interpolation"
        } else if stats.first(where: { $0.batchSize > bs }) != nil {
            // Only larger batch sizes: compare with the smallest one.
            let smallest = stats[0]
            let v = evaluate(ref: smallest, submMean: submMean, how: "RCP not found but slower convergence on smaller batch size")
            return v.outcome == .pass ? v : missing("missing RCP, please submit RCP with BS = \(fmt(bs))")
        } else {
            return missing("missing RCP, please submit RCP with BS = \(fmt(bs))")
        }
        var v = evaluate(ref: ref, submMean: submMean, how: how)
        if v.outcome == .fail && bypass { v.outcome = .bypassed; v.message += "; passed using rcp-bypass" }
        return v
    }

    static func evaluate(ref: RCPStatistics, submMean: Double, how: String) -> RCPVerdict {
        let pass = submMean >= ref.mean / ref.maxSpeedup
        let norm = ref.mean / submMean
        let scale = pass && submMean < ref.mean ? max(1, norm) : 1
        let text = "\(how): reference mean \(fmt(ref.mean)), minimum acceptable \(fmt(ref.minEpochs)), submission mean \(fmt(submMean))"
        return RCPVerdict(outcome: pass ? .pass : .fail, message: (pass ? "passed: " : "FAILED: ") + text,
                          reference: ref, submissionMean: submMean, scalingFactor: scale)
    }

    static func interpolate(_ bs: Double, _ low: RCPStatistics, _ high: RCPStatistics, submissionRuns: Int) -> RCPStatistics {
        let w = (bs - low.batchSize) / (high.batchSize - low.batchSize)
        let mean = low.mean + w * (high.mean - low.mean)
        let sd = low.stdev + w * (high.stdev - low.stdev)
        let minE = RCPMath.minAcceptableMean(mean: mean, stdev: sd, nRef: 2 * submissionRuns, submissionRuns: submissionRuns)
        return RCPStatistics(batchSize: bs, mean: mean, stdev: sd, minEpochs: minE, maxSpeedup: mean / minE)
    }

    /// The official pruning: drop records with a batch size below the fastest-converging one, then interior points
    /// whose mean lies above the interpolation of their neighbours.
    public static func pruned(_ stats: [RCPStatistics]) -> [RCPStatistics] {
        var s = stats.sorted { $0.batchSize < $1.batchSize }
        guard let fastest = s.min(by: { $0.mean < $1.mean }) else { return s }
        s.removeAll { $0.batchSize < fastest.batchSize }
        var i = 1
        while i < s.count - 1 {
            let a = s[i - 1], b = s[i], c = s[i + 1]
            let interp = a.mean + (b.batchSize - a.batchSize) / (c.batchSize - a.batchSize) * (c.mean - a.mean)
            if b.mean > interp { s.remove(at: i) } else { i += 1 }
        }
        return s
    }

    static func fmt(_ d: Double) -> String { String(format: "%.4f", d) }
}

extension TrainingResult {
    /// An RCP record from this session's converged runs (for producing a benchmark's reference convergence points
    /// from ≥ 2N reference runs), or nil when fewer than two runs converged.
    public func rcpRecord(name: String? = nil) -> RCPRecord? {
        let good = runs.filter(\.succeeded)
        let points = good.compactMap(\.convergencePoint)
        guard points.count >= 2, let bs = good.lazy.compactMap(\.batchSize).first else { return nil }
        let id = name ?? "\(benchmark.name)_ref_\(Int(bs))"
        return RCPRecord(name: id, benchmark: benchmark.name, batchSize: bs, convergence: points)
    }

    /// The hyper-parameters logged by the first successful run (what an RCP file records next to its points).
    public func loggedHyperparameters() -> [JSONField] {
        guard let run = runs.first(where: \.succeeded), let data = FileManager.default.contents(atPath: run.logPath) else { return [] }
        let keys: Set<String> = [MLLogKey.globalBatchSize, MLLogKey.optName, MLLogKey.optBaseLearningRate,
                                 MLLogKey.optMomentum, MLLogKey.optWeightDecay]
        var out: [JSONField] = []
        for e in MLLogParser.parse(bytes: [UInt8](data)).entries where keys.contains(e.record.key) && !out.contains(where: { $0.key == e.record.key }) {
            out.append(JSONField(e.record.key, e.record.value))
        }
        return out
    }
}

/// Where the reference convergence points of a benchmark come from, in order:
/// 1. the ruleset's own directory (`training_<ruleset>/rcps_<benchmark>.json`: SwiftMLPerf's benchmarks);
/// 2. the RCP files that the installed PyPI `mlperf-logging` ships (`mlperf_logging/rcp_checker/training_<ruleset>/`,
///    found through the project's Python), which is what the official RCP checker reads.
public struct RCPSource: Sendable, Equatable {
    /// The file found, or nil.
    public var path: String?
    /// Every place looked at, for a "not checked" message.
    public var tried: [String]

    /// Why an RCP file could not be used (one sentence).
    public struct LoadFailure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Reads and parses an RCP file (official layout).
    public static func load(_ path: String) -> Result<[RCPRecord], LoadFailure> {
        guard let data = FileManager.default.contents(atPath: path) else {
            return .failure(LoadFailure(description: "cannot be read"))
        }
        do {
            return .success(try RCPRecord.parseFile(try JSONParser.parse(bytes: [UInt8](data))))
        } catch {
            return .failure(LoadFailure(description: "\(error)"))
        }
    }

    /// Looks for `rcps_<benchmark>.json` for `ruleset`.
    /// - Parameter environment: the process environment (for `MLPERF_PYTHON` / the project's `.venv`).
    public static func locate(benchmark: String, ruleset: String, store: RulesetStore,
                              environment: [String: String]) -> RCPSource {
        let name = "rcps_\(benchmark).json"
        let own = store.directory(ruleset: ruleset).appendingPathComponent(name).path
        if FileManager.default.isReadableFile(atPath: own) { return RCPSource(path: own, tried: [own]) }
        var tried = [own]
        do {
            let python = try ProjectPython.locate(environment: environment).path
            switch PythonPackages.directory(of: "mlperf_logging", python: python) {
            case .success(let dir):
                let official = dir + "/rcp_checker/training_\(ruleset)/" + name
                if FileManager.default.isReadableFile(atPath: official) { return RCPSource(path: official, tried: tried + [official]) }
                tried.append(official)
            case .failure(let failure):
                tried.append(failure.reason)
            }
        } catch {
            tried.append("\(error)")
        }
        return RCPSource(path: nil, tried: tried)
    }
}
