import Datasets
import Foundation

/// GnuGo games made by `scripts/data/go.py` (one JSON object per line: `game`, `level`, `opening`, `moves` as GTP
/// vertices or `pass`, `score`), replayed with `GoBoard`.
public struct GoGames: Sendable {
    public struct Game: Sendable, Decodable {
        public var game: Int
        public var level: Int
        /// How many of the first moves were random (the rest are GnuGo's).
        public var opening: Int
        public var moves: [String]
        /// GnuGo's `final_score`, e.g. `B+12.0`.
        public var score: String
    }

    public var games: [Game]
    public let size = 9

    /// Reads `directory/<name>.jsonl` (`heldout` or `bootstrap`).
    /// - Throws: `DatasetError.missingFile` (with `hint`); `.badValue` naming the file and line of a record that is
    ///   not a game, or of a move that is not a vertex or not legal in the position it is played in.
    public static func load(directory: String, name: String, hint: String) throws -> GoGames {
        let path = (directory as NSString).appendingPathComponent(name + ".jsonl")
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DatasetError.missingFile(path: path, hint: hint)
        }
        var games: [Game] = []
        var line = 0
        for record in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            line += 1
            if record.isEmpty { continue }
            let game: Game
            do { game = try JSONDecoder().decode(Game.self, from: Data(record)) } catch {
                throw DatasetError.badValue(path: "\(path):\(line)", detail: "expected a JSON object with game, level, "
                                            + "opening, moves (GTP vertices) and score")
            }
            var board = GoBoard(size: 9)
            for (k, move) in game.moves.enumerated() {
                guard Self.apply(move, to: &board).legal else {
                    throw DatasetError.badValue(path: "\(path):\(line)", detail: "move \(k + 1) (\(move)) is not a legal "
                                                + "move of the position (or not a 9×9 vertex)")
                }
            }
            games.append(game)
        }
        guard !games.isEmpty else { throw DatasetError.badValue(path: path, detail: "no games") }
        return GoGames(games: games)
    }

    /// Plays a GTP vertex or `pass` on `board` when it is legal there (else leaves the board as it was); `point` is
    /// the point played, nil for a pass.
    static func apply(_ move: String, to board: inout GoBoard) -> (legal: Bool, point: GoBoard.Point?) {
        if move.lowercased() == "pass" { board.pass(); return (true, nil) }
        guard let p = board.point(vertex: move), board.isLegal(p) else { return (false, nil) }
        _ = board.play(p)
        return (true, p)
    }

    /// The positions before each GnuGo move (the random openings are skipped): their feature planes
    /// (`GoFeatures`, `positions × planeCount × 81` floats), the move GnuGo played there (policy index, 81 = pass),
    /// and the game's outcome for the side to play (+1 when GnuGo's `final_score` names its colour, −1 when it names
    /// the other, 0 for a draw).
    public func positions() -> (planes: [Float], moves: [Int32], outcomes: [Float]) {
        let per = GoFeatures.count(size: size)
        var planes: [Float] = []
        var moves: [Int32] = []
        var outcomes: [Float] = []
        for game in games {
            let blackResult: Float = game.score.hasPrefix("B+") ? 1 : game.score.hasPrefix("W+") ? -1 : 0
            var board = GoBoard(size: size)
            var last: GoBoard.Point?
            for (k, move) in game.moves.enumerated() {
                if k >= game.opening {
                    let start = planes.count
                    planes.append(contentsOf: repeatElement(0, count: per))
                    planes.withUnsafeMutableBufferPointer { GoFeatures.encode(&board, lastMove: last, into: $0.baseAddress! + start) }
                    let p = board.point(vertex: move)
                    moves.append(Int32(p.map { GoFeatures.moveIndex($0, on: board) } ?? size * size))
                    outcomes.append(board.toPlay == .black ? blackResult : -blackResult)
                }
                last = Self.apply(move, to: &board).point  // legal: `load` checked every move
            }
        }
        return (planes, moves, outcomes)
    }
}
