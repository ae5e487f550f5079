import Datasets

/// Where a SUT finds a sample's inputs: given a QSL index and an input (in the model contract's order), a pointer to
/// that sample's preprocessed bytes, already in RAM (the QSL's `loadSamplesToRAM` put them there, untimed). Reads
/// must be cheap and lock-free: they happen once per sample and input on the SUT's hot path.
public protocol SampleProvider: AnyObject {
    /// Bytes per sample of each input, in contract order (e.g. `[784 * 4]` for Fashion-MNIST's float32 images).
    var inputByteCounts: [Int] { get }
    /// The loaded sample's bytes for input `input`.
    func sample(_ index: Int, input: Int) -> UnsafeRawPointer
}

/// A provider of one float32 input per sample (images).
public protocol FloatSampleProvider: SampleProvider {
    var sampleElementCount: Int { get }
    func sample(_ index: Int) -> UnsafePointer<Float>
}

extension FloatSampleProvider {
    public var inputByteCounts: [Int] { [sampleElementCount * 4] }
    @inline(__always)
    public func sample(_ index: Int, input: Int) -> UnsafeRawPointer { UnsafeRawPointer(sample(index)) }
}

extension SyntheticQSL: FloatSampleProvider {}
