import AsyncHTTPClient
import Foundation
import LoadGen
import NIOCore
import NIOHTTP1
import ONNXRuntime
import Serving
import Synchronization

/// A LoadGen SUT that serves a suite benchmark through a KServe v2 / Open Inference Protocol server over REST:
/// `POST {base}/v2/models/{model}/infer` with the samples' tensors as JSON (`data` flattened row-major, the batch
/// first in `shape`), and the benchmark's response encoding (argmax, scores, or its post-processing) applied to the
/// returned output tensor, so the accuracy log is the same as an in-process run's.
///
/// Requests per query: SingleStream and Server one sample each; MultiStream a query's samples in one request;
/// Offline chunks of `maxBatch` samples. All are sent at once over the pooled client; LoadGen measures latency from
/// the scheduled time, so a request waiting for a connection counts (and `RequestLog` reports that wait).
///
/// A request that fails (transport error, timeout, non-2xx status, malformed JSON, a response `id` that is not the
/// request's) completes its samples with `QueryCompleter.fail`: the run ends, logged and INVALID with the reason.
public final class KServeV2SUT: SystemUnderTest, @unchecked Sendable {
    public let name: String
    public let inferURL: String
    public let log = RequestLog()
    /// The server's `GET /v2/models/{model}` answer (platform, versions) for the report.
    public let serverMetadata: String
    public let maxBatch: Int
    private let contract: ModelContract
    private let provider: SampleProvider
    private let client: HTTPClient
    private let configuration: NetworkClientConfiguration
    private let inputs: [(name: String, datatype: String, shape: [Int], type: ORTElementType, bytes: Int)]
    private let outputName: String?
    private let responseBytes: Int?
    /// Values a sample of the output has, when the contract or the server's metadata fixes the shape (a response of
    /// another size fails its samples).
    private let expectedOutputValues: Int?
    /// Idle post-processors (each keeps scratch buffers, so one per response being written).
    private var idlePostprocessors: [any ResponsePostprocessor] = []
    private let postprocessorLock = NSLock()
    private let nextRequestID = Atomic<Int>(0)
    private let gate: RequestGate

    /// Checks the server (`/v2/health/ready`, `/v2/models/{model}/ready`) and the model's metadata against the
    /// benchmark's contract, untimed.
    /// - Parameters:
    ///   - maxBatch: samples per request in Offline (and the largest MultiStream request).
    /// - Throws: `NetworkSUTError` naming the URL: unreachable, an error status, or the input that does not fit.
    public init(address: SUTAddress, contract: ModelContract, provider: SampleProvider,
                configuration: NetworkClientConfiguration = NetworkClientConfiguration(), maxBatch: Int,
                name: String? = nil) throws {
        guard address.networkProtocol == .kserveV2, let model = address.model else {
            throw NetworkSUTError.badAddress(address.baseURL, reason: "not a kserve-v2 address with a model")
        }
        self.contract = contract
        self.provider = provider
        self.configuration = configuration
        self.maxBatch = max(1, maxBatch)
        self.client = configuration.makeClient()
        self.gate = RequestGate(limit: configuration.maxConnections)
        let base = address.baseURL
        inferURL = "\(base)/v2/models/\(model)/infer"
        self.name = name ?? "KServe-v2-\(model)"
        var declared: Int?
        do {
            for url in ["\(base)/v2/health/ready", "\(base)/v2/models/\(model)/ready"] {
                let r = try client.fetch(url, timeoutMs: configuration.connectTimeoutMs + configuration.readTimeoutMs)
                guard r.status == 200 else {
                    throw NetworkSUTError.httpStatus(url: url, status: r.status, body: String(buffer: r.body))
                }
            }
            let metaURL = "\(base)/v2/models/\(model)"
            let meta = try client.fetch(metaURL, timeoutMs: configuration.readTimeoutMs)
            guard meta.status == 200 else {
                throw NetworkSUTError.httpStatus(url: metaURL, status: meta.status, body: String(buffer: meta.body))
            }
            serverMetadata = String(buffer: meta.body)
            let (ins, outName) = try Self.match(contract: contract, metadata: meta.body, url: metaURL)
            guard provider.inputByteCounts == ins.map(\.bytes) else {
                throw NetworkSUTError.modelMismatch(
                    url: metaURL, reason: "the benchmark's samples have \(provider.inputByteCounts) bytes per input, "
                        + "the model's inputs \(ins.map(\.bytes))")
            }
            inputs = ins
            outputName = outName
            declared = Self.declaredOutputValues(metadata: meta.body, output: outName)
        } catch {
            try? client.syncShutdown()
            throw error
        }
        switch contract.response {
        case .argmaxInt32: responseBytes = 4
        case .float32Scores: responseBytes = nil
        case .postprocessed(let f): responseBytes = f.make().responseByteCount
        }
        expectedOutputValues = contract.output.sampleShape.flatMap { shape in
            shape.allSatisfy { $0 > 0 } ? shape.reduce(1, *) : nil
        } ?? declared
    }

