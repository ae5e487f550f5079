import Foundation
import Testing
@testable import NeuralNet

/// Finite-difference checks of every layer's backward pass. Each layer's output is reduced to a scalar
/// `L = Σ output·R` with fixed random weights R, so dL/d(output) = R.
@Suite struct GradientTests {
    static func random(_ n: Int, _ rng: inout Xoshiro256, scale: Float = 1) -> [Float] {
        (0..<n).map { _ in (2 * rng.nextUniform() - 1) * scale }
    }

    static func dot(_ a: [Float], _ b: [Float]) -> Double {
        zip(a, b).reduce(0) { $0 + Double($1.0) * Double($1.1) }
    }

    /// Central difference of `f` in coordinate `i` of `x`.
    static func numeric(_ x: inout [Float], _ i: Int, eps: Float = 1e-2, _ f: ([Float]) -> Double) -> Double {
        let keep = x[i]
        x[i] = keep + eps
        let plus = f(x)
        x[i] = keep - eps
        let minus = f(x)
        x[i] = keep
        return (plus - minus) / Double(2 * eps)
    }

    static func expectClose(_ analytic: [Float], _ numeric: [Double], tolerance: Double = 2e-3,
                            sourceLocation: SourceLocation = #_sourceLocation) {
        let scale = max(1, numeric.map(abs).max() ?? 1)
        let worst = zip(analytic, numeric).map { abs(Double($0) - $1) }.max() ?? 0
        #expect(worst <= tolerance * scale, "max |analytic − numeric| = \(worst)", sourceLocation: sourceLocation)
    }

    @Test func convolution() {
        var rng = Xoshiro256(seed: 11)
        let conv = Conv2D(inChannels: 2, outChannels: 3, kernel: 3, padding: 1, height: 5, width: 4)
        let batch = 2
        var x = Self.random(conv.inputCount(batch: batch), &rng)
        var w = Self.random(conv.weightCount, &rng)
        var b = Self.random(3, &rng)
        let r = Self.random(conv.outputCount(batch: batch), &rng)
        func loss(_ x: [Float], _ w: [Float], _ b: [Float]) -> Double {
            var col = [Float](repeating: 0, count: conv.colCount(batch: batch))
            var out = [Float](repeating: 0, count: conv.outputCount(batch: batch))
            var stats = SGEMMStats()
            conv.forward(x, batch: batch, weight: w, bias: b, col: &col, output: &out, stats: &stats)
            return Self.dot(out, r)
        }
        var col = [Float](repeating: 0, count: conv.colCount(batch: batch))
        var out = [Float](repeating: 0, count: conv.outputCount(batch: batch))
        var dW = [Float](repeating: 0, count: conv.weightCount)
        var dB = [Float](repeating: 0, count: 3)
        var dCol = [Float](repeating: 0, count: conv.colCount(batch: batch))
        var dX = [Float](repeating: 9, count: conv.inputCount(batch: batch))
        var stats = SGEMMStats()
        conv.forward(x, batch: batch, weight: w, bias: b, col: &col, output: &out, stats: &stats)
        conv.backward(r, batch: batch, col: col, weight: w, dWeight: &dW, dBias: &dB, dCol: &dCol, dInput: &dX,
                      stats: &stats)
        #expect(stats.calls == 3)
        let callFlops = 2.0 * Double(3 * 18 * batch * 20)   // 2·Cout·(Cin·k·k)·positions, all three calls
        #expect(stats.flops == 3 * callFlops)
        Self.expectClose(dW, (0..<w.count).map { i in Self.numeric(&w, i) { loss(x, $0, b) } })
        Self.expectClose(dB, (0..<b.count).map { i in Self.numeric(&b, i) { loss(x, w, $0) } })
        Self.expectClose(dX, (0..<x.count).map { i in Self.numeric(&x, i) { loss($0, w, b) } })
    }

