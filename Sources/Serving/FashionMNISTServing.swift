import Datasets

/// The Fashion-MNIST test-set QSL serves its preprocessed images (784 floats each) to the ORT SUTs.
extension FashionMNISTQSL: FloatSampleProvider {
    public var sampleElementCount: Int { FashionMNIST.pixels }
}
