import Benchmarks
import Foundation
import MLLog
import Testing
@testable import Training

@Suite struct RuleExpressionTests {
    func eval(_ src: String, value: JSONValue = .null, metadata: JSONValue = .object([]),
              state: [String: JSONValue] = [:]) throws -> JSONValue {
        var ctx = RuleContext(value: value, metadata: metadata, key: "k", timeMs: 1000, state: state)
        return try RuleExpression.parse(src).evaluate(&ctx)
    }

    @Test(arguments: [
        ("1 + 2 * 3", JSONValue.int(7)), ("7 // 2", .int(3)), ("-7 // 2", .int(-4)), ("-7 % 3", .int(2)),
        ("7 / 2", .double(3.5)), ("2 ** 10", .int(1024)), ("2 ** 0.5 > 1.41", .bool(true)), ("1_200_000 - 128", .int(1_199_872)),
        ("1 == 1.0", .bool(true)), ("True == 1", .bool(true)), ("'a' == 1", .bool(false)), ("0 < 0.5 <= 1", .bool(true)),
        ("3 in [1, 2, 3]", .bool(true)), ("'b' not in ['a']", .bool(true)), ("'ell' in 'hello'", .bool(true)),
        ("'x' if 1 > 2 else 'y'", .string("y")), ("0 or 'z'", .string("z")), ("not []", .bool(true)),
        ("is_integer(2.000001)", .bool(true)), ("is_integer(log2(0.0003 / 0.0001))", .bool(false)),
        ("is_integer(log2(0.0004 / 0.0001))", .bool(true)), ("int(ceil(262144 / 48)) * 48", .int(262_176)),
        ("abs(-3)", .int(3)), ("min(3, 1.5, 2)", .double(1.5)), ("len('abc')", .int(3)), ("'closed_' + 'x'", .string("closed_x")),
    ])
    func pythonSemantics(src: String, expected: JSONValue) throws {
        #expect(try eval(src) == expected, "\(src)")
    }

    @Test func namesSeeTheLineAndTheState() throws {
        let md: JSONValue = .object(["epoch_num": 3, "status": "success"])
        #expect(try eval("metadata['epoch_num'] == 3 and metadata.status == 'success'", metadata: md) == .bool(true))
        #expect(try eval("'status' in v['metadata'] and v['value'] == 2", value: 2, metadata: md) == .bool(true))
        #expect(try eval("time_ms - s.t0 < s.budget * 60 * 1e3", state: ["t0": 0, "budget": 30]) == .bool(true))
        #expect(try eval("s['x'] + 1", state: ["x": 41]) == .int(42))
    }

    @Test(arguments: ["'a' < 1", "None >= 0", "metadata['missing']", "s.missing", "1 / 0", "nosuchname", "log2(0)"])
    func errorsLikePython(src: String) {
        #expect(throws: RuleEvaluationError.self) { try eval(src) }
    }

    @Test(arguments: ["1 +", "(1", "a ==", "1 2", "'open", "x = = 1"])
    func syntaxErrors(src: String) {
        #expect(throws: RuleSyntaxError.self) { try RuleExpression.parse(src) }
    }

    @Test func noneChecksGetCommentsAndNewLines() throws {
        #expect(try eval("s.get('lr') is not None and s['lr'] > 0", state: ["lr": 1]) == .bool(true))
        #expect(try eval("s.get('missing') is None", state: [:]) == .bool(true))
        #expect(try eval("metadata.get('x', 7)") == .int(7))
        #expect(try eval("1 is 1.0") == .bool(false))
        var ctx = RuleContext(value: 48, state: [:])
        let code = """
        s.gbs = value
        # the interval is rounded up to a multiple of the batch
        s.interval = max(
            1, int(ceil(262144 / value))
        ) * value
        """
        for st in try RuleStatement.parse(code) { try st.execute(&ctx) }
        #expect(ctx.state["gbs"] == .int(48))
        #expect(ctx.state["interval"] == .int(262_176))
    }

    @Test func statementsAssignStateAndEnqueue() throws {
        var ctx = RuleContext(value: "open", state: ["n": 1])
        for s in try RuleStatement.parse("enqueue(value + '_common'); s.budget = 240 if value == 'open' else 30; s.n = s.n + 1") {
            try s.execute(&ctx)
        }
        #expect(ctx.enqueued == ["open_common"])
        #expect(ctx.state["budget"] == .int(240))
        #expect(ctx.state["n"] == .int(2))
        #expect(throws: RuleSyntaxError.self) { try RuleStatement.parse("value = 3") }
    }
}

@Suite struct RulesetTests {
    @Test func everyBuiltInRuleFileCompiles() throws {
        let store = RulesetStore.builtIn
        #expect(store.rulesetIDs() == ["4.0.0", "6.1.0", "swift-1.0"])
        for id in store.rulesetIDs() {
            let files = try FileManager.default.contentsOfDirectory(atPath: store.directory(ruleset: id).path)
            for f in files where f.hasSuffix(".json") && !f.hasPrefix("rcps_") {
                let file = try store.load(ruleset: id, name: String(f.dropLast(5)))
                #expect(!file.rules.isEmpty, "\(id)/\(f)")
            }
        }
    }

