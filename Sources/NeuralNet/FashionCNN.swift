import Datasets

/// The Fashion-MNIST reference CNN with its preallocated activations, gradients and optimizer state:
/// conv3×3 pad 1 (1→16), ReLU, maxpool 2 → conv3×3 pad 1 (16→32), ReLU, maxpool 2 → flatten 1568 → dense 128, ReLU
/// → dense 10. All buffers are allocated once for `maxBatch` images; a training step allocates nothing.
///
/// The convolutional part runs over the batch in chunks of `chunk` images, so that each chunk's im2col matrix and
/// activations stay in the core's cache instead of streaming the whole batch's (several MB) through memory: per
/// chunk, forward is im2col → sgemm → pool+ReLU for both convolutions, and backward (last chunk first, whose im2col
/// is still there) recomputes the chunk's im2col (cheaper than reading it back from memory) and accumulates the
/// weight gradients over the chunks (sgemm with beta = 1). Only what backward needs is kept for the whole batch:
/// the pooled first-layer activations and both layers' pooling argmax. The dense layers run on the whole batch. The result is the batch's gradient; only the
/// order of the sums differs with the chunk size (deterministic for a given chunk size).
///
/// Not thread-safe: one model per thread.
public final class FashionCNN {
    public let conv1 = Conv2D(inChannels: 1, outChannels: 16, kernel: 3, padding: 1, height: 28, width: 28)
    public let pool1 = MaxPool2D(height: 28, width: 28)
    public let conv2 = Conv2D(inChannels: 16, outChannels: 32, kernel: 3, padding: 1, height: 14, width: 14)
    public let pool2 = MaxPool2D(height: 14, width: 14)
    public let fc1 = Dense(inputs: 1568, outputs: 128)
    public let fc2 = Dense(inputs: 128, outputs: 10)
    public static let classes = 10
    public static let inputPixels = 784
    /// Images per chunk of the convolutional part (measured fastest on a 512 KiB-L2 core; see `bench training`).
    public static let defaultChunk = 8

    /// Named slices of the flat parameter vector, in PyTorch's `state_dict` order.
    public struct Slice: Sendable {
        public let name: String
        public let offset: Int
        public let shape: [Int]
        public var count: Int { shape.reduce(1, *) }
    }

    public static let slices: [Slice] = {
        let shapes: [(String, [Int])] = [
            ("conv1.weight", [16, 1, 3, 3]), ("conv1.bias", [16]),
            ("conv2.weight", [32, 16, 3, 3]), ("conv2.bias", [32]),
            ("fc1.weight", [128, 1568]), ("fc1.bias", [128]),
            ("fc2.weight", [10, 128]), ("fc2.bias", [10]),
        ]
        var out: [Slice] = []
        var offset = 0
        for (name, shape) in shapes {
            out.append(Slice(name: name, offset: offset, shape: shape))
            offset += shape.reduce(1, *)
        }
        return out
    }()

    public static let parameterCount = slices.last!.offset + slices.last!.count

    public let maxBatch: Int
    /// Images per chunk of the convolutional layers.
    public let chunk: Int
    /// All parameters, contiguous, in `slices` order.
    public let parameters: UnsafeMutablePointer<Float>
    public let gradients: UnsafeMutablePointer<Float>
    public let momentum: UnsafeMutablePointer<Float>
    /// The input batch `[N][784]`, filled by the caller before `forward`.
    public let input: UnsafeMutablePointer<Float>
    /// The labels of the input batch, filled by the caller before `trainStep`.
    public let labels: UnsafeMutablePointer<Int32>
    /// sgemm work done by this model so far.
    public var stats = SGEMMStats()

    // Kept for the whole batch, chunk after chunk (chunk k of c images at image n0 is `[C][c][H·W]` at n0·C·H·W):
    // the pooled, ReLU'd first-layer output and both poolings' argmax. Then the dense layers' `[N][F]` tensors.
    let p1: UnsafeMutablePointer<Float>
    let arg1, arg2: UnsafeMutablePointer<Int32>
    let flat, h1, logits, dLogits, dH1, dFlat: UnsafeMutablePointer<Float>
    // Per-chunk scratch, reused by every chunk (backward reuses the forward buffers: a1 holds dA1, a2 holds dA2,
    // col2 holds dCol2).
    let col1, a1, col2, a2, p2, dP1, dP2: UnsafeMutablePointer<Float>
    private var allocations: [UnsafeMutableRawPointer] = []
    /// The batch of the last `forward` while col1/col2 still hold its last chunk's im2col matrices (else 0).
    private var forwardBatch = 0

