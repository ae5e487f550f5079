import ArgumentParser

@main
struct MLPerf: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mlperf",
        abstract: "MLPerf inference and training benchmarks, in one binary.",
        subcommands: [SuiteCommand.self, LoadGenCommand.self, RunCommand.self, AccuracyCommand.self, TrainCommand.self, CheckCommand.self, SubmissionCommand.self, BenchCommand.self]
    )
}

/// `mlperf bench …`: side-by-side benchmarks against the official tools.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmarks that run ours and the official tool side by side and print both figures.",
        subcommands: [BenchLoadGenCommand.self, BenchInferenceCommand.self, BenchTrainingCommand.self, BenchServingCommand.self]
    )
}
