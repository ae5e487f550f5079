import Datasets
import Foundation

/// Evaluates Go positions for the search: move logits over the `size² + 1` moves (pass last) and a value in [−1, 1]
/// for the side to play (the network's `policy` and `value` heads).
public protocol GoEvaluator: AnyObject {
    /// `planes`: `count × GoFeatures.count(size:)` floats. Writes `count × (size² + 1)` logits to `policy` and
    /// `count` values to `value`.
    /// - Throws: the evaluator's error (ONNX Runtime's).
    func evaluate(_ planes: UnsafePointer<Float>, count: Int, policy: UnsafeMutablePointer<Float>,
                  value: UnsafeMutablePointer<Float>) throws
}

/// Monte Carlo tree search as AlphaGo Zero and MiniGo run it (Silver et al. 2017): PUCT selection
/// `Q + c·P·√ΣN / (1 + N)` (an unvisited move's Q is the network's value of the position it is played from), one network evaluation per simulation at the new leaf, the value backed up with its sign
/// flipped at every level; a finished game (two passes) is valued by its area score. The tree lives in arrays sized
/// once for `simulations` leaves, and the search plays on one scratch board reset from the root per simulation, so a
/// search allocates nothing after the first.
public final class MCTS {
    public let size: Int
    public let simulations: Int
    /// The exploration constant c (MiniGo's `c_puct` 0.96 … AlphaGo Zero's 1–5; we use 1.5).
    public let explorationConstant: Float
    public let komi: Double
    let moves: Int
    // Nodes: first edge, edge count, expanded.
    private var nodeFirstEdge: [Int32]
    private var nodeEdgeCount: [Int32]
    /// The network's value of the node's position, for its side to play: an unvisited edge's Q ("first-play urgency",
    /// as MiniGo and Leela Zero initialise it from the parent rather than 0).
    private var nodeValue: [Float]
    private var nodeCount = 0
    // Edges: move (policy index), prior, visits, total value (from the mover's view), child node (−1: none).
    private var edgeMove: [Int16]
    private var edgePrior: [Float]
    private var edgeVisits: [Int32]
    private var edgeValue: [Float]
    private var edgeChild: [Int32]
    private var edgeCount = 0
    private var scratch: GoBoard
    private var path: [Int32]
    private let planes: UnsafeMutablePointer<Float>
    private let logits: UnsafeMutablePointer<Float>
    private var value: Float = 0

    public init(size: Int = 9, simulations: Int, explorationConstant: Float = 1.5, komi: Double = 7.5) {
        precondition(simulations >= 1, "MCTS needs at least one simulation")
        self.size = size
        self.simulations = simulations
        self.explorationConstant = explorationConstant
        self.komi = komi
        moves = GoFeatures.moveCount(size: size)
        let nodes = simulations + 1
        nodeFirstEdge = [Int32](repeating: 0, count: nodes)
        nodeEdgeCount = [Int32](repeating: 0, count: nodes)
        nodeValue = [Float](repeating: 0, count: nodes)
        edgeMove = [Int16](repeating: 0, count: nodes * moves)
        edgePrior = [Float](repeating: 0, count: nodes * moves)
        edgeVisits = [Int32](repeating: 0, count: nodes * moves)
        edgeValue = [Float](repeating: 0, count: nodes * moves)
        edgeChild = [Int32](repeating: -1, count: nodes * moves)
        scratch = GoBoard(size: size)
        path = []
        path.reserveCapacity(4 * size * size + 16)
        planes = .allocate(capacity: GoFeatures.count(size: size))
        logits = .allocate(capacity: moves)
    }

    deinit {
        planes.deallocate()
        logits.deallocate()
    }

