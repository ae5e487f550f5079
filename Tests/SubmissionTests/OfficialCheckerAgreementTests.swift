import Foundation
import Submission
import Testing
import TestSupport

/// Our inference checker against the official MLCommons one (`submission_checker_old.py`, the checker that runs
/// through a whole tree without stopping) on the same trees: the real sample tree the oracle ships, and broken copies
/// of it. Verdicts must agree result by result, and so must the overall pass/fail.
@Suite("inference checker agrees with the official submission checker", .serialized)
struct OfficialCheckerAgreementTests {
    static let oracles: String = ProcessInfo.processInfo.environment["MLPERF_ORACLES"].flatMap { $0.isEmpty ? nil : $0 }
        ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/oracles/mlcommons-inference").path
    static var sampleTree: String { oracles + "/tools/submission/directory_structure_samples/sample_1" }

    /// The official checker's accepted results (its `Results <path> <value>` lines) and exit status.
    static func official(_ tree: String, version: String) throws -> (accepted: [String: Double], passed: Bool, log: String) {
        let csv = try Scratch.directory("official-csv").path + "/summary.csv"
        let r = try Subprocess.run("/usr/bin/env", [Python.project, "submission_checker_old.py", "--input", tree,
                                                    "--version", version, "--csv", csv],
                                   directory: oracles + "/tools/submission")
        var accepted: [String: Double] = [:]
        for line in r.stderr.split(separator: "\n") {
            guard let range = line.range(of: "] Results ") else { continue }
            let parts = line[range.upperBound...].split(separator: " ")
            if parts.count >= 2 { accepted[String(parts[0])] = Double(parts[1]) }
        }
        if !r.stderr.contains("SUMMARY:") { throw TestFailure("official checker crashed:\n" + r.stderr.suffix(2000)) }
        return (accepted, r.status == 0, r.stderr)
    }

    static func ours(_ tree: String, version: String) throws -> CheckReport {
        InferenceChecker(rules: try InferenceRuleBook.official(version)).check(root: tree)
    }

    static func copyOfSample() throws -> String {
        let dir = try Scratch.directory("sample-tree").path + "/tree"
        try FileManager.default.copyItem(atPath: sampleTree, toPath: dir)
        return dir
    }

    @discardableResult
    static func compare(_ tree: String, version: String, _ comment: String) throws -> Int {
        let theirs = try official(tree, version: version)
        let ours = try ours(tree, version: version)
        let mine = Dictionary(uniqueKeysWithValues: ours.accepted.map { ($0.path, $0.value ?? .nan) })
        let why = ours.results.filter { !$0.accepted }.map { "\($0.path): \($0.problems.map(\.description))" }
            + ours.treeProblems.map(\.description)
        #expect(Set(mine.keys) == Set(theirs.accepted.keys),
                "\(comment): accepted results differ.\nours only: \(Set(mine.keys).subtracting(theirs.accepted.keys).sorted())\nofficial only: \(Set(theirs.accepted.keys).subtracting(mine.keys).sorted())\nour reasons: \(why)\nofficial errors:\n\(theirs.log.split(separator: "\n").filter { $0.contains("ERROR") }.joined(separator: "\n"))")
        for (path, value) in theirs.accepted {
            if let v = mine[path] { #expect(abs(v - value) <= 1e-4 * max(1, abs(value)), "\(comment): \(path) value \(v) vs official \(value)") }
        }
        #expect(ours.passed == theirs.passed, "\(comment): ours passed=\(ours.passed), official passed=\(theirs.passed); our reasons: \(why)")
        return theirs.accepted.count
    }

    @Test("the real sample tree (v5.1)")
    func sampleTree() throws {
        try Self.compare(Self.sampleTree, version: "v5.1", "sample_1")
        let report = try Self.ours(Self.sampleTree, version: "v5.1")
        #expect(report.accepted.count == 20)
        // The two SDXL results lack the sample images the accuracy directory must hold.
        #expect(report.results.filter { !$0.accepted }.allSatisfy { $0.problems.contains { $0.rule == "accuracy_extra_files" } })
    }

    @Test("the sample tree under v6.1 rules: its seeds are the older version's")
    func sampleTreeV61() throws {
        try Self.compare(Self.sampleTree, version: "v6.1", "sample_1 as v6.1")
    }

    /// One broken variant: an edit of a copy of the sample tree.
    struct Variant: CustomTestStringConvertible, Sendable {
        var name: String
        var edit: @Sendable (String) throws -> Void
        var testDescription: String { name }
    }

    static let llamaRun = "closed/AMD/results/8xMI300X_2xEPYC_9575F/llama2-70b-99/Offline"

