import Foundation

/// NeuMF (He et al. 2017, "Neural Collaborative Filtering"; MLPerf NCF's reference model): a GMF tower (the
/// element-wise product of user and item embeddings) and an MLP tower (the concatenated user and item embeddings
/// through ReLU layers), concatenated into one logit. Layout and initialisation follow PyTorch's
/// `references/pytorch/train_ncf.py`: embeddings N(0, σ²); MLP layers Glorot uniform; the final layer LeCun uniform;
/// biases 0. Training: BCE with logits, lazy (sparse) Adam on the embeddings, Adam on the dense layers.
///
/// Every buffer is allocated once for `maxBatch` pairs: a training step allocates nothing.
public final class NeuMF {
    public struct Configuration: Sendable, Equatable {
        public var users: Int
        public var items: Int
        /// GMF embedding size.
        public var mfDimension: Int
        /// MLP widths; the first is the concatenated embedding (user half + item half).
        public var mlpLayers: [Int]
        public var embeddingStd: Float

        public init(users: Int, items: Int, mfDimension: Int, mlpLayers: [Int], embeddingStd: Float) {
            self.users = users; self.items = items; self.mfDimension = mfDimension; self.mlpLayers = mlpLayers
            self.embeddingStd = embeddingStd
        }

        public var mlpHalf: Int { mlpLayers[0] / 2 }
        /// Inputs of the final layer.
        public var finalInputs: Int { mfDimension + mlpLayers.last! }
    }

    public let config: Configuration
    public let maxBatch: Int
    // Embedding tables.
    public let mfUser: UnsafeMutablePointer<Float>
    public let mfItem: UnsafeMutablePointer<Float>
    public let mlpUser: UnsafeMutablePointer<Float>
    public let mlpItem: UnsafeMutablePointer<Float>
    /// Dense parameters packed: per MLP layer its weight `[out][in]` and bias, then the final weight and bias.
    public let dense: UnsafeMutablePointer<Float>
    public let denseCount: Int
    let layers: [Dense]
    let weightOffsets: [Int]
    let biasOffsets: [Int]
    let finalWeight: Int
    let finalBias: Int
    // Activations and gradients, maxBatch rows each.
    let gu, gi, x0, z, logits, dz, dx0, dDense: UnsafeMutablePointer<Float>
    let hidden: [UnsafeMutablePointer<Float>]
    let dHidden: [UnsafeMutablePointer<Float>]
    let optimizers: (mfUser: SparseAdam, mfItem: SparseAdam, mlpUser: SparseAdam, mlpItem: SparseAdam, dense: Adam)
    public private(set) var stats = SGEMMStats()

