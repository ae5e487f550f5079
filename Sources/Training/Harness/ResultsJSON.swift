import MLLog

/// `results.json`: the session's runs, score and checks, for tools.
public enum ResultsJSON {
    static func num(_ d: Double?) -> JSONValue { d.map { $0.isFinite ? .double($0) : .null } ?? .null }

    public static func make(_ r: TrainingResult) -> JSONValue {
        let runs: [JSONValue] = r.runs.map { run in
            var status = "success"
            var reason: JSONValue = .null
            switch run.status {
            case .success: break
            case .failed(let why): status = "failed"; reason = .string(why)
            case .cancelled: status = "cancelled"
            }
            return .object([
                JSONField("index", .int(Int64(run.index))),
                JSONField("seed", .uint(run.seed)),
                JSONField("status", .string(status)),
                JSONField("reason", reason),
                JSONField("log", .string(run.logPath)),
                JSONField("time_to_train_ms", num(run.timeToTrainMs)),
                JSONField("time_to_train_min", num(run.minutes)),
                JSONField("best_quality", num(run.bestQuality)),
                JSONField("convergence_point", num(run.convergencePoint)),
                JSONField("compliant", .bool(run.compliance.isCompliant)),
                JSONField("compliance_errors", .array(run.compliance.errors.map { .string($0.description) })),
                JSONField("compliance_warnings", .array(run.compliance.warnings.map { .string($0.description) })),
                JSONField("exit_status", run.exitStatus.map { .int(Int64($0)) } ?? .null),
                JSONField("wall_seconds", .double(run.wallSeconds)),
                JSONField("output_tail", .array(run.outputTail.map { .string($0) })),
                JSONField("warnings", .array(run.warnings.map { .string($0) })),
                JSONField("log_issues", .array(run.parseIssues.map { .string($0.description) })),
            ])
        }
        var stats: JSONValue = .null
        if let s = r.statistics {
            stats = .object([
                JSONField("successful_runs", .int(Int64(s.count))), JSONField("mean_min", .double(s.mean)),
                JSONField("median_min", .double(s.median)), JSONField("stdev_min", .double(s.standardDeviation)),
                JSONField("coefficient_of_variation", .double(s.coefficientOfVariation)),
                JSONField("fastest_min", .double(s.min)), JSONField("slowest_min", .double(s.max)),
            ])
        }
        var rcp: JSONValue = .null
        if let v = r.rcp {
            rcp = .object([
                JSONField("outcome", .string(v.outcome.rawValue)), JSONField("message", .string(v.message)),
                JSONField("reference_mean", num(v.reference?.mean)), JSONField("min_epochs", num(v.reference?.minEpochs)),
                JSONField("submission_mean", num(v.submissionMean)), JSONField("scaling_factor", .double(v.scalingFactor)),
            ])
        } else if let note = r.rcpNote {
            rcp = .object([JSONField("outcome", "not_checked"), JSONField("message", .string(note))])
        }
        return .object([
            JSONField("benchmark", .string(r.benchmark.name)),
            JSONField("quality_metric", .string(r.benchmark.qualityMetric)),
            JSONField("target", .double(r.benchmark.target)),
            JSONField("higher_is_better", .bool(r.benchmark.higherIsBetter)),
            JSONField("division", .string(r.options.division)),
            JSONField("system", .string(r.options.system)),
            JSONField("ruleset", .string(r.options.rulesetID ?? r.benchmark.rulesetID)),
            JSONField("runs_requested", .int(Int64(r.options.runs))),
            JSONField("partial", .bool(r.partial)),
            JSONField("results_directory", .string(r.benchmarkDirectory)),
            JSONField("runs", .array(runs)),
            JSONField("score", .object([
                JSONField("olympic_mean_min", num(r.score.minutes)),
                JSONField("scaled_min", num(r.scaledMinutes)),
                JSONField("counted_runs_min", .array(r.score.counted.map { .double($0) })),
                JSONField("failed_runs", .int(Int64(r.score.failedRuns))),
                JSONField("max_drop", .int(Int64(r.score.maxDrop))),
                JSONField("invalid_reason", r.score.invalidReason.map { .string($0) } ?? .null),
            ])),
            JSONField("statistics", stats),
            JSONField("rcp", rcp),
        ])
    }
}
