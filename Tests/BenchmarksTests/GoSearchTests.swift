import Datasets
import Foundation
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
}
