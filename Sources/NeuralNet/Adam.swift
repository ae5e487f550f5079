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
        // Eight at a time (explicit SIMD: the four buffers may alias as far as the compiler knows), then the rest.
        let b1v = SIMD8<Float>(repeating: b1), b2v = SIMD8<Float>(repeating: b2)
        let c1 = SIMD8<Float>(repeating: 1 - b1), c2 = SIMD8<Float>(repeating: 1 - b2)
        let stepv = SIMD8<Float>(repeating: stepSize), epsv = SIMD8<Float>(repeating: eps)
        let bc2v = SIMD8<Float>(repeating: bc2Sqrt)
        let rawM = UnsafeMutableRawPointer(m), rawV = UnsafeMutableRawPointer(v)
        let rawG = UnsafeRawPointer(gradients), rawP = UnsafeMutableRawPointer(parameters)
        var start = 0
        while start + 8 <= count {
            let o = 4 * start
            let g = rawG.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
            let mi = b1v * rawM.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self) + c1 * g
            let vi = b2v * rawV.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self) + c2 * g * g
            rawM.storeBytes(of: mi, toByteOffset: o, as: SIMD8<Float>.self)
            rawV.storeBytes(of: vi, toByteOffset: o, as: SIMD8<Float>.self)
            let w = rawP.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
            rawP.storeBytes(of: w - stepv * mi / (vi.squareRoot() / bc2v + epsv), toByteOffset: o, as: SIMD8<Float>.self)
            start += 8
        }
        for i in start..<count {
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
        var k = 0
        let rawD = UnsafeMutableRawPointer(dst), rawS = UnsafeRawPointer(g)
        while k + 8 <= dimension {
            let sum = rawD.loadUnaligned(fromByteOffset: 4 * k, as: SIMD8<Float>.self)
                + rawS.loadUnaligned(fromByteOffset: 4 * k, as: SIMD8<Float>.self)
            rawD.storeBytes(of: sum, toByteOffset: 4 * k, as: SIMD8<Float>.self)
            k += 8
        }
        while k < dimension { dst[k] += g[k]; k += 1 }
    }

    /// Updates the touched rows of `table` (`rows × dimension`) and clears the accumulated gradient.
    public func step(table: UnsafeMutablePointer<Float>) {
        steps += 1
        let b1 = hyper.beta1, b2 = hyper.beta2, eps = hyper.epsilon
        let bc1 = 1 - pow(Double(b1), Double(steps))
        let bc2 = 1 - pow(Double(b2), Double(steps))
        let stepSize = Float(Double(hyper.learningRate) * bc2.squareRoot() / bc1)
        let b1v = SIMD8<Float>(repeating: 1 - b1), b2v = SIMD8<Float>(repeating: 1 - b2)
        let stepv = SIMD8<Float>(repeating: stepSize), epsv = SIMD8<Float>(repeating: eps)
        let rawM = UnsafeMutableRawPointer(m), rawV = UnsafeMutableRawPointer(v)
        let rawG = UnsafeMutableRawPointer(gradient), rawW = UnsafeMutableRawPointer(table)
        for t in 0..<touchedCount {
            let row = Int(touchedRows[t])
            touched[row] = false
            let base = row * dimension
            var k = base
            // Eight at a time (the embedding widths are multiples of 8), then the rest one by one.
            while k + 8 <= base + dimension {
                let o = 4 * k
                let g = rawG.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
                rawG.storeBytes(of: SIMD8<Float>.zero, toByteOffset: o, as: SIMD8<Float>.self)
                var mi = rawM.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
                var vi = rawV.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
                mi = mi + (g - mi) * b1v
                vi = vi + (g * g - vi) * b2v
                rawM.storeBytes(of: mi, toByteOffset: o, as: SIMD8<Float>.self)
                rawV.storeBytes(of: vi, toByteOffset: o, as: SIMD8<Float>.self)
                let w = rawW.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
                rawW.storeBytes(of: w - stepv * mi / (vi.squareRoot() + epsv), toByteOffset: o, as: SIMD8<Float>.self)
                k += 8
            }
            while k < base + dimension {
                let g = gradient[k]
                gradient[k] = 0
                let mi = m[k] + (g - m[k]) * (1 - b1)
                let vi = v[k] + (g * g - v[k]) * (1 - b2)
                m[k] = mi
                v[k] = vi
                table[k] -= stepSize * mi / (vi.squareRoot() + eps)
                k += 1
            }
        }
        touchedCount = 0
    }
}
