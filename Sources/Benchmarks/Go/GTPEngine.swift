import Foundation

/// A Go engine spoken to over the Go Text Protocol (GTP 2, https://www.lysator.liu.se/~gunnar/gtp/): started as a
/// child process, one command at a time on its standard input, each answer read up to its terminating blank line.
/// Used to check our rules against GnuGo and to play against it.
public final class GTPEngine {
    public enum Failure: Error, CustomStringConvertible {
        case notStarted(String, String)
        case refused(command: String, answer: String)
        case ended(command: String)

        public var description: String {
            switch self {
            case .notStarted(let path, let why): return "\(path): the GTP engine did not start (\(why))"
            case .refused(let command, let answer): return "GTP `\(command)` was refused: \(answer)"
            case .ended(let command): return "the GTP engine ended while answering `\(command)`"
            }
        }
    }

    private let process = Process()
    private let input: FileHandle
    private let output: FileHandle
    private var buffer: [UInt8] = []

    /// Starts `executable arguments…` (for GnuGo: `/usr/games/gnugo --mode gtp …`).
    /// - Throws: `Failure.notStarted` naming the executable.
    public init(executable: String, arguments: [String]) throws {
        let stdin = Pipe(), stdout = Pipe()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { throw Failure.notStarted(executable, "\(error)") }
        input = stdin.fileHandleForWriting
        output = stdout.fileHandleForReading
    }

    deinit { close() }

    /// Sends one command and returns its answer's text (after `= `).
    /// - Throws: `Failure.refused` with the engine's `? …` answer, `Failure.ended` when the engine exits.
    @discardableResult
    public func send(_ command: String) throws -> String { try send([command])[0] }

    /// Sends several commands at once (GTP answers in order, so they are pipelined: one write, then the answers)
    /// and returns their answers.
    /// - Throws: `Failure.refused` for the first refused command, `Failure.ended` when the engine exits.
    public func send(_ commands: [String]) throws -> [String] {
        input.write(Data(commands.map { $0 + "\n" }.joined().utf8))
        var answers: [String] = []
        var refused: Failure?
        for command in commands {
            var lines: [String] = []
            while true {
                guard let line = try readLine() else { throw Failure.ended(command: command) }
                if line.isEmpty {
                    if lines.isEmpty { continue }
                    break
                }
                lines.append(line)
            }
            let answer = lines.joined(separator: "\n")
            if answer.hasPrefix("?"), refused == nil { refused = .refused(command: command, answer: answer) }
            answers.append(answer.hasPrefix("=") ? String(answer.dropFirst().drop { $0 == " " }) : answer)
        }
        if let refused { throw refused }
        return answers
    }

    /// Ends the engine (GTP `quit`, then terminate if it lingers).
    public func close() {
        guard process.isRunning else { return }
        try? input.write(contentsOf: Data("quit\n".utf8))
        try? input.close()
        process.waitUntilExit()
    }

    private func readLine() throws -> String? {
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                var line = Array(buffer[..<newline])
                buffer.removeSubrange(...newline)
                if line.last == UInt8(ascii: "\r") { line.removeLast() }
                return String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespaces)
            }
            let chunk = output.availableData
            if chunk.isEmpty { return nil }
            buffer += chunk
        }
    }
}