    /// The same-size fast path of im2col/col2im (whole shifted planes) against the general row-by-row loops.
    @Test(arguments: [(1, 28, 28, 3, 1), (16, 14, 14, 3, 1), (2, 5, 4, 3, 1), (2, 7, 6, 5, 2), (3, 2, 3, 3, 1)])
    func shiftedIm2colMatchesRows(channels: Int, height: Int, width: Int, kernel: Int, padding: Int) {
        let conv = Conv2D(inChannels: channels, outChannels: 1, kernel: kernel, padding: padding, height: height,
                          width: width)
        #expect(conv.sameSize)
        var rng = Xoshiro256(seed: UInt64(height * width))
        let batch = 3
        let x = Self.random(conv.inputCount(batch: batch), &rng)
        var fast = [Float](repeating: .nan, count: conv.colCount(batch: batch))
        var rows = [Float](repeating: .nan, count: conv.colCount(batch: batch))
        conv.im2colShifted(x, batch: batch, col: &fast)
        conv.im2colRows(x, batch: batch, col: &rows)
        #expect(fast == rows)
        // col2im: padding entries of the column matrix must not leak into the input gradient.
        let dcol = Self.random(conv.colCount(batch: batch), &rng)
        var dcolFast = dcol
        var dxFast = [Float](repeating: .nan, count: x.count)
        var dxRows = [Float](repeating: .nan, count: x.count)
        conv.col2imShifted(&dcolFast, batch: batch, input: &dxFast)
        conv.col2imRows(dcol, batch: batch, input: &dxRows)
        #expect(zip(dxFast, dxRows).allSatisfy { abs($0 - $1) <= 1e-6 }, "max difference \(zip(dxFast, dxRows).map { abs($0 - $1) }.max() ?? 0)")
    }

    @Test func dense() {
        var rng = Xoshiro256(seed: 12)
        let fc = Dense(inputs: 7, outputs: 5)
        let batch = 3
        var x = Self.random(batch * 7, &rng)
        var w = Self.random(35, &rng)
        var b = Self.random(5, &rng)
        let r = Self.random(batch * 5, &rng)
        func loss(_ x: [Float], _ w: [Float], _ b: [Float]) -> Double {
            var out = [Float](repeating: 0, count: batch * 5)
            var stats = SGEMMStats()
            fc.forward(x, batch: batch, weight: w, bias: b, output: &out, stats: &stats)
            return Self.dot(out, r)
        }
        var dW = [Float](repeating: 0, count: 35), dB = [Float](repeating: 0, count: 5)
        var dX = [Float](repeating: 0, count: batch * 7)
        var stats = SGEMMStats()
        fc.backward(r, batch: batch, input: x, weight: w, dWeight: &dW, dBias: &dB, dInput: &dX, stats: &stats)
        Self.expectClose(dW, (0..<w.count).map { i in Self.numeric(&w, i) { loss(x, $0, b) } })
        Self.expectClose(dB, (0..<b.count).map { i in Self.numeric(&b, i) { loss(x, w, $0) } })
        Self.expectClose(dX, (0..<x.count).map { i in Self.numeric(&x, i) { loss($0, w, b) } })
    }

