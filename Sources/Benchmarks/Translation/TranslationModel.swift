import Datasets
import ONNXRuntime

/// The `translation` model served by ONNX Runtime: the encoder (`MODEL.onnx`: `src` int64 [1,S] → `memory` float32
/// [1,S,D]) and the decoder with full recomputation (`MODEL.decoder.onnx`: `memory`, `src`, `tgt` int64 [1,T] →
/// `logits` float32 [1,V] of the token after the last of `tgt`), as `references/pytorch/train_translation.py` exports
/// them; greedy decoding in Swift, one sample at a time. Full recomputation (no key/value cache) keeps the exported
/// graph a plain function of its inputs; a step costs O(T) decoder positions, so a sample of T output tokens costs
/// O(T²), which the benchmark's short segments (median ~18 subwords) keep small.
///
/// Buffers for the longest source and output are allocated once; each ORT run still binds new tensors (their shapes
/// change with every step), which allocates inside ONNX Runtime.
public final class TranslationModel {
    public let encoder: ORTSession
    public let decoder: ORTSession
    public let modelDimension: Int
    public let vocabularySize: Int
    /// Longest source the model is fed (longer ones are cut, as the reference cuts them): 96 subwords.
    public static let maxSourceTokens = 96
    /// Longest output for a source of `n` subwords (the reference's rule): 2n + 10.
    public static func maxOutputTokens(source n: Int) -> Int { 2 * n + 10 }

    public let bos: Int64
    public let eos: Int64
    public let pad: Int64
    private let runtime: ORTRuntime
    private var source: UnsafeMutablePointer<Int64>
    private var target: UnsafeMutablePointer<Int64>
    private var memory: UnsafeMutablePointer<Float>
    private let logits: ORTTensor

    /// The decoder's path for an encoder path `MODEL.onnx`: `MODEL.decoder.onnx`.
    public static func decoderPath(forModel path: String) -> String {
        (path.hasSuffix(".onnx") ? String(path.dropLast(5)) : path) + ".decoder.onnx"
    }

    /// The vocabulary's path for an encoder path `MODEL.onnx`: `MODEL.tokenizer.json`.
    public static func tokenizerPath(forModel path: String) -> String {
        (path.hasSuffix(".onnx") ? String(path.dropLast(5)) : path) + ".tokenizer.json"
    }

    /// Loads both graphs and checks their inputs and outputs.
    /// - Throws: `ORTError.modelNotFound` / `.invalidModel` for either file, `ORTError.inputMismatch` naming the
    ///   tensor that is not as described above.
    public init(runtime: ORTRuntime, modelPath: String, options: ORTSessionOptions, bos: Int32, eos: Int32,
                pad: Int32) throws {
        self.runtime = runtime
        encoder = try ORTSession(runtime: runtime, modelPath: modelPath, options: options)
        decoder = try ORTSession(runtime: runtime, modelPath: Self.decoderPath(forModel: modelPath), options: options)
        func require(_ session: ORTSession, _ info: ORTTensorInfo?, _ name: String, _ type: ORTElementType, rank: Int) throws
            -> ORTTensorInfo {
            guard let info, info.elementType == type, info.shape.count == rank else {
                throw ORTError.inputMismatch(model: session.modelName, tensor: name, expected: "\(type) of rank \(rank)",
                                             got: info.map(\.description) ?? "no such tensor")
            }
            return info
        }
        _ = try require(encoder, encoder.input(named: "src"), "src", .int64, rank: 2)
        let memoryInfo = try require(encoder, encoder.output(named: "memory"), "memory", .float32, rank: 3)
        _ = try require(decoder, decoder.input(named: "tgt"), "tgt", .int64, rank: 2)
        let logitsInfo = try require(decoder, decoder.output(named: "logits"), "logits", .float32, rank: 2)
        guard let d = memoryInfo.shape.last, d > 0, let v = logitsInfo.shape.last, v > 0 else {
            throw ORTError.inputMismatch(model: encoder.modelName, tensor: "memory/logits",
                                         expected: "a fixed model dimension and vocabulary size",
                                         got: "\(memoryInfo) / \(logitsInfo)")
        }
        modelDimension = d
        vocabularySize = v
        self.bos = Int64(bos)
        self.eos = Int64(eos)
        self.pad = Int64(pad)
        let maxS = Self.maxSourceTokens
        source = .allocate(capacity: maxS)
        target = .allocate(capacity: Self.maxOutputTokens(source: maxS) + 1)
        memory = .allocate(capacity: maxS * d)
        logits = try ORTTensor(runtime: runtime, shape: [1, v], elementType: .float32)
    }

    deinit {
        source.deallocate()
        target.deallocate()
        memory.deallocate()
    }

    /// Greedy translation of one source (subword ids, cut to `maxSourceTokens`): the output ids without BOS and EOS,
    /// at most `maxOutputTokens(source:)`, at least one (EOS and PAD are not allowed first, as in the reference); the
    /// output ends at EOS or at a PAD (where the reference cuts it). `onFirstToken` is called once, right after the first output token is
    /// chosen (for time-to-first-token), even when that token is EOS.
    /// - Throws: ONNX Runtime's error of a failed run.
    public func translate(_ ids: some Collection<Int32>, onFirstToken: () -> Void = {}) throws -> [Int32] {
        try translateCounting(ids, onFirstToken: onFirstToken).ids
    }

    /// `translate`, with the number of tokens the decoder generated: the output ids plus the EOS (or PAD) that
    /// ended them, if one did (what a token-latency run counts: TPOT divides by it).
    public func translateCounting(_ ids: some Collection<Int32>, onFirstToken: () -> Void = {}) throws
        -> (ids: [Int32], generated: Int) {
        let s = min(ids.count, Self.maxSourceTokens)
        guard s > 0 else { onFirstToken(); return ([], 0) }
        for (k, id) in ids.prefix(s).enumerated() { source[k] = Int64(id) }
        let d = modelDimension
        let src = try ORTTensor(runtime: runtime, wrapping: source, byteCount: s * 8, shape: [1, s], elementType: .int64)
        let mem = try ORTTensor(runtime: runtime, wrapping: memory, byteCount: s * d * 4, shape: [1, s, d],
                                elementType: .float32)
        try encoder.run(try encoder.prepare(inputs: [("src", src)], outputs: [("memory", mem)]))
        var output: [Int32] = []
        var generated = 0
        target[0] = bos
        let limit = Self.maxOutputTokens(source: s)
        let scores = logits.data.assumingMemoryBound(to: Float.self)
        for t in 1...limit {
            let tgt = try ORTTensor(runtime: runtime, wrapping: target, byteCount: t * 8, shape: [1, t], elementType: .int64)
            try decoder.run(try decoder.prepare(inputs: [("memory", mem), ("src", src), ("tgt", tgt)],
                                                outputs: [("logits", logits)]))
            // At least one token before EOS (the reference's rule, fairseq's min_len 1): EOS and PAD cannot be the
            // first, so every output has ≥ 2 generated tokens (MLPerf's token-latency rule n_tokens > 1).
            var best = -1
            for k in 0..<vocabularySize where best < 0 || scores[k] > scores[best] {  // first of ties, as argmax
                if t == 1 && (Int64(k) == eos || Int64(k) == pad) { continue }
                best = k
            }
            if t == 1 { onFirstToken() }
            generated += 1
            if Int64(best) == eos || Int64(best) == pad { break }
            output.append(Int32(best))
            target[t] = Int64(best)
        }
        return (output, generated)
    }
}
