import ArgumentParser

@main
struct MLPerf: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mlperf",
        abstract: "MLPerf inference and training benchmarks, in one binary.",
        subcommands: [TrainCommand.self, CheckCommand.self]
    )
}
