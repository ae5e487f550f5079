import Datasets
import Foundation
import ONNXRuntime
import TestSupport
import Testing
@testable import Benchmarks

/// The search on positions whose best move is known, with a hand-written evaluator (uniform priors, the area score
/// as the value), and the Dirichlet noise's Gamma draws against their known moments.
@Suite("go: MCTS")
struct GoSearchTests {
    /// Uniform logits; value tanh(score / 10) for the side to play, by area (stones plus surrounded points).
    final class AreaEvaluator: GoEvaluator {
        let size: Int
        var calls = 0
        init(size: Int) { self.size = size }
        func evaluate(_ planes: UnsafePointer<Float>, count: Int, policy: UnsafeMutablePointer<Float>,
                      value: UnsafeMutablePointer<Float>) throws {
            let n = size * size
            for i in 0..<count {
                calls += 1
                let p = planes + i * GoFeatures.count(size: size)
                var mine: Float = 0, theirs: Float = 0
                for k in 0..<n { mine += p[k]; theirs += p[n + k] }
                value[i] = tanhf((mine - theirs) / 10)
                (policy + i * (n + 1)).update(repeating: 0, count: n + 1)
            }
        }
    }

    /// A 9×9 position from rows of `X` (black), `O` (white), `.`; black to play unless `whiteToPlay`.
    func board(_ rows: [String], whiteToPlay: Bool = false) -> GoBoard {
        var b = GoBoard(size: 9)
        // Place stones by playing them alternately, with passes to keep the colours.
        for (r, row) in rows.enumerated() {
            for (c, ch) in row.enumerated() where ch != "." {
                let want: GoBoard.Stone = ch == "X" ? .black : .white
                if b.toPlay != want { b.pass() }
                b.play(b.point(row: r, column: c))
            }
        }
        if b.toPlay != (whiteToPlay ? .white : .black) { b.pass() }
        return b
    }