    /// Searches `root` (`lastMove`: the move that led to it, nil after a pass) and writes the root's visit counts per
    /// move into `visits` (room for `size² + 1`; illegal moves 0). `noise`: Dirichlet(α) noise mixed into the root's
    /// priors with weight ε, as self-play does (AlphaGo Zero: α 0.03 for 19×19, scaled to ~10/legal moves; ε 0.25),
    /// drawn from `random`.
    /// - Throws: the evaluator's error.
    public func search(_ root: GoBoard, lastMove: GoBoard.Point?, evaluator: any GoEvaluator,
                       noise: (alpha: Double, epsilon: Float)? = nil, random: inout SplitMix64,
                       visits: UnsafeMutablePointer<Int32>) throws {
        nodeCount = 0
        edgeCount = 0
        scratch.assign(from: root)
        _ = try expand(lastMove: lastMove, evaluator: evaluator)
        if let noise { addNoise(node: 0, alpha: noise.alpha, epsilon: noise.epsilon, random: &random) }
        for _ in 0..<simulations {
            scratch.assign(from: root)
            path.removeAll(keepingCapacity: true)
            var node: Int32 = 0
            var leafValue: Float = 0
            var last = lastMove
            while true {
                let e = select(node: Int(node))
                path.append(Int32(e))
                let move = Int(edgeMove[e])
                if move == size * size { scratch.pass(); last = nil } else {
                    let p = scratch.point(row: move / size, column: move % size)
                    scratch.play(p)
                    last = p
                }
                if scratch.consecutivePasses >= 2 {
                    // The game is over: the area score decides, from the view of the side to play now.
                    let score = scratch.score(komi: komi)
                    let blackWins: Float = score > 0 ? 1 : -1
                    leafValue = scratch.toPlay == .black ? blackWins : -blackWins
                    break
                }
                let child = edgeChild[e]
                if child < 0 {
                    guard nodeCount < simulations + 1 else { leafValue = 0; break }
                    edgeChild[e] = Int32(nodeCount)
                    leafValue = try expand(lastMove: last, evaluator: evaluator)
                    break
                }
                node = child
            }
            // `leafValue` is for the side to play at the leaf; the edge into it was the other side's move.
            var v = -leafValue
            for e in path.reversed() {
                edgeVisits[Int(e)] += 1
                edgeValue[Int(e)] += v
                v = -v
            }
        }
        visits.update(repeating: 0, count: moves)
        let first = Int(nodeFirstEdge[0])
        for e in first..<first + Int(nodeEdgeCount[0]) { visits[Int(edgeMove[e])] = edgeVisits[e] }
    }

    /// Adds a node for `scratch` with an edge per legal move (and pass), priors the softmax of the network's logits
    /// over them; returns the network's value.
    private func expand(lastMove: GoBoard.Point?, evaluator: any GoEvaluator) throws -> Float {
        GoFeatures.encode(&scratch, lastMove: lastMove, into: planes)
        try evaluator.evaluate(planes, count: 1, policy: logits, value: &value)
        let node = nodeCount
        nodeCount += 1
        nodeFirstEdge[node] = Int32(edgeCount)
        // Plane 9 holds the legal moves just encoded; a pass is always legal.
        let legal = planes + 9 * size * size
        var maxLogit = logits[size * size]
        for m in 0..<size * size where legal[m] == 1 { maxLogit = max(maxLogit, logits[m]) }
        let first = edgeCount
        var total: Float = 0
        for m in 0..<moves where m == size * size || legal[m] == 1 {
            let p = expf(logits[m] - maxLogit)
            edgeMove[edgeCount] = Int16(m)
            edgePrior[edgeCount] = p
            edgeVisits[edgeCount] = 0
            edgeValue[edgeCount] = 0
            edgeChild[edgeCount] = -1
            edgeCount += 1
            total += p
        }
        for e in first..<edgeCount { edgePrior[e] /= total }
        nodeEdgeCount[node] = Int32(edgeCount - first)
        nodeValue[node] = value
        return value
    }

    /// The edge of `node` with the highest PUCT score (first of ties).
    private func select(node: Int) -> Int {
        let first = Int(nodeFirstEdge[node]), count = Int(nodeEdgeCount[node])
        var parentVisits: Int32 = 0
        for e in first..<first + count { parentVisits += edgeVisits[e] }
        let scale = explorationConstant * sqrtf(Float(max(parentVisits, 1)))
        let unvisited = nodeValue[node]
        var best = first
        var bestScore = -Float.infinity
        for e in first..<first + count {
            let n = Float(edgeVisits[e])
            let q = n > 0 ? edgeValue[e] / n : unvisited
            let u = q + scale * edgePrior[e] / (1 + n)
            if u > bestScore { bestScore = u; best = e }
        }
        return best
    }

    private func addNoise(node: Int, alpha: Double, epsilon: Float, random: inout SplitMix64) {
        let first = Int(nodeFirstEdge[node]), count = Int(nodeEdgeCount[node])
        // The Dirichlet draw is normalised Gamma(α, 1) draws, kept in the (still empty) value slots meanwhile.
        var total: Float = 0
        for e in first..<first + count {
            edgeValue[e] = Float(random.gamma(shape: alpha))
            total += edgeValue[e]
        }
        for e in first..<first + count {
            let eta = total > 0 ? edgeValue[e] / total : 1 / Float(count)
            edgePrior[e] = (1 - epsilon) * edgePrior[e] + epsilon * eta
            edgeValue[e] = 0
        }
    }
}
