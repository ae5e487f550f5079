/// The public contract between LoadGen, the system under test (SUT) and the query sample library (QSL).
/// See `../shared/spec/loadgen.md` §1 for the official API this mirrors.

/// Identifies one issued sample until it is completed. It is the sample's sequence number within the test run,
/// so LoadGen can find the sample's state in flat arrays without a lookup.
public typealias ResponseID = Int

/// One sample of a query: the id to complete it with and the QSL index of the data to run.
public struct QuerySample: Sendable, Equatable {
    public var id: ResponseID
    public var index: Int
    public init(id: ResponseID, index: Int) { self.id = id; self.index = index }
}

/// The samples of one `issueQuery` call. A view into LoadGen's pre-generated query storage, which stays valid and
/// unchanged until the test returns, so an asynchronous SUT may keep the batch without copying it.
/// Sample ids within a batch are consecutive (LoadGen numbers samples in issue order).
public struct QuerySampleBatch: @unchecked Sendable, RandomAccessCollection {
    @usableFromInline let indices_: UnsafePointer<Int32>
    @usableFromInline let idBase: ResponseID
    public let count: Int

    /// A view over caller-owned storage: sample `i` has id `firstID + i` and QSL index `indices[i]`. LoadGen builds
    /// these; a SUT's own tests may too. The storage must outlive every use of the batch.
    public init(firstID idBase: ResponseID, indices: UnsafePointer<Int32>, count: Int) {
        self.idBase = idBase; self.indices_ = indices; self.count = count
    }

    /// The id of the first sample; sample `i` has id `firstID + i`.
    public var firstID: ResponseID { idBase }
    /// The QSL indices of the batch, contiguous in memory.
    public var qslIndices: UnsafeBufferPointer<Int32> { UnsafeBufferPointer(start: indices_, count: count) }

    public var startIndex: Int { 0 }
    public var endIndex: Int { count }

    @inlinable public subscript(position: Int) -> QuerySample {
        QuerySample(id: idBase &+ position, index: Int(indices_[position]))
    }
}

/// A response for one sample. `data` is copied only when the sample is logged (accuracy mode or sampled).
public struct QuerySampleResponse {
    public var id: ResponseID
    public var data: UnsafeRawBufferPointer?
    /// Output token count for LLM SUTs (0 when not used).
    public var tokenCount: Int

    public init(id: ResponseID, data: UnsafeRawBufferPointer? = nil, tokenCount: Int = 0) {
        self.id = id; self.data = data; self.tokenCount = tokenCount
    }
}

/// The system under test. LoadGen calls `issueQuery` from the thread that runs the test; the SUT may complete
/// inline (on the same stack) or later from any thread through the `QueryCompleter` it is handed.
public protocol SystemUnderTest: AnyObject {
    var name: String { get }
    func issueQuery(_ samples: QuerySampleBatch, completer: QueryCompleter)
    /// Called once after the last `issueQuery` of each issuing series.
    func flushQueries()
}

/// Provides the samples. Load and unload are untimed and happen before and after each loadable set.
public protocol QuerySampleLibrary: AnyObject {
    var name: String { get }
    var totalSampleCount: Int { get }
    /// Samples guaranteed to fit in RAM at once (overridable with `performance_sample_count_override`).
    var performanceSampleCount: Int { get }
    func loadSamplesToRAM(_ indices: [Int]) throws
    func unloadSamplesFromRAM(_ indices: [Int]) throws
}
