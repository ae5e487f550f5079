import Datasets
import Foundation

/// Self-play as MiniGo plays it: the network searches for both sides (MCTS, Dirichlet noise at every root), the
/// move is drawn in proportion to the visits for the first `sampledMoves` moves and is the most visited after; the
/// game ends at two passes or `maxMoves`, and its area score (komi 7.5: no draws) decides the outcome. Each position becomes a
/// training example: its planes, the search's visit distribution (the policy target) and the outcome for the side
/// to play (the value target).
public final class GoSelfPlay {
    public struct Settings: Sendable {
        public var simulations: Int
        public var sampledMoves: Int
        public var maxMoves: Int
        public var komi: Double
        public var dirichletAlpha: Double
        public var noiseWeight: Float

        /// MiniGo's choices scaled to 9×9: noise α 0.03 × 361 / 81 ≈ 0.11 (AlphaGo Zero keeps α·legal moves ≈ 10),
        /// weight 0.25; visit-proportional moves for the first 8 (MiniGo: 30 on 19×19); at most 2 × 81 moves.
        public init(simulations: Int, sampledMoves: Int = 8, maxMoves: Int = 162, komi: Double = 7.5,
                    dirichletAlpha: Double = 0.11, noiseWeight: Float = 0.25) {
            self.simulations = simulations
            self.sampledMoves = sampledMoves
            self.maxMoves = maxMoves
            self.komi = komi
            self.dirichletAlpha = dirichletAlpha
            self.noiseWeight = noiseWeight
        }
    }

    /// One finished game: per position (`positions` of them) its planes (`GoFeatures.count` floats), the visit
    /// distribution (`size² + 1` floats summing to 1) and the outcome for the side to play (+1 won, −1 lost).
    public struct Game: Sendable {
        public var planes: [Float]
        public var policies: [Float]
        public var outcomes: [Float]
        /// The moves played (policy indices, `size²` = pass).
        public var moves: [Int]
        /// Black's area minus white's minus komi at the end.
        public var score: Double
        public var positions: Int { outcomes.count }
    }

    public let size: Int
    public let settings: Settings
    private let search: MCTS
    private var visits: [Int32]

    public init(size: Int = 9, settings: Settings) {
        self.size = size
        self.settings = settings
        search = MCTS(size: size, simulations: settings.simulations, komi: settings.komi)
        visits = [Int32](repeating: 0, count: GoFeatures.moveCount(size: size))
    }

    /// Plays one game with `evaluator` for both sides, drawing noise and sampled moves from `random`.
    /// - Throws: the evaluator's error.
    public func play(evaluator: any GoEvaluator, random: inout SplitMix64) throws -> Game {
        let moveCount = GoFeatures.moveCount(size: size), per = GoFeatures.count(size: size)
        var board = GoBoard(size: size)
        var last: GoBoard.Point?
        var game = Game(planes: [], policies: [], outcomes: [], moves: [], score: 0)
        var blackToPlay: [Bool] = []
        while board.consecutivePasses < 2 && game.moves.count < settings.maxMoves {
            try visits.withUnsafeMutableBufferPointer {
                try search.search(board, lastMove: last, evaluator: evaluator,
                                  noise: (settings.dirichletAlpha, settings.noiseWeight), random: &random,
                                  visits: $0.baseAddress!)
            }
            let start = game.planes.count
            game.planes.append(contentsOf: repeatElement(0, count: per))
            game.planes.withUnsafeMutableBufferPointer { GoFeatures.encode(&board, lastMove: last, into: $0.baseAddress! + start) }
            let total = Float(visits.reduce(0, +))
            game.policies.append(contentsOf: visits.map { Float($0) / total })
            blackToPlay.append(board.toPlay == .black)
            let move = game.moves.count < settings.sampledMoves ? Self.sample(visits, &random)
                : visits.indices.max { visits[$0] < visits[$1] }!
            game.moves.append(move)
            if move == moveCount - 1 { board.pass(); last = nil } else {
                let p = board.point(row: move / size, column: move % size)
                board.play(p)
                last = p
            }
        }
        game.score = board.score(komi: settings.komi)
        let blackWon = game.score > 0
        game.outcomes = blackToPlay.map { $0 == blackWon ? 1 : -1 }
        return game
    }

    /// An index drawn with probability proportional to its count.
    static func sample(_ counts: [Int32], _ random: inout SplitMix64) -> Int {
        let total = counts.reduce(0) { $0 + Int($1) }
        var r = Int(random.next() % UInt64(max(total, 1)))
        for (i, c) in counts.enumerated() {
            r -= Int(c)
            if r < 0 { return i }
        }
        return counts.count - 1
    }
}
