import Benchmarks
import Datasets
import Foundation
import LoadGen
import ONNXRuntime
import Testing
@testable import Serving

@Suite("ORT SUTs under the real LoadGen", .serialized)
struct SUTTests {
    let ort: ORTRuntime

    init() throws { ort = try Fixtures.ort() }

    private func classifier(_ name: String) throws -> ServedModel {
        try ServedModel(session: ORTSession(runtime: ort, modelPath: Fixtures.model(name)), sampleShape: [4])
    }

    /// Runs LoadGen in accuracy mode and checks every logged response against the model's own arithmetic.
    private func checkAccuracyRun(_ scenario: TestScenario, model: String, configuration: ServingConfiguration,
                                  samples: Int = 50) throws -> ServingStatistics {
        let qsl = SyntheticQSL(sampleShape: [4], totalSampleCount: samples, performanceSampleCount: samples, seed: 7)
        let sut = try ORTSUT.make(scenario: scenario, model: classifier(model), provider: qsl,
                                  configuration: configuration)
        let out = try Fixtures.temporaryDirectory()
        let result = try LoadGen.run(sut: sut, qsl: qsl, settings: Fixtures.settings(scenario, mode: .accuracyOnly),
                                     options: RunOptions(log: LogSettings(outputDirectory: out.path)))
        sut.shutdown()
        #expect(sut.firstError == nil)
        #expect(result.errors.isEmpty, "\(result.errors)")
        let entries = try Fixtures.accuracyEntries(in: out)
        #expect(entries.count >= samples)
        #expect(Set(entries.map(\.qsl)) == Set(0..<samples))
        // Reference values: regenerate each sample exactly as the QSL does.
        let x = UnsafeMutableBufferPointer<Float>.allocate(capacity: 4)
        defer { x.deallocate() }
        for entry in entries {
            SyntheticQSL.generate(seed: 7, index: entry.qsl, into: x)
            #expect(entry.predicted == Fixtures.expectedClass(x.baseAddress!), "qsl \(entry.qsl)")
        }
        #expect(sut.statistics.samples == entries.count)
        return sut.statistics
    }

    @Test("SingleStream: each sample runs alone, inline, and every response is the right class")
    func singleStreamAccuracy() throws {
        let stats = try checkAccuracyRun(.singleStream, model: "linear", configuration: .defaults(for: .singleStream))
        #expect(stats.batches == stats.samples)
    }

    @Test("MultiStream: a query's 8 samples run as one batch")
    func multiStreamAccuracy() throws {
        let stats = try checkAccuracyRun(.multiStream, model: "linear", configuration: .defaults(for: .multiStream),
                                         samples: 64)
        #expect(stats.meanBatchSize == 8)
    }

    @Test("Offline: the batcher runs full batches (plus one remainder)")
    func offlineAccuracy() throws {
        let stats = try checkAccuracyRun(.offline, model: "linear", configuration: ServingConfiguration(maxBatch: 16),
                                         samples: 50)
        #expect(stats.batches == 4)  // 16 + 16 + 16 + 2
    }

    @Test("Server: two workers with a batching wait answer every query correctly")
    func serverAccuracy() throws {
        let config = ServingConfiguration(maxBatch: 4, workers: 2, maxWaitMicroseconds: 200)
        _ = try checkAccuracyRun(.server, model: "linear", configuration: config)
    }

    @Test("a model with a fixed batch of 2 gets padded batches, and odd remainders are still right")
    func fixedBatchModel() throws {
        let model = try classifier("fixed2")
        #expect(model.fixedBatch == 2)
        #expect(model.effectiveMaxBatch(32) == 2)
        let stats = try checkAccuracyRun(.offline, model: "fixed2", configuration: ServingConfiguration(maxBatch: 32),
                                         samples: 7)
        #expect(stats.batches == 4)
    }

