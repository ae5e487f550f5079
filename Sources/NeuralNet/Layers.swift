#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Layers with explicit forward and backward passes over raw float pointers. Every matrix product goes through
// `cblas_sgemm`; the loops here only move data (im2col, pooling, activations).
//
// Layouts. Convolution and pooling work on "channel-major" activations `[C][N][H][W]` (channel outermost, then the
// batch), so that one sgemm covers the whole batch: `out[Cout][N·H·W] = W[Cout][Cin·k·k] · col[Cin·k·k][N·H·W]`.
// A single input channel (`[1][N][H][W]`) is the same bytes as `[N][H][W]`. Dense layers work on `[N][F]`.
// Weights use PyTorch's layouts: convolution `[Cout][Cin][k][k]`, dense `[out][in]`.

/// 2-D convolution, stride 1, square kernel, zero padding.
public struct Conv2D: Sendable {
    public let inChannels: Int
    public let outChannels: Int
    public let kernel: Int
    public let padding: Int
    public let height: Int
    public let width: Int

    public init(inChannels: Int, outChannels: Int, kernel: Int, padding: Int, height: Int, width: Int) {
        self.inChannels = inChannels; self.outChannels = outChannels; self.kernel = kernel
        self.padding = padding; self.height = height; self.width = width
    }

    public var outHeight: Int { height + 2 * padding - kernel + 1 }
    public var outWidth: Int { width + 2 * padding - kernel + 1 }
    /// Rows of the im2col matrix: `Cin·k·k`.
    public var colRows: Int { inChannels * kernel * kernel }
    public var weightCount: Int { outChannels * colRows }
    /// Floats of the im2col matrix for `batch` images.
    public func colCount(batch: Int) -> Int { colRows * batch * outHeight * outWidth }
    public func inputCount(batch: Int) -> Int { inChannels * batch * height * width }
    public func outputCount(batch: Int) -> Int { outChannels * batch * outHeight * outWidth }

    /// Whether the output is as large as the input (stride 1, padding (k − 1)/2): then im2col and col2im take the
    /// fast path, where each (kh, kw) slice of a plane is the whole plane shifted by `(kh − pad)·W + (kw − pad)`.
    public var sameSize: Bool { outHeight == height && outWidth == width }

    /// `col[(c·k + kh)·k + kw][n][oh][ow] = input[c][n][oh + kh − pad][ow + kw − pad]` (0 outside).
    public func im2col(_ input: UnsafePointer<Float>, batch: Int, col: UnsafeMutablePointer<Float>) {
        if sameSize { im2colShifted(input, batch: batch, col: col) } else { im2colRows(input, batch: batch, col: col) }
    }

    /// The adjoint of `im2col`: sums each column entry back into the input position it came from. The entries of
    /// `col` that im2col would have set to 0 (padding) are ignored, and may be overwritten with 0.
    public func col2im(_ col: UnsafeMutablePointer<Float>, batch: Int, input: UnsafeMutablePointer<Float>) {
        if sameSize { col2imShifted(col, batch: batch, input: input) } else { col2imRows(col, batch: batch, input: input) }
    }

    /// One (kh, kw) slice of a same-size convolution as a shifted plane: source index = destination index +
    /// `shift`, valid for destination rows `oh0..<oh1`; `[i0, i1)` is the part of those rows whose source lies inside
    /// the plane (the rest of the plane, and the columns `badColumns` of each row, are padding).
    private struct ShiftedSlice {
        let shift, oh0, oh1, i0, i1: Int
        let badColumns: Range<Int>

        @inline(__always) init(_ conv: Conv2D, kh: Int, kw: Int) {
            let h = conv.height, w = conv.width, dy = kh - conv.padding, dx = kw - conv.padding
            shift = dy * w + dx
            oh0 = max(0, -dy)
            oh1 = min(h, h - dy)
            i0 = max(oh0 * w, -shift)
            i1 = max(i0, min(oh1 * w, h * w - shift))
            badColumns = dx < 0 ? 0..<min(-dx, w) : (dx > 0 ? max(w - dx, 0)..<w : 0..<0)
        }