    @Test("the capture of a large group in atari gets most visits; visits sum to the simulations; occupied points get none")
    func findsCapture() throws {
        let b = board([
            ".........",
            ".........",
            "..XXXX...",
            ".XOOOOX..",
            ".XOOOOX..",
            "..XXX....",
            ".........",
            ".........",
            ".........",
        ])
        var root = b
        let capture = root.point(row: 5, column: 5)
        let legal = root.isLegal(capture)
        #expect(legal)
        let search = MCTS(size: 9, simulations: 400)
        let evaluator = AreaEvaluator(size: 9)
        var random = SplitMix64(seed: 1)
        var visits = [Int32](repeating: 0, count: 82)
        try visits.withUnsafeMutableBufferPointer {
            try search.search(b, lastMove: nil, evaluator: evaluator, random: &random, visits: $0.baseAddress!)
        }
        let best = visits.indices.max { visits[$0] < visits[$1] }!
        #expect(best == GoFeatures.moveIndex(capture, on: root), "visits \(visits)")
        #expect(visits.reduce(0, +) == 400)
        #expect(evaluator.calls <= 401)
        // Illegal points get no visits.
        for r in 0..<9 { for c in 0..<9 where root[root.point(row: r, column: c)] != .empty { #expect(visits[r * 9 + c] == 0) } }
    }

    @Test("with root noise the search still visits only legal moves and sums to the simulations")
    func rootNoise() throws {
        var b = GoBoard(size: 9)
        b.play(b.point(row: 4, column: 4))
        let search = MCTS(size: 9, simulations: 64)
        var random = SplitMix64(seed: 9)
        var visits = [Int32](repeating: 0, count: 82)
        try visits.withUnsafeMutableBufferPointer {
            try search.search(b, lastMove: b.point(row: 4, column: 4), evaluator: AreaEvaluator(size: 9),
                              noise: (alpha: 0.11, epsilon: 0.25), random: &random, visits: $0.baseAddress!)
        }
        #expect(visits.reduce(0, +) == 64 && visits[40] == 0)
    }

    @Test("Gamma(k, 1) draws have mean k and variance k", arguments: [0.03, 0.3, 1.0, 2.5])
    func gammaMoments(shape: Double) {
        var random = SplitMix64(seed: 42)
        let n = 200_000
        var sum = 0.0, squares = 0.0
        for _ in 0..<n {
            let g = random.gamma(shape: shape)
            sum += g
            squares += g * g
        }
        let mean = sum / Double(n), variance = squares / Double(n) - mean * mean
        // Standard errors: the mean's is √(k/n); the variance's about √((2k² + 6k)/n) (the fourth moment of Gamma).
        #expect(abs(mean - shape) < 5 * (shape / Double(n)).squareRoot(), "mean \(mean)")
        #expect(abs(variance - shape) < 5 * ((2 * shape * shape + 6 * shape) / Double(n)).squareRoot(), "variance \(variance)")
    }

    /// A small random-weight policy/value network in the contract's shape (`board` [N,12,9,9] → `policy` [N,82],
    /// `value` [N,1]), exported by torch once per test process.
    static let randomNetwork: Result<String, Error> = Result {
        let path = try Scratch.directory("go-net").appendingPathComponent("random.onnx").path
        _ = try Python.run("""
        import sys, torch
        torch.manual_seed(0)
        class Net(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.conv = torch.nn.Conv2d(12, 16, 3, padding=1)
                self.policy = torch.nn.Linear(16 * 81, 82)
                self.value = torch.nn.Linear(16 * 81, 1)
            def forward(self, board):
                h = torch.relu(self.conv(board)).flatten(1)
                return self.policy(h), torch.tanh(self.value(h))
        torch.onnx.export(Net().eval(), torch.zeros(1, 12, 9, 9), sys.argv[1], input_names=["board"],
                          output_names=["policy", "value"], dynamic_axes={"board": {0: "N"}, "policy": {0: "N"},
                          "value": {0: "N"}}, opset_version=13)
        """, arguments: [path], interpreter: Python.project)
        return path
    }

    static func network() throws -> GoNetwork {
        try GoNetwork(runtime: try ORTRuntime(environment: ProcessInfo.processInfo.environment),
                      modelPath: try randomNetwork.get(), options: ORTSessionOptions(intraOpThreads: 1))
    }

    @Test("self-play over the ONNX network: one example per move, visit distributions that sum to 1, outcomes that follow the score")
    func selfPlay() throws {
        let play = GoSelfPlay(settings: .init(simulations: 16, maxMoves: 120))
        var random = SplitMix64(seed: 3)
        let game = try play.play(evaluator: try Self.network(), random: &random)
        #expect(game.positions == game.moves.count && game.positions > 0)
        #expect(game.planes.count == game.positions * GoFeatures.count(size: 9))
        #expect(game.policies.count == game.positions * 82)
        for k in 0..<game.positions {
            let sum = game.policies[(k * 82)..<(k * 82 + 82)].reduce(0, +)
            #expect(abs(sum - 1) < 1e-5)
            #expect(game.policies[k * 82 + game.moves[k]] > 0, "the move played was searched")
        }
        let ended = game.moves.count == 120 || game.moves.suffix(2) == [81, 81]
        #expect(ended, "\(game.moves.suffix(4))")
        // Black moves at even positions: its outcome is +1 exactly when black's score is positive.
        #expect(game.outcomes[0] == (game.score > 0 ? 1 : -1))
        if game.positions > 1 { #expect(game.outcomes[1] == -game.outcomes[0]) }
    }

    @Test("games against GnuGo over GTP: every move legal for both, colours alternate, GnuGo's final score decides")
    func versusGnuGo() throws {
        let net = try Self.network()
        for simulations in [0, 8] {
            let match = GnuGoMatch(level: 0, simulations: simulations, maxMoves: 120)
            let games = try match.play(0..<2, evaluator: net, seed: 11)
            #expect(games.map(\.weAreBlack) == [true, false])
            for g in games {
                let blackWon = g.score.hasPrefix("B+")
                #expect(g.score.hasPrefix("B+") || g.score.hasPrefix("W+"), "\(g.score)")
                #expect(g.won == (blackWon == g.weAreBlack) && g.moves > 2)
            }
        }
    }
}
