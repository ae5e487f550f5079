/// Errors of the network SUTs, each naming the server, what was asked and what came back.
public enum NetworkSUTError: Error, CustomStringConvertible, Equatable {
    /// `--sut` is not `PROTOCOL:URL` with a known protocol and an http URL.
    case badAddress(String, reason: String)
    /// Before the run: the server did not answer (connection refused, timeout, DNS).
    case unreachable(url: String, reason: String)
    /// Before the run: an endpoint answered with an error status.
    case httpStatus(url: String, status: Int, body: String)
    /// Before the run: the server's model does not take what the benchmark sends.
    case modelMismatch(url: String, reason: String)
    /// A response could not be read.
    case malformedResponse(url: String, reason: String)
    /// A prompt set could not be read: the file, the line, what was expected.
    case badPromptFile(path: String, line: Int, reason: String)
    /// A request still queued when the SUT shut down (the run was cut short: watchdog or Ctrl-C).
    case shutDown(url: String)

    public var description: String {
        switch self {
        case .badAddress(let a, let reason):
            return "--sut \(a): \(reason); expected kserve-v2:http://HOST:PORT/MODEL or openai:http://HOST:PORT"
        case .unreachable(let url, let reason): return "\(url): the server did not answer: \(reason)"
        case .httpStatus(let url, let status, let body):
            return "\(url): HTTP \(status)" + (body.isEmpty ? "" : ": \(body.prefix(300))")
        case .modelMismatch(let url, let reason): return "\(url): the served model does not fit the benchmark: \(reason)"
        case .malformedResponse(let url, let reason): return "\(url): malformed response: \(reason)"
        case .badPromptFile(let path, let line, let reason): return "\(path):\(line): \(reason)"
        case .shutDown(let url): return "\(url): not sent: the run ended while the request waited for a connection"
        }
    }
}
