import Datasets
import Foundation

/// Games of a network against GnuGo over GTP (MiniGo's second quality figure: the win rate against a fixed
/// opponent). Our colour alternates (black in even games); each game opens with `openingMoves` uniformly random
/// legal moves (seeded), so the games differ; then our side moves by search (`simulations` > 0) or by the policy's
/// most likely legal move (`simulations` = 0), GnuGo by `genmove`. The game ends at two passes or `maxMoves`, and
/// GnuGo's `final_score` under Chinese rules, komi 7.5 (no draws), decides (it judges dead stones; area counting alone would not).
public struct GnuGoMatch: Sendable {
    public var gnugo: String
    public var level: Int
    public var simulations: Int
    public var openingMoves: Int
    public var maxMoves: Int
    public var komi: Double

    public init(gnugo: String = "/usr/games/gnugo", level: Int, simulations: Int, openingMoves: Int = 2,
                maxMoves: Int = 200, komi: Double = 7.5) {
        self.gnugo = gnugo
        self.level = level
        self.simulations = simulations
        self.openingMoves = openingMoves
        self.maxMoves = maxMoves
        self.komi = komi
    }

    public struct Game: Sendable {
        public var index: Int
        public var weAreBlack: Bool
        /// GnuGo's `final_score`, e.g. `B+12.0`.
        public var score: String
        public var won: Bool
        public var moves: Int
    }

    /// Plays games `indices` (each seeded by `seed` and its index) on one GnuGo process.
    /// - Throws: `GTPEngine.Failure` (GnuGo missing or refusing a command), the evaluator's error, or
    ///   `DatasetError.badValue` when GnuGo answers a move that is not legal under our rules.
    public func play(_ indices: some Sequence<Int>, evaluator: any GoEvaluator, seed: UInt64) throws -> [Game] {
        let engine = try GTPEngine(executable: gnugo, arguments: [
            "--mode", "gtp", "--boardsize", "9", "--level", "\(level)", "--chinese-rules", "--never-resign", "--komi", "\(komi)",
            "--seed", "\(seed % 2_000_000_000 + 1)"])
        defer { engine.close() }
        let search = simulations > 0 ? MCTS(size: 9, simulations: simulations, komi: komi) : nil
        let moves = GoFeatures.moveCount(size: 9)
        var visits = [Int32](repeating: 0, count: moves)
        var planes = [Float](repeating: 0, count: GoFeatures.count(size: 9))
        var logits = [Float](repeating: 0, count: moves)
        var value: Float = 0
        var games: [Game] = []
        for index in indices {
            var random = SplitMix64(seed: seed &+ UInt64(index) &* 0x9E37_79B9_7F4A_7C15)
            try engine.send("clear_board")
            var board = GoBoard(size: 9)
            var last: GoBoard.Point?
            let weAreBlack = index % 2 == 0
            var played = 0
            func colour() -> String { board.toPlay == .black ? "black" : "white" }
            while board.consecutivePasses < 2 && played < maxMoves {
                let ours = (board.toPlay == .black) == weAreBlack
                if played < openingMoves || ours {
                    var move: Int
                    if played < openingMoves {
                        let legal = board.points.filter { board.isLegal($0) }
                        move = legal.isEmpty ? moves - 1
                            : GoFeatures.moveIndex(legal[Int(random.next() % UInt64(legal.count))], on: board)
                    } else if let search {
                        try visits.withUnsafeMutableBufferPointer {
                            try search.search(board, lastMove: last, evaluator: evaluator, random: &random,
                                              visits: $0.baseAddress!)
                        }
                        move = visits.indices.max { visits[$0] < visits[$1] }!
                    } else {
                        planes.withUnsafeMutableBufferPointer { GoFeatures.encode(&board, lastMove: last, into: $0.baseAddress!) }
                        try evaluator.evaluate(planes, count: 1, policy: &logits, value: &value)
                        move = moves - 1
                        for m in 0..<moves - 1 where planes[9 * 81 + m] == 1 && logits[m] > logits[move] { move = m }
                    }
                    let name = colour()
                    if move == moves - 1 {
                        try engine.send("play \(name) pass")
                        board.pass()
                        last = nil
                    } else {
                        let p = board.point(row: move / 9, column: move % 9)
                        try engine.send("play \(name) \(board.vertex(p))")
                        board.play(p)
                        last = p
                    }
                } else {
                    let answer = try engine.send("genmove \(colour())").uppercased()
                    if answer == "PASS" { board.pass(); last = nil } else {
                        guard let p = board.point(vertex: answer), board.isLegal(p) else {
                            throw DatasetError.badValue(path: gnugo, detail: "GnuGo played \(answer), not legal under our rules")
                        }
                        board.play(p)
                        last = p
                    }
                }
                played += 1
            }
            let score = try engine.send("final_score")
            let blackWon = score.hasPrefix("B+")
            games.append(Game(index: index, weAreBlack: weAreBlack, score: score, won: blackWon == weAreBlack,
                              moves: played))
        }
        return games
    }
}