        /// Sets the padding columns of rows `oh0..<oh1` of one plane (`width` wide) to 0: a strided walk down each.
        @inline(__always) func zeroColumns(_ plane: UnsafeMutablePointer<Float>, width w: Int) {
            var column = badColumns.lowerBound
            while column < badColumns.upperBound {
                var i = oh0 &* w &+ column
                let end = oh1 &* w
                while i < end { plane[i] = 0; i &+= w }
                column &+= 1
            }
        }
    }

    /// Same-size im2col: per plane and (kh, kw), one long copy, then the padding set to 0.
    func im2colShifted(_ input: UnsafePointer<Float>, batch: Int, col: UnsafeMutablePointer<Float>) {
        let w = width, k = kernel, plane = height * width
        let positions = batch * plane
        for c in 0..<inChannels {
            for kh in 0..<k {
                for kw in 0..<k {
                    let v = ShiftedSlice(self, kh: kh, kw: kw)
                    let row = col + ((c * k + kh) * k + kw) * positions
                    for n in 0..<batch {
                        let src = input + (c * batch + n) * plane
                        let dst = row + n * plane
                        dst.update(repeating: 0, count: v.i0)
                        copy(src + v.i0 + v.shift, to: dst + v.i0, count: v.i1 - v.i0)
                        (dst + v.i1).update(repeating: 0, count: plane - v.i1)
                        v.zeroColumns(dst, width: w)
                    }
                }
            }
        }
    }

    /// Same-size col2im: per plane and (kh, kw), the padding columns of `col` are set to 0, then one long add.
    func col2imShifted(_ col: UnsafeMutablePointer<Float>, batch: Int, input: UnsafeMutablePointer<Float>) {
        let w = width, k = kernel, plane = height * width
        let positions = batch * plane
        input.update(repeating: 0, count: inputCount(batch: batch))
        for c in 0..<inChannels {
            for kh in 0..<k {
                for kw in 0..<k {
                    let v = ShiftedSlice(self, kh: kh, kw: kw)
                    let row = col + ((c * k + kh) * k + kw) * positions
                    for n in 0..<batch {
                        let src = row + n * plane
                        let dst = input + (c * batch + n) * plane
                        // A padding column's entry would land on a neighbouring pixel of the long add: make it 0.
                        v.zeroColumns(src, width: w)
                        add(src + v.i0, to: dst + v.i0 + v.shift, count: v.i1 - v.i0)
                    }
                }
            }
        }
    }

    /// General im2col, row by row.
    func im2colRows(_ input: UnsafePointer<Float>, batch: Int, col: UnsafeMutablePointer<Float>) {
        let h = height, w = width, ho = outHeight, wo = outWidth, k = kernel, p = padding
        let positions = batch * ho * wo
        for c in 0..<inChannels {
            for kh in 0..<k {
                for kw in 0..<k {
                    let row = col + ((c * k + kh) * k + kw) * positions
                    let lo = max(0, p - kw), hi = max(lo, min(wo, w + p - kw))
                    for n in 0..<batch {
                        let src = input + (c * batch + n) * h * w
                        let dst = row + n * ho * wo
                        for oh in 0..<ho {
                            let ih = oh + kh - p
                            let d = dst + oh * wo
                            if ih < 0 || ih >= h {
                                for ow in 0..<wo { d[ow] = 0 }
                                continue
                            }
                            let s = src + ih * w + kw - p
                            for ow in 0..<lo { d[ow] = 0 }
                            copy(s + lo, to: d + lo, count: hi - lo)
                            for ow in hi..<wo { d[ow] = 0 }
                        }
                    }
                }
            }
        }
    }