    /// Fails the requests still queued behind `--connections` (a run cut short: watchdog, Ctrl-C) and shuts the
    /// client down. Idempotent.
    public func shutdown() {
        for start in gate.close() { start() }  // each fails at once: the gate is closed
        try? client.syncShutdown()
    }

    public func flushQueries() {}

    public func issueQuery(_ samples: QuerySampleBatch, completer: QueryCompleter) {
        var start = 0
        while start < samples.count {
            let n = min(maxBatch, samples.count - start)
            send(samples, start: start, count: n, completer: completer)
            start += n
        }
    }

    /// The JSON body of one infer request over the samples at `indices` (QSL indices, already loaded). Built as
    /// bytes in this (optimised) module and copied into a ByteBuffer once.
    func makeBody(requestID: Int, indices: UnsafeBufferPointer<Int32>) -> ByteBuffer {
        let n = indices.count
        var body: [UInt8] = []
        body.reserveCapacity(64 + n * inputs.reduce(0) { $0 + $1.bytes * 3 })
        body.append(contentsOf: "{\"id\":\"\(requestID)\",\"inputs\":[".utf8)
        for (k, input) in inputs.enumerated() {
            if k > 0 { body.append(UInt8(ascii: ",")) }
            body.append(contentsOf: "{\"name\":\"\(input.name)\",\"datatype\":\"\(input.datatype)\",\"shape\":[\(n)".utf8)
            for d in input.shape { body.append(contentsOf: ",\(d)".utf8) }
            body.append(contentsOf: "],\"data\":[".utf8)
            let elements = input.bytes / max(1, input.type.size)
            for i in 0..<n {
                if i > 0 { body.append(UInt8(ascii: ",")) }
                Self.writeValues(provider.sample(Int(indices[i]), input: k), count: elements, type: input.type, into: &body)
            }
            body.append(contentsOf: "]}".utf8)
        }
        body.append(UInt8(ascii: "]"))
        if let outputName { body.append(contentsOf: ",\"outputs\":[{\"name\":\"\(outputName)\"}]".utf8) }
        body.append(UInt8(ascii: "}"))
        return ByteBuffer(bytes: body)
    }

    /// Mean latency (ns) of `requests` sequential infer requests of `batch` samples each, drawn in turn from
    /// `loaded` (untimed calibration before a run; the samples must be loaded).
    /// - Throws: `NetworkSUTError` for a failed request or an error status.
    public func measureLatency(loaded: [Int], batch: Int, requests: Int) throws -> UInt64 {
        precondition(!loaded.isEmpty)
        var total: UInt64 = 0
        for r in 0..<requests {
            let indices = (0..<batch).map { Int32(loaded[(r * batch + $0) % loaded.count]) }
            let body = indices.withUnsafeBufferPointer { makeBody(requestID: -1 - r, indices: $0) }
            let t0 = monotonicNs()
            let res = try client.fetch(inferURL, method: .POST, json: String(buffer: body),
                                       timeoutMs: configuration.requestTimeoutMs)
            guard res.status == 200 else {
                throw NetworkSUTError.httpStatus(url: inferURL, status: res.status, body: String(buffer: res.body))
            }
            total += monotonicNs() - t0
        }
        return total / UInt64(max(1, requests))
    }

