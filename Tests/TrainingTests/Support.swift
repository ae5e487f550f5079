import Foundation
import TestSupport
import MLLog
@testable import Training

/// Builds MLLOG logs for tests, one line at a time, with the official line layout.
struct LogBuilder {
    var timeMs: Int64 = 1_763_000_000_000
    var lines: [String] = []

    mutating func add(_ key: String, _ value: JSONValue = .null, md: KeyValuePairs<String, JSONValue> = [:],
                      dt: Int64 = 10, type: MLLogEventType = .pointInTime) {
        timeMs += dt
        var meta = [JSONField("file", "train.py"), JSONField("lineno", .int(Int64(lines.count + 1)))]
        for (k, v) in md { meta.append(JSONField(k, v)) }
        lines.append(MLLogDialect.training.line(MLLogRecord(timeMs: Double(timeMs), eventType: type, key: key,
                                                            value: value, metadata: meta)))
    }

    var text: String { lines.joined(separator: "\n") + "\n" }

    func removing(_ key: String) -> LogBuilder {
        var b = self
        b.lines.removeAll { $0.contains("\"key\": \"\(key)\"") }
        return b
    }

    func swapText(_ old: String, _ new: String) -> LogBuilder {
        var b = self
        b.lines = b.lines.map { $0.replacing(old, with: new) }
        return b
    }

    func appending(_ line: String) -> LogBuilder { var b = self; b.lines.append(line); return b }
    func inserting(_ line: String, at i: Int) -> LogBuilder { var b = self; b.lines.insert(line, at: i); return b }
}