    /// General col2im, row by row.
    func col2imRows(_ col: UnsafePointer<Float>, batch: Int, input: UnsafeMutablePointer<Float>) {
        let h = height, w = width, ho = outHeight, wo = outWidth, k = kernel, p = padding
        let positions = batch * ho * wo
        input.update(repeating: 0, count: inputCount(batch: batch))
        for c in 0..<inChannels {
            for kh in 0..<k {
                for kw in 0..<k {
                    let row = col + ((c * k + kh) * k + kw) * positions
                    let lo = max(0, p - kw), hi = max(lo, min(wo, w + p - kw))
                    for n in 0..<batch {
                        let dst = input + (c * batch + n) * h * w
                        let src = row + n * ho * wo
                        for oh in 0..<ho {
                            let ih = oh + kh - p
                            if ih < 0 || ih >= h { continue }
                            add(src + oh * wo + lo, to: dst + ih * w + kw - p + lo, count: hi - lo)
                        }
                    }
                }
            }
        }
    }

    /// `output[Cout][N·Ho·Wo] = weight · im2col(input) + bias`. Leaves the im2col matrix in `col` for `backward`.
    public func forward(_ input: UnsafePointer<Float>, batch: Int, weight: UnsafePointer<Float>,
                        bias: UnsafePointer<Float>, col: UnsafeMutablePointer<Float>,
                        output: UnsafeMutablePointer<Float>, stats: inout SGEMMStats) {
        im2col(input, batch: batch, col: col)
        let positions = batch * outHeight * outWidth
        // Start from the bias and accumulate (beta = 1): one pass over the output instead of two.
        for o in 0..<outChannels { (output + o * positions).update(repeating: bias[o], count: positions) }
        BLAS.sgemm(m: outChannels, n: positions, k: colRows, a: weight, lda: colRows, b: col, ldb: positions,
                   beta: 1, c: output, ldc: positions, stats: &stats)
    }

    /// Gradients from `dOutput` (`[Cout][N·Ho·Wo]`) and the `col` of the forward pass: `dWeight` and `dBias` are
    /// overwritten, or added to when `accumulate` (for a batch processed in chunks); `dBias` may be nil when the
    /// caller gets it more cheaply (from a pooled gradient, say); if `dInput` is given, `dCol`
    /// receives `weightᵀ · dOutput` and `dInput` its col2im. `dCol` may be the same memory as `col`: `col` is
    /// last read before `dCol` is first written.
    public func backward(_ dOutput: UnsafePointer<Float>, batch: Int, col: UnsafePointer<Float>,
                         weight: UnsafePointer<Float>, dWeight: UnsafeMutablePointer<Float>,
                         dBias: UnsafeMutablePointer<Float>?, dCol: UnsafeMutablePointer<Float>?,
                         dInput: UnsafeMutablePointer<Float>?, accumulate: Bool = false, stats: inout SGEMMStats) {
        let positions = batch * outHeight * outWidth
        BLAS.sgemm(transB: true, m: outChannels, n: colRows, k: positions, a: dOutput, lda: positions,
                   b: col, ldb: positions, beta: accumulate ? 1 : 0, c: dWeight, ldc: colRows, stats: &stats)
        if let dBias {
            for o in 0..<outChannels { accumulateSum(dOutput + o * positions, count: positions, into: dBias + o, accumulate) }
        }
        if let dInput, let dCol {
            BLAS.sgemm(transA: true, m: colRows, n: positions, k: outChannels, a: weight, lda: colRows,
                       b: dOutput, ldb: positions, c: dCol, ldc: positions, stats: &stats)
            col2im(dCol, batch: batch, input: dInput)
        }
    }
}

/// Max pooling 2×2, stride 2, over `planes` planes of `height`×`width` (both even).
public struct MaxPool2D: Sendable {
    public let height: Int
    public let width: Int

    public init(height: Int, width: Int) { self.height = height; self.width = width }

    public var outHeight: Int { height / 2 }
    public var outWidth: Int { width / 2 }