    private func send(_ samples: QuerySampleBatch, start: Int, count n: Int, completer: QueryCompleter) {
        let issuedNs = monotonicNs()
        let requestID = nextRequestID.wrappingAdd(1, ordering: .relaxed).newValue
        let firstID = samples.firstID + start
        let url = inferURL
        // LoadGen's index storage is valid only during issueQuery; a queued request may start after the run ended.
        let indices = Array(samples.qslIndices[start..<start + n])
        // The JSON encoding runs on an event loop, not on LoadGen's issuing thread (which must keep to the schedule).
        gate.submit { [self] in client.eventLoopGroup.any().execute { [self] in
            let body = indices.withUnsafeBufferPointer { makeBody(requestID: requestID, indices: $0) }
            let exchange = HTTPExchange(url: url, createdNs: issuedNs) { [self] ex, error in
                finish(ex, error: error, requestID: requestID, firstID: firstID, count: n, completer: completer)
            }
            do {
                var request = try HTTPClient.Request(url: url, method: .POST)
                request.headers.add(name: "content-type", value: "application/json")
                request.body = .byteBuffer(body)
                guard !gate.isClosed else { throw NetworkSUTError.shutDown(url: url) }
                _ = client.execute(request: request, delegate: exchange,
                                   deadline: configuration.deadline(createdNs: issuedNs))
            } catch {
                finish(exchange, error: error, requestID: requestID, firstID: firstID, count: n, completer: completer)
            }
        } }
    }

    private func finish(_ ex: HTTPExchange, error: Error?, requestID: Int, firstID: ResponseID, count n: Int,
                        completer: QueryCompleter) {
        let done = monotonicNs()
        defer { gate.release() }  // after the samples are completed: the next request starts then
        var record = RequestLog.Record(samples: n, createdNs: ex.createdNs, encodedNs: ex.encodedNs, sentNs: ex.sentNs, headNs: ex.headNs,
                                       doneNs: done, failed: true)
        record.bodySentNs = ex.bodySentNs
        defer { log.add(record) }
        func failAll(_ kind: String, _ reason: String) {
            log.addFailure(kind)
            for i in 0..<n { completer.fail(firstID + i, reason: "POST \(inferURL): \(reason)") }
        }
        if let error {
            failAll(describe(error).components(separatedBy: ":").first ?? "transport error", describe(error))
            return
        }
        guard (200..<300).contains(ex.status) else {
            failAll("HTTP \(ex.status)", "HTTP \(ex.status): \(ex.bodyText())")
            return
        }
        let values: [Float]
        do {
            values = try Self.decodeOutput(ex.body, expectedID: "\(requestID)", output: outputName, samples: n)
        } catch let e as NetworkSUTError {
            if case .malformedResponse(_, let reason) = e, reason.hasPrefix("response for an unknown request") {
                failAll("response for an unknown request", reason)
            } else {
                failAll("malformed response", "\(e)")
            }
            return
        } catch {
            failAll("malformed response", "\(error)")
            return
        }
        guard !values.isEmpty, values.count % n == 0 else {
            failAll("malformed response", "the output has \(values.count) values for \(n) samples")
            return
        }
        let per = values.count / n
        if let expected = expectedOutputValues, per != expected {
            failAll("malformed response", "the output has \(per) values a sample; the model (its contract, else the "
                    + "server's metadata) has \(expected)")
            return
        }
        record.failed = false
        let bytesPer = responseBytes ?? per * 4
        var response = [UInt8](repeating: 0, count: bytesPer)
        var processor: (any ResponsePostprocessor)?
        if case .postprocessed(let f) = contract.response {
            processor = postprocessorLock.withLock { idlePostprocessors.popLast() } ?? f.make()
        }
        values.withUnsafeBufferPointer { v in
            for i in 0..<n {
                let sample = v.baseAddress! + i * per
                response.withUnsafeMutableBytes { out in
                    switch contract.response {
                    case .argmaxInt32:
                        var best = 0
                        for j in 1..<max(per, 1) where sample[j] > sample[best] { best = j }
                        out.storeBytes(of: Int32(best).littleEndian, as: Int32.self)
                    case .float32Scores:
                        for j in 0..<per { out.storeBytes(of: sample[j].bitPattern.littleEndian, toByteOffset: j * 4, as: UInt32.self) }
                    case .postprocessed:
                        processor!.process(sample, count: per, into: out.baseAddress!)
                    }
                    completer.complete(firstID + i, data: UnsafeRawBufferPointer(out))
                }
            }
        }
        if let processor { postprocessorLock.withLock { idlePostprocessors.append(processor) } }
    }