    @Test func maxPoolAndReLU() {
        var rng = Xoshiro256(seed: 13)
        let pool = MaxPool2D(height: 6, width: 4)
        let planes = 3
        var x = Self.random(planes * 24, &rng)
        let r = Self.random(planes * 6, &rng)
        func loss(_ x: [Float]) -> Double {
            var out = [Float](repeating: 0, count: planes * 6)
            var arg = [Int32](repeating: 0, count: planes * 6)
            pool.forward(x, planes: planes, output: &out, argmax: &arg)
            ReLU.forward(&out, count: out.count)
            return Self.dot(out, r)
        }
        var out = [Float](repeating: 0, count: planes * 6)
        var arg = [Int32](repeating: 0, count: planes * 6)
        pool.forward(x, planes: planes, output: &out, argmax: &arg)
        for j in 0..<out.count { #expect(out[j] == x[Int(arg[j])]) }
        ReLU.forward(&out, count: out.count)
        var g = r
        ReLU.backward(output: out, gradient: &g, count: g.count)
        var dX = [Float](repeating: 7, count: x.count)
        pool.backward(g, planes: planes, argmax: arg, dInput: &dX)
        // Random inputs have no ties and no exact zeros, so the function is smooth at x.
        Self.expectClose(dX, (0..<x.count).map { i in Self.numeric(&x, i, eps: 1e-3) { loss($0) } })
        #expect(dX.filter { $0 != 0 }.count <= planes * 6)
    }

    /// The SIMD pooling path (rows of 8 or more outputs, with an overlapping last block) against a plain loop.
    @Test(arguments: [(4, 28), (2, 20), (2, 16), (6, 14)])
    func maxPoolMatchesPlainLoop(height: Int, width: Int) {
        var rng = Xoshiro256(seed: UInt64(width))
        let pool = MaxPool2D(height: height, width: width)
        let planes = 3
        // Coarse values so that ties occur; the first maximum wins.
        let x = (0..<planes * height * width).map { _ in Float(rng.nextIndex(below: 4)) }
        var out = [Float](repeating: -1, count: planes * height * width / 4)
        var arg = [Int32](repeating: -1, count: out.count)
        pool.forward(x, planes: planes, output: &out, argmax: &arg)
        var j = 0
        for pl in 0..<planes {
            for oh in 0..<height / 2 {
                for ow in 0..<width / 2 {
                    let i0 = pl * height * width + 2 * oh * width + 2 * ow
                    var best = i0
                    for i in [i0 + 1, i0 + width, i0 + width + 1] where x[i] > x[best] { best = i }
                    #expect(out[j] == x[best] && arg[j] == Int32(best))
                    j += 1
                }
            }
        }
        // Backward: each output gradient lands on its maximum, every other input gradient is 0.
        let g = (0..<out.count).map { Float($0 + 1) }
        var dX = [Float](repeating: .nan, count: x.count)
        pool.backward(g, planes: planes, argmax: arg, dInput: &dX)
        var expected = [Float](repeating: 0, count: x.count)
        for (j, a) in arg.enumerated() { expected[Int(a)] = g[j] }
        #expect(dX == expected)
    }

    @Test func softmaxCrossEntropy() {
        var rng = Xoshiro256(seed: 14)
        let batch = 4, classes = 10
        var logits = Self.random(batch * classes, &rng, scale: 3)
        let labels: [Int32] = [3, 0, 9, 3]
        func loss(_ z: [Float]) -> Double {
            var d = [Float](repeating: 0, count: z.count)
            return Double(SoftmaxCrossEntropy.lossAndGradient(logits: z, labels: labels, batch: batch,
                                                              classes: classes, dLogits: &d))
        }
        var d = [Float](repeating: 0, count: logits.count)
        let l = SoftmaxCrossEntropy.lossAndGradient(logits: logits, labels: labels, batch: batch, classes: classes,
                                                    dLogits: &d)
        // The loss is the mean negative log-likelihood, computed in double here.
        var expected = 0.0
        for i in 0..<batch {
            let row = logits[i * classes..<(i + 1) * classes].map(Double.init)
            let m = row.max()!
            var sumExp = 0.0
            for v in row { sumExp += Foundation.exp(v - m) }
            let logp: Double = row[Int(labels[i])] - m - Foundation.log(sumExp)
            expected -= logp
        }
        #expect(abs(Double(l) - expected / Double(batch)) < 1e-5)
        Self.expectClose(d, (0..<logits.count).map { i in Self.numeric(&logits, i, eps: 1e-2) { loss($0) } })
        #expect(SoftmaxCrossEntropy.correct(logits: [0, 5, 1, 9, 0, 0], labels: [1, 2], batch: 2, classes: 3) == 1)
    }

    /// The whole network: back-propagation through conv, pool, ReLU, the flatten transposes and both dense layers
    /// agrees with finite differences on the largest gradients of every parameter tensor.
    @Test func wholeModel() {
        let model = FashionCNN(maxBatch: 3, seed: 5)
        var rng = Xoshiro256(seed: 15)
        for i in 0..<3 * 784 { model.input[i] = rng.nextUniform() }
        for (i, l) in [4, 7, 1].enumerated() { model.labels[i] = Int32(l) }
        func loss() -> Double {
            model.forward(batch: 3)
            var d = [Float](repeating: 0, count: 30)
            return Double(SoftmaxCrossEntropy.lossAndGradient(logits: model.logits, labels: model.labels, batch: 3,
                                                              classes: 10, dLogits: &d))
        }
        model.forward(batch: 3)
        model.backward(batch: 3)
        let grads = Array(UnsafeBufferPointer(start: model.gradients, count: FashionCNN.parameterCount))
        for slice in FashionCNN.slices {
            // The three largest gradients of the tensor.
            let top = (slice.offset..<slice.offset + slice.count).sorted { abs(grads[$0]) > abs(grads[$1]) }.prefix(3)
            for i in top {
                let keep = model.parameters[i]
                let eps: Float = 1e-2
                model.parameters[i] = keep + eps
                let plus = loss()
                model.parameters[i] = keep - eps
                let minus = loss()
                model.parameters[i] = keep
                let numeric = (plus - minus) / Double(2 * eps)
                #expect(abs(numeric - Double(grads[i])) <= 2e-3 + 0.05 * abs(numeric),
                        "\(slice.name)[\(i - slice.offset)]: analytic \(grads[i]), numeric \(numeric)")
            }
        }
    }

