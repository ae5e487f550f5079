import ONNXRuntime

/// An ONNX classifier as the SUTs use it: one float32 input [batch, sample shape…] and one float32 output
/// [batch, classes…], whose argmax per row is the predicted class. The batch dimension is either dynamic (any batch
/// size runs) or fixed (batches are padded to it; e.g. the onnx wheel's ResNet-50 is fixed at 1).
public final class ClassifierModel: @unchecked Sendable {
    public let session: ORTSession
    public let input: ORTTensorInfo
    public let output: ORTTensorInfo
    /// The shape of one sample (the input shape without the batch dimension).
    public let sampleShape: [Int]
    public let sampleElementCount: Int
    /// Output values per sample (the number of classes).
    public let classCount: Int
    /// The model's fixed batch size, or nil when its batch dimension is dynamic.
    public let fixedBatch: Int?

    /// Checks that `session`'s input fits samples of `sampleShape` (e.g. [1, 28, 28]) and that its output is a
    /// float32 score per class. Names default to the model's only input and its first output.
    public init(session: ORTSession, sampleShape: [Int], inputName: String? = nil, outputName: String? = nil) throws {
        let model = session.modelName
        let expected = "float32 " + ORTTensorInfo.format([-1] + sampleShape)
        guard let input = inputName.map({ session.input(named: $0) }) ?? session.inputs.first else {
            throw ORTError.unknownTensor(model: model, name: inputName ?? "(first input)", known: session.inputs.map(\.name))
        }
        if inputName == nil, session.inputs.count != 1 {
            throw ServingError.modelDoesNotFit(model: model, tensor: input.name,
                                               declared: "\(session.inputs.count) inputs ("
                                                + session.inputs.map { "\($0.name): \($0)" }.joined(separator: ", ") + ")",
                                               needed: "one input, \(expected)")
        }
        let dimsMatch = input.shape.count == sampleShape.count + 1
            && zip(input.shape.dropFirst(), sampleShape).allSatisfy { $0 < 0 || $0 == $1 }
        guard input.elementType == .float32, dimsMatch else {
            throw ServingError.modelDoesNotFit(model: model, tensor: input.name, declared: input.description,
                                               needed: "\(expected) samples")
        }
        guard let output = outputName.map({ session.output(named: $0) }) ?? session.outputs.first else {
            throw ORTError.unknownTensor(model: model, name: outputName ?? "(first output)",
                                         known: session.outputs.map(\.name))
        }
        let perSample = output.shape.dropFirst()
        guard output.elementType == .float32, output.shape.count >= 2, perSample.allSatisfy({ $0 > 0 }) else {
            throw ServingError.modelDoesNotFit(model: model, tensor: output.name, declared: output.description,
                                               needed: "float32 [N,classes] scores")
        }
        if input.shape[0] > 0, output.shape[0] > 0, input.shape[0] != output.shape[0] {
            throw ServingError.modelDoesNotFit(model: model, tensor: output.name, declared: output.description,
                                               needed: "batch \(input.shape[0]) like input \(input.name)")
        }
        self.session = session
        self.input = input
        self.output = output
        self.sampleShape = sampleShape
        self.sampleElementCount = sampleShape.reduce(1, *)
        self.classCount = perSample.reduce(1, *)
        self.fixedBatch = input.shape[0] > 0 ? input.shape[0] : nil
    }

    /// The largest batch the SUT will run: `requested`, or the model's fixed batch size when it has one.
    public func effectiveMaxBatch(_ requested: Int) -> Int { fixedBatch ?? max(requested, 1) }
}
