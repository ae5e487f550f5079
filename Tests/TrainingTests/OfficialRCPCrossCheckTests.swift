import Foundation
import MLLog
import Testing
@testable import Training

/// Our convergence (RCP) check against `python3 -m mlperf_logging.rcp_checker --custom_rcps`: the same verdict and
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

    @Test(arguments: cases)
    func verdictAndScalingEqualOfficial(_ c: Case) throws {
        let dir = Fixtures.tempDir("rcp")
        defer { try? FileManager.default.removeItem(atPath: dir) }
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
        let rcpFile = dir + "/rcps.json"
        FileManager.default.createFile(atPath: rcpFile, contents: Data(JSONWriter().string(OfficialRCPCrossCheckTests.rcpJSON).utf8))
        let records = try RCPRecord.parseFile(OfficialRCPCrossCheckTests.rcpJSON)
        let ours = RCPChecker.check(submission: points, batchSize: Double(c.batchSize), records: records, submissionRuns: 10)

        let (status, out) = Fixtures.run([Fixtures.python, "-m", "mlperf_logging.rcp_checker", dir, "--rcp_version", "6.1.0",
                                          "--custom_rcps", rcpFile, "--log_output", dir + "/rcp.log"], cwd: dir)
        let theirs = status == 0
        #expect(ours.outcome == .pass ? theirs : !theirs, "\(c.name): ours \(ours.outcome) \(ours.message)\nofficial:\n\(out.suffix(1200))")
        // "Score should be normalized by factor of MEAN / SUBM = FACTOR"
        var officialFactor = 1.0
        if let r = out.range(of: "normalized by factor of ") {
            let tail = out[r.upperBound...].split(separator: "\n")[0]
            if let eq = tail.split(separator: "=").last, let f = Double(eq.trimmingCharacters(in: .whitespaces)) { officialFactor = f }
        }
        #expect(abs(ours.scalingFactor - officialFactor) < 1e-9, "\(c.name): ours \(ours.scalingFactor), official \(officialFactor)")
    }
}
