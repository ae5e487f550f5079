import Foundation
import ProjectEnvironment
#if canImport(Glibc)
import Glibc
#endif

/// Scratch space for tests. Every directory and file lives under one root per test process,
/// `$TMPDIR/swiftmlperf-tests-<pid>`, which is removed when the process exits; roots left by test processes that
/// died (crash, kill) are removed the next time a test process starts.
public enum Scratch {
    static let prefix = "swiftmlperf-tests-"

    public static let root: String = {
        let tmp = NSTemporaryDirectory()
        let fm = FileManager.default
        for name in (try? fm.contentsOfDirectory(atPath: tmp)) ?? [] where name.hasPrefix(prefix) {
            if let pid = pid_t(name.dropFirst(prefix.count)), pid != getpid(), kill(pid, 0) != 0, errno == ESRCH {
                try? fm.removeItem(atPath: tmp + name)
            }
        }
        let path = tmp + prefix + String(getpid())
        try? fm.createDirectory(atPath: path, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(atPath: Scratch.root) }
        return path
    }()

    /// A new, empty directory whose name starts with `prefix`.
    public static func directory(_ prefix: String) throws -> URL {
        let url = URL(fileURLWithPath: root).appendingPathComponent("\(prefix)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// A path for a new file called `name` (made unique); the file is not created.
    public static func file(_ name: String) -> String {
        root + "/" + UUID().uuidString.prefix(8) + "-" + name
    }
}

/// A test precondition that failed (a fixture could not be made), with the reason.
public struct TestFailure: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

public enum Python {
    /// The project's interpreter, as the product finds it (`MLPERF_PYTHON`, else the checkout's `.venv` made by
    /// `scripts/setup.sh`); every test that runs Python uses it. When there is none, a path that names the fix, so
    /// that each test that needs Python fails with the reason.
    public static let project: String = {
        do { return try ProjectPython.locate(environment: ProcessInfo.processInfo.environment).path } catch {
            return "/no-project-python: \(error)"
        }
    }()

    /// Runs `interpreter -c script arguments…` and returns its stdout; throws with its stderr when it fails.
    @discardableResult
    public static func run(_ script: String, arguments: [String] = [], interpreter: String) throws -> String {
        let r = try Subprocess.run("/usr/bin/env", [interpreter, "-c", script] + arguments)
        guard r.status == 0 else { throw TestFailure("\(interpreter) failed (exit \(r.status)): " + r.stderr) }
        return r.stdout
    }
}

/// A child process run to completion, both pipes drained concurrently (neither can fill up and block the child).
public enum Subprocess {
    public struct Output: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// Runs `executable arguments…` in `directory` (default: the current one), standard input from /dev/null, with
    /// the process environment plus `environment` (a nil value removes a variable).
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String?] = [:],
                           directory: String? = nil) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        process.environment = env
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let errors = ErrorBuffer()
        let reader = Thread { errors.data = err.fileHandleForReading.readDataToEndOfFile(); errors.done.signal() }
        reader.start()
        let output = out.fileHandleForReading.readDataToEndOfFile()
        errors.done.wait()
        process.waitUntilExit()
        return Output(status: process.terminationStatus, stdout: String(decoding: output, as: UTF8.self),
                      stderr: String(decoding: errors.data, as: UTF8.self))
    }

    private final class ErrorBuffer: @unchecked Sendable {
        var data = Data()
        let done = DispatchSemaphore(value: 0)
    }
}
