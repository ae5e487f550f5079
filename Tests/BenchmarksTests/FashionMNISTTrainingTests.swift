import Foundation
import TestSupport
import MLLog
import Testing
@testable import Datasets
@testable import NeuralNet
@testable import Benchmarks

/// The repository root, for the reference scripts.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// Collects the MLLOG records of a run.
final class RecordSink: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [MLLogRecord] = []
    private var storedLines: [String] = []
    var records: [MLLogRecord] { lock.lock(); defer { lock.unlock() }; return stored }
    var lines: [String] { lock.lock(); defer { lock.unlock() }; return storedLines }
    lazy var logger = MLLogger { [unowned self] line, record in
        self.lock.lock(); self.stored.append(record); self.storedLines.append(line); self.lock.unlock()
    }
}

/// Runs a process and returns its standard output; fails the test on a non-zero exit.
func run(_ executable: String, _ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: executable)
    p.arguments = arguments
    p.currentDirectoryURL = repositoryRoot
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    #expect(p.terminationStatus == 0, "\(executable) \(arguments): \(String(decoding: errData, as: UTF8.self))",
            sourceLocation: sourceLocation)
    return String(decoding: data, as: UTF8.self)
}


struct ORTResult: Decodable {
    struct Port: Decodable, Equatable {
        var name: String
        var shape: [String]
        init(name: String, shape: [String]) { self.name = name; self.shape = shape }
        init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            name = try c.decode(String.self, forKey: .name)
            var dims = try c.nestedUnkeyedContainer(forKey: .shape)
            shape = []
            while !dims.isAtEnd {
                if let i = try? dims.decode(Int.self) { shape.append(String(i)) } else { shape.append(try dims.decode(String.self)) }
            }
        }
        enum CodingKeys: String, CodingKey { case name, shape }
    }
    var correct: Int
    var count: Int
    var accuracy: Double
    var input: Port
    var output: Port
    var logits: [[Double]]?
}

func scoreWithONNXRuntime(_ model: String, limit: Int, logits: Int = 0) throws -> ORTResult {
    let out = try run(Python.project, ["references/pytorch/onnx_accuracy.py", model, "--limit", String(limit),
                                  "--logits", String(logits), "--check"])
    return try JSONDecoder().decode(ORTResult.self, from: Data(out.utf8))
}

let expectedKeys = [
    "submission_benchmark", "submission_division", "submission_org", "submission_platform", "submission_status",
    "cache_clear", "init_start", "init_stop", "run_start", "seed", "global_batch_size", "opt_name",
    "opt_base_learning_rate", "opt_momentum", "opt_weight_decay", "train_samples", "eval_samples",
]
let epochKeys = ["block_start", "epoch_start", "epoch_stop", "eval_start", "eval_accuracy", "eval_stop", "block_stop"]

@Suite struct TrainingTests {
    static func tempPath(_ name: String) -> String {
        Scratch.file(name)
    }

    @Test func sameSeedGivesBitIdenticalWeightsAndLog() throws {
        func once(seed: UInt64) throws -> (FashionMNISTOutcome, [String]) {
            let sink = RecordSink()
            let options = FashionMNISTOptions(seed: seed, maxEpochs: 1, trainSampleLimit: 320, evalSampleLimit: 100)
            let o = try FashionMNISTReference.train(options, logger: sink.logger, isCancelled: { false })
            return (o, sink.records.map { "\($0.key) \($0.value)" })
        }
        let (a, logA) = try once(seed: 7)
        let (b, logB) = try once(seed: 7)
        let (c, _) = try once(seed: 8)
        #expect(a.parameters == b.parameters)
        #expect(a.accuracies == b.accuracies)
        #expect(logA == logB)
        #expect(a.parameters != c.parameters)
        #expect(a.sgemm.calls == b.sgemm.calls && a.sgemm.flops == b.sgemm.flops)
        // Per batch, each chunk of (up to) 8 images makes 2 sgemm calls forward and 3 backward; the dense layers 2
        // forward and 4 backward. 5 training steps of 64 (8 chunks), evaluation batches of 64 and 36 (5 chunks).
        #expect(FashionCNN.defaultChunk == 8)
        #expect(a.sgemm.calls == 5 * (8 * 5 + 6) + (8 * 2 + 2) + (5 * 2 + 2))
    }

