/// A Go position and its rules, for the reinforcement-learning area (9×9 by default, any size 2…19): stones,
/// captures, the simple-ko rule, suicide forbidden, area scoring. These are GnuGo 3.8's rules with
/// `--chinese-rules --simple-ko` (its defaults but the scoring); agreement with GnuGo over GTP (legality of every
/// point after every move, the stones on the board, the captures, the final score) is checked by the tests.
///
/// Rules (Tromp–Taylor, but simple ko instead of positional superko, and suicide illegal):
/// - A move is legal when its point is empty, it is not the ko point, and after removing the opponent's strings left
///   without liberties, the mover's string has a liberty.
/// - Ko: when a move captures exactly one stone and the moving stone is then a lone stone with exactly one liberty
///   (the captured point), the opponent may not play on that point on the very next move.
/// - Area score: each colour's stones plus the empty regions that border only that colour; `score` is black's area
///   minus white's minus komi (positive: black wins).
///
/// The board is stored with a one-point border (`Point` indices into a (size+2)² grid); flood fills use scratch
/// buffers kept with the board, so `play` and `isLegal` allocate nothing.
public struct GoBoard: Sendable {
    public enum Stone: Int8, Sendable { case empty = 0, black = 1, white = 2, border = 3
        public var opponent: Stone { self == .black ? .white : self == .white ? .black : self }
    }

    /// A point as an index into the bordered grid.
    public typealias Point = Int

    public let size: Int
    public private(set) var cells: [Stone]
    public private(set) var toPlay: Stone = .black
    /// The point the side to play may not take (simple ko), if any.
    public private(set) var koPoint: Point?
    /// Stones captured *by* black and by white.
    public private(set) var capturedByBlack = 0
    public private(set) var capturedByWhite = 0
    /// Consecutive passes (two end the game).
    public private(set) var consecutivePasses = 0
    public private(set) var moveCount = 0

    private let stride: Int
    private let neighbourOffsets: [Int]
    private var mark: [UInt32]
    private var generation: UInt32 = 0
    private var stack: [Point]
    private var group: [Point]

    /// An empty board, black to play.
    /// - Precondition: 2 ≤ size ≤ 19 (GTP's letters).
    public init(size: Int = 9) {
        precondition((2...19).contains(size), "board size \(size): expected 2…19")
        self.size = size
        stride = size + 2
        cells = [Stone](repeating: .border, count: stride * stride)
        for r in 0..<size { for c in 0..<size { cells[(r + 1) * stride + c + 1] = .empty } }
        neighbourOffsets = [-1, 1, -(size + 2), size + 2]
        mark = [UInt32](repeating: 0, count: stride * stride)
        stack = []
        stack.reserveCapacity(stride * stride)
        group = []
        group.reserveCapacity(stride * stride)
    }

    /// The point of (row, column), both 0-based from the top-left (row 0 is GTP's row `size`).
    public func point(row: Int, column: Int) -> Point { (row + 1) * stride + column + 1 }

    /// (row, column) of a point.
    public func coordinates(_ p: Point) -> (row: Int, column: Int) { (p / stride - 1, p % stride - 1) }

    /// Every on-board point, row by row from the top.
    public var points: [Point] { (0..<size).flatMap { r in (0..<size).map { point(row: r, column: $0) } } }

    public subscript(p: Point) -> Stone { cells[p] }

    /// GTP's vertex of a point: column letter (A–T without I) and row number from the bottom, e.g. `E5`.
    public func vertex(_ p: Point) -> String {
        let (r, c) = coordinates(p)
        let letters = Array("ABCDEFGHJKLMNOPQRST")
        return "\(letters[c])\(size - r)"
    }

    /// The point of a GTP vertex (case-insensitive), or nil when it is not one on this board (`pass` is not a point).
    public func point(vertex: String) -> Point? {
        let v = vertex.uppercased()
        guard let letter = v.first, let column = Array("ABCDEFGHJKLMNOPQRST").firstIndex(of: letter),
              let number = Int(v.dropFirst()), column < size, (1...size).contains(number) else { return nil }
        return point(row: size - number, column: column)
    }

    /// Whether the side to play may play `p`.
    public mutating func isLegal(_ p: Point) -> Bool { isLegal(p, for: toPlay) }

    /// Whether `color` may play `p` now (the ko ban binds only the side to play).
    public mutating func isLegal(_ p: Point, for color: Stone) -> Bool {
        guard p >= 0, p < cells.count, cells[p] == .empty else { return false }
        if color == toPlay, p == koPoint { return false }
        let opponent = color.opponent
        for d in neighbourOffsets {
            let q = p + d
            if cells[q] == .empty { return true }
        }
        // No empty neighbour: legal if it captures, or joins a string of its colour with another liberty.
        for d in neighbourOffsets {
            let q = p + d
            if cells[q] == opponent, libertiesCount(of: q, upTo: 2, treatingAsFilled: p) == 0 { return true }
            if cells[q] == color, libertiesCount(of: q, upTo: 2, treatingAsFilled: p) > 0 { return true }
        }
        return false
    }

