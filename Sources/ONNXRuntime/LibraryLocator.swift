#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ProjectEnvironment

/// Finds the ONNX Runtime shared library. Order:
/// 1. `ORT_LIBRARY_PATH`, the full path of the library file; when it is set, it is the only place looked at, and
///    a path that is not a readable file is `ORTError.libraryPathInvalid` (never a silent fallback);
/// 2. the `onnxruntime` Python package of the project's interpreter (`ProjectPython`: `MLPERF_PYTHON`, else the
///    checkout's `.venv`), located without importing it (`importlib.util.find_spec`, ~0.2 s), then
///    `capi/libonnxruntime.so*` inside it.
/// Nothing is linked at build time, so a machine without the wheel builds and runs everything else.
public struct ORTLibraryLocator: Sendable {
    /// Environment variable naming the library file.
    public static let libraryPathVariable = "ORT_LIBRARY_PATH"
    /// Environment variable naming the Python interpreter to ask.
    public static let pythonVariable = ProjectPython.variable

    public var environment: [String: String]
    /// Directories whose ancestors hold the project's `.venv` (see `ProjectPython.locate`).
    public var searchStarts: [String]

    /// `environment` is where the two variables are looked up (pass the process environment).
    public init(environment: [String: String], searchStarts: [String] = ProjectPython.defaultSearchStarts()) {
        self.environment = environment
        self.searchStarts = searchStarts
    }

    /// The path of the library to load.
    /// - Throws: `ORTError.libraryPathInvalid` when `ORT_LIBRARY_PATH` names no readable file;
    ///   `ORTError.libraryNotFound` listing every place tried otherwise.
    public func locate() throws -> String {
        if let path = environment[Self.libraryPathVariable], !path.isEmpty {
            if isReadableFile(path) { return path }
            throw ORTError.libraryPathInvalid(variable: Self.libraryPathVariable, path: path)
        }
        var tried = ["\(Self.libraryPathVariable) is not set"]
        let python: String
        do {
            python = try ProjectPython.locate(environment: environment, searchStarts: searchStarts).path
        } catch {
            tried.append("\(error)")
            throw ORTError.libraryNotFound(tried: tried)
        }
        switch pythonPackageDirectory(python: python) {
        case .failure(let failure):
            tried.append(failure.reason)
        case .success(let directory):
            let capi = directory + "/capi"
            if let library = Self.newestLibrary(in: capi) { return library }
            tried.append("\(python) has onnxruntime at \(directory), but \(capi) holds no libonnxruntime.so*")
        }
        throw ORTError.libraryNotFound(tried: tried)
    }

    /// The library file in `directory` with the highest version suffix (`libonnxruntime.so.1.31.1` before
    /// `libonnxruntime.so`); providers' libraries (`libonnxruntime_providers_*`) are not candidates.
    static func newestLibrary(in directory: String) -> String? {
        guard let dir = opendir(directory) else { return nil }
        defer { closedir(dir) }
        var best: (version: [Int], name: String)?
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            guard name == "libonnxruntime.so" || name.hasPrefix("libonnxruntime.so.") else { continue }
            let version = name.dropFirst("libonnxruntime.so".count).split(separator: ".").map { Int($0) ?? 0 }
            if best == nil || best!.version.lexicographicallyPrecedes(version) { best = (version, name) }
        }
        return best.map { directory + "/" + $0.name }
    }

    /// Asks `python` for the directory of its `onnxruntime` package without importing the package.
    func pythonPackageDirectory(python: String) -> Result<String, LocatorFailure> {
        PythonPackages.directory(of: "onnxruntime", python: python).mapError { LocatorFailure($0.reason) }
    }

    private func isReadableFile(_ path: String) -> Bool {
        var info = stat()
        guard stat(path, &info) == 0 else { return false }
        return (info.st_mode & S_IFMT) == S_IFREG && access(path, R_OK) == 0
    }
}

/// Why one discovery step failed (a sentence for `ORTError.libraryNotFound`).
struct LocatorFailure: Error {
    var reason: String
    init(_ reason: String) { self.reason = reason }
}

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
        let directory = output.trimmingWhitespace()
        if status != 0 {
            return .failure(Failure(reason: "\(python) exited with status \(status) when asked for \(package)"))
        }
        if directory.isEmpty { return .failure(Failure(reason: "\(python) has no \(package) package")) }
        return .success(directory)
    }
}

extension String {
    func trimmingWhitespace() -> String {
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
