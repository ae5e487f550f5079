import ONNXRuntime

/// The Go policy/value network served by ONNX Runtime, as the search's evaluator: `board` float32
/// [N, 12, 9, 9] (`GoFeatures`) → `policy` float32 [N, 82] (move logits, pass last) and `value` float32 [N, 1]
/// (tanh, for the side to play). One position a run, through tensors bound once: an evaluation allocates nothing.
public final class GoNetwork: GoEvaluator {
    public let session: ORTSession
    public let size: Int
    private let input: ORTTensor
    private let policyOutput: ORTTensor
    private let valueOutput: ORTTensor
    private let prepared: ORTPreparedRun

    /// - Throws: `ORTError.modelNotFound` / `.invalidModel`, or `.inputMismatch` naming a tensor that is not as above.
    public init(runtime: ORTRuntime, modelPath: String, options: ORTSessionOptions, size: Int = 9) throws {
        self.size = size
        session = try ORTSession(runtime: runtime, modelPath: modelPath, options: options)
        input = try ORTTensor(runtime: runtime, shape: [1, GoFeatures.planeCount, size, size], elementType: .float32)
        policyOutput = try ORTTensor(runtime: runtime, shape: [1, GoFeatures.moveCount(size: size)], elementType: .float32)
        valueOutput = try ORTTensor(runtime: runtime, shape: [1, 1], elementType: .float32)
        prepared = try session.prepare(inputs: [("board", input)],
                                       outputs: [("policy", policyOutput), ("value", valueOutput)])
    }

    public func evaluate(_ planes: UnsafePointer<Float>, count: Int, policy: UnsafeMutablePointer<Float>,
                         value: UnsafeMutablePointer<Float>) throws {
        let per = GoFeatures.count(size: size), moves = GoFeatures.moveCount(size: size)
        let x = input.data.assumingMemoryBound(to: Float.self)
        let p = policyOutput.data.assumingMemoryBound(to: Float.self)
        let v = valueOutput.data.assumingMemoryBound(to: Float.self)
        for i in 0..<count {
            x.update(from: planes + i * per, count: per)
            try session.run(prepared)
            (policy + i * moves).update(from: p, count: moves)
            value[i] = v[0]
        }
    }
}
