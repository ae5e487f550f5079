import Foundation
import ProjectEnvironment
import TestSupport
import Testing

/// The checkout these tests were built from (…/Tests/ProjectEnvironmentTests/ThisFile.swift → the root).
private let checkoutRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

@Suite("The project's Python environment")
struct ProjectPythonTests {
    /// The process environment without MLPERF_PYTHON: what the product does by default.
    private var defaultEnvironment: [String: String] {
        var env = ProcessInfo.processInfo.environment
        env[ProjectPython.variable] = nil
        return env
    }

    @Test("by default the project uses its own .venv, made from Debian's python3, with Debian's torch and numpy visible")
    func usesTheProjectsOwnInterpreter() throws {
        let python = try ProjectPython.locate(environment: defaultEnvironment)
        #expect(python.origin == .projectEnvironment(root: checkoutRoot))
        #expect(python.path == checkoutRoot + "/.venv/bin/python3")
        if ProcessInfo.processInfo.environment[ProjectPython.variable] == nil {
            #expect(Python.project == python.path, "the tests run Python through another interpreter")
        }
        let out = try Python.run("""
        import sys, importlib.util
        import onnxruntime, numpy, torch, mlperf_loadgen, mlperf_logging
        print(sys.prefix); print(sys.base_prefix)
        print(onnxruntime.__file__); print(numpy.__file__); print(torch.__file__); print(mlperf_loadgen.__file__)
        """, interpreter: python.path).split(separator: "\n").map(String.init)
        #expect(out.count == 6)
        guard out.count == 6 else { return }
        #expect(out[0] == checkoutRoot + "/.venv", "sys.prefix")
        #expect(out[1] == "/usr", "the environment must be made from Debian's /usr/bin/python3, not \(out[1])")
        #expect(out[2].hasPrefix(checkoutRoot + "/.venv/"), "onnxruntime from \(out[2])")
        #expect(out[5].hasPrefix(checkoutRoot + "/.venv/"), "mlperf_loadgen from \(out[5])")
        #expect(out[3].hasPrefix("/usr/lib/python3/dist-packages/"), "numpy must be Debian's (torch needs it): \(out[3])")
        #expect(out[4].hasPrefix("/usr/lib/python3/dist-packages/"), "torch must be Debian's python3-torch: \(out[4])")
    }

