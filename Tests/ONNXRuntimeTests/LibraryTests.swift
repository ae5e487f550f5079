import Foundation
import Testing
@testable import ONNXRuntime

@Suite("Finding and loading ONNX Runtime")
struct LibraryTests {
    @Test("discovery through the project's Python finds the wheel's libonnxruntime.so")
    func discoversThroughPython() throws {
        var env = Fixtures.environment
        env[ORTLibraryLocator.libraryPathVariable] = nil
        let path = try ORTLibraryLocator(environment: env).locate()
        #expect(path.hasSuffix("/onnxruntime/capi/libonnxruntime.so.1.31.1") || path.contains("/capi/libonnxruntime.so"))
        #expect(FileManager.default.isReadableFile(atPath: path))
    }

    @Test("ORT_LIBRARY_PATH wins over python")
    func environmentVariableFirst() throws {
        let real = try Fixtures.ort().libraryPath
        let dir = try Fixtures.temporaryDirectory()
        let copy = dir.appendingPathComponent("libonnxruntime-copy.so").path
        try FileManager.default.createSymbolicLink(atPath: copy, withDestinationPath: real)
        let env = [ORTLibraryLocator.libraryPathVariable: copy, ORTLibraryLocator.pythonVariable: "/nonexistent/python"]
        #expect(try ORTLibraryLocator(environment: env).locate() == copy)
    }

    @Test("ORT_LIBRARY_PATH naming no file is an error that names the variable and the path, with no fallback")
    func libraryPathVariableMissingFile() throws {
        // The project's Python would find a working library; an explicit setting must still not be ignored.
        for path in ["/nonexistent/libonnxruntime.so", try Fixtures.temporaryDirectory().path] {
            let env = [ORTLibraryLocator.libraryPathVariable: path]
            #expect(throws: ORTError.libraryPathInvalid(variable: "ORT_LIBRARY_PATH", path: path)) {
                _ = try ORTLibraryLocator(environment: env).locate()
            }
            let text = ORTError.libraryPathInvalid(variable: "ORT_LIBRARY_PATH", path: path).description
            #expect(text.contains("ORT_LIBRARY_PATH is set to \(path), which is not a readable file"))
        }
    }

    @Test("nothing found: one error that lists what was tried and names the set-up command")
    func missingLibrary() throws {
        let env = [ORTLibraryLocator.pythonVariable: "/nonexistent/python3"]
        do {
            _ = try ORTLibraryLocator(environment: env).locate()
            Issue.record("expected libraryNotFound")
        } catch let error as ORTError {
            guard case .libraryNotFound(let tried) = error else { Issue.record("wrong error \(error)"); return }
            #expect(tried.count == 2)
            #expect(error.description.contains("ORT_LIBRARY_PATH is not set"))
            #expect(error.description.contains("MLPERF_PYTHON=/nonexistent/python3 is not an executable file"))
            #expect(error.description.contains("bash scripts/setup.sh"))
        }
        // No MLPERF_PYTHON and no .venv above the places searched: the error says how to make the environment.
        let empty = try Fixtures.temporaryDirectory().path
        #expect {
            _ = try ORTLibraryLocator(environment: [:], searchStarts: [empty]).locate()
        } throws: { error in
            "\(error)".contains("no Python environment") && "\(error)".contains(empty)
                && "\(error)".contains("bash scripts/setup.sh")
        }
    }

    @Test("an interpreter without the onnxruntime package is reported as such")
    func pythonWithoutPackage() throws {
        // `python3 -S -I` with an empty path cannot see site-packages.
        let dir = try Fixtures.temporaryDirectory()
        let wrapper = dir.appendingPathComponent("bare-python").path
        try "#!/bin/sh\nexec \(Fixtures.python) -S -I \"$@\"\n".write(toFile: wrapper, atomically: true, encoding: .utf8)
        chmod(wrapper, 0o755)
        let env = [ORTLibraryLocator.pythonVariable: wrapper]
        #expect {
            _ = try ORTLibraryLocator(environment: env).locate()
        } throws: { error in
            "\(error)".contains("\(wrapper) has no onnxruntime package")
        }
    }

    @Test("the library's version and build information come through the C API")
    func versionMatchesPythonPackage() throws {
        let ort = try Fixtures.ort()
        let pythonVersion = try Fixtures.runPython("import onnxruntime;print(onnxruntime.__version__)")
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(ort.version == pythonVersion)
        #expect(ort.buildInfo.contains("git-commit-id"))
    }

    @Test("a library that is not ONNX Runtime, and a file that is not a library, each get their own error")
    func wrongLibraries() throws {
        let zlib = ["/usr/lib/x86_64-linux-gnu/libz.so.1", "/lib/x86_64-linux-gnu/libz.so.1"]
            .first { FileManager.default.fileExists(atPath: $0) }
        if let zlib {
            #expect(throws: ORTError.symbolMissing(path: zlib, symbol: "OrtGetApiBase")) {
                _ = try ORTRuntime(libraryPath: zlib)
            }
        }
        let dir = try Fixtures.temporaryDirectory()
        let junk = dir.appendingPathComponent("libonnxruntime.so.9").path
        try Data("not an ELF file".utf8).write(to: URL(fileURLWithPath: junk))
        #expect {
            _ = try ORTRuntime(libraryPath: junk)
        } throws: { error in
            guard case ORTError.libraryLoadFailed(let path, _) = error else { return false }
            return path == junk && "\(error)".contains("pip install --force-reinstall onnxruntime==1.31.1")
        }
    }

    @Test("the newest versioned library file is chosen in capi/")
    func picksNewestLibrary() throws {
        let dir = try Fixtures.temporaryDirectory()
        for name in ["libonnxruntime.so", "libonnxruntime.so.1.9.0", "libonnxruntime.so.1.31.1",
                     "libonnxruntime_providers_shared.so"] {
            _ = FileManager.default.createFile(atPath: dir.appendingPathComponent(name).path, contents: Data())
        }
        #expect(ORTLibraryLocator.newestLibrary(in: dir.path) == dir.path + "/libonnxruntime.so.1.31.1")
        #expect(ORTLibraryLocator.newestLibrary(in: dir.path + "/missing") == nil)
    }
}