    public init(config: Configuration, maxBatch: Int, seed: UInt64, hyper: AdamHyperparameters) {
        self.config = config
        self.maxBatch = maxBatch
        var rng = Xoshiro256(seed: seed)
        func table(_ rows: Int, _ dim: Int) -> UnsafeMutablePointer<Float> {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: rows * dim)
            for i in 0..<rows * dim { p[i] = config.embeddingStd * rng.nextNormal() }
            return p
        }
        mfUser = table(config.users, config.mfDimension)
        mfItem = table(config.items, config.mfDimension)
        mlpUser = table(config.users, config.mlpHalf)
        mlpItem = table(config.items, config.mlpHalf)
        var layers: [Dense] = [], wo: [Int] = [], bo: [Int] = []
        var offset = 0
        for (a, b) in zip(config.mlpLayers, config.mlpLayers.dropFirst()) {
            layers.append(Dense(inputs: a, outputs: b))
            wo.append(offset); offset += a * b
            bo.append(offset); offset += b
        }
        finalWeight = offset; offset += config.finalInputs
        finalBias = offset; offset += 1
        self.layers = layers; weightOffsets = wo; biasOffsets = bo
        denseCount = offset
        dense = .allocate(capacity: offset)
        dense.initialize(repeating: 0, count: offset)
        for (l, layer) in layers.enumerated() {
            let limit = Float((6.0 / Double(layer.inputs + layer.outputs)).squareRoot())
            for k in 0..<layer.weightCount { dense[wo[l] + k] = (2 * rng.nextUniform() - 1) * limit }
        }
        let finalLimit = Float((3.0 / Double(config.finalInputs)).squareRoot())
        for k in 0..<config.finalInputs { dense[finalWeight + k] = (2 * rng.nextUniform() - 1) * finalLimit }
        func buffer(_ n: Int) -> UnsafeMutablePointer<Float> {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: max(n, 1))
            p.initialize(repeating: 0, count: max(n, 1))
            return p
        }
        gu = buffer(maxBatch * config.mfDimension); gi = buffer(maxBatch * config.mfDimension)
        x0 = buffer(maxBatch * config.mlpLayers[0]); dx0 = buffer(maxBatch * config.mlpLayers[0])
        z = buffer(maxBatch * config.finalInputs); dz = buffer(maxBatch * config.finalInputs)
        logits = buffer(maxBatch)
        dDense = buffer(offset)
        hidden = config.mlpLayers.dropFirst().map { buffer(maxBatch * $0) }
        dHidden = config.mlpLayers.dropFirst().map { buffer(maxBatch * $0) }
        optimizers = (SparseAdam(rows: config.users, dimension: config.mfDimension, hyper: hyper),
                      SparseAdam(rows: config.items, dimension: config.mfDimension, hyper: hyper),
                      SparseAdam(rows: config.users, dimension: config.mlpHalf, hyper: hyper),
                      SparseAdam(rows: config.items, dimension: config.mlpHalf, hyper: hyper),
                      Adam(count: offset, hyper: hyper))
    }

    deinit {
        for p in [mfUser, mfItem, mlpUser, mlpItem, dense, gu, gi, x0, z, logits, dz, dx0, dDense] + hidden + dHidden {
            p.deallocate()
        }
    }

    /// Forward over `batch` (user, item) pairs; the logits are in `logits[0..<batch]`.
    @discardableResult
    public func forward(users: UnsafePointer<Int32>, items: UnsafePointer<Int32>, batch: Int) -> UnsafePointer<Float> {
        let mf = config.mfDimension, half = config.mlpHalf, width0 = config.mlpLayers[0], fin = config.finalInputs
        for i in 0..<batch {
            let u = Int(users[i]), it = Int(items[i])
            (gu + i * mf).update(from: mfUser + u * mf, count: mf)
            (gi + i * mf).update(from: mfItem + it * mf, count: mf)
            (x0 + i * width0).update(from: mlpUser + u * half, count: half)
            (x0 + i * width0 + half).update(from: mlpItem + it * half, count: half)
        }
        var input = UnsafePointer(x0)
        for (l, layer) in layers.enumerated() {
            layer.forward(input, batch: batch, weight: dense + weightOffsets[l], bias: dense + biasOffsets[l],
                          output: hidden[l], stats: &stats)
            ReLU.forward(hidden[l], count: batch * layer.outputs)
            input = UnsafePointer(hidden[l])
        }
        let last = config.mlpLayers.last!
        let wf = dense + finalWeight, bf = dense[finalBias]
        for i in 0..<batch {
            let zi = z + i * fin
            var s = bf
            for k in 0..<mf {
                let g = gu[i * mf + k] * gi[i * mf + k]
                zi[k] = g
                s += g * wf[k]
            }
            for k in 0..<last {
                let h = input[i * last + k]
                zi[mf + k] = h
                s += h * wf[mf + k]
            }
            logits[i] = s
        }
        return UnsafePointer(logits)
    }

    /// One Adam step on a batch of (user, item, label ∈ {0, 1}) with the mean BCE-with-logits loss; returns the loss.
    public func trainStep(users: UnsafePointer<Int32>, items: UnsafePointer<Int32>, labels: UnsafePointer<Float>,
                          batch: Int) -> Float {
        forward(users: users, items: items, batch: batch)
        let mf = config.mfDimension, half = config.mlpHalf, width0 = config.mlpLayers[0], fin = config.finalInputs
        let last = config.mlpLayers.last!
        let wf = dense + finalWeight
        let scale = 1 / Float(batch)
        var loss: Float = 0
        let dWf = dDense + finalWeight
        for k in 0..<fin { dWf[k] = 0 }
        var dBf: Float = 0
        for i in 0..<batch {
            let x = logits[i], y = labels[i]
            // log(1 + e^{-|x|}) + max(x, 0) − x·y, PyTorch's stable BCE-with-logits.
            loss += max(x, 0) - x * y + log1pf(expf(-abs(x)))
            let d = (1 / (1 + expf(-x)) - y) * scale
            dBf += d
            let zi = z + i * fin, dzi = dz + i * fin
            for k in 0..<fin {
                dWf[k] += d * zi[k]
                dzi[k] = d * wf[k]
            }
        }
        dDense[finalBias] = dBf
        // MLP tower, top down.
        for i in 0..<batch {
            (dHidden[layers.count - 1] + i * last).update(from: dz + i * fin + mf, count: last)
        }
        for l in stride(from: layers.count - 1, through: 0, by: -1) {
            let layer = layers[l]
            ReLU.backward(output: hidden[l], gradient: dHidden[l], count: batch * layer.outputs)
            let input = l == 0 ? UnsafePointer(x0) : UnsafePointer(hidden[l - 1])
            layer.backward(dHidden[l], batch: batch, input: input, weight: dense + weightOffsets[l],
                           dWeight: dDense + weightOffsets[l], dBias: dDense + biasOffsets[l],
                           dInput: l == 0 ? dx0 : dHidden[l - 1], stats: &stats)
        }
        // Embedding gradients (sparse): GMF d(gu·gi) and the MLP input halves.
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * mf) { tmp in
            let dgu = tmp.baseAddress!, dgi = tmp.baseAddress! + mf
            for i in 0..<batch {
                let u = Int(users[i]), it = Int(items[i])
                for k in 0..<mf {
                    let d = dz[i * fin + k]
                    dgu[k] = d * gi[i * mf + k]
                    dgi[k] = d * gu[i * mf + k]
                }
                optimizers.mfUser.accumulate(row: u, gradient: dgu)
                optimizers.mfItem.accumulate(row: it, gradient: dgi)
                optimizers.mlpUser.accumulate(row: u, gradient: dx0 + i * width0)
                optimizers.mlpItem.accumulate(row: it, gradient: dx0 + i * width0 + half)
            }
        }
        optimizers.mfUser.step(table: mfUser)
        optimizers.mfItem.step(table: mfItem)
        optimizers.mlpUser.step(table: mlpUser)
        optimizers.mlpItem.step(table: mlpItem)
        optimizers.dense.step(parameters: dense, gradients: dDense)
        return loss * scale
    }

    /// The model as ONNX (opset 13), the contract of `ncf`: inputs "user", "item" int64 `[N, C]`, output "scores"
    /// float32 `[N, C]` (logits), N dynamic, C = `candidates`. Gather, Mul, Concat, MatMul, Add, Relu only.
    public func onnxModel(candidates: Int) -> ONNX.Model {
        let mf = config.mfDimension, half = config.mlpHalf
        var inits = [
            ONNX.Tensor(name: "mf_user", dims: [config.users, mf], values: Array(UnsafeBufferPointer(start: mfUser, count: config.users * mf))),
            ONNX.Tensor(name: "mf_item", dims: [config.items, mf], values: Array(UnsafeBufferPointer(start: mfItem, count: config.items * mf))),
            ONNX.Tensor(name: "mlp_user", dims: [config.users, half], values: Array(UnsafeBufferPointer(start: mlpUser, count: config.users * half))),
            ONNX.Tensor(name: "mlp_item", dims: [config.items, half], values: Array(UnsafeBufferPointer(start: mlpItem, count: config.items * half))),
        ]
        var nodes = [
            ONNX.Node("Gather", inputs: ["mf_user", "user"], outputs: ["gu"], name: "gmf_user", attributes: [.int("axis", 0)]),
            ONNX.Node("Gather", inputs: ["mf_item", "item"], outputs: ["gi"], name: "gmf_item", attributes: [.int("axis", 0)]),
            ONNX.Node("Mul", inputs: ["gu", "gi"], outputs: ["gmf"], name: "gmf"),
            ONNX.Node("Gather", inputs: ["mlp_user", "user"], outputs: ["mu"], name: "mlp_user", attributes: [.int("axis", 0)]),
            ONNX.Node("Gather", inputs: ["mlp_item", "item"], outputs: ["mi"], name: "mlp_item", attributes: [.int("axis", 0)]),
            ONNX.Node("Concat", inputs: ["mu", "mi"], outputs: ["h0"], name: "mlp_concat", attributes: [.int("axis", -1)]),
        ]
        for (l, layer) in layers.enumerated() {
            // MatMul takes W transposed: [in][out].
            var wt = [Float](repeating: 0, count: layer.weightCount)
            for o in 0..<layer.outputs { for i in 0..<layer.inputs { wt[i * layer.outputs + o] = dense[weightOffsets[l] + o * layer.inputs + i] } }
            inits.append(ONNX.Tensor(name: "mlp\(l).weight_t", dims: [layer.inputs, layer.outputs], values: wt))
            inits.append(ONNX.Tensor(name: "mlp\(l).bias", dims: [layer.outputs],
                                     values: Array(UnsafeBufferPointer(start: dense + biasOffsets[l], count: layer.outputs))))
            nodes.append(ONNX.Node("MatMul", inputs: ["h\(l)", "mlp\(l).weight_t"], outputs: ["mm\(l)"], name: "mlp\(l)_matmul"))
            nodes.append(ONNX.Node("Add", inputs: ["mm\(l)", "mlp\(l).bias"], outputs: ["pre\(l)"], name: "mlp\(l)_bias"))
            nodes.append(ONNX.Node("Relu", inputs: ["pre\(l)"], outputs: ["h\(l + 1)"], name: "mlp\(l)_relu"))
        }
        inits.append(ONNX.Tensor(name: "final.weight", dims: [config.finalInputs],
                                 values: Array(UnsafeBufferPointer(start: dense + finalWeight, count: config.finalInputs))))
        inits.append(ONNX.Tensor(name: "final.bias", dims: [1], values: [dense[finalBias]]))
        nodes += [
            ONNX.Node("Concat", inputs: ["gmf", "h\(layers.count)"], outputs: ["zcat"], name: "neumf_concat", attributes: [.int("axis", -1)]),
            ONNX.Node("MatMul", inputs: ["zcat", "final.weight"], outputs: ["zlogit"], name: "final_matmul"),
            ONNX.Node("Add", inputs: ["zlogit", "final.bias"], outputs: ["scores"], name: "final_bias"),
        ]
        return ONNX.Model(
            graphName: "neumf", nodes: nodes, initializers: inits,
            inputs: [ONNX.ValueInfo(name: "user", shape: [.parameter("N"), .value(candidates)], int64: true),
                     ONNX.ValueInfo(name: "item", shape: [.parameter("N"), .value(candidates)], int64: true)],
            outputs: [ONNX.ValueInfo(name: "scores", shape: [.parameter("N"), .value(candidates)])])
    }
}

extension Xoshiro256 {
    /// A standard normal deviate (Box–Muller on two uniforms).
    public mutating func nextNormal() -> Float {
        let u1 = max(Double(next() >> 11) * 0x1p-53, 1e-300), u2 = Double(next() >> 11) * 0x1p-53
        return Float((-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2))
    }
}