    /// A short run on a subset clearly learns, logs the reference's keys in order, and its ONNX export scores
    /// in ONNX Runtime exactly what the trainer reported, with the same logits as the Swift forward pass.
    @Test func shortRunLearnsLogsAndExportsONNX() throws {
        let sink = RecordSink()
        let onnx = Self.tempPath("swift.onnx")
        defer { try? FileManager.default.removeItem(atPath: onnx) }
        let evalLimit = 1000
        let options = FashionMNISTOptions(seed: 3, maxEpochs: 2, onnxOutputPath: onnx, systemName: "test",
                                          trainSampleLimit: 2560, evalSampleLimit: evalLimit)
        let outcome = try FashionMNISTReference.train(options, logger: sink.logger, isCancelled: { false })
        #expect(outcome.epochsRun == 2)
        #expect(!outcome.reachedTarget)
        #expect(outcome.accuracies[1] > 0.65, "accuracy after 2 epochs on 2560 images: \(outcome.accuracies)")
        #expect(outcome.trainLosses[1] < outcome.trainLosses[0])
        #expect(outcome.trainLosses[0] < 2.0)
        #expect(outcome.sgemm.flops > 0 && outcome.sgemm.nanoseconds > 0)

        let records = sink.records
        #expect(records.map(\.key) == expectedKeys + epochKeys + epochKeys + ["run_stop"])
        #expect(records.last?.metadata.first { $0.key == "status" }?.value == "aborted")
        let evals = records.filter { $0.key == "eval_accuracy" }
        #expect(evals.map { $0.metadata.first { $0.key == "epoch_num" }?.value } == [.int(1), .int(2)])
        #expect(evals.map(\.value.doubleValue) == outcome.accuracies.map { Optional($0) })
        #expect(records.first { $0.key == "train_samples" }?.value == .int(2560))
        #expect(records.first { $0.key == "submission_benchmark" }?.value == "fashion-mnist")
        #expect(sink.lines.allSatisfy { $0.hasPrefix(":::MLLOG {\"namespace\": \"\", \"time_ms\": ") })

        // ONNX Runtime on the exported file: the same accuracy and logits.
        let ort = try scoreWithONNXRuntime(onnx, limit: evalLimit, logits: 5)
        #expect(ort.count == evalLimit)
        #expect(ort.input == ORTResult.Port(name: "input", shape: ["N", "1", "28", "28"]))
        #expect(ort.output == ORTResult.Port(name: "logits", shape: ["N", "10"]))
        #expect(ort.accuracy == outcome.finalAccuracy)
        let model = FashionCNN(maxBatch: 5, seed: 0)
        model.parameters.update(from: outcome.parameters, count: FashionCNN.parameterCount)
        let test = try FashionMNIST.load(.test)
        for r in 0..<5 { model.setSample(row: r, from: test, index: r) }
        let logits = model.forward(batch: 5)
        for r in 0..<5 {
            for j in 0..<10 {
                #expect(abs(Double(logits[r * 10 + j]) - (ort.logits?[r][j] ?? .nan)) < 1e-4)
            }
        }
    }

    @Test func reachingTheTargetStopsWithSuccess() throws {
        let sink = RecordSink()
        let options = FashionMNISTOptions(seed: 1, maxEpochs: 5, trainSampleLimit: 64, evalSampleLimit: 64,
                                          targetAccuracy: 0)
        let outcome = try FashionMNISTReference.train(options, logger: sink.logger, isCancelled: { false })
        #expect(outcome.reachedTarget && outcome.epochsRun == 1)
        #expect(sink.records.last?.key == "run_stop")
        #expect(sink.records.last?.metadata.first { $0.key == "status" }?.value == "success")
    }

    @Test func cancellationAbortsTheRun() throws {
        let sink = RecordSink()
        let options = FashionMNISTOptions(seed: 1, maxEpochs: 3, trainSampleLimit: 640, evalSampleLimit: 100)
        let outcome = try FashionMNISTReference.train(options, logger: sink.logger, isCancelled: { true })
        #expect(outcome.cancelled && !outcome.reachedTarget && outcome.epochsRun == 0)
        #expect(sink.records.last?.metadata.first { $0.key == "status" }?.value == "aborted")
    }

    @Test func missingDataSaysWhatToInstall() {
        let sink = RecordSink()
        let options = FashionMNISTOptions(seed: 1, dataDirectory: "/nonexistent")
        #expect(throws: DatasetError.self) {
            try FashionMNISTReference.train(options, logger: sink.logger, isCancelled: { false })
        }
    }

    /// The PyTorch reference: same MLLOG keys in the same order as the Swift run, and its torch.onnx export
    /// scores in ONNX Runtime exactly the accuracy it reported.
    @Test func pytorchReferenceMatchesKeysAndItsONNXExport() throws {
        let onnx = Self.tempPath("pytorch.onnx")
        defer { try? FileManager.default.removeItem(atPath: onnx) }
        let evalLimit = 2000
        let out = try run(Python.project, ["references/pytorch/train_fashion_mnist.py", "--seed", "3",
                                               "--max-epochs", "1", "--train-limit", "3200",
                                               "--eval-limit", String(evalLimit), "--onnx-out", onnx])
        let records: [[String: Any]] = out.split(separator: "\n").compactMap { line in
            guard let r = line.range(of: ":::MLLOG ") else { return nil }
            return try? JSONSerialization.jsonObject(with: Data(line[r.upperBound...].utf8)) as? [String: Any]
        }
        #expect(records.compactMap { $0["key"] as? String } == expectedKeys + epochKeys + ["run_stop"])
        let reported = records.first { $0["key"] as? String == "eval_accuracy" }?["value"] as? Double
        #expect(reported.map { $0 > 0.5 } == true)
        let ort = try scoreWithONNXRuntime(onnx, limit: evalLimit)
        #expect(ort.input == ORTResult.Port(name: "input", shape: ["N", "1", "28", "28"]))
        #expect(ort.output == ORTResult.Port(name: "logits", shape: ["N", "10"]))
        #expect(ort.accuracy == reported)
    }
}
