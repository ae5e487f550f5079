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

