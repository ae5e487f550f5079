import Foundation
import TestSupport
import Testing

/// The `mlperf` binary built beside this test bundle, run as a user would (real processes, real files).
enum CLI {
    static let binary: String = {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
        if dir.pathExtension == "xctest" { dir = dir.deletingLastPathComponent() }
        return dir.appendingPathComponent("mlperf").path
    }()

    /// Runs `mlperf arguments…` in `directory` with `environment` changes applied (nil removes a variable).
    static func run(_ arguments: [String], in directory: String? = nil,
                    environment changes: [String: String?] = [:]) throws -> Subprocess.Output {
        try Subprocess.run(binary, arguments, environment: changes, directory: directory)
    }
}

@Suite("mlperf as a newcomer meets it")
struct NewcomerTests {
    static let commands: [[String]] = [
        [], ["suite"], ["loadgen"], ["run"], ["accuracy"], ["train"], ["check"], ["check", "training"],
        ["bench"], ["bench", "loadgen"], ["bench", "inference"], ["bench", "training"], ["bench", "serving"],
        ["submission"], ["submission", "init"], ["submission", "add"], ["submission", "check"], ["submission", "summarize"],
    ]

    @Test("every --help reads well in 80 columns: no line too long, no hand-wrapped paragraph wrapped again",
          arguments: commands)
    func helpFitsEightyColumns(_ command: [String]) throws {
        let r = try CLI.run(command + ["--help"], environment: ["COLUMNS": "80"])
        #expect(r.status == 0)
        let lines = r.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.count > 5)
        for line in lines {
            #expect(line.count <= 80, "longer than 80 columns (\(line.count)): \(line)")
        }
        for problem in HelpLayout.raggedLines(lines, width: 80) {
            Issue.record("mlperf \(command.joined(separator: " ")) --help: \(problem)")
        }
    }

    @Test("the ragged-paragraph check finds a paragraph broken by hand and passes one the parser wrapped")
    func raggedCheckItself() {
        let wrapped = ["Each run gets a distinct seed and its MLLOG log is saved as a result file in the",
                       "official layout; the workload's raw output goes to the logs directory.", ""]
        #expect(HelpLayout.raggedLines(wrapped, width: 80).isEmpty)
        let handWrapped = ["Each run gets a distinct seed and its MLLOG log is saved as",
                           "a result file in the official layout; the workload's raw output goes to the",
                           "logs directory.", ""]
        #expect(HelpLayout.raggedLines(handWrapped, width: 80).count == 1)
        let examples = ["Examples:", "  mlperf suite", "  mlperf suite --train-only", ""]
        #expect(HelpLayout.raggedLines(examples, width: 80).isEmpty)
        let table = ["Benchmarks:", "  fashion-mnist   the CNN trained here", "  resnet50-perf   ResNet-50", ""]
        #expect(HelpLayout.raggedLines(table, width: 80).isEmpty)
    }

    @Test("mlperf run without --model uses the model mlperf suite trained; with none, it names the command that makes it")
    func runUsesTheSuitesModel() throws {
        let dir = try Scratch.directory("cli-default-model").path
        let missing = try CLI.run(["run", "fashion-mnist", "--scenario", "Offline", "--mode", "accuracy"], in: dir)
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("no trained model at out/suite/model/fashion-mnist.onnx"), "\(missing.stderr)")
        #expect(missing.stderr.contains("`mlperf suite --train-only --benchmarks fashion-mnist`"))
        #expect(!missing.stderr.contains("loading ONNX Runtime"), "the model is checked before anything slow")

        // A real ONNX model of the benchmark's shape (input [N,1,28,28] → logits [N,10]) where the suite puts it.
        _ = try Servers.fashionModel(in: dir)
        let run = try CLI.run(["run", "fashion-mnist", "--scenario", "Offline", "--mode", "accuracy", "--quiet"], in: dir)
        #expect(run.status == 0, "\(run.stderr)")
        let serving = try String(contentsOfFile: dir + "/out/run/fashion-mnist/Offline-accuracy/serving.json", encoding: .utf8)
        #expect(serving.contains("\"out/suite/model/fashion-mnist.onnx\""), "\(serving)")

        // A conf file's mode counts when --mode is not typed (the CLI's default never overrides it).
        try "*.*.mode = 1\n".write(toFile: dir + "/user.conf", atomically: true, encoding: .utf8)
        let confRun = try CLI.run(["run", "fashion-mnist", "--scenario", "Offline", "--conf", "user.conf", "--quiet"], in: dir)
        #expect(confRun.status == 0, "\(confRun.stderr)")
        #expect(confRun.stdout.contains("Accuracy run: 10000 responses logged"), "\(confRun.stdout)")

        // bench inference finds the same model (and, with none, says the same command).
        let empty = try Scratch.directory("cli-bench-model").path
        let script = FileManager.default.currentDirectoryPath + "/bench/ort_reference_sut.py"
        let bench = try CLI.run(["bench", "inference", "--benchmark", "fashion-mnist", "--reference-script", script],
                                in: empty)
        #expect(bench.status != 0 && bench.stderr.contains("`mlperf suite --train-only --benchmarks fashion-mnist`"), "\(bench.stderr)")
    }

    @Test("ORT_LIBRARY_PATH naming no file stops the run with an error that names the variable and the path")
    func badLibraryPath() throws {
        let r = try CLI.run(["run", "resnet50-perf", "--scenario", "Offline", "--duration-ms", "100"],
                            environment: ["ORT_LIBRARY_PATH": "/nonexistent/libonnxruntime.so"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("ORT_LIBRARY_PATH is set to /nonexistent/libonnxruntime.so, which is not a readable file"),
                "\(r.stderr)")
    }

    @Test("mlperf train with no converged run says the convergence check is not applicable, never pass")
    func trainWithoutConvergence() throws {
        let dir = try Scratch.directory("cli-train").path
        let r = try CLI.run(["train", "fashion-mnist", "--command", "false", "--runs", "1", "--out", dir + "/res"])
        #expect(r.status == 1)
        #expect(r.stdout.contains("convergence (RCP): not applicable: no run converged"), "\(r.stdout)")
        #expect(!r.stdout.contains("convergence (RCP): pass"))
        let json = try String(contentsOfFile: dir + "/res/results.json", encoding: .utf8)
        #expect(json.contains("not_applicable"))
    }
}

