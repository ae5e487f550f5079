import Foundation
import LoadGen
import MLLog
import TestSupport
import Testing

/// Conformance as a property: our LoadGen and the official wheel (PyPI mlcommons-loadgen 6.0.17), a null SUT, the
/// same model, conf, audit.config, QSL and seeds, in every scenario × mode, write the same detail log key for key
/// (order, JSON types, event types, enumerated spellings, error and warning records), the same summary layout and the
/// same accuracy-log entries. The differences allowed are listed in `Allowed`.
@Suite("Conformance with the official LoadGen")
struct ConformanceTests {
    /// What may differ, and why.
    enum Allowed {
        /// Our additions: LoadGen's own issue lag (`swiftmlperf_issue_lag_*`).
        static func oursOnly(_ key: String) -> Bool { key.hasPrefix("swiftmlperf_") }
        /// The official logger's "Logging allocation detected" warning, emitted when its per-thread buffer grows.
        static func officialOnly(_ key: String, _ value: Any) -> Bool {
            key == "warning_generic_message" && "\(value)".hasPrefix("Logging allocation detected")
        }
        /// Keys whose values are timings, dates, builds or measured figures (compared by type only).
        static func measured(_ key: String) -> Bool {
            ["loadgen_", "test_datetime", "sut_name", "qsl_name", "get_sut_name_duration_ns", "power_", "result_",
             "early_stopping_", "generic_message", "num_errors"].contains { key.hasPrefix($0) }
        }
    }

    struct Case: Sendable, CustomStringConvertible {
        var name: String
        var scenario: TestScenario
        var mode: TestMode
        /// A compliance test's audit.config under the oracles (`compliance/…`), or nil.
        var audit: String? = nil
        var description: String { name }
    }

    static let cases: [Case] = TestScenario.allCases.flatMap { s in
        [Case(name: "\(s.rawValue) performance", scenario: s, mode: .performanceOnly),
         Case(name: "\(s.rawValue) accuracy", scenario: s, mode: .accuracyOnly)]
    } + [
        Case(name: "SingleStream submission", scenario: .singleStream, mode: .submissionRun),
        Case(name: "Offline find-peak (no test)", scenario: .offline, mode: .findPeakPerformance),
        Case(name: "SingleStream TEST01", scenario: .singleStream, mode: .performanceOnly, audit: "compliance/TEST01/resnet50/audit.config"),
        Case(name: "Offline TEST01", scenario: .offline, mode: .performanceOnly, audit: "compliance/TEST01/resnet50/audit.config"),
        Case(name: "SingleStream TEST04", scenario: .singleStream, mode: .performanceOnly, audit: "compliance/TEST04/audit.config"),
        Case(name: "MultiStream TEST04", scenario: .multiStream, mode: .performanceOnly, audit: "compliance/TEST04/audit.config"),
    ]

    /// The official tools: `../shared/oracles/mlcommons-inference` beside the checkout (where CI has it), or
    /// `$MLPERF_ORACLES`.
    static let oracles: String = ProcessInfo.processInfo.environment["MLPERF_ORACLES"].flatMap { $0.isEmpty ? nil : $0 }
        ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/oracles/mlcommons-inference").path

    /// Short runs: 200 ms minimum, 100 queries, rates a null SUT meets.
    static let conf = """
    *.*.min_duration = 200
    *.*.min_query_count = 100
    *.Server.target_qps = 2000
    *.Offline.target_qps = 2000
    *.MultiStream.target_latency = 1

    """