    @Test("every package pinned in requirements.txt is installed at exactly its pinned version")
    func environmentMatchesTheRequirements() throws {
        let text = try String(contentsOfFile: checkoutRoot + "/requirements.txt", encoding: .utf8)
        let pins: [(String, String)] = text.split(separator: "\n").compactMap { line in
            let l = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0]
                .trimmingCharacters(in: .whitespaces)
            guard !l.isEmpty else { return nil }
            let parts = l.components(separatedBy: "==")
            // `name[extra]==v`: the distribution is `name` (the extras only pull in more pinned packages).
            let name = parts[0].split(separator: "[", maxSplits: 1).first.map(String.init) ?? parts[0]
            return parts.count == 2 ? (name, parts[1]) : ("unpinned line", l)
        }
        #expect(pins.count >= 5)
        #expect(!pins.contains { $0.0 == "unpinned line" }, "every requirement must be pinned with ==")
        let python = try ProjectPython.locate(environment: defaultEnvironment).path
        let installed = try Python.run("""
        import sys, importlib.metadata as m
        for name in sys.argv[1:]:
            print(name, m.version(name))
        """, arguments: pins.map(\.0), interpreter: python)
        let got = Dictionary(uniqueKeysWithValues: installed.split(separator: "\n").map { line -> (String, String) in
            let p = line.split(separator: " ")
            return (String(p[0]), String(p[1]))
        })
        for (name, version) in pins {
            #expect(got[name] == version, "\(name): pinned \(version), installed \(got[name] ?? "nothing")")
        }
    }

    @Test("MLPERF_PYTHON wins; a path that is not an executable is an error naming the variable and the path")
    func variableRules() throws {
        let bin = try Scratch.directory("py-var").path
        let fake = bin + "/python3"
        try "#!/bin/sh\n".write(toFile: fake, atomically: true, encoding: .utf8)
        chmod(fake, 0o755)
        #expect(try ProjectPython.locate(environment: ["MLPERF_PYTHON": fake], searchStarts: [checkoutRoot])
                == ProjectPython(path: fake, origin: .variable))
        // A bare name is looked up on PATH when run, as a shell would.
        #expect(try ProjectPython.locate(environment: ["MLPERF_PYTHON": "python3"]).path == "python3")
        // Empty means unset.
        #expect(try ProjectPython.locate(environment: ["MLPERF_PYTHON": ""], searchStarts: [checkoutRoot]).origin
                == .projectEnvironment(root: checkoutRoot))
        for bad in [bin + "/missing", bin] {
            #expect(throws: ProjectPythonError.variableInvalid(path: bad)) {
                _ = try ProjectPython.locate(environment: ["MLPERF_PYTHON": bad], searchStarts: [checkoutRoot])
            }
            #expect(ProjectPythonError.variableInvalid(path: bad).description
                        .hasPrefix("MLPERF_PYTHON=\(bad) is not an executable file"))
        }
    }

    @Test(".venv is found in the start directory or any directory above it, in the order of the starts")
    func searchOrder() throws {
        let root = try Scratch.directory("py-tree").path
        let first = root + "/a", second = root + "/b"
        for r in [first, second] {
            try FileManager.default.createDirectory(atPath: r + "/.venv/bin", withIntermediateDirectories: true)
            try "#!/bin/sh\n".write(toFile: r + "/.venv/bin/python3", atomically: true, encoding: .utf8)
            chmod(r + "/.venv/bin/python3", 0o755)
        }
        let deep = first + "/.build/x86_64-unknown-linux-gnu/release"
        try FileManager.default.createDirectory(atPath: deep, withIntermediateDirectories: true)
        #expect(ProjectPython.checkoutRoot(above: deep) == first)
        #expect(ProjectPython.checkoutRoot(above: first + "/") == first)
        #expect(try ProjectPython.locate(environment: [:], searchStarts: [deep, second]).path == first + "/.venv/bin/python3")
        #expect(try ProjectPython.locate(environment: [:], searchStarts: [root, second]).path == second + "/.venv/bin/python3")
        // A .venv whose python3 is not executable does not count.
        chmod(second + "/.venv/bin/python3", 0o644)
        #expect(throws: ProjectPythonError.notFound(searched: [root, second])) {
            _ = try ProjectPython.locate(environment: [:], searchStarts: [root, second])
        }
        let message = ProjectPythonError.notFound(searched: [root]).description
        #expect(message.contains("no Python environment") && message.contains("bash scripts/setup.sh"))
    }
}

@Suite("scripts/setup.sh")
struct SetupScriptTests {
    /// Runs `bash scripts/setup.sh` of the checkout at `root`; returns its output and how long it took.
    private func setup(in root: String, environment changes: [String: String] = [:]) throws
        -> (status: Int32, out: String, err: String, seconds: Double) {
        let start = Date()
        let r = try Subprocess.run("/bin/bash", [root + "/scripts/setup.sh"], environment: changes)
        return (r.status, r.stdout, r.stderr, Date().timeIntervalSince(start))
    }

    @Test("a second run is a no-op that takes under 5 s")
    func secondRunIsANoOp() throws {
        let r = try setup(in: checkoutRoot)
        #expect(r.status == 0, "\(r.err)")
        #expect(r.out.contains("setup: Debian packages present"))
        #expect(r.out.contains("setup: Python environment .venv current"))
        #expect(!r.out.contains("pip install"))
        #expect(r.seconds < 5, "took \(r.seconds) s")
    }

    @Test("a failing pip step says what failed, the command and the fix, and exits non-zero")
    func pipFailureIsExplained() throws {
        // A copy of the set-up in a scratch checkout, with pip pointed at a closed port (no registry).
        let root = try Scratch.directory("setup-fail").path
        try FileManager.default.createDirectory(atPath: root + "/scripts", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: checkoutRoot + "/scripts/setup.sh", toPath: root + "/scripts/setup.sh")
        try FileManager.default.copyItem(atPath: checkoutRoot + "/requirements.txt", toPath: root + "/requirements.txt")
        let r = try setup(in: root, environment: ["PIP_INDEX_URL": "http://127.0.0.1:9/simple", "PIP_RETRIES": "0",
                                                   "PIP_FIND_LINKS": root, "PIP_NO_CACHE_DIR": "1"])
        #expect(r.status == 1)
        #expect(r.err.contains("setup: FAILED: pip could not install the pinned Python packages"), "\(r.err)")
        #expect(r.err.contains("command: \(root)/.venv/bin/python3 -m pip install -r requirements.txt"))
        #expect(r.err.contains("fix:") && r.err.contains("could not be reached"))
        #expect(r.err.contains("last lines of \(root)/.setup-logs/pip.log"))
        #expect(!r.out.contains("setup: done"))
    }
}