    @Test func badRuleFilesAreReportedWithTheirName() {
        let dir = Fixtures.tempDir("rules") + "/training_x"
        try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: dir + "/common.json", contents: Data(#"{"rules": [{"key": "a", "req": "SOMETIMES"}]}"#.utf8))
        FileManager.default.createFile(atPath: dir + "/bad.json", contents: Data(#"{"rules": [{"key": "a", "check": "value =="}]}"#.utf8))
        let store = RulesetStore(directory: URL(fileURLWithPath: dir).deletingLastPathComponent())
        #expect(throws: RulesetError.self) { try store.load(ruleset: "x", name: "common") }
        do { _ = try store.load(ruleset: "x", name: "bad") } catch {
            #expect(error.description.contains("training_x/bad.json"))
            #expect(error.description.contains("rule 'a' check"))
        }
        // A checker over a broken ruleset reports it as a finding instead of trapping.
        let report = ComplianceChecker(ruleset: "x", store: store).check(MLLogParser.parse(Fixtures.fashion().text))
        #expect(!report.isCompliant)
        #expect(report.errors.contains { $0.message.contains("SOMETIMES") })
    }
}

@Suite struct FashionMNISTRulesTests {
    func check(_ b: LogBuilder, division: String = "closed") -> ComplianceReport {
        ComplianceChecker(ruleset: "swift-1.0").check(MLLogParser.parse(b.text))
    }

    @Test func referenceLogPasses() {
        let r = check(Fixtures.fashion())
        #expect(r.isCompliant, "\(r.messages)")
        #expect(r.filesChecked == ["training_swift-1.0/common", "training_swift-1.0/closed_common", "training_swift-1.0/closed_fashion_mnist"])
    }

    @Test("the suite's short mode waives the quality target's at-least-one check, and nothing else")
    func waivedTargetCheck() {
        let short = Fixtures.fashion(evals: [0.5, 0.6])
        let waived = ComplianceOptions(waivedAtLeastOneChecks: ["eval_accuracy"])
        let strict = check(short)
        #expect(!strict.isCompliant && strict.errors.contains { $0.key == "eval_accuracy" && ($0.expected ?? "").contains("0.9") })
        let r = ComplianceChecker(ruleset: "swift-1.0", options: waived).check(MLLogParser.parse(short.text))
        #expect(r.isCompliant, "\(r.messages)")
        // The other rules still apply.
        let wrongBatch = ComplianceChecker(ruleset: "swift-1.0", options: waived)
            .check(MLLogParser.parse(Fixtures.fashion(evals: [0.5], batch: 128).text))
        #expect(!wrongBatch.isCompliant && wrongBatch.errors.contains { $0.key == "global_batch_size" })
    }

    @Test func closedHyperParametersAreFixed() {
        let r = check(Fixtures.fashion(batch: 128))
        #expect(!r.isCompliant)
        let m = r.errors.first { $0.key == "global_batch_size" }
        #expect(m?.expected == "value == 64")
        #expect(m?.line == 9)
        #expect(m?.ruleFile == "training_swift-1.0/closed_fashion_mnist")
        #expect(!check(Fixtures.fashion().swapText("\"value\": 0.02", "\"value\": 0.05")).isCompliant)
        #expect(!check(Fixtures.fashion().removing("opt_momentum")).isCompliant)
        #expect(!check(Fixtures.fashion().removing("seed")).isCompliant)
    }

    @Test func targetMustBeReached() {
        let r = check(Fixtures.fashion(evals: [0.85, 0.8999]))
        #expect(!r.isCompliant)
        let m = r.errors.first { $0.key == "eval_accuracy" }
        #expect(m?.expected == "at least one with value >= 0.90")
        #expect(m?.message.contains("0.8999") == true)
    }

    @Test func openDivisionFreesHyperParametersButNotTheTarget() {
        let open = Fixtures.fashion(batch: 256).swapText("\"value\": \"closed\"", "\"value\": \"open\"")
        #expect(check(open).isCompliant, "\(check(open).messages)")
        let missed = Fixtures.fashion(evals: [0.8]).swapText("\"value\": \"closed\"", "\"value\": \"open\"")
        #expect(!check(missed).isCompliant)
    }

    @Test func tooManyEpochsFail() {
        let evals = Array(repeating: 0.5, count: 15) + [0.91]
        #expect(!check(Fixtures.fashion(evals: evals)).isCompliant)
        #expect(check(Fixtures.fashion(evals: Array(evals.suffix(15)))).isCompliant)
    }

    @Test func bothBenchmarkSpellingsAreAccepted() {
        let b = Fixtures.fashion().swapText("\"value\": \"fashion-mnist\"", "\"value\": \"fashion_mnist\"")
        #expect(check(b).isCompliant)
        #expect(!check(Fixtures.fashion().swapText("\"value\": \"fashion-mnist\"", "\"value\": \"mnist\"")).isCompliant)
    }

    @Test func benchmarkCatalogue() throws {
        let b = try #require(BenchmarkRegistry.named("fashion_mnist")?.training)
        #expect(b.name == "fashion-mnist")
        #expect(b.target == 0.90 && b.higherIsBetter && b.maxEpochs == 15 && b.rulesetID == "swift-1.0")
        #expect(b.meetsTarget(0.9) && !b.meetsTarget(0.8999))
        #expect(BenchmarkRegistry.named("imagenet")?.training == nil)
    }
}
