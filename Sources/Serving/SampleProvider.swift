import Datasets

/// Where a SUT finds a sample's input: given a QSL index, a pointer to that sample's preprocessed float32 input,
/// already in RAM (the QSL's `loadSamplesToRAM` put it there, untimed). Reads must be cheap and lock-free: they
/// happen once per sample on the SUT's hot path, between a load and the next unload.
public protocol SampleProvider: AnyObject {
    /// Floats per sample.
    var sampleElementCount: Int { get }
    /// The loaded sample's `sampleElementCount` floats.
    func sample(_ index: Int) -> UnsafePointer<Float>
}

extension SyntheticQSL: SampleProvider {}
