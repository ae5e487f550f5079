import Datasets
import Foundation
import LoadGen
import ONNXRuntime
@testable import Serving
import TestSupport

/// Real ORT, real ONNX models written by the python `onnx` package, real LoadGen runs.
enum Fixtures {
    static let environment = ProcessInfo.processInfo.environment
    static let python = Python.project
    static let runtime: Result<ORTRuntime, Error> = Result { try ORTRuntime(environment: environment) }
    static func ort() throws -> ORTRuntime { try runtime.get() }

    /// A fresh scratch directory (removed when the test process exits).
    static func temporaryDirectory() throws -> URL { try Scratch.directory("serving-tests") }

    @discardableResult
    static func runPython(_ script: String, arguments: [String] = []) throws -> String {
        try Python.run(script, arguments: arguments, interpreter: python)
    }

    /// 4 features → 5 classes, scores = x·W + b.
    static let weights: [Float] = (0..<20).map { Float(($0 * 7) % 11) / 4 - 1.25 }  // 4×5 row-major
    static let bias: [Float] = [0.05, -0.1, 0.2, 0, -0.05]

    /// Models, written once per process into one directory:
    /// - linear.onnx: input [N,4] → logits [N,5];
    /// - fixed2.onnx: the same with the batch fixed at 2;
    /// - failing.onnx: the linear model plus a Range whose step is computed from the input as 0, so every run fails
    ///   inside ORT (\"delta … can not be zero\") while its shapes look fine beforehand.
    static let models: Result<URL, Error> = Result {
        let dir = try temporaryDirectory()
        let w = weights.map { "\($0)" }.joined(separator: ",")
        let b = bias.map { "\($0)" }.joined(separator: ",")
        try runPython("""
        import sys, os, onnx
        from onnx import helper, TensorProto
        d = sys.argv[1]
        def save(name, batch, failing=False):
            inits = [helper.make_tensor("W", TensorProto.FLOAT, [4, 5], [\(w)]),
                     helper.make_tensor("B", TensorProto.FLOAT, [5], [\(b)])]
            nodes = [helper.make_node("MatMul", ["input", "W"], ["mm"]),
                     helper.make_node("Add", ["mm", "B"], ["logits0" if failing else "logits"])]
            if failing:
                inits += [helper.make_tensor("zero", TensorProto.FLOAT, [], [0.0]),
                          helper.make_tensor("one", TensorProto.FLOAT, [], [1.0])]
                nodes += [helper.make_node("Abs", ["input"], ["a"]),
                          helper.make_node("ReduceMin", ["a"], ["m"], keepdims=0),
                          helper.make_node("Mul", ["m", "zero"], ["step"]),
                          helper.make_node("Range", ["zero", "one", "step"], ["r"]),
                          helper.make_node("ReduceSum", ["r"], ["s"], keepdims=0),
                          helper.make_node("Mul", ["s", "zero"], ["s0"]),
                          helper.make_node("Add", ["logits0", "s0"], ["logits"])]
            g = helper.make_graph(nodes, name, [helper.make_tensor_value_info("input", TensorProto.FLOAT, [batch, 4])],
                                  [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [batch, 5])], inits)
            m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
            m.ir_version = 8
            onnx.save(m, os.path.join(d, name + ".onnx"))
        save("linear", "N")
        save("fixed2", 2)
        save("failing", "N", failing=True)
        """, arguments: [dir.path])
        return dir
    }

    static func model(_ name: String) throws -> String { try models.get().appendingPathComponent(name + ".onnx").path }

    /// The class the model predicts for a sample: argmax of x·W + b (first on ties).
    static func expectedClass(_ x: UnsafePointer<Float>) -> Int32 {
        var best = 0
        var bestScore = -Float.infinity
        for j in 0..<5 {
            var s = bias[j]
            for k in 0..<4 { s += x[k] * weights[k * 5 + j] }
            if s > bestScore { bestScore = s; best = j }
        }
        return Int32(best)
    }

    /// Settings for a short run.
    static func settings(_ scenario: TestScenario, mode: TestMode = .performanceOnly) -> TestSettings {
        var s = TestSettings()
        s.scenario = scenario
        s.mode = mode
        s.minDurationMs = 300
        s.minQueryCount = 64
        s.singleStreamExpectedLatencyNs = 50_000
        s.multiStreamExpectedLatencyNs = 100_000
        s.offlineExpectedQPS = 5_000
        s.serverTargetQPS = 1_000
        s.serverTargetLatencyNs = 50_000_000
        return s
    }

    /// Reads mlperf_log_accuracy.json into (qsl index, predicted class) pairs.
    static func accuracyEntries(in directory: URL) throws -> [(qsl: Int, predicted: Int32?)] {
        let data = try Data(contentsOf: directory.appendingPathComponent("mlperf_log_accuracy.json"))
        guard let array = try JSONSerialization.jsonObject(with: data) as? [[String: Any]] else {
            throw TestFailure("accuracy log is not a JSON array")
        }
        return array.map { entry in
            let hex = entry["data"] as? String ?? ""
            var bytes: [UInt8] = []
            var i = hex.startIndex
            while i < hex.endIndex, let j = hex.index(i, offsetBy: 2, limitedBy: hex.endIndex) {
                bytes.append(UInt8(hex[i..<j], radix: 16) ?? 0)
                i = j
            }
            let predicted = bytes.count == 4
                ? Int32(littleEndian: bytes.withUnsafeBytes { $0.loadUnaligned(as: Int32.self) }) : nil
            return ((entry["qsl_idx"] as? Int) ?? -1, predicted)
        }
    }
}