    /// A JSON value's class, as json.loads would type it.
    static func kind(_ v: JSONValue) -> String {
        switch v {
        case .null: return "null"
        case .bool: return "bool"
        case .int, .uint: return "int"
        case .double: return "float"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }

    /// Equal values: strings as text, everything else by the numbers it holds (so 1e+07 equals 10000000, true equals
    /// 1, and arrays compare element by element).
    static func same(_ a: Any, _ b: Any) -> Bool {
        if let sa = a as? String, let sb = b as? String { return sa == sb }
        func numbers(_ v: Any) -> [Double] {
            if let n = v as? NSNumber { return [n.doubleValue] }
            if let b = v as? Bool { return [b ? 1 : 0] }
            if let arr = v as? [Any] { return arr.flatMap(numbers) }
            let text = "\(v)"
            if text == "true" { return [1] }
            if text == "false" { return [0] }
            return text.split(whereSeparator: { !($0.isNumber || $0 == "." || $0 == "-" || $0 == "e" || $0 == "+") })
                .compactMap { Double($0) }
        }
        return numbers(a) == numbers(b)
    }

    /// Our detail log's records, read with our strict parser: (key, value as text, is_error, is_warning, JSON type).
    static func records(_ path: String) throws -> [(key: String, value: Any, isError: Bool, isWarning: Bool, kind: String, event: String)] {
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        return try lines.map { line in
            let obj = try JSONParser.parse(line.dropFirst(":::MLLOG ".count))
            guard case .object(let fields) = obj else { throw Failure("not an object: \(line)") }
            func field(_ k: String) -> JSONValue? { fields.first { $0.key == k }?.value }
            var flags: (Bool, Bool) = (false, false)
            if case .object(let md)? = field("metadata") {
                flags = (md.first { $0.key == "is_error" }?.value == .bool(true), md.first { $0.key == "is_warning" }?.value == .bool(true))
            }
            let key: String
            if case .string(let k)? = field("key") { key = k } else { key = "" }
            let value = field("value") ?? .null
            let text: String
            switch value {
            case .string(let s): text = s
            case .int(let i): text = "\(i)"
            case .uint(let u): text = "\(u)"
            case .double(let d): text = "\(d)"
            case .bool(let b): text = b ? "1" : "0"
            default: text = JSONWriter().string(value)
            }
            var event = ""
            if case .string(let e)? = field("event_type") { event = e }
            return (key, text, flags.0, flags.1, kind(value), event)
        }
    }

    @Test("detail log, summary and accuracy log match the official LoadGen", arguments: ConformanceTests.cases)
    func matchesOfficial(_ c: Case) throws {
        let dir = try Scratch.directory("conformance").path
        let confPath = dir + "/user.conf"
        try Self.conf.write(toFile: confPath, atomically: true, encoding: .utf8)
        let audit = c.audit.map { Self.oracles + "/" + $0 }
        if let audit, !FileManager.default.fileExists(atPath: audit) {
            Issue.record(Comment(rawValue: "\(audit) is missing: the official oracles are expected at "
                                 + "../shared/oracles/mlcommons-inference beside the checkout, or at $MLPERF_ORACLES"))
            return
        }
        var s = try TestSettings.official(model: "resnet50", scenario: c.scenario)
        try s.apply(try ConfigFile(path: confPath), model: "resnet50", kind: .userConf)
        s.mode = c.mode
        var options = RunOptions(log: LogSettings(outputDirectory: dir + "/ours"))
        options.model = "resnet50"
        options.auditConfigPath = audit
        let result = try LoadGen.run(sut: NullSUT(), qsl: NullQSL(totalSampleCount: 256, performanceSampleCount: 64),
                                     settings: s, options: options)
        let official = try OfficialProbe.run(conf: confPath, scenario: c.scenario, mode: c.mode, total: 256, perf: 64,
                                             audit: audit)
        #expect(official.fromConfig == 0)

        // Detail log: the same records in the same order, with the same types and (where settings decide) values.
        let ours = try Self.records(dir + "/ours/mlperf_log_detail.txt").filter { !Allowed.oursOnly($0.key) }
        let theirs = official.records.filter { !Allowed.officialOnly($0.key, $0.value) }
        let a = ours.map(\.key), b = theirs.map(\.key)
        if let i = zip(a, b).enumerated().first(where: { $0.element.0 != $0.element.1 })?.offset {
            Issue.record("\(c): detail record \(i) differs: ours `\(a[i])`, official `\(b[i])` (after `\(i > 0 ? b[i - 1] : "")`)")
        }
        #expect(a.count == b.count, "\(c): ours \(a.count) records, official \(b.count); only ours \(Set(a).subtracting(b).sorted()), only official \(Set(b).subtracting(a).sorted())")
        for (x, y) in zip(ours, theirs) where x.key == y.key {
            let kx = x.kind, ky = y.kind
            let numbers = Set([kx, ky]).isSubset(of: ["int", "float"])
            if !(numbers && Allowed.measured(x.key)) {
                #expect(kx == ky, "\(c): \(x.key) is \(kx) here, \(ky) in the official log (\(x.value) vs \(y.value))")
            }
            if !Allowed.measured(x.key) {
                #expect(Self.same(x.value, y.value), "\(c): \(x.key) = \(x.value) here, \(y.value) in the official log")
            }
            #expect(x.isError == y.isError && x.isWarning == y.isWarning, "\(c): \(x.key) error/warning flags differ")
            #expect(x.event == y.event, "\(c): \(x.key) event_type \(x.event) here, \(y.event) in the official log")
        }

        // Summary: the same layout line by line (numbers, the SUT name and our issue-lag block aside).
        let summary = try String(contentsOfFile: dir + "/ours/mlperf_log_summary.txt", encoding: .utf8)
        // The warning-count line differs by the official logger's allocation warnings (allowed): compare the counts.
        func isWarningLine(_ l: String) -> Bool { l.hasPrefix("No warnings encountered") || l.hasPrefix("# warning") }
        let (sa, sb) = (FieldFaultTests.skeleton(summary).filter { !isWarningLine($0) },
                        FieldFaultTests.skeleton(official.summary).filter { !isWarningLine($0) })
        let allowedWarnings = official.records.filter { Allowed.officialOnly($0.key, $0.value) }.count
        #expect(ours.filter(\.isWarning).count == official.records.filter(\.isWarning).count - allowedWarnings,
                "\(c): warning records differ")
        if let i = zip(sa, sb).enumerated().first(where: { $0.element.0 != $0.element.1 })?.offset {
            Issue.record("\(c): summary line \(i + 1) differs: ours `\(sa[i])`, official `\(sb[i])`")
        }
        #expect(sa.count == sb.count, "\(c): summary lines: ours \(sa.count), official \(sb.count)")
        #expect(result.errors.count == theirs.filter(\.isError).count)

        // Accuracy log: the same (seq_id, qsl_idx, data) entries.
        let acc = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/ours/mlperf_log_accuracy.json"))) as? [[String: Any]] ?? []
        let ourAcc = acc.map { "\($0["seq_id"] ?? "") \($0["qsl_idx"] ?? "") \($0["data"] ?? "")" }
        #expect(ourAcc.count == official.accuracy.count, "\(c): accuracy entries: ours \(ourAcc.count), official \(official.accuracy.count)")
        #expect(Set(ourAcc) == Set(official.accuracy), "\(c): accuracy entries differ")
    }
}