    /// Writes the maxima and, in `argmax`, the index into `input` each came from (the first maximum on ties).
    /// Eight outputs at a time with SIMD (even/odd lanes of two input rows); comparisons become selects.
    /// With `relu`, each output is `max(maximum, 0)` (ReLU after pooling: both are monotone, so this equals pooling
    /// after ReLU); `argmax` still names the maximum, and `backward` needs the gradient masked by `output > 0` first.
    public func forward(_ input: UnsafePointer<Float>, planes: Int, output: UnsafeMutablePointer<Float>,
                        argmax: UnsafeMutablePointer<Int32>, relu: Bool = false) {
        let floor: Float = relu ? 0 : -.infinity
        let floor8 = SIMD8<Float>(repeating: floor)
        let h = height, w = width, ho = outHeight, wo = outWidth
        let raw = UnsafeRawPointer(input)
        let outRaw = UnsafeMutableRawPointer(output), argRaw = UnsafeMutableRawPointer(argmax)
        let lane = SIMD8<Int32>(0, 2, 4, 6, 8, 10, 12, 14)
        let w32 = Int32(w)
        for pl in 0..<planes {
            let base = pl * h * w
            for oh in 0..<ho {
                let r0 = base + 2 * oh * w
                let o0 = (pl * ho + oh) * wo
                var ow = 0
                if wo >= 8 {
                    while ow < wo {
                        let start = min(ow, wo - 8)   // the last block may overlap the previous one
                        let i = r0 + 2 * start
                        let top = raw.loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<Float>.self)
                        let bottom = raw.loadUnaligned(fromByteOffset: 4 * (i + w), as: SIMD16<Float>.self)
                        let v0 = top.evenHalf, v1 = top.oddHalf, v2 = bottom.evenHalf, v3 = bottom.oddHalf
                        let i0 = SIMD8<Int32>(repeating: Int32(truncatingIfNeeded: i)) &+ lane
                        let c1 = v1 .> v0
                        var bv = v0.replacing(with: v1, where: c1)
                        var bi = i0.replacing(with: i0 &+ 1, where: c1)
                        let c2 = v2 .> bv
                        bv.replace(with: v2, where: c2)
                        bi.replace(with: i0 &+ w32, where: c2)
                        let c3 = v3 .> bv
                        bv.replace(with: v3, where: c3)
                        bi.replace(with: i0 &+ (w32 &+ 1), where: c3)
                        bv.replace(with: floor8, where: bv .< floor8)
                        outRaw.storeBytes(of: bv, toByteOffset: 4 * (o0 + start), as: SIMD8<Float>.self)
                        argRaw.storeBytes(of: bi, toByteOffset: 4 * (o0 + start), as: SIMD8<Int32>.self)
                        ow = start + 8
                    }
                } else if wo >= 4 {
                    // The same, four outputs at a time (7-wide rows: blocks at 0 and 3).
                    let floor4 = SIMD4<Float>(repeating: floor), lane4 = SIMD4<Int32>(0, 2, 4, 6)
                    while ow < wo {
                        let start = min(ow, wo - 4)
                        let i = r0 + 2 * start
                        let top = raw.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self)
                        let bottom = raw.loadUnaligned(fromByteOffset: 4 * (i + w), as: SIMD8<Float>.self)
                        let v0 = top.evenHalf, v1 = top.oddHalf, v2 = bottom.evenHalf, v3 = bottom.oddHalf
                        let i0 = SIMD4<Int32>(repeating: Int32(truncatingIfNeeded: i)) &+ lane4
                        let c1 = v1 .> v0
                        var bv = v0.replacing(with: v1, where: c1)
                        var bi = i0.replacing(with: i0 &+ 1, where: c1)
                        let c2 = v2 .> bv
                        bv.replace(with: v2, where: c2)
                        bi.replace(with: i0 &+ w32, where: c2)
                        let c3 = v3 .> bv
                        bv.replace(with: v3, where: c3)
                        bi.replace(with: i0 &+ (w32 &+ 1), where: c3)
                        bv.replace(with: floor4, where: bv .< floor4)
                        outRaw.storeBytes(of: bv, toByteOffset: 4 * (o0 + start), as: SIMD4<Float>.self)
                        argRaw.storeBytes(of: bi, toByteOffset: 4 * (o0 + start), as: SIMD4<Int32>.self)
                        ow = start + 4
                    }
                } else {
                    for ow in 0..<wo {
                        let i0 = r0 + 2 * ow
                        let v0 = input[i0], v1 = input[i0 + 1], v2 = input[i0 + w], v3 = input[i0 + w + 1]
                        var bv = v0, bi = i0
                        if v1 > bv { bv = v1; bi = i0 + 1 }
                        if v2 > bv { bv = v2; bi = i0 + w }
                        if v3 > bv { bv = v3; bi = i0 + w + 1 }
                        output[o0 + ow] = bv < floor ? floor : bv
                        argmax[o0 + ow] = Int32(truncatingIfNeeded: bi)
                    }
                }
            }
        }
    }

    /// Routes each output gradient to the input position of its maximum; all other input gradients are 0.
    /// Rows of 8 or more windows: every input gradient is written once, eight windows at a time (no clearing pass).
    /// Narrower rows: clear, then scatter each gradient to its argmax (no compares, no branches).
    public func backward(_ dOutput: UnsafePointer<Float>, planes: Int, argmax: UnsafePointer<Int32>,
                         dInput: UnsafeMutablePointer<Float>) {
        let h = height, w = width, ho = outHeight, wo = outWidth
        if wo < 8 {
            dInput.update(repeating: 0, count: planes * h * w)
            for j in 0..<planes * ho * wo { dInput[Int(argmax[j])] = dOutput[j] }
            return
        }
        let gRaw = UnsafeRawPointer(dOutput), aRaw = UnsafeRawPointer(argmax)
        let dRaw = UnsafeMutableRawPointer(dInput)
        let lane = SIMD8<Int32>(0, 2, 4, 6, 8, 10, 12, 14)
        let w32 = Int32(w)
        for pl in 0..<planes {
            let base = pl * h * w
            for oh in 0..<ho {
                let r0 = base + 2 * oh * w
                let o0 = (pl * ho + oh) * wo
                var ow = 0
                while ow < wo {
                    let start = min(ow, wo - 8)
                    let i = r0 + 2 * start
                    let g = gRaw.loadUnaligned(fromByteOffset: 4 * (o0 + start), as: SIMD8<Float>.self)
                    let a = aRaw.loadUnaligned(fromByteOffset: 4 * (o0 + start), as: SIMD8<Int32>.self)
                    let i0 = SIMD8<Int32>(repeating: Int32(truncatingIfNeeded: i)) &+ lane
                    var top = SIMD16<Float>(), bottom = SIMD16<Float>()
                    top.evenHalf = SIMD8<Float>.zero.replacing(with: g, where: a .== i0)
                    top.oddHalf = SIMD8<Float>.zero.replacing(with: g, where: a .== i0 &+ 1)
                    bottom.evenHalf = SIMD8<Float>.zero.replacing(with: g, where: a .== i0 &+ w32)
                    bottom.oddHalf = SIMD8<Float>.zero.replacing(with: g, where: a .== i0 &+ (w32 &+ 1))
                    dRaw.storeBytes(of: top, toByteOffset: 4 * i, as: SIMD16<Float>.self)
                    dRaw.storeBytes(of: bottom, toByteOffset: 4 * (i + w), as: SIMD16<Float>.self)
                    ow = start + 8
                }
            }
        }
    }
}

