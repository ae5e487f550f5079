import Foundation
import MLLog
import Testing
@testable import Training

/// Fixture logs for official benchmarks, passing and failing; our verdict must equal the verdict of
/// `python3 -m mlperf_logging.compliance_checker` (PyPI mlperf-logging, installed by scripts/setup.sh).
@Suite struct OfficialCrossCheckTests {
    struct Case: Sendable, CustomStringConvertible {
        var name: String
        var ruleset: String
        var text: String
        /// What the official checker says (pinned so that a change in either checker shows up).
        var passes: Bool
        /// The unmutated log the case derives from (a mutation that does not apply would test nothing).
        var base: String
        var description: String { name }
    }

    static let llamaCases: [Case] = {
        let base = Fixtures.llama()
        var cases: [Case] = []
        func add(_ n: String, _ b: LogBuilder, _ pass: Bool) { cases.append(Case(name: "llama31_8b/" + n, ruleset: "6.1.0", text: b.text, passes: pass, base: base.text)) }
        add("pass", base, true)
        add("bogus-event-type-no-namespace", base.swapText("\"event_type\": \"POINT_IN_TIME\"", "\"event_type\": \"BOGUS\"").swapText("\"namespace\": \"\", ", ""), true)
        add("missing-metadata", base.swapText(", \"metadata\": {\"file\": \"train.py\", \"lineno\": 1}", ""), false)
        add("missing-value", base.swapText("\"value\": \"SwiftMLPerf\", ", ""), false)
        add("run-stop-aborted", base.swapText("\"status\": \"success\"", "\"status\": \"aborted\""), true)
        add("run-stop-no-status", base.swapText(", \"status\": \"success\"", ""), false)
        add("best-eval-3.31", Fixtures.llama(evals: [3.6, 3.4, 3.31]), false)
        add("time-ms-string", base.swapText("\"time_ms\": 1763000000010,", "\"time_ms\": \"1763000000010\","), true)
        add("junk-and-prefixes", base.inserting("Epoch 1 loss 3.2 (framework chatter)", at: 3).swapText(":::MLLOG {\"namespace\": \"\", \"time_ms\": 1763000000030", "[1,0]<stdout>: :::MLLOG {\"namespace\": \"\", \"time_ms\": 1763000000030"), true)
        add("truncated-json-line", base.inserting(":::MLLOG {\"namespace\": \"\", \"time_ms\": 17630000", at: 5), false)
        add("init-31-min", base.swapText("\"time_ms\": 1763000060340", "\"time_ms\": 1763001860340"), false)
        add("init-start-after-init-stop", base.appending(base.lines[1]).removing("run_stop").appending(base.lines.last!), false)
        add("dup-gbs-same", base.inserting(base.lines.first { $0.contains("global_batch_size") }!, at: 20), true)
        add("dup-gbs-different", base.inserting(base.lines.first { $0.contains("global_batch_size") }!.replacing("\"value\": 32", with: "\"value\": 64"), at: 20), false)
        add("beta2-0.999", base.swapText("\"opt_adamw_beta_2\", \"value\": 0.95", "\"opt_adamw_beta_2\", \"value\": 0.999"), false)
        add("decay-steps-wrong", base.swapText("\"value\": 1199872", "\"value\": 1200000"), false)
        add("unknown-extra-key", base.inserting(":::MLLOG {\"namespace\": \"\", \"time_ms\": 1763000000015, \"event_type\": \"POINT_IN_TIME\", \"key\": \"my_own_key\", \"value\": [1, 2], \"metadata\": {}}", at: 2), true)
        add("last-eval-epoch-num", base.swapText("\"value\": 3.28, \"metadata\": {\"file\": \"train.py\", \"lineno\": 51, \"samples_count\": 36864}", "\"value\": 3.28, \"metadata\": {\"file\": \"train.py\", \"lineno\": 51, \"epoch_num\": 3}"), false)
        let warm = base.lines.firstIndex { $0.contains("opt_learning_rate_warmup_steps") }!
        var late = base
        late.lines.swapAt(warm, warm + 1)
        add("warmup-after-decay", late, false)
        add("open-losses-above-1", Fixtures.llama(division: "open"), false)
        add("open-loss-below-1", Fixtures.llama(division: "open", evals: [3.0, 0.9]), true)
        add("missing-precision-key", base.removing("lowest_numerical_precision_in_attn"), false)
        add("benchmark-not-in-round", base.swapText("\"value\": \"llama31_8b\"", "\"value\": \"resnet\""), false)
        add("no-run-stop", base.removing("run_stop"), false)
        add("empty", LogBuilder(), false)
        add("eval-value-string", base.swapText("\"value\": 3.28,", "\"value\": \"3.28\","), false)
        add("block-epoch-count-0", base.inserting(":::MLLOG {\"namespace\": \"\", \"time_ms\": 1763000060345, \"event_type\": \"INTERVAL_START\", \"key\": \"block_start\", \"value\": null, \"metadata\": {\"first_epoch_num\": 1, \"epoch_count\": 0}}", at: 40), false)
        add("tensor-parallelism-0", base.swapText("\"tensor_parallelism\", \"value\": 1", "\"tensor_parallelism\", \"value\": 0"), false)
        add("tensor-parallelism-2.0", base.swapText("\"tensor_parallelism\", \"value\": 1", "\"tensor_parallelism\", \"value\": 2.0"), true)
        add("org-twice-different", base.inserting(base.lines[3].replacing("SwiftMLPerf", with: "Other"), at: 4), false)
        add("org-twice-same", base.inserting(base.lines[3], at: 4), true)
        add("division-bogus", base.swapText("\"value\": \"closed\"", "\"value\": \"preview\""), false)
        add("time-goes-backwards", base.swapText("\"time_ms\": 1763000060360", "\"time_ms\": 1763000060000"), true)
        add("nan-accuracy-then-pass", base.swapText("\"value\": 3.6,", "\"value\": NaN,"), true)
        return cases
    }()