    /// Initialises the parameters as PyTorch does by default for these layers (weights and biases uniform in
    /// ±1/√fan_in), from `seed`.
    public init(maxBatch: Int, seed: UInt64, chunk: Int = FashionCNN.defaultChunk) {
        precondition(maxBatch > 0 && chunk > 0)
        self.maxBatch = maxBatch
        self.chunk = min(chunk, maxBatch)
        var allocs: [UnsafeMutableRawPointer] = []
        func floats(_ n: Int) -> UnsafeMutablePointer<Float> {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: max(n, 1))
            p.initialize(repeating: 0, count: max(n, 1))
            allocs.append(UnsafeMutableRawPointer(p))
            return p
        }
        func ints(_ n: Int) -> UnsafeMutablePointer<Int32> {
            let p = UnsafeMutablePointer<Int32>.allocate(capacity: n)
            p.initialize(repeating: 0, count: n)
            allocs.append(UnsafeMutableRawPointer(p))
            return p
        }
        let b = maxBatch, c = self.chunk
        parameters = floats(FashionCNN.parameterCount)
        gradients = floats(FashionCNN.parameterCount)
        momentum = floats(FashionCNN.parameterCount)
        input = floats(b * 784)
        labels = ints(b)
        p1 = floats(16 * b * 196)
        arg1 = ints(16 * b * 196)
        arg2 = ints(32 * b * 49)
        flat = floats(b * 1568)
        h1 = floats(b * 128)
        logits = floats(b * 10)
        dLogits = floats(b * 10)
        dH1 = floats(b * 128)
        dFlat = floats(b * 1568)
        col1 = floats(conv1.colCount(batch: c))
        a1 = floats(conv1.outputCount(batch: c))
        col2 = floats(conv2.colCount(batch: c))
        a2 = floats(conv2.outputCount(batch: c))
        p2 = floats(32 * c * 49)
        dP1 = floats(16 * c * 196)
        dP2 = floats(32 * c * 49)
        allocations = allocs

