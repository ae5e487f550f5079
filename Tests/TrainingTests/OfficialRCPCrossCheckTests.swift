import Foundation
import MLLog
import Testing
@testable import Training

/// Our convergence (RCP) check against the official RCP checker (PyPI mlperf-logging) with custom RCPs: the same verdict and
/// the same normalisation factor on a llama31_8b benchmark directory (N = 10).
@Suite struct OfficialRCPCrossCheckTests {
    static let unit = 12288.0

    /// RCPs at BS 32 (about 15 evals to converge) and BS 64 (about 18).
    static let rcpJSON: JSONValue = {
        let a = RCPRecord(name: "llama31_8b_ref_32", benchmark: "llama31_8b", batchSize: 32,
                          convergence: [14, 15, 15, 16, 15, 14, 15, 16, 15, 15, 14, 15, 16, 15, 15, 14, 15, 16, 17, 15].map { $0 * unit })
        let b = RCPRecord(name: "llama31_8b_ref_64", benchmark: "llama31_8b", batchSize: 64,
                          convergence: [18, 18, 19, 18, 17, 18, 18, 19, 18, 18, 17, 18, 19, 18, 18, 18, 17, 18, 20, 18].map { $0 * unit })
        return RCPRecord.fileJSON([a, b], creator: "test", platform: "none", hyperparameters: [])
    }()

    struct Case: Sendable, CustomStringConvertible {
        var name: String
        /// Evals to converge per run; 0 = the run aborts.
        var evals: [Int]
        var batchSize: Int = 32
        var description: String { name }
    }

    static let cases: [Case] = [
        Case(name: "slower-than-reference", evals: [16, 16, 17, 15, 16, 16, 18, 16, 15, 16]),
        Case(name: "slightly-faster-normalised", evals: [14, 15, 14, 15, 15, 14, 15, 14, 15, 15]),
        Case(name: "much-faster-fails", evals: [10, 11, 10, 10, 11, 10, 10, 12, 10, 10]),
        Case(name: "one-aborted-run", evals: [15, 16, 0, 15, 16, 15, 15, 16, 15, 15]),
        Case(name: "two-aborted-runs", evals: [15, 0, 0, 15, 16, 15, 15, 16, 15, 15]),
        Case(name: "interpolated-bs48", evals: [17, 17, 16, 17, 18, 16, 17, 17, 16, 17], batchSize: 48),
        Case(name: "interpolated-bs48-slightly-fast-normalised", evals: [16, 17, 16, 17, 16, 17, 16, 17, 16, 17], batchSize: 48),
        Case(name: "interpolated-bs48-fast-fails", evals: [16, 16, 16, 16, 16, 16, 16, 17, 16, 16], batchSize: 48),
        Case(name: "interpolated-bs48-too-fast", evals: [12, 12, 12, 13, 12, 12, 12, 12, 12, 12], batchSize: 48),
        Case(name: "smaller-bs16-slower", evals: [18, 18, 19, 18, 18, 18, 18, 18, 19, 18], batchSize: 16),
        Case(name: "smaller-bs16-faster", evals: [12, 12, 12, 12, 12, 12, 12, 12, 12, 12], batchSize: 16),
        Case(name: "larger-bs128-missing", evals: [19, 19, 19, 19, 19, 19, 19, 19, 19, 19], batchSize: 128),
    ]

    /// Writes each case's 10 logs into its own directory; returns (directory, our verdict) per case.
    static func prepare(_ root: String, rcpFile: String) throws -> [(String, RCPVerdict)] {
        let records = try RCPRecord.parseFile(rcpJSON)
        var out: [(String, RCPVerdict)] = []
        for c in cases {
            let dir = "\(root)/\(c.name)"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            var points: [Double?] = []
            for (i, k) in c.evals.enumerated() {
                var b = Fixtures.llama(evals: k == 0 ? [3.5, 3.4] : Array(repeating: 3.5, count: k - 1) + [3.25])
                if k == 0 { b = b.swapText("\"status\": \"success\"", "\"status\": \"aborted\"") }
                b = b.swapText("\"global_batch_size\", \"value\": 32", "\"global_batch_size\", \"value\": \(c.batchSize)")
                FileManager.default.createFile(atPath: "\(dir)/result_\(i).txt", contents: Data(b.text.utf8))
                let cp = RCPChecker.convergencePoint(MLLogParser.parse(b.text))
                #expect(cp.batchSize == Double(c.batchSize))
                points.append(cp.point)
            }
            out.append((dir, RCPChecker.check(submission: points, batchSize: Double(c.batchSize), records: records, submissionRuns: 10)))
        }
        return out
    }

