import Foundation
@testable import ONNXRuntime
import TestSupport

/// Shared fixtures: one ORT runtime per test process, and real ONNX models written by the python `onnx` package.
enum Fixtures {
    static let environment = ProcessInfo.processInfo.environment
    static let python = Python.project

    /// Loaded once; a failure here fails every test that needs ONNX Runtime (it must be installed in CI).
    static let runtime: Result<ORTRuntime, Error> = Result { try ORTRuntime(environment: environment) }

    static func ort() throws -> ORTRuntime { try runtime.get() }

    /// A fresh scratch directory (removed when the test process exits).
    static func temporaryDirectory() throws -> URL { try Scratch.directory("ort-tests") }

    @discardableResult
    static func runPython(_ script: String, arguments: [String] = []) throws -> String {
        try Python.run(script, arguments: arguments, interpreter: python)
    }

    /// A linear model y = x·W + b with input "input" [N,4] and output "logits" [N,3] (W, b below), plus a ReLU
    /// copy "relu" of the logits, written with onnx.helper.
    static let weights: [Float] = [0.5, -1, 2, 1.5, 0.25, -0.5, -2, 1, 0.75, 1, -1.25, 0.125]  // 4×3 row-major
    static let bias: [Float] = [0.1, -0.2, 0.3]

    /// Written once per test process.
    static let sharedLinearModel: Result<String, Error> = Result {
        try linearModel(in: try temporaryDirectory())
    }

    static func linearModel(in directory: URL) throws -> String {
        let path = directory.appendingPathComponent("linear.onnx").path
        let w = weights.map { "\($0)" }.joined(separator: ",")
        let b = bias.map { "\($0)" }.joined(separator: ",")
        try runPython("""
        import sys, onnx
        from onnx import helper, TensorProto
        W = helper.make_tensor("W", TensorProto.FLOAT, [4, 3], [\(w)])
        B = helper.make_tensor("B", TensorProto.FLOAT, [3], [\(b)])
        graph = helper.make_graph(
            [helper.make_node("MatMul", ["input", "W"], ["mm"]), helper.make_node("Add", ["mm", "B"], ["logits"]),
             helper.make_node("Relu", ["logits"], ["relu"])],
            "linear",
            [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 4])],
            [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 3]),
             helper.make_tensor_value_info("relu", TensorProto.FLOAT, ["N", 3])],
            [W, B])
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
        model.ir_version = 8
        onnx.checker.check_model(model)
        onnx.save(model, sys.argv[1])
        """, arguments: [path])
        return path
    }

    /// y = x·W + b computed here, the oracle for the linear model.
    static func expectedLogits(_ x: [Float]) -> [Float] {
        let rows = x.count / 4
        var y = [Float](repeating: 0, count: rows * 3)
        for r in 0..<rows {
            for j in 0..<3 {
                var s = bias[j]
                for k in 0..<4 { s += x[r * 4 + k] * weights[k * 3 + j] }
                y[r * 3 + j] = s
            }
        }
        return y
    }

    /// True when `a` and `b` agree elementwise within `tolerance` (relative above 1) (ORT fuses MatMul+Add into Gemm with FMA).
    static func close(_ a: [Float], _ b: [Float], tolerance: Float = 1e-5) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= tolerance * max(1, abs($1)) }
    }

    /// The ONNX ResNet-50 test model shipped in the `onnx` wheel (untrained weights).
    static func resnet50Path() throws -> String {
        let dir = try runPython("import onnx,os;print(os.path.dirname(onnx.__file__))")
            .trimmingCharacters(in: .whitespacesAndNewlines)
        return dir + "/backend/test/data/light/light_resnet50.onnx"
    }
}