enum Fixtures {
    static var directory: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path
    }

    static var python: String { Python.project }

    static func tempDir(_ name: String) -> String {
        try! Scratch.directory(name).path
    }

    /// Runs a command; returns (exit status, stdout+stderr).
    static func run(_ args: [String], cwd: String? = nil) -> (Int32, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = args
        if let cwd { p.currentDirectoryURL = URL(fileURLWithPath: cwd) }
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try! p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// A closed llama31_8b log that passes the official 6.1.0 checker (spec training.md §4.1).
    static func llama(division: String = "closed", evals: [Double] = [3.6, 3.4, 3.28]) -> LogBuilder {
        var b = LogBuilder()
        b.add("cache_clear", true)
        b.add("init_start", type: .intervalStart)
        b.add("submission_benchmark", "llama31_8b")
        b.add("submission_org", "SwiftMLPerf")
        b.add("submission_division", .string(division))
        b.add("submission_platform", "cpu-box")
        b.add("submission_status", "research")
        b.add("config_filename", "config.yaml")
        for k in ["lowest_numerical_precision_in_linear", "lowest_numerical_precision_in_attn", "lowest_numerical_precision_in_comm"] {
            b.add(k, "bfloat16")
        }
        for k in ["tensor_parallelism", "pipeline_parallelism", "context_parallelism", "expert_parallelism", "micro_batch_size"] {
            b.add(k, 1)
        }
        b.add("seed", 1234)
        b.add("global_batch_size", 32)
        b.add("gradient_accumulation_steps", 1)
        b.add("max_sequence_length", 8192)
        b.add("max_steps", 1_200_000)
        b.add("opt_name", "adamw")
        b.add("opt_base_learning_rate", 0.0005)
        b.add("opt_end_learning_rate", 0.0)
        b.add("opt_learning_rate_warmup_steps", 128)
        b.add("opt_learning_rate_decay_steps", 1_199_872)
        b.add("opt_learning_rate_decay_schedule", "cosine with linear warmup")
        b.add("opt_adamw_beta_1", 0.9)
        b.add("opt_adamw_beta_2", 0.95)
        b.add("opt_adamw_epsilon", 1e-05)
        b.add("opt_adamw_weight_decay", 0.1)
        b.add("opt_gradient_clip_norm", 1.0)
        b.add("train_samples", 1_574_207_408)
        b.add("eval_samples", 1024)
        b.add("init_stop", dt: 60_000, type: .intervalEnd)
        b.add("run_start", type: .intervalStart)
        for (i, q) in evals.enumerated() {
            let samples = JSONValue.int(Int64((i + 1) * 12288))
            b.add("block_start", md: ["samples_count": samples], type: .intervalStart)
            b.add("block_stop", md: ["samples_count": samples], dt: 600_000, type: .intervalEnd)
            b.add("eval_start", md: ["samples_count": samples], type: .intervalStart)
            b.add("eval_stop", md: ["samples_count": samples], dt: 20_000, type: .intervalEnd)
            b.add("eval_accuracy", .double(q), md: ["samples_count": samples])
        }
        b.add("run_stop", md: ["samples_count": .int(Int64(evals.count * 12288)), "status": "success"], type: .intervalEnd)
        return b
    }

    /// A closed resnet log that passes the official 4.0.0 checker (LARS or SGD).
    static func resnet(optimizer: String = "lars", division: String = "closed", evals: [Double] = [0.70, 0.7601]) -> LogBuilder {
        var b = LogBuilder()
        b.add("cache_clear", true)
        b.add("init_start", type: .intervalStart)
        b.add("submission_benchmark", "resnet")
        b.add("submission_org", "SwiftMLPerf")
        b.add("submission_division", .string(division))
        b.add("submission_platform", "cpu-box")
        b.add("submission_status", "onprem")
        b.add("seed", 7)
        b.add("global_batch_size", 3264)
        b.add("gradient_accumulation_steps", 1)
        b.add("opt_name", .string(optimizer))
        if optimizer == "lars" {
            b.add("lars_opt_base_learning_rate", 10.5)
            b.add("lars_opt_end_learning_rate", 0.0001)
            b.add("lars_opt_learning_rate_decay_poly_power", 2)
            b.add("lars_opt_learning_rate_decay_steps", 1800)
            b.add("lars_epsilon", 0.0)
            b.add("lars_opt_learning_rate_warmup_epochs", 2)
            b.add("lars_opt_momentum", 0.9)
            b.add("lars_opt_weight_decay", 0.0002)
        } else {
            b.add("sgd_opt_base_learning_rate", 8.192)
            b.add("sgd_opt_end_learning_rate", 0.0001)
            b.add("sgd_opt_learning_rate_decay_poly_power", 2)
            b.add("sgd_opt_learning_rate_decay_steps", 1800)
            b.add("sgd_opt_weight_decay", 0.0001)
            b.add("sgd_opt_momentum", 0.9)
            b.add("model_bn_span", 64)
            b.add("opt_learning_rate_warmup_epochs", 5)
        }
        b.add("train_samples", 1_281_167)
        b.add("eval_samples", 50000)
        b.add("init_stop", dt: 120_000, type: .intervalEnd)
        b.add("run_start", type: .intervalStart)
        for (i, q) in evals.enumerated() {
            let first = JSONValue.int(Int64(i * 4 + 1))
            b.add("block_start", md: ["first_epoch_num": first, "epoch_count": 4], type: .intervalStart)
            b.add("epoch_start", md: ["epoch_num": first], type: .intervalStart)
            b.add("epoch_stop", md: ["epoch_num": first], dt: 60_000, type: .intervalEnd)
            b.add("block_stop", md: ["first_epoch_num": first], type: .intervalEnd)
            b.add("eval_start", md: ["epoch_num": .int(Int64(i * 4 + 4))], type: .intervalStart)
            b.add("eval_stop", md: ["epoch_num": .int(Int64(i * 4 + 4))], dt: 5_000, type: .intervalEnd)
            b.add("eval_accuracy", .double(q), md: ["epoch_num": .int(Int64(i * 4 + 4))])
        }
        b.add("run_stop", md: ["status": "success"], type: .intervalEnd)
        return b
    }

    /// A closed fashion-mnist log (swift-1.0 ruleset) as the reference writes it.
    static func fashion(evals: [Double] = [0.84, 0.87, 0.905], status: String = "success",
                        batch: Int64 = 64, seed: Int64 = 42) -> LogBuilder {
        var b = LogBuilder()
        b.add("cache_clear", true)
        b.add("init_start", type: .intervalStart)
        b.add("submission_benchmark", "fashion-mnist")
        b.add("submission_division", "closed")
        b.add("submission_org", "SwiftMLPerf")
        b.add("submission_platform", "cpu-box")
        b.add("submission_status", "research")
        b.add("seed", .int(seed))
        b.add("global_batch_size", .int(batch))
        b.add("opt_name", "sgd")
        b.add("opt_base_learning_rate", 0.02)
        b.add("opt_momentum", 0.9)
        b.add("opt_weight_decay", 0.0)
        b.add("train_samples", 60000)
        b.add("eval_samples", 10000)
        b.add("init_stop", dt: 500, type: .intervalEnd)
        b.add("run_start", type: .intervalStart)
        for (i, q) in evals.enumerated() {
            let e = JSONValue.int(Int64(i + 1))
            b.add("block_start", md: ["first_epoch_num": e, "epoch_count": 1], type: .intervalStart)
            b.add("epoch_start", md: ["epoch_num": e], type: .intervalStart)
            b.add("epoch_stop", md: ["epoch_num": e], dt: 3000, type: .intervalEnd)
            b.add("eval_start", md: ["epoch_num": e], type: .intervalStart)
            b.add("eval_stop", md: ["epoch_num": e], dt: 300, type: .intervalEnd)
            b.add("eval_accuracy", .double(q), md: ["epoch_num": e])
            b.add("block_stop", md: ["first_epoch_num": e], type: .intervalEnd)
        }
        b.add("run_stop", md: ["status": .string(status)], type: .intervalEnd)
        return b
    }
}

