import ArgumentParser
import Benchmarks
import Foundation
import MLLog
import Training

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Compliance checks.",
        subcommands: [CheckTrainingCommand.self])
}

struct CheckTrainingCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "training",
        abstract: "Check MLLOG training logs against the compliance rules (one log, or every result_*.txt in a tree).",
        usage: "mlperf check training <path> [<options>]",
        discussion: """
        The ruleset is --ruleset, or the benchmark's own (for SwiftMLPerf benchmarks, from submission_benchmark), or \
        the latest official one (6.1.0). Rulesets shipped: the official training 6.1.0 (all of its benchmarks) and \
        4.0.0 (common, resnet), and swift-1.0 (SwiftMLPerf's benchmarks: \(trainingBenchmarkNames)). \
        Every finding names the rule file, the key, the log line and the expected condition.

        Beyond the official rules, time going backwards is an error; --official gives exactly the official verdict. \
        In a results tree, one non-compliant run per benchmark directory is accepted (olympic scoring), as the \
        official package checker does. Exit status 1 when the log or tree does not comply.

        Examples:
          mlperf check training mlperf-results/results/local/fashion-mnist
          mlperf check training result_0.txt --ruleset 6.1.0 --official
        """)

    @Argument(help: "A log file or a directory.")
    var path: String

    @Option(help: "Ruleset id (\(RulesetStore.builtIn.rulesetIDs().joined(separator: ", "))).")
    var ruleset: String?

    @Option(name: .customLong("rules-dir"), help: "A directory of rulesets (training_<id>/<file>.json) to use instead of the built-in ones.")
    var rulesDir: String?

    @Flag(help: "Treat warnings as errors.")
    var werror = false

    @Flag(help: "Only the official rules (no integrity checks beyond them).")
    var official = false

    @Option(help: "Write the verdicts as JSON to this file.")
    var json: String?

    @Option(name: .customLong("rcp-file"), help: "RCP file (official layout) for the convergence check of a results tree (default: the ruleset's rcps_<benchmark>.json, when there is one).")
    var rcpFile: String?

    @Flag(name: .customLong("rcp-bypass"), help: "A failed convergence check does not fail the tree.")
    var rcpBypass = false

    mutating func run() throws {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw TrainingCLIError("no such file or directory: \(path)")
        }
        var files: [String] = []
        if isDir.boolValue {
            let e = FileManager.default.enumerator(atPath: path)
            while let f = e?.nextObject() as? String {
                let name = (f as NSString).lastPathComponent
                if name.hasPrefix("result_") && name.hasSuffix(".txt") { files.append("\(path)/\(f)") }
            }
            files.sort()
            guard !files.isEmpty else { throw TrainingCLIError("no result_*.txt under \(path)") }
        } else {
            files = [path]
        }
        let options = ComplianceOptions(werror: werror, strictIntegrity: !official)
        let store = rulesDir.map { RulesetStore(directory: URL(fileURLWithPath: $0)) } ?? .builtIn
        var failedPerDir: [String: Int] = [:]
        var countPerDir: [String: Int] = [:]
        var parsedPerDir: [String: [(MLLogParseResult, String, String)]] = [:]
        var out: [JSONValue] = []
        for f in files {
            guard let data = FileManager.default.contents(atPath: f) else { throw TrainingCLIError("cannot read \(f)") }
            let parsed = MLLogParser.parse(bytes: [UInt8](data))
            let id = ruleset ?? CheckTrainingCommand.defaultRuleset(parsed)
            guard store.hasFile(ruleset: id, name: "common") else {
                throw ValidationError("unknown ruleset '\(id)' (have: \(store.rulesetIDs().joined(separator: ", ")))")
            }
            let report = ComplianceChecker(ruleset: id, store: store, options: options).check(parsed)
            let dir = (f as NSString).deletingLastPathComponent
            parsedPerDir[dir, default: []].append((parsed, id, (f as NSString).lastPathComponent))
            countPerDir[dir, default: 0] += 1
            if !report.isCompliant { failedPerDir[dir, default: 0] += 1 }
            print("\(report.isCompliant ? "COMPLIANT" : "NOT COMPLIANT")  \(f)  (ruleset \(id): \(report.filesChecked.map { ($0 as NSString).lastPathComponent }.joined(separator: " → ")); \(report.errors.count) errors, \(report.warnings.count) warnings)")
            for m in report.messages { print("  \(m)") }
            out.append(.object([
                JSONField("file", .string(f)), JSONField("ruleset", .string(id)),
                JSONField("compliant", .bool(report.isCompliant)),
                JSONField("rule_files", .array(report.filesChecked.map { .string($0) })),
                JSONField("messages", .array(report.messages.map { m in
                    .object([JSONField("severity", .string(m.severity.rawValue)), JSONField("rule", .string(m.ruleFile)),
                             JSONField("key", m.key.map { .string($0) } ?? .null),
                             JSONField("line", m.line.map { .int(Int64($0)) } ?? .null),
                             JSONField("message", .string(m.message)),
                             JSONField("expected", m.expected.map { .string($0) } ?? .null)])
                })),
            ]))
        }
        var ok = true
        var directories: [JSONValue] = []
        if isDir.boolValue {
            for dir in countPerDir.keys.sorted() {
                let bad = failedPerDir[dir] ?? 0
                let accepted = bad <= 1
                ok = ok && accepted
                print("\(dir): \(countPerDir[dir]! - bad)/\(countPerDir[dir]!) compliant\(bad == 1 ? " (1 non-compliant run accepted under olympic scoring)" : bad > 1 ? " — FAILED: \(bad) non-compliant runs" : "")")
                let logs = parsedPerDir[dir] ?? []
                let closed = logs.contains { $0.0.entries.contains { $0.record.key == MLLogKey.submissionDivision && $0.record.value == "closed" } }
                // Every check is either run or reported as not checked, with the reason: never silently passed.
                var seeds: JSONValue
                if !closed {
                    seeds = .string("not checked: not the closed division")
                } else if logs.count < 2 {
                    seeds = .string("not checked: only one run")
                } else {
                    let findings = SeedChecker.check(logs.map { ($0.2, $0.0) })
                    for f in findings { print("  \(f)") }
                    if findings.contains(where: \.isError) {
                        ok = false
                        seeds = .object([JSONField("outcome", "fail"),
                                         JSONField("findings", .array(findings.map { .string("\($0)") }))])
                    } else {
                        seeds = "pass"
                    }
                }
                if case .string(let s) = seeds { print("  seeds: \(s == "pass" ? "logged and distinct" : s)") }
                let rcpJSON: JSONValue
                switch try rcpVerdict(logs, closed: closed) {
                case .checked(let v):
                    print("  convergence (RCP): \(v.summary)\(v.scalingFactor > 1 ? String(format: "; score scaling factor %.6f", v.scalingFactor) : "")")
                    ok = ok && v.passed
                    rcpJSON = .object([JSONField("outcome", .string(v.outcome.rawValue)), JSONField("message", .string(v.message)),
                                       JSONField("scaling_factor", .double(v.scalingFactor))])
                case .notChecked(let why):
                    print("  convergence (RCP): not checked: \(why)")
                    rcpJSON = .object([JSONField("outcome", "not_checked"), JSONField("message", .string(why))])
                }
                directories.append(.object([
                    JSONField("directory", .string(dir)), JSONField("runs", .int(Int64(countPerDir[dir]!))),
                    JSONField("non_compliant_runs", .int(Int64(bad))), JSONField("seeds", seeds), JSONField("rcp", rcpJSON),
                ]))
            }
        } else {
            ok = failedPerDir.isEmpty
        }
        if let json {
            let doc = JSONValue.object([JSONField("result", .string(ok ? "SUCCESS" : "FAILED")),
                                        JSONField("files", .array(out)), JSONField("directories", .array(directories))])
            guard FileManager.default.createFile(atPath: json, contents: Data(JSONWriter().string(doc).utf8)) else {
                throw TrainingCLIError("cannot write \(json)")
            }
        }
        print(ok ? "SUCCESS" : "FAILED")
        if !ok { throw ExitCode(1) }
    }

    enum RCPOutcome { case checked(RCPVerdict), notChecked(String) }

    /// The convergence check of one benchmark directory. The RCPs come from --rcp-file, else the ruleset's own
    /// directory, else the files the installed mlperf-logging ships (what the official RCP checker reads); when
    /// none exist for a closed-division benchmark the check fails as the official one does ("missing RCP").
    func rcpVerdict(_ logs: [(MLLogParseResult, String, String)], closed: Bool) throws -> RCPOutcome {
        guard closed else { return .notChecked("not the closed division") }
        guard logs.count >= 3 else {
            return .notChecked("only \(logs.count) run\(logs.count == 1 ? "" : "s"); olympic scoring needs at least 3")
        }
        let points = logs.map { RCPChecker.convergencePoint($0.0) }
        let name = points.lazy.compactMap(\.benchmark).first ?? ""
        let store = rulesDir.map { RulesetStore(directory: URL(fileURLWithPath: $0)) } ?? .builtIn
        let path: String
        if let rcpFile {
            path = rcpFile
        } else {
            let source = RCPSource.locate(benchmark: name, ruleset: logs[0].1, store: store,
                                          environment: ProcessInfo.processInfo.environment)
            guard let found = source.path else {
                let text = "cannot find any RCPs for \(name) in ruleset \(logs[0].1) (looked in: \(source.tried.joined(separator: "; ")))"
                return .checked(RCPVerdict(outcome: rcpBypass ? .bypassed : .missingRCP, message: text, reference: nil,
                                           submissionMean: nil, scalingFactor: 1))
            }
            path = found
        }
        let records: [RCPRecord]
        switch RCPSource.load(path) {
        case .success(let r): records = r
        case .failure(let why): throw TrainingCLIError("\(path): \(why)")
        }
        let bench = BenchmarkRegistry.named(name)?.training
        return .checked(RCPChecker.check(logs: logs.map(\.0), records: records,
                                         submissionRuns: bench?.requiredRuns ?? logs.count,
                                         drop: bench?.olympicDrop ?? 1, bypass: rcpBypass))
    }

    /// SwiftMLPerf benchmarks use their own ruleset; everything else the latest official one.
    static func defaultRuleset(_ parsed: MLLogParseResult) -> String {
        if let name = parsed.entries.first(where: { $0.record.key == MLLogKey.submissionBenchmark })?.record.value.stringValue,
           let b = BenchmarkRegistry.named(name)?.training {
            return b.rulesetID
        }
        return "6.1.0"
    }
}

/// A failure that is not a usage mistake: printed as `Error: ...` without the usage text, exit status 1.
struct TrainingCLIError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}
