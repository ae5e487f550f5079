#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The Python interpreter every part of the project uses: ONNX Runtime discovery, the `onnx` wheel's test models,
/// the PyTorch reference trainers, the bench reference scripts and the official oracles in the tests.
///
/// Order (the first that applies wins):
/// 1. `MLPERF_PYTHON`, when set and not empty: that interpreter, a path or a name on `PATH`. A path that does not
///    name an executable file is an error naming the variable, never a silent fallback.
/// 2. The project's own environment, `.venv/bin/python3`, made by `scripts/setup.sh` from Debian's
///    `/usr/bin/python3` with the pinned packages of `requirements.txt`: looked for in the directory of the running
///    executable and each directory above it (so `.build/release/mlperf` and the test bundle find their checkout's
///    environment), then in the current directory and each directory above it.
///
/// There is no fallback to a `python3` on `PATH`: an interpreter someone installed by hand would make results
/// depend on whatever packages it happens to hold.
public struct ProjectPython: Sendable, Equatable, CustomStringConvertible {
    /// Environment variable that names the interpreter to use instead of the project's environment.
    public static let variable = "MLPERF_PYTHON"
    /// The project's environment directory, relative to the checkout root.
    public static let environmentDirectory = ".venv"
    /// The interpreter inside the environment directory.
    public static let interpreterInEnvironment = "bin/python3"

    /// Where the interpreter came from.
    public enum Origin: Sendable, Equatable {
        /// Named by `MLPERF_PYTHON`.
        case variable
        /// The project's environment in the checkout at `root`.
        case projectEnvironment(root: String)
    }

    /// The interpreter: an absolute path, or (only from `MLPERF_PYTHON`) a name looked up on `PATH`.
    public var path: String
    public var origin: Origin

    public init(path: String, origin: Origin) {
        self.path = path
        self.origin = origin
    }

    /// `path`, and where it came from, for messages.
    public var description: String {
        switch origin {
        case .variable: return "\(path) (from \(Self.variable))"
        case .projectEnvironment: return "\(path) (the project's environment)"
        }
    }

    /// Finds the interpreter (see the type's documentation for the order).
    /// - Parameters:
    ///   - environment: where `MLPERF_PYTHON` is looked up (pass the process environment).
    ///   - searchStarts: directories whose ancestors are searched for `.venv/bin/python3`, in order; the default is
    ///     the running executable's directory, then the current directory.
    /// - Throws: `ProjectPythonError` saying what was looked at and the command that makes the environment.
    public static func locate(environment: [String: String],
                              searchStarts: [String] = defaultSearchStarts()) throws -> ProjectPython {
        if let named = environment[variable], !named.isEmpty {
            if named.contains("/") && !isExecutableFile(named) {
                throw ProjectPythonError.variableInvalid(path: named)
            }
            return ProjectPython(path: named, origin: .variable)
        }
        for start in searchStarts {
            if let root = checkoutRoot(above: start) {
                return ProjectPython(path: root + "/" + environmentDirectory + "/" + interpreterInEnvironment,
                                     origin: .projectEnvironment(root: root))
            }
        }
        throw ProjectPythonError.notFound(searched: searchStarts)
    }

    /// The nearest directory at or above `directory` that holds `.venv/bin/python3` as an executable file.
    public static func checkoutRoot(above directory: String) -> String? {
        var current = normalized(directory)
        while true {
            let base = current == "/" ? "" : current
            if isExecutableFile(base + "/" + environmentDirectory + "/" + interpreterInEnvironment) { return current }
            guard current != "/", let slash = current.lastIndex(of: "/") else { return nil }
            current = slash == current.startIndex ? "/" : String(current[..<slash])
        }
    }

    /// The running executable's directory (from `/proc/self/exe` where there is one), then the current directory.
    public static func defaultSearchStarts() -> [String] {
        var starts: [String] = []
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        #if os(Linux)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        if n > 0 {
            let exe = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if let slash = exe.lastIndex(of: "/") { starts.append(String(exe[..<slash])) }
        }
        #endif
        if getcwd(&buffer, buffer.count) != nil {
            starts.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return starts
    }

    private static func normalized(_ path: String) -> String {
        var p = path
        while p.count > 1 && p.hasSuffix("/") { p.removeLast() }
        return p
    }

    static func isExecutableFile(_ path: String) -> Bool {
        var info = stat()
        guard stat(path, &info) == 0 else { return false }
        return (info.st_mode & S_IFMT) == S_IFREG && access(path, X_OK) == 0
    }
}

/// Why no interpreter could be chosen; `description` is one line for the user, with the fix.
public enum ProjectPythonError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `MLPERF_PYTHON` names a path that is not an executable file.
    case variableInvalid(path: String)
    /// `MLPERF_PYTHON` is not set and no `.venv/bin/python3` was found above any of `searched`.
    case notFound(searched: [String])

    public var description: String {
        switch self {
        case .variableInvalid(let path):
            return "\(ProjectPython.variable)=\(path) is not an executable file. Point \(ProjectPython.variable) at "
                + "a Python interpreter, or unset it to use the project's environment (.venv, made by "
                + "`bash scripts/setup.sh`)."
        case .notFound(let searched):
            return "no Python environment: \(ProjectPython.variable) is not set and no .venv/bin/python3 was found in "
                + "\(searched.joined(separator: " or ")) or any directory above. Make it with `bash scripts/setup.sh` "
                + "in the SwiftMLPerf checkout, or set \(ProjectPython.variable) to an interpreter that has the "
                + "packages of requirements.txt."
        }
    }
}
