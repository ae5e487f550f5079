/// An incremental parser of a `text/event-stream` body (WHATWG HTML §9.2, server-sent events), as OpenAI-compatible
/// servers stream completions: fed body parts as they arrive, it calls `onEvent` with each event's data (its `data:`
/// lines joined by "\n") when the blank line that ends the event comes in. Lines end with LF, CRLF or CR; comments
/// (`:` lines) and the `event`, `id` and `retry` fields are ignored. A part may end anywhere, even inside a CRLF.
///
/// Why not mattt/EventSource: its parser is an actor consumed one byte per `await`, and its client is URLSession;
/// here the parts come from AsyncHTTPClient on an event loop, one synchronous call per part.
struct ServerSentEventParser {
    private var line: [UInt8] = []
    private var data: [UInt8] = []
    private var hasData = false
    private var lastWasCR = false
    /// Bytes that were not a complete event when the stream ended (`finish`).
    private(set) var pendingBytes = 0

    mutating func consume(_ bytes: some Sequence<UInt8>, onEvent: ([UInt8]) -> Void) {
        for b in bytes {
            if lastWasCR {
                lastWasCR = false
                if b == 0x0A { continue }  // the LF of a CRLF
            }
            if b == 0x0A || b == 0x0D {
                lastWasCR = b == 0x0D
                endLine(onEvent)
            } else {
                line.append(b)
            }
        }
        pendingBytes = line.count + data.count
    }

    private mutating func endLine(_ onEvent: ([UInt8]) -> Void) {
        defer { line.removeAll(keepingCapacity: true) }
        if line.isEmpty {  // a blank line dispatches the event
            if hasData { onEvent(data) }
            data.removeAll(keepingCapacity: true)
            hasData = false
            return
        }
        if line[0] == 0x3A { return }  // ":" comment
        let colon = line.firstIndex(of: 0x3A) ?? line.count
        guard line[0..<colon].elementsEqual("data".utf8) else { return }
        var start = colon + 1
        if start < line.count && line[start] == 0x20 { start += 1 }
        if hasData { data.append(0x0A) }
        if start < line.count { data.append(contentsOf: line[start...]) }
        hasData = true
    }
}
