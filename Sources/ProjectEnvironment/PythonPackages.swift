#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Finds installed Python packages without importing them (`importlib.util.find_spec`, ~0.2 s).
public enum PythonPackages {
    /// Why a package could not be located: one sentence naming the interpreter.
    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        public var reason: String
        public var description: String { reason }
    }

    /// The interpreter to ask: the project's (`ProjectPython.locate`: `MLPERF_PYTHON`, else the checkout's `.venv`).
    /// - Throws: `ProjectPythonError` when there is none.
    public static func interpreter(environment: [String: String]) throws -> String {
        try ProjectPython.locate(environment: environment).path
    }

    /// The directory of `package` as `python` would import it.
    public static func directory(of package: String, python: String) -> Result<String, Failure> {
        let script = "import importlib.util,os,sys;s=importlib.util.find_spec(sys.argv[1]);"
            + "print(os.path.dirname(s.origin) if s and s.origin else '')"
        guard let (status, output) = runCapturingOutput([python, "-c", script, package]) else {
            return .failure(Failure(reason: "cannot run \(python) to look for the \(package) package"))
        }
        let directory = output.trimmingPythonOutput()
        if status != 0 {
            return .failure(Failure(reason: "\(python) exited with status \(status) when asked for \(package)"))
        }
        if directory.isEmpty { return .failure(Failure(reason: "\(python) has no \(package) package")) }
        return .success(directory)
    }
}

extension String {
    func trimmingPythonOutput() -> String {
        var s = Substring(self)
        while let c = s.first, c.isWhitespace { s.removeFirst() }
        while let c = s.last, c.isWhitespace { s.removeLast() }
        return String(s)
    }
}

/// Runs `arguments` (searched on PATH), stdin from /dev/null, stderr discarded; returns the exit status and
/// stdout, or nil when the program cannot be started.
func runCapturingOutput(_ arguments: [String]) -> (status: Int32, output: String)? {
    var pipeEnds: [Int32] = [0, 0]
    guard pipe(&pipeEnds) == 0 else { return nil }
    // Close-on-exec: a child spawned concurrently by another thread must not inherit the write end (its read would
    // then wait for that unrelated child). (pipe2 is not visible to Swift's Glibc module.)
    _ = fcntl(pipeEnds[0], F_SETFD, FD_CLOEXEC)
    _ = fcntl(pipeEnds[1], F_SETFD, FD_CLOEXEC)
    let readEnd = pipeEnds[0], writeEnd = pipeEnds[1]

    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_adddup2(&actions, writeEnd, 1)
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    posix_spawn_file_actions_addclose(&actions, readEnd)
    posix_spawn_file_actions_addclose(&actions, writeEnd)

    let cArguments: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
    defer { for p in cArguments { free(p) } }
    var pid: pid_t = 0
    let spawned = posix_spawnp(&pid, arguments[0], &actions, nil, cArguments, environ)
    close(writeEnd)
    guard spawned == 0 else { close(readEnd); return nil }

    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = chunk.withUnsafeMutableBytes { read(readEnd, $0.baseAddress, $0.count) }
        if n > 0 { bytes.append(contentsOf: chunk[0..<n]) } else if n == 0 || errno != EINTR { break }
    }
    close(readEnd)
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    let exitStatus: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    return (exitStatus, String(decoding: bytes, as: UTF8.self))
}
