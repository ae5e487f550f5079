#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A config error, always naming the file and line and the expected form.
public struct ConfigError: Error, CustomStringConvertible, Sendable, Equatable {
    public var file: String
    public var line: Int
    public var message: String
    public var description: String { line > 0 ? "\(file):\(line): \(message)" : "\(file): \(message)" }
}

/// A parsed `mlperf.conf` / `user.conf` / `audit.config`: lines of `model.scenario.key = value`, where model and/or
/// scenario may be `*`. Parsing is all-or-nothing, as in the official LoadGen: one bad line and nothing is applied.
public struct ConfigFile: Sendable {
    public struct Entry: Sendable, Equatable {
        public var model: String
        public var scenario: String
        public var key: String
        public var value: String
        public var line: Int
    }

    /// Which file this is: decides which keys it may set (seeds only from the built-in mlperf.conf).
    public enum Kind: Sendable {
        case mlperfConf, userConf, auditConfig
    }

    public let name: String
    /// Later lines with the same key override earlier ones.
    public private(set) var entries: [String: Entry] = [:]

    /// Parses `text`; `name` is used in error messages.
    public init(name: String, text: String) throws(ConfigError) {
        self.name = name
        var lineNo = 0
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNo += 1
            let tokens = raw.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
            if tokens.isEmpty || tokens[0].hasPrefix("#") { continue }
            let expected = "expected `model.scenario.key = value` (model and scenario may be `*`; value an integer or a number)"
            guard tokens.count >= 3, tokens[1] == "=" else {
                throw ConfigError(file: name, line: lineNo, message: "\(expected), got `\(raw.trimmed)`")
            }
            if tokens.count > 3 {
                let hint = tokens[3].hasPrefix("#") ? " (a comment must be on its own line)" : ""
                throw ConfigError(file: name, line: lineNo,
                                  message: "unexpected text after the value\(hint): `\(raw.trimmed)`; \(expected)")
            }
            let parts = tokens[0].split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count >= 3, parts.allSatisfy({ !$0.isEmpty }) else {
                throw ConfigError(file: name, line: lineNo, message: "key `\(tokens[0])`: \(expected)")
            }
            let value = String(tokens[2])
            // A LoadGen setting's value must be exactly of the setting's type; any other key needs some number.
            if let problem = ConfigFile.typeProblem(key: String(parts[parts.count - 1]), value: value) {
                throw ConfigError(file: name, line: lineNo, message: "`\(tokens[0])`: \(problem)")
            }
            guard ConfigFile.parseUInt(value) != nil || ConfigFile.parseDouble(value) != nil else {
                throw ConfigError(file: name, line: lineNo,
                                  message: "value `\(value)` of `\(tokens[0])` needs to be an integer or a number")
            }
            let e = Entry(model: parts.dropLast(2).joined(separator: "."), scenario: String(parts[parts.count - 2]),
                          key: String(parts[parts.count - 1]), value: value, line: lineNo)
            entries["\(e.model).\(e.scenario).\(e.key)"] = e
        }
    }

    /// Reads and parses a file. A path that is a directory, cannot be opened or fails while being read is an
    /// error (never an empty configuration).
    public init(path: String) throws(ConfigError) {
        var info = stat()
        if stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR {
            throw ConfigError(file: path, line: 0, message: "is a directory, not a config file")
        }
        guard let f = fopen(path, "rb") else {
            throw ConfigError(file: path, line: 0, message: "cannot open: \(String(cString: strerror(errno)))")
        }
        defer { fclose(f) }
        var bytes: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&buf, 1, buf.count, f)
            if n <= 0 { break }
            bytes.append(contentsOf: buf[0..<n])
        }
        if ferror(f) != 0 {
            throw ConfigError(file: path, line: 0, message: "cannot be read: \(String(cString: strerror(errno)))")
        }
        try self.init(name: path, text: String(decoding: bytes, as: UTF8.self))
    }

    /// Keys whose value is a floating-point number (the official LoadGen reads them with `strtod`); every other
    /// known key takes an unsigned integer (read with `strtoull`, base 0).
    /// (`target_latency` is a number for SingleStream and MultiStream, where the official expected latency is a
    /// double; for Server it must be an integer, which `apply` checks.)
    static let numberKeys: Set<String> = ["accuracy_log_probability", "target_latency_percentile", "target_qps",
                                          "target_latency"]
    /// Switches: the official LoadGen reads some as `value == 1` and others as `value != 0`, so any value but 0 and 1
    /// means different things to different keys; only 0 and 1 are accepted.
    static let switchKeys: Set<String> = ["test05", "use_token_latencies", "infer_token_latencies",
                                          "sample_concatenate_permutation", "performance_issue_unique",
                                          "performance_issue_same", "coalesce_queries", "print_timestamps"]
    /// The switches the official LoadGen sets only for exactly 1 (the others: for any value but 0).
    static let switchKeysTrueOnlyForOne: Set<String> = ["test05", "use_token_latencies", "infer_token_latencies",
                                                        "sample_concatenate_permutation"]

    /// Why `value` is not exactly what `key`'s type accepts, with what the official LoadGen does with it instead
    /// (it accepts any token that `strtoul` or `strtod` reads whole, then reads the key's type from the leading part:
    /// `1.5e3` becomes 1 for an integer key, `-5` becomes 2^64 − 5); nil when the value is exact, or when the key is
    /// not a LoadGen setting.
    static func typeProblem(key: String, value: String) -> String? {
        guard knownKeys.contains(key) else { return nil }
        let official: String
        if !officialAcceptsToken(value) {
            official = "the official LoadGen rejects the whole file (value needs to be integer or double)"
        } else if numberKeys.contains(key) {
            official = "the official LoadGen would read \(value.withCString { strtod($0, nil) })"
        } else {
            official = "the official LoadGen would read \(value.withCString { strtoull($0, nil, 0) })"
        }
        if numberKeys.contains(key) {
            var end: UnsafeMutablePointer<CChar>? = nil
            let (d, whole) = value.withCString { p -> (Double, Bool) in
                let d = strtod(p, &end)
                return (d, end.map { $0.pointee == 0 } ?? false)
            }
            if whole && d.isFinite { return nil }
            return "takes a finite number, got `\(value)` (\(official))"
        }
        if let v = parseUInt(value) {
            guard switchKeys.contains(key), v > 1 else { return nil }
            let reads = switchKeysTrueOnlyForOne.contains(key) ? "false (only 1 means true)" : "true"
            return "takes 0 or 1, got `\(value)` (the official LoadGen would read \(reads))"
        }
        return "takes an unsigned integer (decimal, 0x hex or 0-prefixed octal), got `\(value)` (\(official))"
    }

    /// The official line parser's test: the token is read whole by `strtoul(…, 0)` or by `strtod`.
    static func officialAcceptsToken(_ value: String) -> Bool {
        value.withCString { p in
            var end: UnsafeMutablePointer<CChar>? = nil
            _ = strtoul(p, &end, 0)
            if let e = end, e.pointee == 0, e != UnsafeMutablePointer(mutating: p) { return true }
            _ = strtod(p, &end)
            if let e = end, e.pointee == 0, e != UnsafeMutablePointer(mutating: p) { return true }
            return false
        }
    }

    /// The official lookup order: `model.scenario.key`, `*.scenario.key`, `model.*.key`, `*.*.key`.
    public func lookup(model: String, scenario: String, key: String) -> Entry? {
        entries["\(model).\(scenario).\(key)"] ?? entries["*.\(scenario).\(key)"]
            ?? entries["\(model).*.\(key)"] ?? entries["*.*.\(key)"]
    }

    /// `strtoull(value, base 0)` accepting the whole token (decimal, `0x` hex, leading-zero octal).
    static func parseUInt(_ s: String) -> UInt64? {
        guard !s.isEmpty, !s.hasPrefix("-"), !s.hasPrefix("+") else { return nil }
        let lower = s.lowercased()
        if lower.hasPrefix("0x") { return UInt64(lower.dropFirst(2), radix: 16) }
        if lower.count > 1 && lower.hasPrefix("0") { return UInt64(lower.dropFirst(), radix: 8) }
        return UInt64(lower)
    }

    static func parseDouble(_ s: String) -> Double? { Double(s) }

    /// The value as an unsigned integer; a number with a fraction is truncated (the official `strtoull` does the same).
    static func uintValue(_ s: String) -> UInt64 {
        if let u = parseUInt(s) { return u }
        if let d = parseDouble(s), d >= 0 { return UInt64(d) }
        return 0
    }

    static func doubleValue(_ s: String) -> Double {
        if let d = parseDouble(s) { return d }
        if let u = parseUInt(s) { return Double(u) }
        return 0
    }

    /// Keys the official LoadGen reads; anything else is ignored (with a warning from `unknownKeys`).
    static let knownKeys: Set<String> = [
        "qsl_rng_seed", "sample_index_rng_seed", "schedule_rng_seed", "accuracy_log_probability", "test05",
        "test05_qsl_rng_seed", "test05_sample_index_rng_seed", "test05_schedule_rng_seed", "mode",
        "use_token_latencies", "ttft_latency", "tpot_latency", "infer_token_latencies", "token_latency_scaling_factor",
        "target_latency_percentile", "samples_per_query", "target_latency", "performance_issue_unique",
        "performance_issue_same", "performance_issue_same_index", "sample_concatenate_permutation",
        "coalesce_queries", "max_async_queries", "min_duration", "max_duration", "min_query_count", "max_query_count",
        "performance_sample_count_override", "accuracy_sample_count_override", "target_qps", "print_timestamps",
        "accuracy_log_rng_seed", "accuracy_log_sampling_target",
    ]
    static let mlperfConfOnlyKeys: Set<String> = [
        "qsl_rng_seed", "sample_index_rng_seed", "schedule_rng_seed", "accuracy_log_probability", "test05",
        "test05_qsl_rng_seed", "test05_sample_index_rng_seed", "test05_schedule_rng_seed",
    ]

    /// Human-readable notes about lines that will have no effect (unknown keys, seeds outside mlperf.conf).
    public func notes(kind: Kind) -> [String] {
        entries.values.sorted { $0.line < $1.line }.compactMap { e in
            if !ConfigFile.knownKeys.contains(e.key) {
                return "\(name):\(e.line): key `\(e.key)` is not a LoadGen setting; ignored"
            }
            if kind != .mlperfConf && ConfigFile.mlperfConfOnlyKeys.contains(e.key) {
                return "\(name):\(e.line): `\(e.key)` may only be set by the built-in mlperf.conf; ignored"
            }
            return nil
        }
    }
}