/// Fully connected layer on `[N][in]` → `[N][out]`, weight `[out][in]` (PyTorch `nn.Linear`).
public struct Dense: Sendable {
    public let inputs: Int
    public let outputs: Int

    public init(inputs: Int, outputs: Int) { self.inputs = inputs; self.outputs = outputs }

    public var weightCount: Int { inputs * outputs }

    public func forward(_ input: UnsafePointer<Float>, batch: Int, weight: UnsafePointer<Float>,
                        bias: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, stats: inout SGEMMStats) {
        for i in 0..<batch { (output + i * outputs).update(from: bias, count: outputs) }
        BLAS.sgemm(transB: true, m: batch, n: outputs, k: inputs, a: input, lda: inputs, b: weight, ldb: inputs,
                   beta: 1, c: output, ldc: outputs, stats: &stats)
    }

    /// Overwrites `dWeight` and `dBias`; writes `dInput` when given.
    public func backward(_ dOutput: UnsafePointer<Float>, batch: Int, input: UnsafePointer<Float>,
                         weight: UnsafePointer<Float>, dWeight: UnsafeMutablePointer<Float>,
                         dBias: UnsafeMutablePointer<Float>, dInput: UnsafeMutablePointer<Float>?,
                         stats: inout SGEMMStats) {
        BLAS.sgemm(transA: true, m: outputs, n: inputs, k: batch, a: dOutput, lda: outputs, b: input, ldb: inputs,
                   c: dWeight, ldc: inputs, stats: &stats)
        for o in 0..<outputs { dBias[o] = 0 }
        for i in 0..<batch {
            let row = dOutput + i * outputs
            for o in 0..<outputs { dBias[o] += row[o] }
        }
        if let dInput {
            BLAS.sgemm(m: batch, n: inputs, k: outputs, a: dOutput, lda: outputs, b: weight, ldb: inputs,
                       c: dInput, ldc: inputs, stats: &stats)
        }
    }
}

