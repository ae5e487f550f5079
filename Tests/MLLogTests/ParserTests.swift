import Testing
@testable import MLLog

@Suite struct JSONParserTests {
    @Test func parsesWhatTheWriterWrites() throws {
        let v: JSONValue = .object(["a": 1, "b": [true, nil, "x\"y\n"], "c": .double(1e-05), "d": .object(["e": -3.5])])
        #expect(try JSONParser.parse(JSONWriter().string(v)) == v)
    }

    @Test func keepsIntegerDoubleDistinctionAndOrder() throws {
        let v = try JSONParser.parse(#"{"z": 1, "a": 1.0, "big": 18446744073709551615, "huge": 1e400, "u": "\u00e9\ud83d\ude00"}"#)
        guard case .object(let f) = v else { Issue.record("not an object"); return }
        #expect(f.map(\.key) == ["z", "a", "big", "huge", "u"])
        #expect(v["z"] == .int(1))
        #expect(v["a"] == .double(1))
        #expect(v["big"] == .uint(UInt64.max))
        #expect(v["huge"]?.doubleValue == .infinity)
        #expect(v["u"] == .string("é😀"))
    }

    @Test func acceptsPythonSpecialNumbers() throws {
        let v = try JSONParser.parse("[NaN, Infinity, -Infinity]")
        guard case .array(let a) = v else { Issue.record("not an array"); return }
        #expect(a[0].doubleValue!.isNaN)
        #expect(a[1].doubleValue == .infinity)
        #expect(a[2].doubleValue == -.infinity)
    }

    @Test(arguments: [#"{"a": 1"#, #"{"a": }"#, #"{"a": 1,}"#, "[1 2]", "01", "1.", #""abc"#, "tru", "{} x", ""])
    func rejectsInvalidJSON(text: String) {
        #expect(throws: JSONParser.Error.self) { try JSONParser.parse(text) }
    }

    @Test func duplicateKeysKeepBothLastWinsLikePython() throws {
        let v = try JSONParser.parse(#"{"k": 1, "k": 2}"#)
        #expect(v["k"] == .int(1))
        #expect(v.lastValue(forKey: "k") == .int(2))
    }
}

@Suite struct MLLogParserTests {
    static let good = #":::MLLOG {"namespace": "", "time_ms": 1700000060001, "event_type": "INTERVAL_START", "key": "run_start", "value": null, "metadata": {"file": "train.py", "lineno": 51}}"#

    @Test func parsesAnOfficialLine() throws {
        let r = MLLogParser.parse(MLLogParserTests.good)
        #expect(r.issues.isEmpty)
        let e = try #require(r.entries.first)
        #expect(e.record.key == "run_start")
        #expect(e.record.timeMs == 1_700_000_060_001)
        #expect(e.record.eventType == .intervalStart)
        #expect(e.record.value == .null)
        #expect(e.record.metadata("lineno") == .int(51))
        #expect(e.line == 1 && e.index == 0)
        // What the writer writes, the parser reads back.
        #expect(MLLogDialect.training.line(e.record) == MLLogParserTests.good)
    }

    @Test func skipsOtherLinesAndStripsPrefixes() {
        let text = "starting...\n[1,0]<stdout>: " + MLLogParserTests.good + "\r\nloss 0.3\n" + "x :::MLLOG y " + MLLogParserTests.good + "\n"
        let r = MLLogParser.parse(text)
        #expect(r.issues.isEmpty)
        #expect(r.entries.map(\.line) == [2, 4])
        #expect(r.entries.map(\.index) == [0, 1])
        #expect(r.entries.allSatisfy { $0.text == MLLogParserTests.good })
    }

    @Test func reportsBadLinesWithLineNumbersAndGoesOn() {
        let lines = [
            MLLogParserTests.good,
            #":::MLLOG {"namespace": "", "time_ms": 1700000060001, "key": "x", "val"#,  // truncated
            ":::MLLOG not json",
            #":::MLLOG [1, 2]"#,
            #":::MLLOG {"time_ms": 1, "key": "x", "value": 1}"#,  // no metadata
            #":::MLLOG {"time_ms": 1, "key": "x", "metadata": {}}"#,  // no value
            #":::MLLOG {"time_ms": "soon", "key": "x", "value": 1, "metadata": {}}"#,
            #":::MLLOG {"time_ms": 1700000070000, "key": 5, "value": 1, "metadata": {}}"#,
            #":::MLLOG {"time_ms": 1700000070000, "key": "x", "value": 1, "metadata": null}"#,
            MLLogParserTests.good,
        ]
        let r = MLLogParser.parse(lines.joined(separator: "\n"))
        #expect(r.entries.count == 2)
        #expect(r.issues.map(\.line) == [2, 3, 4, 5, 6, 7, 8, 9])
        #expect(r.issues.map(\.kind) == [.invalidJSON, .invalidJSON, .notAnObject, .missingField, .missingField, .badField, .badField, .badField])
        #expect(r.issues[0].message.contains("truncated"))
        #expect(r.issues[3].message.contains("'metadata'"))
        #expect(r.issues[4].message.contains("'value'"))
    }

    @Test func timeAsStringAndMissingOptionalFieldsAreAccepted() throws {
        let r = MLLogParser.parse(#":::MLLOG {"time_ms": " 1700000000005 ", "key": "k", "value": [1], "metadata": {"a": 1, "a": 2}}"#)
        #expect(r.issues.isEmpty)
        let e = try #require(r.entries.first)
        #expect(e.record.timeMs == 1_700_000_000_005)
        #expect(e.record.namespace == "")
        #expect(e.record.metadata == [JSONField("a", 2)])
    }

    @Test func timeGoingBackwardsIsAnIssue() {
        let a = #":::MLLOG {"time_ms": 2000, "key": "a", "value": null, "metadata": {}}"#
        let b = #":::MLLOG {"time_ms": 1000, "key": "b", "value": null, "metadata": {}}"#
        let r = MLLogParser.parse([a, "chatter", b].joined(separator: "\n"))
        #expect(r.entries.count == 2)
        #expect(r.issues.count == 1)
        #expect(r.issues.first?.kind == .timeWentBackwards)
        #expect(r.issues.first?.line == 3)
        #expect(r.issues.first?.isOfficialParseError == false)
    }

    @Test func latin1BytesDoNotStopTheParser() throws {
        var bytes = Array(#":::MLLOG {"time_ms": 1, "key": "submission_org", "value": "caf"#.utf8)
        bytes += [0xE9]  // Latin-1 é, invalid UTF-8
        bytes += Array(#"", "metadata": {}}"#.utf8)
        let r = MLLogParser.parse(bytes: bytes)
        #expect(r.issues.isEmpty)
        #expect(r.entries.first?.record.value == .string("café"))
    }

    @Test func streamFeedsLineByLine() {
        var s = MLLogParser.Stream()
        #expect(s.feed(Array("hello".utf8)) == nil)
        let r = s.feed(Array(MLLogParserTests.good.utf8))
        #expect(r?.entry?.line == 2)
        #expect(r?.entry?.index == 0)
        #expect(s.mllogCount == 1)
    }

    @Test func loggerOutputRoundTrips() throws {
        let lines = Mutex2()
        let logger = MLLogger(clock: { 1_700_000_000_123 }) { line, _ in lines.append(line) }
        logger.event(MLLogKey.evalAccuracy, .double(0.9012), metadata: [JSONField(MLLogMetadataKey.epochNum, 3)])
        let r = MLLogParser.parse(lines.all.joined(separator: "\n"))
        let e = try #require(r.entries.first)
        #expect(e.record.key == "eval_accuracy")
        #expect(e.record.value == .double(0.9012))
        #expect(e.record.metadata(MLLogMetadataKey.epochNum) == .int(3))
        #expect(e.record.metadata("file") == .string("MLLogTests/ParserTests.swift"))
    }
}

import Synchronization
final class Mutex2: Sendable {
    private let m = Mutex<[String]>([])
    func append(_ s: String) { m.withLock { $0.append(s) } }
    var all: [String] { m.withLock { $0 } }
}

@Suite struct DialectTests {
    @Test func loadgenDetailLinesParseToo() throws {
        let r = MLLogRecord(namespace: "mlperf::logging", timeMs: 12.3456789, key: "effective_target_qps",
                            value: .double(39008300.5),
                            metadata: [JSONField("is_error", false), JSONField("is_warning", false),
                                       JSONField("file", "loadgen.cc"), JSONField("line_no", 10)])
        let parsed = MLLogParser.parse(MLLogDialect.loadgen.line(r))
        #expect(parsed.issues.isEmpty)
        let back = try #require(parsed.entries.first?.record)
        #expect(back.key == "effective_target_qps")
        #expect(back.timeMs == 12.345679)
        #expect(back.value == .double(3.90083e+07))
        #expect(back.namespace == "mlperf::logging")
    }

    @Test func metadataHelpers() {
        let line = MLLogDialect.training.line(MLLogRecord(timeMs: 5, eventType: .intervalEnd, key: MLLogKey.runStop,
            value: .null, metadata: [.status(MLLogRunStatus.success), .epochNum(3), .samplesCount(12288), .firstEpochNum(1), .epochCount(1)]))
        #expect(line.hasSuffix(#""metadata": {"status": "success", "epoch_num": 3, "samples_count": 12288, "first_epoch_num": 1, "epoch_count": 1}}"#))
    }
}
