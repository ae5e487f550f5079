import Testing
@testable import MLLog

@Suite struct WriterTests {
    @Test func trainingLineMatchesOfficialLayout() {
        let r = MLLogRecord(timeMs: 1_700_000_060_001, eventType: .intervalStart, key: "run_start", value: .null,
                            metadata: [JSONField("file", "train.py"), JSONField("lineno", 51)])
        #expect(MLLogDialect.training.line(r) ==
            #":::MLLOG {"namespace": "", "time_ms": 1700000060001, "event_type": "INTERVAL_START", "key": "run_start", "value": null, "metadata": {"file": "train.py", "lineno": 51}}"#)
    }

    @Test func loadgenLineMatchesOfficialLayout() {
        let r = MLLogRecord(namespace: "mlperf::logging", timeMs: 12.3456789, key: "effective_target_qps",
                            value: .double(39008300.5),
                            metadata: [JSONField("is_error", false), JSONField("is_warning", false),
                                       JSONField("file", "loadgen.cc"), JSONField("line_no", 10)])
        #expect(MLLogDialect.loadgen.line(r) ==
            #":::MLLOG {"key": "effective_target_qps", "value": 3.90083e+07, "time_ms": 12.345679, "namespace": "mlperf::logging", "event_type": "POINT_IN_TIME", "metadata": {"is_error": false, "is_warning": false, "file": "loadgen.cc", "line_no": 10}}"#)
    }

    @Test(arguments: [(0.0, "0.0"), (1e-5, "1e-05"), (0.0001, "0.0001"), (1e16, "1e+16"), (1e15, "1000000000000000.0"),
                      (0.9012, "0.9012"), (0.1 + 0.2, "0.30000000000000004"), (-3.25, "-3.25")])
    func doublesPrintLikePythonRepr(value: Double, expected: String) {
        #expect(JSONWriter.pythonRepr(value) == expected)
    }

    @Test(arguments: [(0.99, "0.99"), (5032.7612, "5032.76"), (362268.0, "362268"), (1e-7, "1e-07")])
    func doublesPrintLikeCppStream(value: Double, expected: String) {
        #expect(JSONWriter.cppStream(value) == expected)
    }

    @Test func stringsAreEscaped() {
        #expect(JSONWriter().string(.string("a\"b\\c\n\u{1}")) == #""a\"b\\c\n\u0001""#)
    }
}