    @Test("performance runs in all four scenarios complete every issued sample, once")
    func performanceRuns() throws {
        for scenario in TestScenario.allCases {
            let qsl = SyntheticQSL(sampleShape: [4], totalSampleCount: 256, performanceSampleCount: 256)
            let sut = try ORTSUT.make(scenario: scenario, model: classifier("linear"), provider: qsl,
                                      configuration: .defaults(for: scenario))
            let out = try Fixtures.temporaryDirectory()
            let result = try LoadGen.run(sut: sut, qsl: qsl, settings: Fixtures.settings(scenario),
                                         options: RunOptions(log: LogSettings(outputDirectory: out.path)))
            sut.shutdown()
            let perf = try #require(result.performance)
            #expect(perf.sampleCount == perf.samplesIssued, "\(scenario)")
            #expect(perf.samplesNeverCompleted == 0 && perf.duplicateCompletions == 0 && perf.unknownCompletions == 0)
            #expect(sut.statistics.samples == perf.samplesIssued)
            #expect(sut.firstError == nil)
            #expect(perf.sampleCount > 0, "\(scenario)")
        }
    }

    @Test("an ORT failure inside a batch is reported, and the batch is still completed so LoadGen finishes")
    func inferenceFailureIsReported() throws {
        let qsl = SyntheticQSL(sampleShape: [4], totalSampleCount: 20, performanceSampleCount: 20)
        let sut = try ORTSUT.make(scenario: .offline, model: classifier("failing"), provider: qsl,
                                  configuration: ServingConfiguration(maxBatch: 4))
        let out = try Fixtures.temporaryDirectory()
        let result = try LoadGen.run(sut: sut, qsl: qsl, settings: Fixtures.settings(.offline, mode: .accuracyOnly),
                                     options: RunOptions(log: LogSettings(outputDirectory: out.path)))
        sut.shutdown()
        #expect(result.accuracyLoggedSamples == 20)
        let error = try #require(sut.firstError)
        guard case ORTError.call(let function, _, let message) = error else {
            Issue.record("expected an ORT call error, got \(error)"); return
        }
        #expect(function.hasPrefix("Run(") && !message.isEmpty)
    }
}

@Suite("Model and data checks")
struct ModelCheckTests {
    @Test("a model whose input does not fit the benchmark's samples is refused with both shapes named")
    func wrongSampleShape() throws {
        let ort = try Fixtures.ort()
        let path = try Fixtures.model("linear")
        let session = try ORTSession(runtime: ort, modelPath: path)
        #expect(throws: ServingError.modelDoesNotFit(model: path, tensor: "input", declared: "float32 [N,4]",
                                                     needed: "float32 [N,1,28,28] samples")) {
            _ = try ServedModel(session: session, sampleShape: [1, 28, 28])
        }
        let model = try ServedModel(session: session, sampleShape: [4])
        #expect(model.classCount == 5 && model.fixedBatch == nil && model.inputByteCounts == [16])
        let qsl = SyntheticQSL(sampleShape: [3, 224, 224], totalSampleCount: 2, performanceSampleCount: 2)
        #expect {
            _ = try DirectSUT(model: model, provider: qsl)
        } throws: { error in
            "\(error)".contains("602112 bytes from the QSL") && "\(error)".contains("bytes per sample 16")
        }
    }

    @Test("the resnet50-perf model is found in the onnx wheel and fits 3×224×224 samples")
    func resnet50Model() throws {
        let path = try ResNet50Perf.locateModel(environment: Fixtures.environment)
        #expect(path.hasSuffix("/onnx/backend/test/data/light/light_resnet50.onnx"))
        let model = try ServedModel(session: ORTSession(runtime: Fixtures.ort(), modelPath: path),
                                        sampleShape: ResNet50Perf.sampleShape)
        #expect(model.fixedBatch == 1 && model.classCount == 1000)
        var env = Fixtures.environment
        env["MLPERF_PYTHON"] = "/nonexistent/python3"
        #expect {
            _ = try ResNet50Perf.locateModel(environment: env)
        } throws: { error in
            "\(error)".contains("MLPERF_PYTHON=/nonexistent/python3 is not an executable file")
        }
    }

    @Test("synthetic samples are deterministic per (seed, index), uniform in [-1, 1), and loaded without duplicates")
    func syntheticQSL() throws {
        let a = SyntheticQSL(sampleShape: [3, 8, 8], totalSampleCount: 10, performanceSampleCount: 4, seed: 3)
        let b = SyntheticQSL(sampleShape: [3, 8, 8], totalSampleCount: 10, performanceSampleCount: 4, seed: 3)
        try a.loadSamplesToRAM([1, 5, 5, 9])
        try b.loadSamplesToRAM([9, 1])
        #expect(a.loadedSampleCount == 3)
        for i in [1, 9] {
            #expect(Array(UnsafeBufferPointer(start: a.sample(i), count: 192))
                    == Array(UnsafeBufferPointer(start: b.sample(i), count: 192)))
        }
        let values = UnsafeBufferPointer(start: a.sample(5), count: 192)
        #expect(values.allSatisfy { $0 >= -1 && $0 < 1 })
        #expect(Set(values).count > 150)
        #expect(Array(UnsafeBufferPointer(start: a.sample(1), count: 192)) != Array(values))
        #expect(!a.isLoaded(0) && a.isLoaded(9))
        try a.unloadSamplesFromRAM([1, 5, 9])
        #expect(!a.isLoaded(9) && a.loadedSampleCount == 0)
        #expect(throws: SyntheticQSLError.indexOutOfRange(index: 10, count: 10)) { try a.loadSamplesToRAM([10]) }
    }
}