        var rng = Xoshiro256(seed: seed)
        let fanIn = [9, 9, 144, 144, 1568, 1568, 128, 128]
        for (slice, fan) in zip(FashionCNN.slices, fanIn) {
            let bound = 1 / Float(fan).squareRoot()
            for i in 0..<slice.count {
                parameters[slice.offset + i] = (2 * rng.nextUniform() - 1) * bound
            }
        }
    }

    deinit { for p in allocations { p.deallocate() } }

    @inline(__always) func param(_ i: Int) -> UnsafeMutablePointer<Float> { parameters + FashionCNN.slices[i].offset }
    @inline(__always) func grad(_ i: Int) -> UnsafeMutablePointer<Float> { gradients + FashionCNN.slices[i].offset }

    /// The parameters as an array, in `slices` order (for tests and export).
    public var parameterArray: [Float] { Array(UnsafeBufferPointer(start: parameters, count: FashionCNN.parameterCount)) }

    /// Copies image `index` of `split`, preprocessed, into row `row` of the input batch, and its label.
    @inline(__always) public func setSample(row: Int, from split: FashionMNISTSplit, index: Int) {
        FashionMNIST.preprocess(split, index: index, into: input + row * 784)
        labels[row] = Int32(split.labels[index])
    }

    /// Runs the forward pass on the first `batch` rows of `input`; returns the logits `[batch][10]`.
    @discardableResult
    public func forward(batch: Int) -> UnsafePointer<Float> {
        precondition(batch > 0 && batch <= maxBatch)
        var n0 = 0
        while n0 < batch {
            let c = min(chunk, batch - n0)
            conv1.forward(input + n0 * 784, batch: c, weight: param(0), bias: param(1), col: col1, output: a1,
                          stats: &stats)
            // ReLU after pooling (on the 4× smaller tensor) equals pooling after ReLU: both are monotone.
            pool1.forward(a1, planes: 16 * c, output: p1 + n0 * 3136, argmax: arg1 + n0 * 3136, relu: true)
            conv2.forward(p1 + n0 * 3136, batch: c, weight: param(2), bias: param(3), col: col2, output: a2,
                          stats: &stats)
            pool2.forward(a2, planes: 32 * c, output: p2, argmax: arg2 + n0 * 1568, relu: true)
            // [32][c][49] → rows n0..<n0+c of [N][32·49] (PyTorch's flatten order: channel, row, column).
            for ch in 0..<32 {
                for j in 0..<c { copy(p2 + (ch * c + j) * 49, to: flat + (n0 + j) * 1568 + ch * 49, count: 49) }
            }
            n0 += c
        }
        forwardBatch = batch
        fc1.forward(flat, batch: batch, weight: param(4), bias: param(5), output: h1, stats: &stats)
        ReLU.forward(h1, count: batch * 128)
        fc2.forward(h1, batch: batch, weight: param(6), bias: param(7), output: logits, stats: &stats)
        return UnsafePointer(logits)
    }

    /// Back-propagates the mean softmax cross-entropy of the last `forward` against `labels`, overwriting
    /// `gradients`. Returns the loss.
    @discardableResult
    public func backward(batch: Int) -> Float {
        let loss = SoftmaxCrossEntropy.lossAndGradient(logits: logits, labels: labels, batch: batch, classes: 10,
                                                       dLogits: dLogits)
        fc2.backward(dLogits, batch: batch, input: h1, weight: param(6), dWeight: grad(6), dBias: grad(7),
                     dInput: dH1, stats: &stats)
        ReLU.backward(output: h1, gradient: dH1, count: batch * 128)
        fc1.backward(dH1, batch: batch, input: flat, weight: param(4), dWeight: grad(4), dBias: grad(5),
                     dInput: dFlat, stats: &stats)
        // The second ReLU's mask: `flat` is its output.
        ReLU.backward(output: flat, gradient: dFlat, count: batch * 1568)
        // Chunks from the last to the first: the last chunk's im2col matrices are still in col1/col2 from forward.
        var reuse = forwardBatch == batch
        forwardBatch = 0   // col2 is about to hold dCol
        let (g1, g3) = (grad(1), grad(3))
        var n0 = (batch - 1) / chunk * chunk
        while n0 >= 0 {
            let c = min(chunk, batch - n0), more = n0 + c < batch
            for ch in 0..<32 {
                for j in 0..<c { copy(dFlat + (n0 + j) * 1568 + ch * 49, to: dP2 + (ch * c + j) * 49, count: 49) }
            }
            // A bias gradient is the sum of its channel's output gradient, which pooling backward only scatters:
            // sum the 4× smaller pooled gradient instead.
            for o in 0..<32 { accumulateSum(dP2 + o * c * 49, count: c * 49, into: g3 + o, more) }
            pool2.backward(dP2, planes: 32 * c, argmax: arg2 + n0 * 1568, dInput: a2)
            if !reuse { conv2.im2col(p1 + n0 * 3136, batch: c, col: col2) }
            conv2.backward(a2, batch: c, col: col2, weight: param(2), dWeight: grad(2), dBias: nil,
                           dCol: col2, dInput: dP1, accumulate: more, stats: &stats)
            ReLU.backward(output: p1 + n0 * 3136, gradient: dP1, count: 16 * c * 196)
            for o in 0..<16 { accumulateSum(dP1 + o * c * 196, count: c * 196, into: g1 + o, more) }
            pool1.backward(dP1, planes: 16 * c, argmax: arg1 + n0 * 3136, dInput: a1)
            if !reuse { conv1.im2col(input + n0 * 784, batch: c, col: col1) }
            conv1.backward(a1, batch: c, col: col1, weight: param(0), dWeight: grad(0), dBias: nil,
                           dCol: nil, dInput: nil, accumulate: more, stats: &stats)
            reuse = false
            n0 -= chunk
        }
        return loss
    }

    /// One SGD-with-momentum step on the first `batch` rows of `input`/`labels`. Returns the loss before the step.
    @discardableResult
    public func trainStep(batch: Int, learningRate: Float, momentum mu: Float) -> Float {
        forward(batch: batch)
        let loss = backward(batch: batch)
        SGD.step(parameters: parameters, gradients: gradients, momentumBuffer: momentum,
                 count: FashionCNN.parameterCount, learningRate: learningRate, momentum: mu)
        return loss
    }

    /// Top-1 accuracy counts over a whole split (or its first `limit` images), in batches of `maxBatch`.
    public func correctCount(on split: FashionMNISTSplit, limit: Int? = nil) -> Int {
        let total = min(limit ?? split.count, split.count)
        var correct = 0
        var start = 0
        while start < total {
            let b = min(maxBatch, total - start)
            for r in 0..<b { setSample(row: r, from: split, index: start + r) }
            let out = forward(batch: b)
            correct += SoftmaxCrossEntropy.correct(logits: out, labels: labels, batch: b, classes: 10)
            start += b
        }
        return correct
    }
}