/// Finds lines of a help text that a terminal would show ragged: a paragraph line followed, at the same
/// indentation, by a line of the same paragraph whose first word would still have fitted (a hand-made break
/// that the parser's wrapping did not remove). Examples (`mlperf …`), table rows (a two-space gap), list items and
/// lines ending in `:` are meant to stand on their own lines.
enum HelpLayout {
    static func raggedLines(_ lines: [String], width: Int) -> [String] {
        var problems: [String] = []
        for (a, b) in zip(lines, lines.dropFirst()) {
            let ia = a.prefix { $0 == " " }.count, ib = b.prefix { $0 == " " }.count
            let ta = a.dropFirst(ia), tb = b.dropFirst(ib)
            guard !ta.isEmpty, !tb.isEmpty, ia == ib else { continue }
            if ta.hasSuffix(":") || tb.hasPrefix("mlperf ") || tb.hasPrefix("-") || tb.hasPrefix("$ ") { continue }
            if ta.contains("  ") || tb.contains("  ") { continue }
            if let first = tb.first, first.isNumber, tb.contains(". ") { continue }
            let firstWord = tb.prefix { $0 != " " }
            if a.count + 1 + firstWord.count + 1 <= width {  // the parser breaks before a word that ends at the edge
                problems.append("ragged line (\"\(firstWord)\" would fit after it): \(a)")
            }
        }
        return problems
    }
}

@Suite("mlperf loadgen with inputs from the field")
struct LoadGenCLIFaultTests {
    private func conf(_ text: String) throws -> String {
        let path = try Scratch.directory("cli-conf").path + "/user.conf"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("a conf's mode is honoured unless --mode is typed; the official LoadGen reads the same mode")
    func confModeWins() throws {
        let path = try conf("*.*.mode = 1\n")
        let official = try Python.run("""
        import sys, mlperf_loadgen as lg
        ts = lg.TestSettings(); ts.scenario = lg.TestScenario.Offline
        rc = ts.FromConfig(sys.argv[1], "resnet50", "Offline")
        print(rc, str(ts.mode).split(".")[-1])
        """, arguments: [path], interpreter: Python.project).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(official == "0 AccuracyOnly")

        let out = try Scratch.directory("cli-mode").path
        let r = try CLI.run(["loadgen", "--sut", "null", "--scenario", "Offline", "--conf", path, "--out", out,
                             "--total-sample-count", "64", "--performance-sample-count", "64", "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("Accuracy run: 64 responses logged"), "\(r.stdout)")
        let detail = try String(contentsOfFile: out + "/mlperf_log_detail.txt", encoding: .utf8)
        #expect(detail.contains("\"key\": \"effective_test_mode\", \"value\": \"AccuracyOnly\""))

        let typed = try CLI.run(["loadgen", "--sut", "null", "--scenario", "Offline", "--conf", path, "--out", out,
                                 "--mode", "PerformanceOnly", "--duration-ms", "0", "--min-query-count", "10", "--quiet"])
        #expect(typed.status == 0, "\(typed.stderr)")
        #expect(!typed.stdout.contains("Accuracy run"))
        let typedDetail = try String(contentsOfFile: out + "/mlperf_log_detail.txt", encoding: .utf8)
        #expect(typedDetail.contains("\"key\": \"effective_test_mode\", \"value\": \"PerformanceOnly\""))
    }

    @Test("inputs that allow no test exit non-zero with one line that says why", arguments: [
        (["--scenario", "Offline", "--mode", "FindPeakPerformance"], "only supported in Server scenarios"),
        (["--scenario", "Offline", "--total-sample-count", "0"], "QSL reports no samples"),
        (["--scenario", "Server", "--target-qps", "1e9"], "the settings imply 10000000000 queries"),
        (["--scenario", "Server", "--target-qps", "0"], "server_target_qps must be a finite number > 0"),
        (["--scenario", "Offline", "--conf", "/"], "/: is a directory, not a config file"),
    ])
    func noTestIsAFailure(arguments: [String], reason: String) throws {
        let out = try Scratch.directory("cli-notest").path
        let r = try CLI.run(["loadgen", "--sut", "null", "--out", out, "--quiet"] + arguments)
        #expect(r.status != 0)
        #expect(r.stderr.contains(reason), "\(r.stderr)")
        #expect(!r.stdout.contains("Accuracy run"))
    }
}
