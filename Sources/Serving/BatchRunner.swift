import LoadGen
import ONNXRuntime
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One thread's inference state: batch buffers that samples are gathered into (one memcpy per input), ORT tensors and
/// prepared runs over them for every batch size, and the response storage the batch is completed with. Everything
/// is allocated up front: `add` and `flush` allocate nothing, take no lock and build no strings.
///
/// Each response's data follows the contract: the predicted class (argmax) as one little-endian Int32, or the
/// sample's output values as float32 (LoadGen copies them before `complete` returns).
final class BatchRunner {
    let model: ServedModel
    let provider: SampleProvider
    let maxBatch: Int
    /// Per input (contract order): bytes per sample and the batch buffer.
    private let inputBytes: [Int]
    private let inputBuffers: [UnsafeMutableRawPointer]
    private let outputs: Int
    private let outputBuffer: UnsafeMutablePointer<Float>
    private let argmaxResponses: Bool
    /// The benchmark's post-processing and its response slots (`maxBatch × responseBytes`), or nil.
    private let postprocessor: (any ResponsePostprocessor)?
    private let responseBytes: Int
    private let responseBuffer: UnsafeMutableRawPointer
    /// `prepared[b - 1]` runs a batch of `b`; a fixed-batch model has only the one entry for its size.
    private var prepared: [ORTPreparedRun] = []
    private let ids: UnsafeMutablePointer<ResponseID>
    private let predictions: UnsafeMutablePointer<Int32>
    private let responses: UnsafeMutablePointer<QuerySampleResponse>
    private(set) var count = 0
    /// Counters, read after the run.
    private(set) var batchesRun = 0
    private(set) var samplesRun = 0
    /// The first inference error (the batch is still completed, without data, so LoadGen does not hang).
    private(set) var firstError: Error?

    init(model: ServedModel, provider: SampleProvider, maxBatch requested: Int) throws {
        guard provider.inputByteCounts == model.inputByteCounts else {
            let k = zip(provider.inputByteCounts, model.inputByteCounts).enumerated().first { $0.element.0 != $0.element.1 }?
                .offset ?? min(provider.inputByteCounts.count, model.inputs.count - 1)
            let input = model.inputs[min(k, model.inputs.count - 1)]
            throw ORTError.inputMismatch(model: model.session.modelName, tensor: input.name,
                                         expected: "bytes per sample " + model.inputByteCounts.map(String.init)
                                            .joined(separator: ", ") + " (\(model.contract.description))",
                                         got: "samples of " + provider.inputByteCounts.map(String.init)
                                            .joined(separator: ", ") + " bytes from the QSL")
        }
        self.model = model
        self.provider = provider
        self.maxBatch = model.effectiveMaxBatch(requested)
        self.inputBytes = model.inputByteCounts
        self.outputs = model.outputElementsPerSample
        self.argmaxResponses = model.contract.response == .argmaxInt32
        if case .postprocessed(let factory) = model.contract.response {
            let p = factory.make()
            postprocessor = p
            responseBytes = p.responseByteCount
        } else {
            postprocessor = nil
            responseBytes = 0
        }
        responseBuffer = .allocate(byteCount: max(responseBytes, 1) * self.maxBatch, alignment: 16)
        responseBuffer.initializeMemory(as: UInt8.self, repeating: 0, count: max(responseBytes, 1) * self.maxBatch)
        let runtime = model.session.runtime
        let batch = self.maxBatch
        inputBuffers = model.inputByteCounts.map { bytes in
            let p = UnsafeMutableRawPointer.allocate(byteCount: max(bytes, 1) * batch, alignment: 64)
            p.initializeMemory(as: UInt8.self, repeating: 0, count: max(bytes, 1) * batch)
            return p
        }
        outputBuffer = .allocate(capacity: maxBatch * outputs)
        outputBuffer.initialize(repeating: 0, count: maxBatch * outputs)
        ids = .allocate(capacity: maxBatch)
        predictions = .allocate(capacity: maxBatch)
        predictions.initialize(repeating: 0, count: maxBatch)
        responses = .allocate(capacity: maxBatch)
        responses.initialize(repeating: QuerySampleResponse(id: 0), count: maxBatch)
        // Every stored property is set: if this throws, deinit frees the buffers.
        for b in model.fixedBatch.map({ [$0] }) ?? Array(1...maxBatch) {
            var bound: [(name: String, tensor: ORTTensor)] = []
            for (i, info) in model.inputs.enumerated() {
                bound.append((info.name, try ORTTensor(runtime: runtime, wrapping: inputBuffers[i],
                                                       byteCount: b * inputBytes[i], shape: [b] + model.sampleShapes[i],
                                                       elementType: info.elementType)))
            }
            let output = try ORTTensor(runtime: runtime, wrapping: outputBuffer, byteCount: b * outputs * 4,
                                       shape: [b] + model.outputSampleShape, elementType: .float32)
            prepared.append(try model.session.prepare(inputs: bound, outputs: [(model.output.name, output)]))
        }
    }

    deinit {
        prepared.removeAll()
        inputBuffers.forEach { $0.deallocate() }
        outputBuffer.deallocate(); ids.deallocate(); predictions.deallocate()
        responses.deallocate(); responseBuffer.deallocate()
    }

    var isFull: Bool { count == maxBatch }

    /// Gathers one sample into the batch buffers. The batch must not be full.
    @inline(__always)
    func add(id: ResponseID, index: Int) {
        for i in 0..<inputBytes.count {
            let n = inputBytes[i]
            (inputBuffers[i] + count * n).copyMemory(from: provider.sample(index, input: i), byteCount: n)
        }
        ids[count] = id
        count += 1
    }

    /// Runs the gathered batch without completing anything (untimed calibration), and empties it.
    func runOnly() throws {
        let n = count
        count = 0
        guard n > 0 else { return }
        try model.session.run(model.fixedBatch == nil ? prepared[n - 1] : prepared[0])
    }

    /// Runs the gathered batch, completes it with one `complete` call, and empties it.
    func flush(_ completer: QueryCompleter) {
        let n = count
        guard n > 0 else { return }
        count = 0
        let run = model.fixedBatch == nil ? prepared[n - 1] : prepared[0]
        var ok = true
        do {
            try model.session.run(run)
        } catch {
            if firstError == nil { firstError = error }
            ok = false
        }
        for i in 0..<n {
            let data: UnsafeRawBufferPointer?
            if !ok {
                data = nil
            } else if let postprocessor {
                let slot = responseBuffer + i * responseBytes
                postprocessor.process(outputBuffer + i * outputs, count: outputs, into: slot)
                data = UnsafeRawBufferPointer(start: slot, count: responseBytes)
            } else if argmaxResponses {
                predictions[i] = Int32(argmax(outputBuffer + i * outputs, outputs)).littleEndian
                data = UnsafeRawBufferPointer(start: predictions + i, count: 4)
            } else {
                data = UnsafeRawBufferPointer(start: outputBuffer + i * outputs, count: outputs * 4)
            }
            responses[i] = QuerySampleResponse(id: ids[i], data: data)
        }
        batchesRun += 1
        samplesRun += n
        completer.complete(UnsafeBufferPointer(start: responses, count: n))
    }
}

/// Index of the largest of `count` floats (the first one on ties).
@inline(__always)
func argmax(_ values: UnsafePointer<Float>, _ count: Int) -> Int {
    var best = 0
    var bestValue = values[0]
    var i = 1
    while i < count {
        if values[i] > bestValue { bestValue = values[i]; best = i }
        i += 1
    }
    return best
}
