import Foundation

/// A bag-of-embeddings text classifier (fastText-style; `references/pytorch/train_sentiment.py`'s `MeanBag`):
/// `Embedding(V, D, padding_idx = 0)` → the mean over the positions whose id is not 0 (a zero vector when there is
/// none) → `Linear(D, classes)`. Initialisation as PyTorch's reference: embeddings U(−1/D, 1/D) with row 0 = 0;
/// the linear layer's weight and bias U(−1/√D, 1/√D). Trained with softmax cross-entropy and dense Adam over every
/// parameter (`torch.optim.Adam`; the padding row's gradient is 0, so it stays 0).
///
/// Sequences are fixed-length int64 id rows. Buffers are allocated once for `maxBatch` rows.
public final class MeanBagClassifier {
    public let vocabulary: Int
    public let dimension: Int
    public let classes: Int
    public let sequenceLength: Int
    public let maxBatch: Int
    /// Parameters packed: the embedding `[V][D]`, then the weight `[classes][D]`, then the bias `[classes]`.
    public let parameters: UnsafeMutablePointer<Float>
    public let parameterCount: Int
    let gradients: UnsafeMutablePointer<Float>
    let pooled, dPooled, logits, dLogits: UnsafeMutablePointer<Float>
    let counts: UnsafeMutablePointer<Float>
    let adam: Adam
    public private(set) var stats = SGEMMStats()

    public var embedding: UnsafeMutablePointer<Float> { parameters }
    public var weight: UnsafeMutablePointer<Float> { parameters + vocabulary * dimension }
    public var bias: UnsafeMutablePointer<Float> { parameters + vocabulary * dimension + classes * dimension }

