import CONNXRuntime

/// How ONNX Runtime should run a session. The defaults suit the project's 2-core machines: one intra-op thread
/// (two were not faster), sequential execution, every graph optimisation.
public struct ORTSessionOptions: Sendable, Equatable {
    /// Threads used inside one operator; 0 lets ONNX Runtime choose (one per core).
    public var intraOpThreads: Int
    /// Threads used to run independent operators in parallel (only with `parallelExecution`).
    public var interOpThreads: Int
    public var graphOptimization: GraphOptimization
    /// Run independent branches of the graph in parallel (ORT_PARALLEL) instead of sequentially.
    public var parallelExecution: Bool

    public init(intraOpThreads: Int = 1, interOpThreads: Int = 1, graphOptimization: GraphOptimization = .all,
                parallelExecution: Bool = false) {
        self.intraOpThreads = intraOpThreads
        self.interOpThreads = interOpThreads
        self.graphOptimization = graphOptimization
        self.parallelExecution = parallelExecution
    }

    /// ONNX Runtime's graph optimisation levels.
    public enum GraphOptimization: String, Sendable, CaseIterable {
        case disabled, basic, extended, all

        var level: ORTGraphOptimizationLevel {
            switch self {
            case .disabled: return ORT_OPT_DISABLE_ALL
            case .basic: return ORT_OPT_ENABLE_BASIC
            case .extended: return ORT_OPT_ENABLE_EXTENDED
            case .all: return ORT_OPT_ENABLE_ALL
            }
        }
    }

    /// Creates the ORT object; the caller releases it.
    func make(_ runtime: ORTRuntime) throws -> OpaquePointer {
        let api = runtime.api.pointee
        var options: OpaquePointer?
        try runtime.check(api.CreateSessionOptions!(&options), "CreateSessionOptions")
        do {
            try runtime.check(api.SetIntraOpNumThreads!(options, Int32(clamping: intraOpThreads)),
                              "SetIntraOpNumThreads(\(intraOpThreads))")
            try runtime.check(api.SetInterOpNumThreads!(options, Int32(clamping: interOpThreads)),
                              "SetInterOpNumThreads(\(interOpThreads))")
            try runtime.check(api.SetSessionGraphOptimizationLevel!(options, graphOptimization.level),
                              "SetSessionGraphOptimizationLevel(\(graphOptimization))")
            try runtime.check(api.SetSessionExecutionMode!(options, parallelExecution ? 1 : 0),
                              "SetSessionExecutionMode")
        } catch {
            api.ReleaseSessionOptions!(options)
            throw error
        }
        return options!
    }
}