    /// Plays `p` for the side to play; returns the stones it captured.
    /// - Precondition: `isLegal(p)`.
    @discardableResult
    public mutating func play(_ p: Point) -> Int {
        let color = toPlay, opponent = color.opponent
        cells[p] = color
        var captured = 0
        var lastCaptured: Point = -1
        for d in neighbourOffsets {
            let q = p + d
            if cells[q] == opponent, libertiesCount(of: q, upTo: 1, treatingAsFilled: nil) == 0 {
                collectGroup(q)
                for s in group { cells[s] = .empty }
                captured += group.count
                lastCaptured = q
            }
        }
        precondition(libertiesCount(of: p, upTo: 1, treatingAsFilled: nil) > 0, "suicide at \(vertex(p))")
        koPoint = nil
        if captured == 1 {
            var ownNeighbours = 0, liberties = 0
            for d in neighbourOffsets {
                if cells[p + d] == color { ownNeighbours += 1 }
                if cells[p + d] == .empty { liberties += 1 }
            }
            if ownNeighbours == 0, liberties == 1 { koPoint = lastCaptured }
        }
        if color == .black { capturedByBlack += captured } else { capturedByWhite += captured }
        toPlay = opponent
        consecutivePasses = 0
        moveCount += 1
        return captured
    }

    /// A pass: clears the ko ban.
    public mutating func pass() {
        koPoint = nil
        toPlay = toPlay.opponent
        consecutivePasses += 1
        moveCount += 1
    }

    /// Black's area minus white's minus `komi` (area scoring: stones plus empty regions bordering only that colour).
    public mutating func score(komi: Double) -> Double {
        var black = 0, white = 0
        generation &+= 1
        let regionMark = generation
        for p in cells.indices {  // border cells fall to `default` (no array of points: the search scores games)
            switch cells[p] {
            case .black: black += 1
            case .white: white += 1
            case .empty where mark[p] != regionMark:
                var size = 0, touchesBlack = false, touchesWhite = false
                stack.removeAll(keepingCapacity: true)
                stack.append(p)
                mark[p] = regionMark
                while let q = stack.popLast() {
                    size += 1
                    for d in neighbourOffsets {
                        let n = q + d
                        switch cells[n] {
                        case .empty where mark[n] != regionMark:
                            mark[n] = regionMark
                            stack.append(n)
                        case .black: touchesBlack = true
                        case .white: touchesWhite = true
                        default: break
                        }
                    }
                }
                if touchesBlack && !touchesWhite { black += size }
                if touchesWhite && !touchesBlack { white += size }
            default: break
            }
        }
        return Double(black - white) - komi
    }

    /// Makes this board the position of `other` (same size) without allocating: the search resets its scratch board
    /// to the root this way once per simulation.
    /// - Precondition: `other.size == size`.
    public mutating func assign(from other: GoBoard) {
        precondition(other.size == size, "assign from a \(other.size)×\(other.size) board to a \(size)×\(size) one")
        cells.withUnsafeMutableBufferPointer { dst in
            other.cells.withUnsafeBufferPointer { src in dst.baseAddress!.update(from: src.baseAddress!, count: src.count) }
        }
        toPlay = other.toPlay
        koPoint = other.koPoint
        capturedByBlack = other.capturedByBlack
        capturedByWhite = other.capturedByWhite
        consecutivePasses = other.consecutivePasses
        moveCount = other.moveCount
    }

    /// Liberties of the string at `p`, counted up to `limit` (a count of `limit` means "at least `limit`").
    /// - Precondition: `p` holds a stone.
    public mutating func liberties(at p: Point, upTo limit: Int = Int.max) -> Int {
        precondition(cells[p] == .black || cells[p] == .white, "liberties of an empty or off-board point")
        return libertiesCount(of: p, upTo: limit, treatingAsFilled: nil)
    }

    /// The string containing `p` into `group`.
    private mutating func collectGroup(_ p: Point) {
        generation &+= 1
        let g = generation
        let color = cells[p]
        group.removeAll(keepingCapacity: true)
        stack.removeAll(keepingCapacity: true)
        stack.append(p)
        mark[p] = g
        while let q = stack.popLast() {
            group.append(q)
            for d in neighbourOffsets where cells[q + d] == color && mark[q + d] != g {
                mark[q + d] = g
                stack.append(q + d)
            }
        }
    }

    /// Liberties of the string at `p`, counting at most `limit`; `filled` (if any) counts as occupied.
    private mutating func libertiesCount(of p: Point, upTo limit: Int, treatingAsFilled filled: Point?) -> Int {
        generation &+= 1
        let g = generation
        let color = cells[p]
        var liberties = 0
        stack.removeAll(keepingCapacity: true)
        stack.append(p)
        mark[p] = g
        while let q = stack.popLast() {
            for d in neighbourOffsets {
                let n = q + d
                guard mark[n] != g else { continue }
                if cells[n] == .empty, n != filled {
                    mark[n] = g
                    liberties += 1
                    if liberties >= limit { return liberties }
                } else if cells[n] == color {
                    mark[n] = g
                    stack.append(n)
                }
            }
        }
        return liberties
    }
}