    static func replace(_ file: String, _ old: String, _ new: String) throws {
        let text = try String(contentsOfFile: file, encoding: .utf8)
        guard text.contains(old) else { throw TestFailure("\(file) has no \(old)") }
        try text.replacingOccurrences(of: old, with: new).write(toFile: file, atomically: true, encoding: .utf8)
    }

    static func replaceRegex(_ file: String, _ pattern: String, _ new: String) throws {
        let text = try String(contentsOfFile: file, encoding: .utf8)
        let re = try NSRegularExpression(pattern: pattern)
        let out = re.stringByReplacingMatches(in: text, range: NSRange(text.startIndex..., in: text), withTemplate: new)
        guard out != text else { throw TestFailure("\(file): nothing matched \(pattern)") }
        try out.write(toFile: file, atomically: true, encoding: .utf8)
    }

    static let variants: [Variant] = [
        Variant(name: "missing detail log") { t in
            try FileManager.default.removeItem(atPath: t + "/" + llamaRun + "/performance/run_1/mlperf_log_detail.txt")
        },
        Variant(name: "INVALID run") { t in
            try replace(t + "/" + llamaRun + "/performance/run_1/mlperf_log_detail.txt",
                        #""key": "result_validity", "value": "VALID""#, #""key": "result_validity", "value": "INVALID""#)
        },
        Variant(name: "short duration") { t in
            try replaceRegex(t + "/" + llamaRun + "/performance/run_1/mlperf_log_detail.txt",
                             #""key": "effective_min_duration_ms", "value": [0-9]+"#, #""key": "effective_min_duration_ms", "value": 60000"#)
        },
        Variant(name: "wrong seed") { t in
            try replaceRegex(t + "/" + llamaRun + "/performance/run_1/mlperf_log_detail.txt",
                             #""key": "effective_qsl_rng_seed", "value": [0-9]+"#, #""key": "effective_qsl_rng_seed", "value": 42"#)
        },
        Variant(name: "accuracy under target") { t in
            try replaceRegex(t + "/" + llamaRun + "/accuracy/accuracy.txt", #"'rouge1': '?[0-9.]+'?"#, "'rouge1': 12.5")
        },
        Variant(name: "missing system file") { t in
            try FileManager.default.removeItem(atPath: t + "/closed/AMD/systems/8xMI300X_2xEPYC_9575F.json")
        },
        Variant(name: "unknown model in closed") { t in
            try FileManager.default.moveItem(atPath: t + "/closed/AMD/results/8xMI325X_2xEPYC_9575F_1/mixtral-8x7b",
                                             toPath: t + "/closed/AMD/results/8xMI325X_2xEPYC_9575F_1/my-mixtral")
        },
        Variant(name: "missing required compliance test") { t in
            try FileManager.default.removeItem(atPath: t + "/" + llamaRun + "/TEST06")
        },
        Variant(name: "system field empty") { t in
            try replaceRegex(t + "/closed/AMD/systems/8xMI300X_2xEPYC_9575F.json", #""framework": "[^"]*""#, #""framework": """#)
        },
        Variant(name: "accuracy log not truncated") { t in
            let log = t + "/" + llamaRun + "/accuracy/mlperf_log_accuracy.json"
            try String(repeating: "[{\"seq_id\": 0}]\n", count: 2000).write(toFile: log, atomically: true, encoding: .utf8)
        },
        Variant(name: "open division: accuracy under target is taken") { t in
            try replaceRegex(t + "/open/NVIDIA/results/Jetson-Thor_TRT/llama3.1-8b-edge/SingleStream/accuracy/accuracy.txt",
                             #"'rouge1': '?[0-9.]+'?"#, "'rouge1': 1.5")
        },
        Variant(name: "malformed detail log line") { t in
            let file = t + "/" + llamaRun + "/performance/run_1/mlperf_log_detail.txt"
            try (try String(contentsOfFile: file, encoding: .utf8)).replacingOccurrences(of: #""key": "effective_scenario""#, with: #""key": effective_scenario""#)
                .write(toFile: file, atomically: true, encoding: .utf8)
        },
        Variant(name: "stray file at the root") { t in
            try "x".write(toFile: t + "/notes.txt", atomically: true, encoding: .utf8)
        },
    ]

    @Test("broken copies of the sample tree", arguments: variants)
    func brokenVariant(_ v: Variant) throws {
        let tree = try Self.copyOfSample()
        try v.edit(tree)
        let accepted = try Self.compare(tree, version: "v5.1", v.name)
        // Each break costs results (the unbroken tree has 20), except in the open division, which takes any accuracy.
        if v.name.hasPrefix("open") { #expect(accepted == 20) } else { #expect(accepted < 20, "\(v.name) broke nothing") }
    }
}
