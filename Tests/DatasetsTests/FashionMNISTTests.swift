import Foundation
import Testing
@testable import Datasets

/// Reads the real Debian files (dataset-fashion-mnist), once per process.
enum RealData {
    static let test: FashionMNISTSplit = try! FashionMNIST.load(.test)
}

@Suite struct FashionMNISTTests {
    @Test func readsTheRealTrainingAndTestFiles() throws {
        let train = try FashionMNIST.load(.train)
        #expect(train.count == 60_000)
        #expect(train.images.count == 60_000 * 784)
        #expect(train.labels.count == 60_000)
        // The first training image is an ankle boot (class 9), the second a T-shirt/top (class 0).
        #expect(train.labels[0] == 9)
        #expect(train.labels[1] == 0)
        var histogram = [Int](repeating: 0, count: 10)
        for l in train.labels { histogram[Int(l)] += 1 }
        #expect(histogram == [Int](repeating: 6000, count: 10))

        let test = RealData.test
        #expect(test.count == 10_000)
        #expect(test.labels[0] == 9)
        #expect(test.labels[1] == 2)
        histogram = [Int](repeating: 0, count: 10)
        for l in test.labels { histogram[Int(l)] += 1 }
        #expect(histogram == [Int](repeating: 1000, count: 10))
        // Pixels span the full byte range.
        #expect(test.images.max() == 255 && test.images.min() == 0)
    }

    @Test func missingDirectoryNamesTheFileAndThePackage() {
        do {
            _ = try FashionMNIST.load(.test, directory: "/nonexistent/fashion")
            Issue.record("expected an error")
        } catch let e as DatasetError {
            #expect(e == .missingFile(path: "/nonexistent/fashion/t10k-images-idx3-ubyte.gz",
                                      hint: FashionMNIST.installHint))
            #expect(e.description.contains("apt-get install dataset-fashion-mnist"))
            #expect(e.description.contains("FASHION_MNIST_DIR"))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func truncatedAndWrongFilesGiveClearErrors() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("idx-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }

        // A plain (uncompressed) label file announcing 10 labels but holding 4.
        let truncated = dir.appendingPathComponent("labels.idx").path
        try Data([0, 0, 8, 1, 0, 0, 0, 10, 1, 2, 3, 4]).write(to: URL(fileURLWithPath: truncated))
        #expect(throws: DatasetError.truncated(path: truncated, expectedBytes: 18, gotBytes: 12)) {
            try IDXArray.read(path: truncated, rank: 1)
        }
        // A label file where an image file is expected.
        #expect(throws: DatasetError.badMagic(path: truncated, expected: 2051, got: 2049)) {
            try IDXArray.read(path: truncated, rank: 3)
        }
        // A complete plain file reads.
        let good = dir.appendingPathComponent("good.idx").path
        try Data([0, 0, 8, 1, 0, 0, 0, 3, 7, 8, 9]).write(to: URL(fileURLWithPath: good))
        #expect(try IDXArray.read(path: good, rank: 1) == IDXArray(dims: [3], data: [7, 8, 9]))

        // A directory whose label file has the wrong count.
        let images = dir.appendingPathComponent("t10k-images-idx3-ubyte.gz").path
        let labels = dir.appendingPathComponent("t10k-labels-idx1-ubyte.gz").path
        var header = Data([0, 0, 8, 3, 0, 0, 0x27, 0x10, 0, 0, 0, 28, 0, 0, 0, 28])
        header.append(Data(count: 10_000 * 784))
        try header.write(to: URL(fileURLWithPath: images))
        try Data([0, 0, 8, 1, 0, 0, 0, 2, 1, 2]).write(to: URL(fileURLWithPath: labels))
        #expect(throws: DatasetError.mismatch(path: labels, detail: "2 labels for 10000 images in \(images)")) {
            try FashionMNIST.load(.test, directory: dir.path)
        }
    }

    @Test func qslLoadsPreprocessedSamplesWithoutCopies() throws {
        let qsl = FashionMNISTQSL(split: RealData.test)
        #expect(qsl.totalSampleCount == 10_000)
        #expect(qsl.performanceSampleCount == 10_000)
        #expect(qsl.labels[0] == 9)
        try qsl.loadSamplesToRAM([42, 7, 42, 9999])
        #expect(qsl.loadedSampleCount == 3)
        #expect(qsl.isLoaded(7) && qsl.isLoaded(42) && qsl.isLoaded(9999) && !qsl.isLoaded(0))
        for index in [7, 42, 9999] {
            let p = qsl.sample(index)
            for i in 0..<784 {
                #expect(p[i] == Float(RealData.test.images[index * 784 + i]) / 255)
            }
        }
        // The pointer is stable while loaded (no copy per access).
        #expect(qsl.sample(42) == qsl.sample(42))
        try qsl.unloadSamplesFromRAM([42, 7, 9999])
        #expect(qsl.loadedSampleCount == 0 && !qsl.isLoaded(42))
        #expect(throws: QSLError.indexOutOfRange(index: 10_000, count: 10_000)) {
            try qsl.loadSamplesToRAM([10_000])
        }
    }
}