@Suite("Server peak search")
struct PeakSearchTests {
    @Test("doubles while valid, then bisects to within 5 %, like the Python reference script")
    func bracketsThePeak() {
        let outcome = PeakSearch.run(start: 100, maxRuns: 20) { $0 <= 730 }
        #expect(outcome.runs.map(\.qps).prefix(6) == [100, 200, 400, 800, 800, 600])
        #expect(outcome.peak <= 730 && outcome.peak >= 730 * 0.95)
        #expect(outcome.runs.allSatisfy { $0.valid == ($0.qps <= 730) })
    }

    @Test("stops after maxRuns, and reports 0 when nothing was valid")
    func boundedRuns() {
        let none = PeakSearch.run(start: 100, maxRuns: 4) { _ in false }
        #expect(none.peak == 0 && none.runs.map(\.qps) == [100, 100, 50, 50])
        let unconfirmed = PeakSearch.run(start: 100, maxRuns: 4, confirmInvalid: false) { _ in false }
        #expect(unconfirmed.runs.map(\.qps) == [100, 50, 25, 12.5])
        #expect(PeakSearch.run(start: 1, maxRuns: 3) { _ in true }.runs.map(\.qps) == [1, 2, 4])
    }

    @Test("one noisy INVALID probe does not cap the peak: it is re-run before it is believed")
    func noisyProbeIsConfirmed() {
        var calls = 0
        // The third probe (400 QPS) fails once by a stall, then passes; the capacity is 730.
        let outcome = PeakSearch.run(start: 100, maxRuns: 20) { q in
            calls += 1
            return calls == 3 ? false : q <= 730
        }
        #expect(outcome.runs.map(\.qps).prefix(5) == [100, 200, 400, 400, 800])
        #expect(outcome.peak >= 730 * 0.95)
    }

    @Test("the Python script's search makes the same choices")
    func matchesPythonScript() throws {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("bench").path
        let out = try Fixtures.runPython("""
        import sys; sys.path.insert(0, sys.argv[1])
        import importlib.util
        spec = importlib.util.spec_from_file_location("ref", sys.argv[1] + "/ort_reference_sut.py")
        # find_peak is self-contained; load the file without running main()
        src = open(sys.argv[1] + "/ort_reference_sut.py").read()
        start = src.index("def find_peak"); end = src.index("def main")
        ns = {}; exec(src[start:end], ns)
        peak, runs = ns["find_peak"](lambda q: q <= 730, 100, 20)
        print(peak, " ".join(repr(q) for q, _ in runs))
        """, arguments: [script])
        let swift = PeakSearch.run(start: 100, maxRuns: 20) { $0 <= 730 }
        let parts = out.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: " ").map { Double($0)! }
        #expect(parts.first == swift.peak)
        #expect(Array(parts.dropFirst()) == swift.runs.map(\.qps))
    }
}
