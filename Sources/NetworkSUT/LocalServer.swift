import Foundation

/// A server process on a loopback port, for tests and `mlperf bench serving`: started with a `--ready-file` path
/// (the project's server scripts under `references/servers/` write `{"url", "model", "pid"}` there once they
/// answer their health check), waited for, and stopped with SIGTERM (SIGKILL after 10 s).
public final class LocalServer: @unchecked Sendable {
    public let url: String
    public let model: String
    /// The server's stdout and stderr.
    public let logPath: String
    private let process: Process

    public enum Failure: Error, CustomStringConvertible {
        case didNotStart(command: String, reason: String, logTail: String)
        public var description: String {
            switch self {
            case .didNotStart(let command, let reason, let logTail):
                return "\(command): \(reason)" + (logTail.isEmpty ? "" : "\n  last lines of its log:\n" + logTail)
            }
        }
    }

    /// Starts `executable arguments… --ready-file F` and waits until F appears.
    /// - Throws: `Failure.didNotStart` with the server's last log lines when it exits first or is not ready within
    ///   `timeoutSeconds`.
    public init(executable: String, arguments: [String], logPath: String, timeoutSeconds: Double = 120) throws {
        let readyFile = NSTemporaryDirectory() + "mlperf-server-\(UUID().uuidString).json"
        let command = ([executable] + arguments).joined(separator: " ")
        FileManager.default.createFile(atPath: logPath, contents: nil)
        guard let log = FileHandle(forWritingAtPath: logPath) else {
            throw Failure.didNotStart(command: command, reason: "cannot write its log \(logPath)", logTail: "")
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments + ["--ready-file", readyFile]
        p.standardOutput = log
        p.standardError = log
        p.standardInput = FileHandle.nullDevice
        do { try p.run() } catch {
            throw Failure.didNotStart(command: command, reason: "\(error)", logTail: "")
        }
        func tail() -> String {
            let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
            return text.split(separator: "\n").suffix(12).map { "    | " + $0 }.joined(separator: "\n")
        }
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        var ready: [String: Any]?
        while ready == nil {
            if let data = FileManager.default.contents(atPath: readyFile),
               let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] {
                ready = json
                break
            }
            if !p.isRunning {
                throw Failure.didNotStart(command: command, reason: "exited with status \(p.terminationStatus) before it "
                                          + "was ready", logTail: tail())
            }
            if Date() > deadline {
                p.terminate()
                throw Failure.didNotStart(command: command, reason: "not ready within \(Int(timeoutSeconds)) s", logTail: tail())
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        try? FileManager.default.removeItem(atPath: readyFile)
        process = p
        url = ready?["url"] as? String ?? ""
        model = ready?["model"] as? String ?? ""
        self.logPath = logPath
    }

    public var isRunning: Bool { process.isRunning }

    /// SIGTERM, then SIGKILL if it has not exited within 10 s. Idempotent.
    public func stop() {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
    }

    /// SIGKILL at once: the server vanishes mid-run, its connections reset (fault tests).
    public func killNow() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    deinit { stop() }
}
