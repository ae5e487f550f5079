/// The handle a SUT completes samples with. It comes with each `issueQuery` call (no global state) and may be
/// called from any thread. Placeholder: the lock-free implementation lands with the LoadGen core.
public final class QueryCompleter: @unchecked Sendable {
    init() {}

    /// Completes one sample.
    public func complete(_ id: ResponseID, data: UnsafeRawBufferPointer? = nil, tokenCount: Int = 0) {}

    /// Completes a batch of samples with one timestamp.
    public func complete(_ responses: UnsafeBufferPointer<QuerySampleResponse>) {}

    /// Records the first token of an LLM response (time to first token).
    public func firstToken(_ id: ResponseID, data: UnsafeRawBufferPointer? = nil) {}
}