extension Fixtures {
    /// A 6.1.0 log for any benchmark: the common keys, `hyper` in order, then blocks and evals at `samples_count`.
    static func sixOne(benchmark: String, hyper: [(String, JSONValue)], evals: [(Int64, Double)],
                       division: String = "closed") -> LogBuilder {
        var b = LogBuilder()
        b.add("cache_clear", true)
        b.add("init_start", type: .intervalStart)
        b.add("submission_benchmark", .string(benchmark))
        b.add("submission_org", "SwiftMLPerf")
        b.add("submission_division", .string(division))
        b.add("submission_platform", "cpu-box")
        b.add("config_filename", "config.yaml")
        for k in ["lowest_numerical_precision_in_linear", "lowest_numerical_precision_in_attn", "lowest_numerical_precision_in_comm"] {
            b.add(k, "bfloat16")
        }
        for k in ["tensor_parallelism", "pipeline_parallelism", "context_parallelism", "expert_parallelism", "micro_batch_size"] {
            b.add(k, 1)
        }
        b.add("seed", 99)
        for (k, v) in hyper { b.add(k, v) }
        if !hyper.contains(where: { $0.0 == "gradient_accumulation_steps" }) { b.add("gradient_accumulation_steps", 1) }
        if !hyper.contains(where: { $0.0 == "train_samples" }) { b.add("train_samples", 1_000_000) }
        if !hyper.contains(where: { $0.0 == "eval_samples" }) { b.add("eval_samples", 1024) }
        b.add("init_stop", dt: 60_000, type: .intervalEnd)
        b.add("run_start", type: .intervalStart)
        for (samples, q) in evals {
            b.add("block_start", md: ["samples_count": .int(samples)], type: .intervalStart)
            b.add("block_stop", md: ["samples_count": .int(samples)], dt: 60_000, type: .intervalEnd)
            b.add("eval_start", md: ["samples_count": .int(samples)], type: .intervalStart)
            b.add("eval_stop", md: ["samples_count": .int(samples)], dt: 1_000, type: .intervalEnd)
            b.add("eval_accuracy", .double(q), md: ["samples_count": .int(samples)])
        }
        b.add("run_stop", md: ["status": "success"], type: .intervalEnd)
        return b
    }
}