    /// One Python process runs the official `check_directory` (what `python -m mlperf_logging.rcp_checker` runs) on
    /// every case directory, so that scipy is imported once.
    @Test func verdictAndScalingEqualOfficial() throws {
        let root = Fixtures.tempDir("rcp")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let rcpFile = root + "/rcps.json"
        FileManager.default.createFile(atPath: rcpFile, contents: Data(JSONWriter().string(OfficialRCPCrossCheckTests.rcpJSON).utf8))
        let ours = try OfficialRCPCrossCheckTests.prepare(root, rcpFile: rcpFile)
        let script = """
        import logging, sys
        logging.disable(logging.CRITICAL)
        from mlperf_logging.rcp_checker import rcp_checker
        for d in sys.argv[2:]:
            with open(sys.argv[1]) as f:
                ok, msg, norm = rcp_checker.check_directory(d, 'training', '6.1.0', False, False, rcp_file=f, rcp_pass='pruned_rcps')
            print(d, ok, repr(float(norm)), msg, sep='\\t')
        """
        let (status, out) = Fixtures.run([Fixtures.python, "-c", script, rcpFile] + ours.map(\.0))
        #expect(status == 0, "\(out)")
        let rows = out.split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false) }.filter { $0.count == 4 }
        #expect(rows.count == ours.count, "\(out)")
        for (row, (dir, verdict)) in zip(rows, ours) {
            let name = (dir as NSString).lastPathComponent
            #expect(String(row[0]) == dir)
            let theirs = row[1] == "True"
            #expect((verdict.outcome == .pass) == theirs, "\(name): ours \(verdict.outcome) (\(verdict.message)); official \(row[1]) \(row[3])")
            // The official function returns the factor even for a failure; it only applies to a pass.
            let factor = Double(row[2]) ?? -1
            if theirs { #expect(abs(verdict.scalingFactor - factor) < 1e-9, "\(name): ours \(verdict.scalingFactor), official \(factor)") }
        }
        // The cases cover every branch.
        let outcomes = Set(ours.map(\.1.outcome))
        #expect(outcomes == [.pass, .fail, .insufficientConvergence, .missingRCP])
        #expect(ours.contains { $0.1.scalingFactor > 1 && $0.1.message.contains("interpolation") })
        #expect(ours.contains { $0.1.scalingFactor > 1 && $0.1.message.contains("RCP found") })
    }

    /// The RCP files that the installed mlperf-logging ships are found and give the official verdict: a llama31_8b
    /// folder (ruleset 6.1.0, 10 runs, one not converging) that the official checker passes or fails is passed or
    /// failed here too (it was once reported SUCCESS with no RCP line, because no 6.1.0 RCP file was looked for).
    @Test func theInstalledOfficialRCPsAreUsed() throws {
        let source = RCPSource.locate(benchmark: "llama31_8b", ruleset: "6.1.0", store: .builtIn,
                                      environment: ProcessInfo.processInfo.environment)
        let path = try #require(source.path, "\(source.tried)")
        #expect(path.hasSuffix("/mlperf_logging/rcp_checker/training_6.1.0/rcps_llama31_8b.json"))
        let records = try RCPRecord.parseFile(try JSONParser.parse(bytes: [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))))
        let root = Fixtures.tempDir("rcp-official")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let cases: [(String, [Int])] = [("one-not-converging", [15, 16, 0, 15, 14, 15, 16, 15, 15, 14]),
                                        ("too-fast", [9, 9, 10, 9, 9, 9, 10, 9, 9, 0])]
        var ours: [(String, RCPVerdict)] = []
        for (name, evals) in cases {
            let dir = "\(root)/\(name)"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            var logs: [MLLogParseResult] = []
            for (i, k) in evals.enumerated() {
                var b = Fixtures.llama(evals: k == 0 ? [3.5, 3.4] : Array(repeating: 3.5, count: k - 1) + [3.25])
                if k == 0 { b = b.swapText("\"status\": \"success\"", "\"status\": \"aborted\"") }
                FileManager.default.createFile(atPath: "\(dir)/result_\(i).txt", contents: Data(b.text.utf8))
                logs.append(MLLogParser.parse(b.text))
            }
            ours.append((dir, RCPChecker.check(logs: logs, records: records, submissionRuns: 10)))
        }
        let script = """
        import logging, sys
        logging.disable(logging.CRITICAL)
        from mlperf_logging.rcp_checker import rcp_checker
        for d in sys.argv[1:]:
            ok, msg, norm = rcp_checker.check_directory(d, 'training', '6.1.0', False, False, rcp_pass='pruned_rcps')
            print(d, ok, msg, sep='\\t')
        """
        let (status, out) = Fixtures.run([Fixtures.python, "-c", script] + ours.map(\.0))
        #expect(status == 0, "\(out)")
        let rows = out.split(separator: "\n").map { $0.split(separator: "\t") }.filter { $0.count == 3 }
        #expect(rows.count == 2, "\(out)")
        for (row, (dir, verdict)) in zip(rows, ours) {
            #expect(String(row[0]) == dir)
            #expect(verdict.passed == (row[1] == "True"), "\(dir): ours \(verdict.summary); official \(row[1]) \(row[2])")
        }
        #expect(ours.map(\.1.passed) == [true, false])
    }
}