/// Rectified linear unit, applied in place. Explicit 8-wide SIMD (the compiler does not vectorise these loops).
public enum ReLU {
    public static func forward(_ x: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        let raw = UnsafeMutableRawPointer(x)
        while i + 8 <= count {
            let v = raw.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self)
            raw.storeBytes(of: v.replacing(with: 0, where: v .< 0), toByteOffset: 4 * i, as: SIMD8<Float>.self)
            i += 8
        }
        while i < count { x[i] = max(x[i], 0); i += 1 }
    }

    /// `dx = dy` where the forward output was positive, else 0 (in place on `gradient`).
    public static func backward(output: UnsafePointer<Float>, gradient: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        let out = UnsafeRawPointer(output), grad = UnsafeMutableRawPointer(gradient)
        while i + 8 <= count {
            let o = out.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self)
            let g = grad.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self)
            grad.storeBytes(of: SIMD8<Float>.zero.replacing(with: g, where: o .> 0), toByteOffset: 4 * i,
                            as: SIMD8<Float>.self)
            i += 8
        }
        while i < count { gradient[i] = output[i] > 0 ? gradient[i] : 0; i += 1 }
    }
}

/// Softmax followed by cross-entropy against integer labels, averaged over the batch (PyTorch `CrossEntropyLoss`).
public enum SoftmaxCrossEntropy {
    /// Returns the mean loss and writes `d loss / d logits` (`(softmax − onehot) / N`) to `dLogits`.
    public static func lossAndGradient(logits: UnsafePointer<Float>, labels: UnsafePointer<Int32>, batch: Int,
                                       classes: Int, dLogits: UnsafeMutablePointer<Float>) -> Float {
        var loss: Float = 0
        let scale = 1 / Float(batch)
        for i in 0..<batch {
            let row = logits + i * classes
            let d = dLogits + i * classes
            var m = row[0]
            for j in 1..<classes { m = max(m, row[j]) }
            var sum: Float = 0
            for j in 0..<classes {
                let e = expf(row[j] - m)
                d[j] = e
                sum += e
            }
            let y = Int(labels[i])
            loss -= row[y] - m - logf(sum)
            let inv = 1 / sum
            for j in 0..<classes { d[j] = d[j] * inv * scale }
            d[y] -= scale
        }
        return loss * scale
    }

    /// How many rows' largest logit (the first, on ties) is the label.
    public static func correct(logits: UnsafePointer<Float>, labels: UnsafePointer<Int32>, batch: Int,
                               classes: Int) -> Int {
        var n = 0
        for i in 0..<batch {
            let row = logits + i * classes
            var best = 0
            for j in 1..<classes where row[j] > row[best] { best = j }
            if best == Int(labels[i]) { n += 1 }
        }
        return n
    }
}

/// SGD with momentum, PyTorch semantics: `buf = momentum·buf + grad` (buf starts at 0), `w −= lr·buf`.
public enum SGD {
    public static func step(parameters: UnsafeMutablePointer<Float>, gradients: UnsafePointer<Float>,
                            momentumBuffer: UnsafeMutablePointer<Float>, count: Int, learningRate: Float,
                            momentum: Float) {
        for i in 0..<count {
            let v = momentum * momentumBuffer[i] + gradients[i]
            momentumBuffer[i] = v
            parameters[i] -= learningRate * v
        }
    }
}

