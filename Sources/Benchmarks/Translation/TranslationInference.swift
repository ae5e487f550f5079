import Datasets
import LoadGen
import Serving

/// The translation test set for LoadGen: the test pairs' English encoded with the model's vocabulary (all in RAM:
/// loading is a no-op), and a `SequenceGenerator` per SUT worker that translates sample `i` greedily.
public final class TranslationInference: QuerySampleLibrary, InferenceData {
    public let name = "translation-libreoffice-help-en-de"
    public let sources: [[Int32]]
    public let references: [String]
    public var totalSampleCount: Int { sources.count }
    public var performanceSampleCount: Int { sources.count }

    public init(pairs: TranslationPairs, tokenizer: SubwordTokenizer) {
        sources = pairs.pairs.map { Array(tokenizer.encode($0.en).prefix(TranslationModel.maxSourceTokens)) }
        references = pairs.pairs.map(\.de)
    }

    public var qsl: any QuerySampleLibrary { self }
    /// None: the generators read `sources` themselves.
    public var provider: (any SampleProvider)? { nil }

    public func loadSamplesToRAM(_ indices: [Int]) throws {}
    public func unloadSamplesFromRAM(_ indices: [Int]) throws {}

    /// A generator over `model` (one per worker: the model keeps buffers).
    public func generator(model: TranslationModel) -> any SequenceGenerator {
        TranslationGenerator(model: model, sources: sources)
    }
}

/// Greedy translation of the QSL's sources with one `TranslationModel`.
final class TranslationGenerator: SequenceGenerator {
    let model: TranslationModel
    let sources: [[Int32]]
    var maxOutputTokens: Int { TranslationModel.maxOutputTokens(source: TranslationModel.maxSourceTokens) }

    init(model: TranslationModel, sources: [[Int32]]) {
        self.model = model
        self.sources = sources
    }

    func generate(sample index: Int, into output: UnsafeMutablePointer<Int32>, capacity: Int,
                  onFirstToken: () -> Void) throws -> (written: Int, generated: Int) {
        let (ids, generated) = try model.translateCounting(sources[index], onFirstToken: onFirstToken)
        let n = min(ids.count, capacity)
        for k in 0..<n { output[k] = ids[k] }
        return (n, generated)
    }
}