    /// The convolutional layers run in chunks of images; the batch gradient must not depend on the chunk size
    /// (beyond float rounding), including a last chunk smaller than the others.
    @Test(arguments: [1, 3, 8])
    func chunkedBatchGivesTheWholeBatchGradient(chunk: Int) {
        let batch = 19
        let whole = FashionCNN(maxBatch: batch, seed: 9, chunk: batch)
        let chunked = FashionCNN(maxBatch: batch, seed: 9, chunk: chunk)
        var rng = Xoshiro256(seed: 16)
        for i in 0..<batch * 784 {
            let v = rng.nextUniform()
            whole.input[i] = v; chunked.input[i] = v
        }
        for i in 0..<batch { whole.labels[i] = Int32(i % 10); chunked.labels[i] = Int32(i % 10) }
        let lossWhole = whole.trainStep(batch: batch, learningRate: 0.02, momentum: 0.9)
        let lossChunked = chunked.trainStep(batch: batch, learningRate: 0.02, momentum: 0.9)
        #expect(abs(lossWhole - lossChunked) <= 1e-6 * abs(lossWhole))
        for slice in FashionCNN.slices {
            var worst: Float = 0, scale: Float = 0
            for i in slice.offset..<slice.offset + slice.count {
                worst = max(worst, abs(whole.gradients[i] - chunked.gradients[i]))
                scale = max(scale, abs(whole.gradients[i]))
            }
            #expect(scale > 0 && worst <= 1e-5 * scale, "\(slice.name): max difference \(worst) of \(scale)")
        }
        // And the logits of a second forward pass (after the step) agree too.
        let a = Array(UnsafeBufferPointer(start: whole.forward(batch: batch), count: batch * 10))
        let b = Array(UnsafeBufferPointer(start: chunked.forward(batch: batch), count: batch * 10))
        #expect(zip(a, b).allSatisfy { abs($0 - $1) <= 1e-5 * max(1, abs($0)) })
    }

    @Test func sgdMomentumFollowsPyTorch() {
        var p: [Float] = [1, -2]
        var buf: [Float] = [0, 0]
        SGD.step(parameters: &p, gradients: [0.5, 1], momentumBuffer: &buf, count: 2, learningRate: 0.1, momentum: 0.9)
        #expect(buf == [0.5, 1])            // first step: buf = grad
        let expectedP: [Float] = [1 - 0.1 * 0.5, -2 - 0.1 * 1]
        #expect(p == expectedP)
        SGD.step(parameters: &p, gradients: [0.5, 1], momentumBuffer: &buf, count: 2, learningRate: 0.1, momentum: 0.9)
        let expected: [Float] = [0.9 * 0.5 + 0.5, 0.9 * 1 + 1]
        #expect(buf == expected)
    }
}