    static let resnetCases: [Case] = {
        var cases: [Case] = []
        let lars = Fixtures.resnet()
        func add(_ n: String, _ b: LogBuilder, _ pass: Bool) { cases.append(Case(name: "resnet/" + n, ruleset: "4.0.0", text: b.text, passes: pass, base: lars.text)) }
        add("lars-pass", lars, true)
        add("sgd-pass", Fixtures.resnet(optimizer: "sgd"), true)
        add("missing-submission-status", lars.removing("submission_status"), false)
        add("lars-weight-decay-not-power-of-2", lars.swapText("\"value\": 0.0002", "\"value\": 0.0003"), false)
        add("target-missed", Fixtures.resnet(evals: [0.70, 0.7589]), false)
        add("sgd-lr-not-multiple", Fixtures.resnet(optimizer: "sgd").swapText("\"value\": 8.192", "\"value\": 8.1925"), false)
        add("optimizer-adam", Fixtures.resnet(optimizer: "lars").swapText("\"value\": \"lars\"", "\"value\": \"adam\""), false)
        add("eval-samples-count-only", lars.swapText("\"epoch_num\": 8}", "\"samples_count\": 8}"), false)
        add("open-low-accuracy", Fixtures.resnet(division: "open", evals: [0.5]), true)
        return cases
    }()

