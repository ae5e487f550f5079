import Foundation
import TestSupport
@testable import Serving
import Testing

/// The accuracy checker over hand-written accuracy logs in the official layout.
@Suite struct AccuracyCheckTests {
    func write(_ entries: [(Int, String)]) throws -> String {
        let path = Scratch.file("acc.json")
        let body = entries.enumerated().map { i, e in "{ \"seq_id\" : \(i), \"qsl_idx\" : \(e.0), \"data\" : \"\(e.1)\" }" }
        try ("[\n" + body.joined(separator: ",\n") + "\n]\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func hex(_ v: Int32) -> String {
        withUnsafeBytes(of: v.littleEndian) { $0.map { String(format: "%02X", $0) }.joined() }
    }

    @Test func countsCorrectPredictionsAndJudgesTheClosedBound() throws {
        let labels: [UInt8] = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3]
        // 9 of 10 right.
        let entries = labels.enumerated().map { i, l in (i, hex(Int32(i == 0 ? 0 : Int(l)))) }
        let path = try write(entries)
        let r = try AccuracyCheck.fashionMNIST(log: path, labels: labels, referenceAccuracy: 0.905)
        #expect(r.total == 10 && r.correct == 9)
        #expect(abs(r.accuracy - 0.9) < 1e-12)
        #expect(r.passed, "0.90 ≥ 0.99 × 0.905 = 0.89595")
        #expect(r.line == "accuracy=90.000%, good=9, total=10")
        let strict = try AccuracyCheck.fashionMNIST(log: path, labels: labels, referenceAccuracy: 0.95)
        #expect(!strict.passed)
        #expect(strict.verdict.hasPrefix("FAIL"))
    }

    @Test func missingDuplicateAndUndecodableResponsesAreReported() throws {
        let labels: [UInt8] = [0, 1, 2, 3]
        let path = try write([(0, hex(0)), (0, hex(0)), (1, "ZZ"), (2, hex(42))])
        let r = try AccuracyCheck.fashionMNIST(log: path, labels: labels, referenceAccuracy: 0.5)
        #expect(r.missing == 1)
        #expect(r.duplicates == 1)
        #expect(r.undecodable == 2)
        #expect(!r.passed)
        #expect(r.verdict.contains("no response"))
    }

    @Test func badFilesGetOneClearError() throws {
        #expect(throws: AccuracyCheck.Failure.self) {
            try AccuracyCheck.fashionMNIST(log: "/nonexistent/mlperf_log_accuracy.json", labels: [0])
        }
        let path = Scratch.file("bad.json")
        try "[{\"seq_id\": 0".write(toFile: path, atomically: true, encoding: .utf8)
        do {
            _ = try AccuracyCheck.fashionMNIST(log: path, labels: [0])
            Issue.record("expected an error")
        } catch {
            #expect("\(error)".contains(path))
            #expect("\(error)".contains("invalid JSON"))
        }
        let outside = try write([(7, hex(0))])
        #expect(throws: AccuracyCheck.Failure.self) { try AccuracyCheck.fashionMNIST(log: outside, labels: [0]) }
    }

    @Test func decodesLittleEndianInt32() {
        #expect(AccuracyCheck.decodeInt32LE("07000000") == 7)
        #expect(AccuracyCheck.decodeInt32LE("ffffffff") == -1)
        #expect(AccuracyCheck.decodeInt32LE("0700") == nil)
    }

    @Test("a log path that is a directory or missing gets its own reason")
    func unreadablePaths() throws {
        let dir = try Scratch.directory("acc-dir").path
        #expect { try AccuracyCheck.fashionMNIST(log: dir, labels: [1]) } throws: { "\($0)".contains("it is a directory") }
        #expect { try AccuracyCheck.fashionMNIST(log: dir + "/none.json", labels: [1]) } throws: { "\($0)".contains("no such file") }
    }
}