extension Substring {
    var trimmed: String {
        String(self.drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" || $0 == "\r" }).reversed())
    }
}

extension TestSettings {
    /// Applies a config file for `model` (the official FromConfig; audit.config is applied with model `*`).
    public mutating func apply(_ conf: ConfigFile, model: String, kind: ConfigFile.Kind) throws(ConfigError) {
        let model = kind == .auditConfig ? "*" : model
        let scen = scenario.rawValue
        func find(_ key: String, _ s: String? = nil) -> String? {
            conf.lookup(model: model, scenario: s ?? scen, key: key)?.value
        }
        func u(_ key: String, _ s: String? = nil) -> UInt64? { find(key, s).map(ConfigFile.uintValue) }
        func d(_ key: String, _ s: String? = nil) -> Double? { find(key, s).map(ConfigFile.doubleValue) }
        func b(_ key: String, _ s: String? = nil) -> Bool? {
            u(key, s).map { ConfigFile.switchKeysTrueOnlyForOne.contains(key) ? $0 == 1 : $0 != 0 }
        }
        /// A number of milliseconds (fractions allowed), as whole nanoseconds.
        func msNumber(_ key: String, _ s: String) throws(ConfigError) -> UInt64? {
            guard let entry = conf.lookup(model: model, scenario: s, key: key) else { return nil }
            let ns = ConfigFile.doubleValue(entry.value) * 1e6
            guard ns.isFinite, ns >= 0, ns < 9.2e18 else {
                throw ConfigError(file: conf.name, line: entry.line,
                                  message: "`\(key)` = \(entry.value) ms is not a usable latency in nanoseconds")
            }
            return UInt64(ns.rounded())
        }
        /// A value in milliseconds, as nanoseconds; one that does not fit in 64 bits is an error, not a trap.
        func ms(_ key: String, _ s: String) throws(ConfigError) -> UInt64? {
            guard let entry = conf.lookup(model: model, scenario: s, key: key) else { return nil }
            let v = ConfigFile.uintValue(entry.value).multipliedReportingOverflow(by: 1_000_000)
            if v.overflow {
                throw ConfigError(file: conf.name, line: entry.line,
                                  message: "`\(key)` = \(entry.value) ms does not fit in 64-bit nanoseconds")
            }
            return v.partialValue
        }

        if kind == .mlperfConf {
            if let v = u("qsl_rng_seed") { qslRngSeed = v }
            if let v = u("sample_index_rng_seed") { sampleIndexRngSeed = v }
            if let v = u("schedule_rng_seed") { scheduleRngSeed = v }
            if let v = d("accuracy_log_probability") { accuracyLogProbability = v * 0.01 }
            if let v = b("test05") { test05 = v }
            if let v = u("test05_qsl_rng_seed") { test05QslRngSeed = v }
            if let v = u("test05_sample_index_rng_seed") { test05SampleIndexRngSeed = v }
            if let v = u("test05_schedule_rng_seed") { test05ScheduleRngSeed = v }
        }
        if let entry = conf.lookup(model: model, scenario: scen, key: "mode") {
            let code = ConfigFile.uintValue(entry.value)
            guard let m = TestMode.allCases.first(where: { UInt64($0.confCode) == code }) else {
                throw ConfigError(file: conf.name, line: entry.line,
                                  message: "mode must be 0 (SubmissionRun), 1 (AccuracyOnly), 2 (PerformanceOnly) or 3 (FindPeakPerformance), got \(entry.value)")
            }
            mode = m
        }
        // As the official FromConfig: the token bounds are read whenever token latencies are on after this key, also
        // when they were turned on by an earlier file (mlperf.conf does it for the LLM benchmarks).
        if let v = b("use_token_latencies") { useTokenLatencies = v }
        if useTokenLatencies {
            if let t = try ms("ttft_latency", "Server") { serverTTFTLatency = t }
            if let t = try ms("tpot_latency", "Server") { serverTPOTLatency = t }
        }
        if let v = b("infer_token_latencies") { inferTokenLatencies = v }
        if inferTokenLatencies, let v = u("token_latency_scaling_factor") { tokenLatencyScalingFactor = v }
        if let v = d("target_latency_percentile", "SingleStream") { singleStreamTargetLatencyPercentile = v * 0.01 }
        if let v = d("target_latency_percentile", "MultiStream") { multiStreamTargetLatencyPercentile = v * 0.01 }
        if let v = d("target_latency_percentile", "Server") { serverTargetLatencyPercentile = v * 0.01 }
        if let v = u("samples_per_query", "MultiStream") { multiStreamSamplesPerQuery = v }
        if let entry = conf.lookup(model: model, scenario: "Server", key: "target_latency"),
           ConfigFile.parseUInt(entry.value) == nil {
            let official = entry.value.withCString { strtoull($0, nil, 0) }
            throw ConfigError(file: conf.name, line: entry.line,
                              message: "`target_latency` for Server takes an unsigned integer (ms), got `\(entry.value)` "
                                + "(the official LoadGen would read \(official))")
        }
        if let v = try ms("target_latency", "Server") { serverTargetLatencyNs = v }
        if let v = try msNumber("target_latency", "SingleStream") { singleStreamExpectedLatencyNs = v }
        if let v = try msNumber("target_latency", "MultiStream") { multiStreamExpectedLatencyNs = v }
        if let v = b("performance_issue_unique") { performanceIssueUnique = v }
        if let v = b("performance_issue_same") { performanceIssueSame = v }
        if let v = u("performance_issue_same_index") { performanceIssueSameIndex = v }
        if let v = b("sample_concatenate_permutation") { sampleConcatenatePermutation = v }
        if let v = b("coalesce_queries", "Server") { serverCoalesceQueries = v }
        if let v = u("max_async_queries", "Server") { serverMaxAsyncQueries = v }
        if let v = u("min_duration") { minDurationMs = v }
        if let v = u("max_duration") { maxDurationMs = v }
        if let v = u("min_query_count") { minQueryCount = v }
        if let v = u("max_query_count") { maxQueryCount = v }
        if let v = u("performance_sample_count_override") { performanceSampleCountOverride = v }
        if let v = u("accuracy_sample_count_override") { accuracySampleCountOverride = v }
        if let v = d("target_qps", "Server") { serverTargetQPS = v }
        if let v = d("target_qps", "Offline") { offlineExpectedQPS = v }
        if let v = b("print_timestamps") { printTimestamps = v }
        if let v = u("accuracy_log_rng_seed") { accuracyLogRngSeed = v }
        if let v = u("accuracy_log_sampling_target") { accuracyLogSamplingTarget = v }
    }
}