    public init(vocabulary: Int, dimension: Int, classes: Int, sequenceLength: Int, maxBatch: Int, seed: UInt64,
                hyper: AdamHyperparameters) {
        self.vocabulary = vocabulary
        self.dimension = dimension
        self.classes = classes
        self.sequenceLength = sequenceLength
        self.maxBatch = maxBatch
        parameterCount = vocabulary * dimension + classes * dimension + classes
        parameters = .allocate(capacity: parameterCount)
        gradients = .allocate(capacity: parameterCount)
        gradients.initialize(repeating: 0, count: parameterCount)
        var rng = Xoshiro256(seed: seed)
        let limit = 1 / Float(dimension)
        for i in 0..<vocabulary * dimension { parameters[i] = (2 * rng.nextUniform() - 1) * limit }
        for k in 0..<dimension { parameters[k] = 0 }
        let linearLimit = 1 / Float(dimension).squareRoot()
        for i in vocabulary * dimension..<parameterCount { parameters[i] = (2 * rng.nextUniform() - 1) * linearLimit }
        func buffer(_ n: Int) -> UnsafeMutablePointer<Float> {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: max(n, 1))
            p.initialize(repeating: 0, count: max(n, 1))
            return p
        }
        pooled = buffer(maxBatch * dimension); dPooled = buffer(maxBatch * dimension)
        logits = buffer(maxBatch * classes); dLogits = buffer(maxBatch * classes)
        counts = buffer(maxBatch)
        adam = Adam(count: parameterCount, hyper: hyper)
    }

    deinit {
        for p in [parameters, gradients, pooled, dPooled, logits, dLogits, counts] { p.deallocate() }
    }

    /// Logits of `batch` rows of `sequenceLength` ids (row-major), in `[batch][classes]`.
    @discardableResult
    public func forward(_ ids: UnsafePointer<Int64>, batch: Int) -> UnsafePointer<Float> {
        let d = dimension
        for i in 0..<batch {
            let out = pooled + i * d
            out.update(repeating: 0, count: d)
            var n = 0
            let row = ids + i * sequenceLength
            for t in 0..<sequenceLength {
                let id = Int(row[t])
                if id == 0 { continue }
                n += 1
                let e = embedding + id * d
                for k in 0..<d { out[k] += e[k] }
            }
            let c = Float(max(n, 1))
            counts[i] = c
            for k in 0..<d { out[k] /= c }
        }
        Dense(inputs: d, outputs: classes).forward(pooled, batch: batch, weight: weight, bias: bias, output: logits,
                                                   stats: &stats)
        return UnsafePointer(logits)
    }

    /// One Adam step on a batch with mean softmax cross-entropy; returns the loss.
    public func trainStep(_ ids: UnsafePointer<Int64>, labels: UnsafePointer<Int32>, batch: Int) -> Float {
        forward(ids, batch: batch)
        let loss = SoftmaxCrossEntropy.lossAndGradient(logits: logits, labels: labels, batch: batch, classes: classes,
                                                       dLogits: dLogits)
        let d = dimension
        let dWeight = gradients + vocabulary * d, dBias = dWeight + classes * d
        Dense(inputs: d, outputs: classes).backward(dLogits, batch: batch, input: pooled, weight: weight,
                                                    dWeight: dWeight, dBias: dBias, dInput: dPooled, stats: &stats)
        let dEmbedding = gradients
        for i in 0..<batch {
            let g = dPooled + i * d
            let inv = 1 / counts[i]
            let row = ids + i * sequenceLength
            for t in 0..<sequenceLength {
                let id = Int(row[t])
                if id == 0 { continue }
                let dst = dEmbedding + id * d
                for k in 0..<d { dst[k] += g[k] * inv }
            }
        }
        adam.step(parameters: parameters, gradients: gradients)
        // Clear the touched embedding rows (the others are still 0).
        for i in 0..<batch {
            let row = ids + i * sequenceLength
            for t in 0..<sequenceLength where row[t] != 0 {
                (dEmbedding + Int(row[t]) * d).update(repeating: 0, count: d)
            }
        }
        return loss
    }

    /// The model as ONNX (opset 13): input "tokens" int64 `[N, sequenceLength]`, output "logits" float32
    /// `[N, classes]`. The masked mean is two Gathers (the embedding, and a 0/1 "not padding" column) and two
    /// ReduceMeans: mean(E[ids]) / max(mean(1[ids ≠ 0]), 1/L), which is the sum over non-padding rows divided by
    /// their count (at least 1), as in training.
    public func onnxModel() -> ONNX.Model {
        let d = dimension
        let indicator = (0..<vocabulary).map { $0 == 0 ? Float(0) : 1 }
        let inits = [
            ONNX.Tensor(name: "embedding", dims: [vocabulary, d],
                        values: Array(UnsafeBufferPointer(start: embedding, count: vocabulary * d))),
            ONNX.Tensor(name: "not_padding", dims: [vocabulary, 1], values: indicator),
            ONNX.Tensor(name: "min_fraction", dims: [1], values: [1 / Float(sequenceLength)]),
            ONNX.Tensor(name: "linear.weight", dims: [classes, d],
                        values: Array(UnsafeBufferPointer(start: weight, count: classes * d))),
            ONNX.Tensor(name: "linear.bias", dims: [classes], values: Array(UnsafeBufferPointer(start: bias, count: classes))),
        ]
        let mean: [ONNX.Attribute] = [.ints("axes", [1]), .int("keepdims", 0)]
        let nodes = [
            ONNX.Node("Gather", inputs: ["embedding", "tokens"], outputs: ["vectors"], name: "embed", attributes: [.int("axis", 0)]),
            ONNX.Node("ReduceMean", inputs: ["vectors"], outputs: ["vector_mean"], name: "vector_mean", attributes: mean),
            ONNX.Node("Gather", inputs: ["not_padding", "tokens"], outputs: ["mask"], name: "mask", attributes: [.int("axis", 0)]),
            ONNX.Node("ReduceMean", inputs: ["mask"], outputs: ["fraction"], name: "fraction", attributes: mean),
            ONNX.Node("Max", inputs: ["fraction", "min_fraction"], outputs: ["fraction_clamped"], name: "clamp"),
            ONNX.Node("Div", inputs: ["vector_mean", "fraction_clamped"], outputs: ["pooled"], name: "pool"),
            ONNX.Node("Gemm", inputs: ["pooled", "linear.weight", "linear.bias"], outputs: ["logits"], name: "linear",
                      attributes: [.float("alpha", 1), .float("beta", 1), .int("transB", 1)]),
        ]
        return ONNX.Model(
            graphName: "mean_bag", nodes: nodes, initializers: inits,
            inputs: [ONNX.ValueInfo(name: "tokens", shape: [.parameter("N"), .value(sequenceLength)], int64: true)],
            outputs: [ONNX.ValueInfo(name: "logits", shape: [.parameter("N"), .value(classes)])])
    }
}
