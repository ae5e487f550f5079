#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The Fashion-MNIST dataset as Debian's `dataset-fashion-mnist` ships it: four gzip IDX files, 60 000 training and
/// 10 000 test images of 28×28 unsigned bytes, labels 0–9.
public enum FashionMNIST {
    public static let rows = 28
    public static let columns = 28
    /// Pixels per image.
    public static let pixels = 784
    public static let classCount = 10
    public static let trainCount = 60_000
    public static let testCount = 10_000
    /// Where Debian installs the files.
    public static let debianDirectory = "/usr/share/datasets/fashion-mnist"
    /// The environment variable that overrides the directory.
    public static let directoryVariable = "FASHION_MNIST_DIR"
    public static let installHint =
        "install dataset-fashion-mnist (apt-get install dataset-fashion-mnist) or set FASHION_MNIST_DIR"

    public enum Split: String, Sendable, CaseIterable {
        case train
        case test

        /// The file-name stem: `train` or `t10k`.
        public var stem: String { self == .train ? "train" : "t10k" }
        public var expectedCount: Int { self == .train ? FashionMNIST.trainCount : FashionMNIST.testCount }
    }

    /// `$FASHION_MNIST_DIR` if set and not empty, else Debian's directory.
    public static func defaultDirectory() -> String {
        if let v = getenv(directoryVariable), v.pointee != 0 { return String(cString: v) }
        return debianDirectory
    }

    public static func imagesPath(_ split: Split, directory: String) -> String {
        directory + "/" + split.stem + "-images-idx3-ubyte.gz"
    }

    public static func labelsPath(_ split: Split, directory: String) -> String {
        directory + "/" + split.stem + "-labels-idx1-ubyte.gz"
    }

    /// Loads one split and checks it: images `[N, 28, 28]`, labels `[N]` with values below 10, and N as published.
    public static func load(_ split: Split, directory: String = defaultDirectory()) throws -> FashionMNISTSplit {
        let imagesPath = imagesPath(split, directory: directory)
        let labelsPath = labelsPath(split, directory: directory)
        let images = try IDXArray.read(path: imagesPath, rank: 3, missingHint: installHint)
        guard images.dims[1] == rows, images.dims[2] == columns else {
            throw DatasetError.unexpectedShape(path: imagesPath, expected: "[N, 28, 28]", got: images.dims)
        }
        guard images.dims[0] == split.expectedCount else {
            throw DatasetError.unexpectedShape(path: imagesPath, expected: "[\(split.expectedCount), 28, 28]",
                                               got: images.dims)
        }
        let labels = try IDXArray.read(path: labelsPath, rank: 1, missingHint: installHint)
        guard labels.dims[0] == images.dims[0] else {
            throw DatasetError.mismatch(path: labelsPath,
                                        detail: "\(labels.dims[0]) labels for \(images.dims[0]) images in \(imagesPath)")
        }
        if let bad = labels.data.firstIndex(where: { $0 >= classCount }) {
            throw DatasetError.badValue(path: labelsPath,
                                        detail: "label \(labels.data[bad]) at index \(bad), expected 0–9")
        }
        return FashionMNISTSplit(count: images.dims[0], images: images.data, labels: labels.data)
    }

    /// The preprocessing shared by training and inference: a pixel byte scaled to [0, 1] as float32 (`x / 255`).
    @inlinable public static func scale(_ pixel: UInt8) -> Float { Float(pixel) / 255 }

    /// Writes the preprocessed 784 floats of image `index` of `split` to `destination`.
    @inlinable public static func preprocess(_ split: FashionMNISTSplit, index: Int,
                                             into destination: UnsafeMutablePointer<Float>) {
        split.images.withUnsafeBufferPointer { img in
            let base = index * pixels
            for i in 0..<pixels { destination[i] = scale(img[base + i]) }
        }
    }
}

/// One split of Fashion-MNIST: raw bytes as in the files.
public struct FashionMNISTSplit: Sendable {
    public let count: Int
    /// `count × 784` bytes, image-major.
    public let images: [UInt8]
    /// `count` labels, 0–9.
    public let labels: [UInt8]

    public init(count: Int, images: [UInt8], labels: [UInt8]) {
        self.count = count; self.images = images; self.labels = labels
    }
}
