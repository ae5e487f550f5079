import ArgumentParser
import Benchmarks
import Datasets
import Foundation
import ONNXRuntime

/// The Swift half of the reinforcement-learning (9×9 Go) reference: the PyTorch trainer
/// (`references/pytorch/train_go.py`) runs this for everything that needs the rules — the input planes of the
/// GnuGo games, self-play with MCTS over the exported network, and games against GnuGo — and learns from the files
/// it writes (float32 little-endian, row-major).
@main
struct GoSelfPlayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "go-selfplay",
        abstract: "Go positions, self-play and matches against GnuGo for the reinforcement-learning reference.",
        subcommands: [Positions.self, SelfPlay.self, Versus.self])
}

/// Writes `values` as raw float32 (or int32) little-endian.
func write<T>(_ values: [T], to path: String) throws {
    try values.withUnsafeBytes { try Data($0).write(to: URL(fileURLWithPath: path)) }
}

func printJSON(_ object: [String: Any]) throws {
    let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    print(String(decoding: data, as: UTF8.self))
}

func network(_ model: String) throws -> GoNetwork {
    try GoNetwork(runtime: try ORTRuntime(environment: ProcessInfo.processInfo.environment), modelPath: model,
                  options: ORTSessionOptions(intraOpThreads: 1))
}

struct Positions: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The positions before each GnuGo move of a game file: OUT.planes.f32 [N,12,9,9], OUT.moves.i32 [N], OUT.outcomes.f32 [N] (for the side to play).")
    @Option(help: "The directory of heldout.jsonl and bootstrap.jsonl (scripts/data/go.py).") var dataDir: String
    @Option(help: "heldout | bootstrap.") var set: String
    @Option(help: "Output prefix.") var out: String

    func run() throws {
        let games = try GoGames.load(directory: dataDir, name: set, hint: "run bash scripts/setup.sh")
        let (planes, moves, outcomes) = games.positions()
        try write(planes, to: out + ".planes.f32")
        try write(moves, to: out + ".moves.i32")
        try write(outcomes, to: out + ".outcomes.f32")
        try printJSON(["positions": moves.count, "games": games.games.count])
    }
}

struct SelfPlay: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Self-play games of a network: OUT.planes.f32 [N,12,9,9], OUT.policies.f32 [N,82], OUT.outcomes.f32 [N].")
    @Option(help: "The network (ONNX: board → policy, value).") var model: String
    @Option(help: "Games to play.") var games: Int
    @Option(help: "MCTS simulations a move.") var simulations: Int
    @Option(help: "Seed.") var seed: UInt64
    @Option(help: "Output prefix.") var out: String

    func run() throws {
        let evaluator = try network(model)
        let play = GoSelfPlay(settings: .init(simulations: simulations))
        var random = SplitMix64(seed: seed)
        var planes: [Float] = [], policies: [Float] = [], outcomes: [Float] = []
        var blackWins = 0, moves = 0
        for _ in 0..<games {
            let game = try play.play(evaluator: evaluator, random: &random)
            planes += game.planes
            policies += game.policies
            outcomes += game.outcomes
            moves += game.moves.count
            if game.score > 0 { blackWins += 1 }
        }
        try write(planes, to: out + ".planes.f32")
        try write(policies, to: out + ".policies.f32")
        try write(outcomes, to: out + ".outcomes.f32")
        try printJSON(["positions": outcomes.count, "games": games, "black_wins": blackWins,
                       "mean_moves": Double(moves) / Double(max(games, 1))])
    }
}

struct Versus: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Games of a network against GnuGo; prints the win rate as JSON.")
    @Option(help: "The network (ONNX: board → policy, value).") var model: String
    @Option(help: "Games (our colour alternates).") var games: Int
    @Option(help: "GnuGo's level (0-10).") var level: Int = 0
    @Option(help: "MCTS simulations a move (0: the policy's best legal move).") var simulations: Int = 0
    @Option(help: "Seed (openings and GnuGo's own).") var seed: UInt64
    @Option(help: "The first game's index (for running games in several processes).") var first: Int = 0

    func run() throws {
        let match = GnuGoMatch(level: level, simulations: simulations)
        let results = try match.play(first..<(first + games), evaluator: try network(model), seed: seed)
        let wins = results.filter(\.won).count
        try printJSON(["wins": wins, "games": results.count, "win_rate": Double(wins) / Double(max(results.count, 1)),
                       "level": level, "simulations": simulations,
                       "results": results.map { ["game": $0.index, "black": $0.weAreBlack, "score": $0.score, "won": $0.won] }])
    }
}
