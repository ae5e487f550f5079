import LoadGen
import ONNXRuntime
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One thread's inference state: a batch buffer that samples are gathered into (one memcpy each), ORT tensors and
/// prepared runs over it for every batch size, and the response storage the batch is completed with. Everything
/// is allocated up front: `add` and `flush` allocate nothing, take no lock and build no strings.
///
/// Each response's data is the predicted class (argmax of the sample's scores) as one little-endian Int32.
final class BatchRunner {
    let model: ClassifierModel
    let provider: SampleProvider
    let maxBatch: Int
    private let elements: Int
    private let classes: Int
    private let inputBuffer: UnsafeMutablePointer<Float>
    private let outputBuffer: UnsafeMutablePointer<Float>
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

    init(model: ClassifierModel, provider: SampleProvider, maxBatch requested: Int) throws {
        guard provider.sampleElementCount == model.sampleElementCount else {
            throw ORTError.inputMismatch(model: model.session.modelName, tensor: model.input.name,
                                         expected: "\(model.sampleElementCount) floats per sample "
                                            + ORTTensorInfo.format([-1] + model.sampleShape),
                                         got: "samples of \(provider.sampleElementCount) floats from the QSL")
        }
        self.model = model
        self.provider = provider
        self.maxBatch = model.effectiveMaxBatch(requested)
        self.elements = model.sampleElementCount
        self.classes = model.classCount
        let runtime = model.session.runtime
        inputBuffer = .allocate(capacity: maxBatch * elements)
        inputBuffer.initialize(repeating: 0, count: maxBatch * elements)
        outputBuffer = .allocate(capacity: maxBatch * classes)
        outputBuffer.initialize(repeating: 0, count: maxBatch * classes)
        ids = .allocate(capacity: maxBatch)
        predictions = .allocate(capacity: maxBatch)
        predictions.initialize(repeating: 0, count: maxBatch)
        responses = .allocate(capacity: maxBatch)
        responses.initialize(repeating: QuerySampleResponse(id: 0), count: maxBatch)
        // Every stored property is set: if this throws, deinit frees the buffers.
        for b in model.fixedBatch.map({ [$0] }) ?? Array(1...maxBatch) {
            let input = try ORTTensor(runtime: runtime, wrapping: inputBuffer, byteCount: b * elements * 4,
                                      shape: [b] + model.sampleShape, elementType: .float32)
            let output = try ORTTensor(runtime: runtime, wrapping: outputBuffer, byteCount: b * classes * 4,
                                       shape: [b] + model.output.shape.dropFirst(), elementType: .float32)
            prepared.append(try model.session.prepare(inputs: [(model.input.name, input)],
                                                      outputs: [(model.output.name, output)]))
        }
    }

    deinit {
        prepared.removeAll()
        inputBuffer.deallocate(); outputBuffer.deallocate(); ids.deallocate(); predictions.deallocate()
        responses.deallocate()
    }

    var isFull: Bool { count == maxBatch }

    /// Gathers one sample into the batch buffer. The batch must not be full.
    @inline(__always)
    func add(id: ResponseID, index: Int) {
        (inputBuffer + count * elements).update(from: provider.sample(index), count: elements)
        ids[count] = id
        count += 1
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
            if ok { predictions[i] = Int32(argmax(outputBuffer + i * classes, classes)).littleEndian }
            responses[i] = QuerySampleResponse(
                id: ids[i], data: ok ? UnsafeRawBufferPointer(start: predictions + i, count: 4) : nil)
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