    /// The other 6.1.0 benchmarks whose rule files we ship.
    static let otherCases: [Case] = {
        var cases: [Case] = []
        func add(_ n: String, _ b: LogBuilder, _ pass: Bool, base: LogBuilder) {
            cases.append(Case(name: n, ruleset: "6.1.0", text: b.text, passes: pass, base: base.text))
        }
        let llamaHyper: [(String, JSONValue)] = [
            ("global_batch_size", 32), ("max_sequence_length", 8192), ("max_steps", 1_200_000), ("opt_name", "adamw"),
            ("opt_base_learning_rate", 0.0005), ("opt_end_learning_rate", 0.0), ("opt_learning_rate_warmup_steps", 128),
            ("opt_learning_rate_decay_steps", 1_199_872), ("opt_learning_rate_decay_schedule", "cosine with linear warmup"),
            ("opt_adamw_beta_1", 0.9), ("opt_adamw_beta_2", 0.95), ("opt_adamw_epsilon", 1e-05), ("opt_adamw_weight_decay", 0.1),
            ("opt_gradient_clip_norm", 1.0),
        ]
        let gpt = Fixtures.sixOne(benchmark: "gpt_oss_20b", hyper: llamaHyper, evals: [(12288, 3.6), (24576, 3.33)])
        add("gpt_oss_20b/pass", gpt, true, base: gpt)
        add("gpt_oss_20b/target-3.35", Fixtures.sixOne(benchmark: "gpt_oss_20b", hyper: llamaHyper, evals: [(12288, 3.6), (24576, 3.35)]), false, base: gpt)

        let fluxHyper: [(String, JSONValue)] = [
            ("global_batch_size", 48), ("evaluation_frequency", 262_176), ("opt_name", "adamw"), ("opt_adamw_beta_1", 0.9),
            ("opt_adamw_beta_2", 0.95), ("opt_adamw_epsilon", 1e-08), ("opt_adamw_weight_decay", 0.1),
            ("opt_base_learning_rate", 0.0001), ("opt_learning_rate_warmup_steps", 100), ("opt_gradient_clip_norm", 1.0),
        ]
        let flux = Fixtures.sixOne(benchmark: "flux1", hyper: fluxHyper, evals: [(262_176, 0.7), (524_352, 0.58)])
        add("flux1/pass", flux, true, base: flux)
        add("flux1/eval-frequency-not-rounded-to-gbs", flux.swapText("\"value\": 262176", "\"value\": 262144"), false, base: flux)
        add("flux1/gbs-before-frequency-missing", flux.removing("global_batch_size"), false, base: flux)

        let loraHyper: [(String, JSONValue)] = [
            ("global_batch_size", 8), ("opt_base_learning_rate", 0.0004), ("opt_learning_rate_training_steps", 1024),
            ("opt_gradient_clip_norm", 0.3), ("opt_adamw_weight_decay", 0.0001), ("lora_alpha", 32), ("lora_rank", 16),
        ]
        let lora = Fixtures.sixOne(benchmark: "llama2_70b_lora", hyper: loraHyper, evals: [(3072, 0.95), (3456, 0.92)])
        add("llama2_70b_lora/pass", lora, true, base: lora)
        add("llama2_70b_lora/rank-8", lora.swapText("\"lora_rank\", \"value\": 16", "\"lora_rank\", \"value\": 8"), false, base: lora)

        let dsHyper: [(String, JSONValue)] = [
            ("global_batch_size", 16384), ("max_sequence_length", 4096), ("opt_name", "adamw"), ("opt_base_learning_rate", 2.4e-05),
            ("max_steps", 12000), ("opt_learning_rate_warmup_steps", 4), ("opt_learning_rate_decay_steps", 11996),
            ("opt_learning_rate_decay_schedule", "cosine with linear warmup"), ("opt_adamw_beta_1", 0.9), ("opt_adamw_beta_2", 0.95),
            ("opt_adamw_epsilon", 1e-08), ("opt_adamw_weight_decay", 0.1), ("opt_gradient_clip_norm", 1.0), ("moe_aux_loss_coeff", 0.01),
        ]
        let ds = Fixtures.sixOne(benchmark: "deepseekv3_671b", hyper: dsHyper, evals: [(704_512, 3.7), (720_896, 3.55)])
        add("deepseekv3_671b/pass", ds, true, base: ds)
        add("deepseekv3_671b/first-eval-off-grid", Fixtures.sixOne(benchmark: "deepseekv3_671b", hyper: dsHyper, evals: [(720_896, 3.7), (737_280, 3.55)]), false, base: ds)
        add("deepseekv3_671b/lr-not-scaled", ds.swapText("\"value\": 2.4e-05", "\"value\": 3e-05"), false, base: ds)
        return cases
    }()

    static func official(_ c: Case) -> (Bool, String) {
        let dir = Fixtures.tempDir("cc")
        let file = dir + "/result_0.txt"
        FileManager.default.createFile(atPath: file, contents: Data(c.text.utf8))
        let (status, out) = Fixtures.run([Fixtures.python, "-m", "mlperf_logging.compliance_checker", "--ruleset", c.ruleset,
                                          "--log_output", dir + "/cc.log", file], cwd: dir)
        try? FileManager.default.removeItem(atPath: dir)
        return (status == 0, out)
    }

    @Test(arguments: llamaCases + resnetCases + otherCases)
    func verdictEqualsOfficial(_ c: Case) {
        if !c.name.hasSuffix("pass") { #expect(c.text != c.base, "\(c.name): the mutation did not apply") }
        let ours = ComplianceChecker(ruleset: c.ruleset, options: .official).check(MLLogParser.parse(c.text))
        let (theirs, output) = OfficialCrossCheckTests.official(c)
        #expect(ours.isCompliant == theirs, "\(c.name): ours \(ours.isCompliant), official \(theirs)\nours: \(ours.messages.map(\.description).joined(separator: "\n"))\nofficial:\n\(output.suffix(1500))")
        #expect(theirs == c.passes, "\(c.name): the official checker now says \(theirs)")
    }

    @Test func strictModeAlsoRejectsTimeGoingBackwards() {
        let c = OfficialCrossCheckTests.llamaCases.first { $0.name.hasSuffix("time-goes-backwards") }!
        let report = ComplianceChecker(ruleset: "6.1.0").check(MLLogParser.parse(c.text))
        #expect(!report.isCompliant)
        let m = report.errors.first { $0.ruleFile == "integrity" }
        #expect(m?.line != nil)
        #expect(m?.message.contains("earlier than the previous") == true)
    }
}