/// `target = sum(x)`, or `target += sum(x)` when `accumulate`.
@inline(__always) func accumulateSum(_ x: UnsafePointer<Float>, count: Int, into target: UnsafeMutablePointer<Float>,
                                     _ accumulate: Bool) {
    let s = sum(x, count: count)
    target.pointee = accumulate ? target.pointee + s : s
}

/// Sum of `count` floats with eight independent SIMD lanes (vectorised, and deterministic: the order is fixed).
@inline(__always) func sum(_ x: UnsafePointer<Float>, count: Int) -> Float {
    var acc = SIMD8<Float>(repeating: 0)
    var i = 0
    while i + 8 <= count {
        acc += UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
        i += 8
    }
    var s = acc.sum()
    while i < count { s += x[i]; i += 1 }
    return s
}

/// `dst[i] = src[i]` for rows of up to a few hundred floats: 16 then 4 at a time, inline (no memmove call).
@inline(__always) func copy(_ src: UnsafePointer<Float>, to dst: UnsafeMutablePointer<Float>, count: Int) {
    var i = 0
    let s = UnsafeRawPointer(src), d = UnsafeMutableRawPointer(dst)
    while i + 16 <= count {
        let a = s.loadUnaligned(fromByteOffset: 4 * i, as: SIMD4<Float>.self)
        let b = s.loadUnaligned(fromByteOffset: 4 * i + 16, as: SIMD4<Float>.self)
        let c = s.loadUnaligned(fromByteOffset: 4 * i + 32, as: SIMD4<Float>.self)
        let e = s.loadUnaligned(fromByteOffset: 4 * i + 48, as: SIMD4<Float>.self)
        d.storeBytes(of: a, toByteOffset: 4 * i, as: SIMD4<Float>.self)
        d.storeBytes(of: b, toByteOffset: 4 * i + 16, as: SIMD4<Float>.self)
        d.storeBytes(of: c, toByteOffset: 4 * i + 32, as: SIMD4<Float>.self)
        d.storeBytes(of: e, toByteOffset: 4 * i + 48, as: SIMD4<Float>.self)
        i += 16
    }
    while i + 4 <= count {
        UnsafeMutableRawPointer(dst + i).storeBytes(of: UnsafeRawPointer(src + i).loadUnaligned(as: SIMD4<Float>.self),
                                                    as: SIMD4<Float>.self)
        i += 4
    }
    while i < count { dst[i] = src[i]; i += 1 }
}

/// `dst[i] += src[i]`: 8 then 4 at a time.
@inline(__always) func add(_ src: UnsafePointer<Float>, to dst: UnsafeMutablePointer<Float>, count: Int) {
    var i = 0
    let s = UnsafeRawPointer(src), d = UnsafeMutableRawPointer(dst)
    while i + 8 <= count {
        let a = d.loadUnaligned(fromByteOffset: 4 * i, as: SIMD4<Float>.self)
            + s.loadUnaligned(fromByteOffset: 4 * i, as: SIMD4<Float>.self)
        let b = d.loadUnaligned(fromByteOffset: 4 * i + 16, as: SIMD4<Float>.self)
            + s.loadUnaligned(fromByteOffset: 4 * i + 16, as: SIMD4<Float>.self)
        d.storeBytes(of: a, toByteOffset: 4 * i, as: SIMD4<Float>.self)
        d.storeBytes(of: b, toByteOffset: 4 * i + 16, as: SIMD4<Float>.self)
        i += 8
    }
    while i + 4 <= count {
        let d = UnsafeMutableRawPointer(dst + i)
        d.storeBytes(of: d.loadUnaligned(as: SIMD4<Float>.self) + UnsafeRawPointer(src + i).loadUnaligned(as: SIMD4<Float>.self),
                     as: SIMD4<Float>.self)
        i += 4
    }
    while i < count { dst[i] += src[i]; i += 1 }
}
