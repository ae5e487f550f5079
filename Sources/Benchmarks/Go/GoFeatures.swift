/// The network input of the reinforcement-learning (Go) benchmark: a position seen from the side to play, as
/// `planeCount` planes of size×size float32 (1 or 0), row by row from the top (GoBoard's `point(row:column:)` order),
/// and the move index space of the policy: `row * size + column`, then `size * size` for a pass.
///
/// Planes (MiniGo feeds stone history instead; liberty planes let a small network see captures in one step, as in
/// Maddison et al. 2015 and AlphaGo's input features):
///  0. the side to play's stones      1. the opponent's stones       2. empty points
///  3–5. the side to play's stones in strings of 1, 2, ≥ 3 liberties
///  6–8. the opponent's stones in strings of 1, 2, ≥ 3 liberties
///  9. legal moves of the side to play (empty, not the ko point, not suicide)
/// 10. all ones when black is to play (komi makes the colours unequal)
/// 11. the last move's point (none after a pass or at the start)
public enum GoFeatures {
    public static let planeCount = 12

    /// Floats of one position: `planeCount × size × size`.
    public static func count(size: Int) -> Int { planeCount * size * size }

    /// The policy's move count: every point and a pass.
    public static func moveCount(size: Int) -> Int { size * size + 1 }

    /// The policy index of a board point.
    public static func moveIndex(_ p: GoBoard.Point, on board: GoBoard) -> Int {
        let (r, c) = board.coordinates(p)
        return r * board.size + c
    }

    /// Writes `board`'s planes into `out` (room for `count(size:)` floats). `lastMove`: the point of the move just
    /// played, nil after a pass or at the start.
    public static func encode(_ board: inout GoBoard, lastMove: GoBoard.Point?, into out: UnsafeMutablePointer<Float>) {
        let n = board.size * board.size
        out.update(repeating: 0, count: planeCount * n)
        let me = board.toPlay
        var k = 0
        for r in 0..<board.size {
            for c in 0..<board.size {
                let p = board.point(row: r, column: c)
                let stone = board[p]
                if stone == .empty {
                    out[2 * n + k] = 1
                    if board.isLegal(p) { out[9 * n + k] = 1 }
                } else {
                    let liberties = board.liberties(at: p, upTo: 3)
                    let base = stone == me ? 0 : 1
                    out[base * n + k] = 1
                    out[((stone == me ? 3 : 6) + liberties - 1) * n + k] = 1
                }
                k += 1
            }
        }
        if me == .black { (out + 10 * n).update(repeating: 1, count: n) }
        if let lastMove { out[11 * n + moveIndex(lastMove, on: board)] = 1 }
    }
}
