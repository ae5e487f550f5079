import ONNXRuntime

/// One tensor of a benchmark's model contract: its name in the ONNX graph (nil: the model's only input, or its first
/// output), element type, and the shape of one sample (without the leading batch dimension).
public struct TensorSpec: Sendable, Equatable {
    public var name: String?
    public var elementType: ORTElementType
    /// One sample's shape; nil (outputs only): any positive shape.
    public var sampleShape: [Int]?

    public init(name: String?, elementType: ORTElementType = .float32, sampleShape: [Int]?) {
        self.name = name
        self.elementType = elementType
        self.sampleShape = sampleShape
    }

    /// `float32 [N,1,28,28]`.
    public var description: String {
        "\(elementType) " + (sampleShape.map { ORTTensorInfo.format([-1] + $0) } ?? "[N,…]")
    }
}

/// What each sample's response in LoadGen (and `mlperf_log_accuracy.json`) carries.
public enum ResponseEncoding: Sendable, Equatable {
    /// The index of the largest output value, as one little-endian Int32 (classifiers).
    case argmaxInt32
    /// The sample's output values as little-endian float32 (scores, e.g. NCF's 101 candidate scores).
    case float32Scores
    /// What the benchmark's post-processing makes of the output (e.g. text boxes from a detector's probability map),
    /// run by the SUT after ORT, inside the timed path.
    case postprocessed(PostprocessorFactory)

    /// `argmax_int32`, `float32_scores`, or `postprocessed:<name>`.
    public var name: String {
        switch self {
        case .argmaxInt32: return "argmax_int32"
        case .float32Scores: return "float32_scores"
        case .postprocessed(let f): return "postprocessed:" + f.name
        }
    }
}

/// A benchmark's post-processing, run by the SUT on each sample's output: it turns the output values into the
/// sample's response bytes. One instance per SUT worker (it may keep scratch buffers); `process` must not allocate.
public protocol ResponsePostprocessor: AnyObject {
    /// Bytes of every response (fixed: the SUT preallocates them).
    var responseByteCount: Int { get }
    /// Writes one sample's response from its `count` output values.
    func process(_ output: UnsafePointer<Float>, count: Int, into response: UnsafeMutableRawPointer)
}

/// Makes a benchmark's post-processor (one per SUT worker); named for logs and equality.
public struct PostprocessorFactory: Sendable, Equatable {
    public var name: String
    public var make: @Sendable () -> any ResponsePostprocessor

    public init(name: String, make: @escaping @Sendable () -> any ResponsePostprocessor) {
        self.name = name
        self.make = make
    }

    public static func == (a: PostprocessorFactory, b: PostprocessorFactory) -> Bool { a.name == b.name }
}

/// A benchmark's inference model contract: the ONNX inputs (any number, float32 or int64 …, each with a dynamic or
/// fixed batch dimension first) and the one output the SUT reads, and how a sample's response is encoded.
public struct ModelContract: Sendable, Equatable {
    public var inputs: [TensorSpec]
    public var output: TensorSpec
    public var response: ResponseEncoding

    public init(inputs: [TensorSpec], output: TensorSpec, response: ResponseEncoding) {
        self.inputs = inputs
        self.output = output
        self.response = response
    }

    /// A classifier over float32 samples of `sampleShape`: one input, scores `[N, classes]`, argmax responses.
    public static func classifier(sampleShape: [Int], input: String? = nil, output: String? = nil) -> ModelContract {
        ModelContract(inputs: [TensorSpec(name: input, sampleShape: sampleShape)],
                      output: TensorSpec(name: output, sampleShape: nil), response: .argmaxInt32)
    }

    /// `inputs: tokens int64 [N,512]; output: logits float32 [N,2]; response: argmax_int32`.
    public var description: String {
        "inputs: " + inputs.map { "\($0.name ?? "(only input)") \($0.description)" }.joined(separator: ", ")
            + "; output: \(output.name ?? "(first output)") \(output.description); response: \(response.name)"
    }
}

