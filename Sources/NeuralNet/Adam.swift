import Foundation

/// Adam's hyper-parameters (Kingma & Ba 2015), PyTorch's defaults for betas and epsilon.
public struct AdamHyperparameters: Sendable, Equatable {
    public var learningRate: Float
    public var beta1: Float = 0.9
    public var beta2: Float = 0.999
    public var epsilon: Float = 1e-8

    public init(learningRate: Float, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
    }
}

/// Adam over one dense parameter block, with `torch.optim.Adam`'s arithmetic (PyTorch 1.13, no weight decay, no
/// AMSGrad): `m = β1·m + (1−β1)·g`, `v = β2·v + (1−β2)·g²`, `w −= lr/(1−β1ᵗ) · m / (√v/√(1−β2ᵗ) + ε)`.
/// The moment buffers are allocated once; `step` allocates nothing.
public final class Adam {
    public let count: Int
    public let hyper: AdamHyperparameters
    public private(set) var steps = 0
    private let m: UnsafeMutablePointer<Float>
    private let v: UnsafeMutablePointer<Float>

    public init(count: Int, hyper: AdamHyperparameters) {
        self.count = count
        self.hyper = hyper
        m = .allocate(capacity: max(count, 1))
        m.initialize(repeating: 0, count: max(count, 1))
        v = .allocate(capacity: max(count, 1))
        v.initialize(repeating: 0, count: max(count, 1))
    }

    deinit { m.deallocate(); v.deallocate() }

    /// One update of `count` parameters from their gradients.
    public func step(parameters: UnsafeMutablePointer<Float>, gradients: UnsafePointer<Float>) {
        steps += 1
        let b1 = hyper.beta1, b2 = hyper.beta2
        let bc1 = 1 - Float(pow(Double(b1), Double(steps)))
        let bc2Sqrt = Float(sqrt(1 - pow(Double(b2), Double(steps))))
        let stepSize = hyper.learningRate / bc1
        let eps = hyper.epsilon
        for i in 0..<count {
            let g = gradients[i]
            let mi = b1 * m[i] + (1 - b1) * g
            let vi = b2 * v[i] + (1 - b2) * g * g
            m[i] = mi
            v[i] = vi
            parameters[i] -= stepSize * mi / (vi.squareRoot() / bc2Sqrt + eps)
        }
    }
}

/// Lazy Adam over the rows of an embedding table that a step touched, with `torch.optim.SparseAdam`'s arithmetic
/// (PyTorch 1.13): the gradient rows are summed per distinct row (coalesced), only those rows' moments and weights
/// change, and the bias correction uses the step count of the table: `w −= lr·√(1−β2ᵗ)/(1−β1ᵗ) · m / (√v + ε)`.
///
/// Use: `accumulate(row:gradient:)` for each looked-up row of the batch, then `step(table:)`. The gradient
/// accumulator is the size of the table and is cleared row by row after each step: no allocation per step.
public final class SparseAdam {
    public let rows: Int
    public let dimension: Int
    public let hyper: AdamHyperparameters
    public private(set) var steps = 0
    private let m: UnsafeMutablePointer<Float>
    private let v: UnsafeMutablePointer<Float>
    private let gradient: UnsafeMutablePointer<Float>
    private let touched: UnsafeMutablePointer<Bool>
    private let touchedRows: UnsafeMutablePointer<Int32>
    private var touchedCount = 0

    public init(rows: Int, dimension: Int, hyper: AdamHyperparameters) {
        self.rows = rows
        self.dimension = dimension
        self.hyper = hyper
        let n = max(rows * dimension, 1)
        m = .allocate(capacity: n); m.initialize(repeating: 0, count: n)
        v = .allocate(capacity: n); v.initialize(repeating: 0, count: n)
        gradient = .allocate(capacity: n); gradient.initialize(repeating: 0, count: n)
        touched = .allocate(capacity: max(rows, 1)); touched.initialize(repeating: false, count: max(rows, 1))
        touchedRows = .allocate(capacity: max(rows, 1)); touchedRows.initialize(repeating: 0, count: max(rows, 1))
    }

    deinit {
        m.deallocate(); v.deallocate(); gradient.deallocate(); touched.deallocate(); touchedRows.deallocate()
    }

    /// Adds `dimension` gradient values to `row`'s accumulated gradient.
    @inline(__always)
    public func accumulate(row: Int, gradient g: UnsafePointer<Float>) {
        if !touched[row] {
            touched[row] = true
            touchedRows[touchedCount] = Int32(row)
            touchedCount += 1
        }
        let dst = gradient + row * dimension
        for k in 0..<dimension { dst[k] += g[k] }
    }

    /// Updates the touched rows of `table` (`rows × dimension`) and clears the accumulated gradient.
    public func step(table: UnsafeMutablePointer<Float>) {
        steps += 1
        let b1 = hyper.beta1, b2 = hyper.beta2, eps = hyper.epsilon
        let bc1 = 1 - pow(Double(b1), Double(steps))
        let bc2 = 1 - pow(Double(b2), Double(steps))
        let stepSize = Float(Double(hyper.learningRate) * bc2.squareRoot() / bc1)
        for t in 0..<touchedCount {
            let row = Int(touchedRows[t])
            touched[row] = false
            let base = row * dimension
            for k in base..<base + dimension {
                let g = gradient[k]
                gradient[k] = 0
                let mi = m[k] + (g - m[k]) * (1 - b1)
                let vi = v[k] + (g * g - v[k]) * (1 - b2)
                m[k] = mi
                v[k] = vi
                table[k] -= stepSize * mi / (vi.squareRoot() + eps)
            }
        }
        touchedCount = 0
    }
}