    // MARK: - The protocol's JSON

    /// The v2 datatype of an element type.
    static func datatype(_ t: ORTElementType) -> String? {
        switch t {
        case .float32: return "FP32"
        case .float64: return "FP64"
        case .int64: return "INT64"
        case .int32: return "INT32"
        case .uint8: return "UINT8"
        case .int8: return "INT8"
        case .bool: return "BOOL"
        default: return nil
        }
    }

    static func writeValues(_ p: UnsafeRawPointer, count: Int, type: ORTElementType, into b: inout [UInt8]) {
        for j in 0..<count {
            if j > 0 { b.append(UInt8(ascii: ",")) }
            switch type {
            case .float32: b.append(contentsOf: p.loadUnaligned(fromByteOffset: j * 4, as: Float.self).description.utf8)
            case .float64: b.append(contentsOf: p.loadUnaligned(fromByteOffset: j * 8, as: Double.self).description.utf8)
            case .int64: b.append(contentsOf: String(p.loadUnaligned(fromByteOffset: j * 8, as: Int64.self)).utf8)
            case .int32: b.append(contentsOf: String(p.loadUnaligned(fromByteOffset: j * 4, as: Int32.self)).utf8)
            case .uint8: b.append(contentsOf: String(p.load(fromByteOffset: j, as: UInt8.self)).utf8)
            case .int8: b.append(contentsOf: String(p.load(fromByteOffset: j, as: Int8.self)).utf8)
            case .bool: b.append(contentsOf: (p.load(fromByteOffset: j, as: UInt8.self) != 0 ? "true" : "false").utf8)
            default: break
            }
        }
    }

    /// The benchmark's inputs as the server names them, from `GET /v2/models/{model}`: each contract input by name
    /// (or the model's only input), with a datatype and per-sample shape that fit.
    static func match(contract: ModelContract, metadata: ByteBuffer, url: String) throws
        -> ([(name: String, datatype: String, shape: [Int], type: ORTElementType, bytes: Int)], String?)
    {
        guard let json = try? JSONSerialization.jsonObject(with: Data(bytesOf: metadata)) as? [String: Any] else {
            throw NetworkSUTError.malformedResponse(url: url, reason: "model metadata is not a JSON object")
        }
        let declared = (json["inputs"] as? [[String: Any]]) ?? []
        let outputs = (json["outputs"] as? [[String: Any]]) ?? []
        var result: [(name: String, datatype: String, shape: [Int], type: ORTElementType, bytes: Int)] = []
        for spec in contract.inputs {
            guard let shape = spec.sampleShape, let dt = datatype(spec.elementType) else {
                throw NetworkSUTError.modelMismatch(url: url, reason: "input \(spec.name ?? "(only)") \(spec.description) "
                                                    + "has no v2 datatype or fixed shape")
            }
            let name: String
            if let wanted = spec.name {
                name = wanted
            } else if declared.count == 1, let only = declared[0]["name"] as? String {
                name = only
            } else if declared.isEmpty {
                throw NetworkSUTError.modelMismatch(url: url, reason: "the metadata lists no inputs; the benchmark needs one "
                                                    + "input \(spec.description)")
            } else {
                throw NetworkSUTError.modelMismatch(url: url, reason: "the model has \(declared.count) inputs; the benchmark "
                                                    + "sends one, \(spec.description)")
            }
            if let d = declared.first(where: { ($0["name"] as? String) == name }) {
                if let got = d["datatype"] as? String, got != dt {
                    throw NetworkSUTError.modelMismatch(url: url, reason: "input \(name) is \(got), the benchmark sends \(dt)")
                }
                if let s = d["shape"] as? [Int], s.count == shape.count + 1 {
                    for (a, b) in zip(s.dropFirst(), shape) where a >= 0 && a != b {
                        throw NetworkSUTError.modelMismatch(url: url, reason: "input \(name) has shape \(s), the benchmark "
                                                            + "sends [N,\(shape.map(String.init).joined(separator: ","))]")
                    }
                } else if let s = d["shape"] as? [Int], !s.isEmpty {
                    throw NetworkSUTError.modelMismatch(url: url, reason: "input \(name) has shape \(s), the benchmark "
                                                        + "sends [N,\(shape.map(String.init).joined(separator: ","))]")
                }
            } else if !declared.isEmpty {
                throw NetworkSUTError.modelMismatch(url: url, reason: "no input named \(name); the model has "
                                                    + declared.compactMap { $0["name"] as? String }.joined(separator: ", "))
            }
            result.append((name, dt, shape, spec.elementType, shape.reduce(1, *) * spec.elementType.size))
        }
        let outName = contract.output.name ?? (outputs.first?["name"] as? String)
        if let o = contract.output.name, !outputs.isEmpty, !outputs.contains(where: { ($0["name"] as? String) == o }) {
            throw NetworkSUTError.modelMismatch(url: url, reason: "no output named \(o); the model has "
                                                + outputs.compactMap { $0["name"] as? String }.joined(separator: ", "))
        }
        return (result, outName)
    }