/// An ONNX model checked against a benchmark's contract, as the SUTs use it. The batch dimension is either dynamic
/// (any batch size runs) or fixed (batches are padded to it; e.g. the onnx wheel's ResNet-50 is fixed at 1).
public final class ServedModel: @unchecked Sendable {
    public let session: ORTSession
    public let contract: ModelContract
    /// The model's inputs, in contract order.
    public let inputs: [ORTTensorInfo]
    public let output: ORTTensorInfo
    /// Each input's per-sample shape and byte count, in contract order.
    public let sampleShapes: [[Int]]
    public let inputByteCounts: [Int]
    /// Output values per sample (e.g. the number of classes), and their shape.
    public let outputElementsPerSample: Int
    public let outputSampleShape: [Int]
    /// The model's fixed batch size, or nil when its batch dimension is dynamic.
    public let fixedBatch: Int?

    /// Checks that `session` has the contract's inputs (names, element types, per-sample shapes) and output.
    /// - Throws: `ORTError.unknownTensor` for a missing name, `ServingError.modelDoesNotFit` naming the tensor, what
    ///   the model declares and what the benchmark needs.
    public init(session: ORTSession, contract: ModelContract) throws {
        let model = session.modelName
        var inputs: [ORTTensorInfo] = []
        var shapes: [[Int]] = []
        if contract.inputs.count == 1, contract.inputs[0].name == nil, session.inputs.count != 1 {
            throw ServingError.modelDoesNotFit(
                model: model, tensor: session.inputs.first?.name ?? "(none)",
                declared: "\(session.inputs.count) inputs ("
                    + session.inputs.map { "\($0.name): \($0)" }.joined(separator: ", ") + ")",
                needed: "one input, \(contract.inputs[0].description)")
        }
        for spec in contract.inputs {
            guard let info = spec.name.map({ session.input(named: $0) }) ?? session.inputs.first else {
                throw ORTError.unknownTensor(model: model, name: spec.name ?? "(first input)",
                                             known: session.inputs.map(\.name))
            }
            let shape = spec.sampleShape ?? []
            let dimsMatch = info.shape.count == shape.count + 1
                && zip(info.shape.dropFirst(), shape).allSatisfy { $0 < 0 || $0 == $1 }
            guard info.elementType == spec.elementType, dimsMatch else {
                throw ServingError.modelDoesNotFit(model: model, tensor: info.name, declared: info.description,
                                                   needed: "\(spec.description) samples")
            }
            inputs.append(info)
            shapes.append(shape)
        }
        let outSpec = contract.output
        guard let output = outSpec.name.map({ session.output(named: $0) }) ?? session.outputs.first else {
            throw ORTError.unknownTensor(model: model, name: outSpec.name ?? "(first output)",
                                         known: session.outputs.map(\.name))
        }
        // A dynamic output dimension takes the contract's size.
        var perSample = Array(output.shape.dropFirst())
        if let want = outSpec.sampleShape, want.count == perSample.count {
            for k in perSample.indices where perSample[k] < 0 { perSample[k] = want[k] }
        }
        let shapeOK = outSpec.sampleShape.map { perSample == $0 } ?? (perSample.count >= 1 && perSample.allSatisfy { $0 > 0 })
        guard output.elementType == .float32, output.shape.count >= 2, shapeOK else {
            throw ServingError.modelDoesNotFit(model: model, tensor: output.name, declared: output.description,
                                               needed: outSpec.sampleShape == nil ? "float32 [N,classes] scores"
                                                   : outSpec.description)
        }
        let batches = Set((inputs.map(\.shape[0]) + [output.shape[0]]).filter { $0 > 0 })
        if batches.count > 1 {
            throw ServingError.modelDoesNotFit(model: model, tensor: output.name, declared: output.description,
                                               needed: "one batch size for every input and the output")
        }
        self.session = session
        self.contract = contract
        self.inputs = inputs
        self.output = output
        self.sampleShapes = shapes
        self.inputByteCounts = zip(shapes, inputs).map { $0.reduce(1, *) * $1.elementType.size }
        self.outputElementsPerSample = perSample.reduce(1, *)
        self.outputSampleShape = perSample
        self.fixedBatch = batches.first
    }

    /// A classifier (`ModelContract.classifier`).
    public convenience init(session: ORTSession, sampleShape: [Int], inputName: String? = nil,
                            outputName: String? = nil) throws {
        try self.init(session: session,
                      contract: .classifier(sampleShape: sampleShape, input: inputName, output: outputName))
    }

    /// The number of classes of a classifier (output values per sample).
    public var classCount: Int { outputElementsPerSample }

    /// The largest batch the SUT will run: `requested`, or the model's fixed batch size when it has one.
    public func effectiveMaxBatch(_ requested: Int) -> Int { fixedBatch ?? max(requested, 1) }
}
