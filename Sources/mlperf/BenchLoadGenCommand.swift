import ArgumentParser

struct BenchLoadGenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "loadgen", abstract: "LoadGen: ours vs the official, null SUT.")
    func run() throws {}
}