    /// Values a sample of output `name` (or the first output) has, as the model's metadata declares it: the product of
    /// its dimensions after the batch one, when they are all fixed; else nil.
    static func declaredOutputValues(metadata: ByteBuffer, output name: String?) -> Int? {
        guard let json = try? JSONSerialization.jsonObject(with: Data(bytesOf: metadata)) as? [String: Any],
              let outputs = json["outputs"] as? [[String: Any]],
              let out = outputs.first(where: { name == nil || ($0["name"] as? String) == name }),
              let shape = out["shape"] as? [Int], shape.count >= 2, shape.dropFirst().allSatisfy({ $0 > 0 }) else {
            return nil
        }
        return shape.dropFirst().reduce(1, *)
    }

    /// The values of output `output` (or the first) of an infer response, flattened, as Float.
    /// - Throws: `NetworkSUTError.malformedResponse`: not JSON, another request's `id`, no such output, a batch
    ///   dimension that is not `samples`, non-numeric data.
    static func decodeOutput(_ body: ByteBuffer, expectedID: String, output: String?, samples: Int) throws -> [Float] {
        let url = "infer response"
        guard let json = try? JSONSerialization.jsonObject(with: Data(bytesOf: body)) as? [String: Any] else {
            throw NetworkSUTError.malformedResponse(url: url, reason: "not a JSON object: \(String(buffer: body).prefix(120))")
        }
        if let id = json["id"] as? String, id != expectedID {
            throw NetworkSUTError.malformedResponse(url: url, reason: "response for an unknown request: id \(id), "
                                                    + "the request was \(expectedID)")
        }
        guard let outputs = json["outputs"] as? [[String: Any]], !outputs.isEmpty else {
            throw NetworkSUTError.malformedResponse(url: url, reason: "no `outputs` array")
        }
        guard let out = output.flatMap({ o in outputs.first { ($0["name"] as? String) == o } }) ?? outputs.first else {
            throw NetworkSUTError.malformedResponse(url: url, reason: "no output named \(output ?? "")")
        }
        if let shape = out["shape"] as? [Int], let first = shape.first, first != samples {
            throw NetworkSUTError.malformedResponse(url: url, reason: "output shape \(shape) for a batch of \(samples)")
        }
        var values: [Float] = []
        func flatten(_ v: Any) throws {
            if let n = v as? NSNumber { values.append(n.floatValue) } else if let a = v as? [Any] {
                for x in a { try flatten(x) }
            } else {
                throw NetworkSUTError.malformedResponse(url: url, reason: "non-numeric output data: \(v)")
            }
        }
        guard let data = out["data"] else { throw NetworkSUTError.malformedResponse(url: url, reason: "output without `data`") }
        try flatten(data)
        return values
    }
}

extension Data {
    init(bytesOf buffer: ByteBuffer) { self = buffer.withUnsafeReadableBytes { Data($0) } }
}
