import Foundation
import NeuralNet

/// Log-mel features of 4 s windows of 16 kHz audio, the same rules as `log_mel` in
/// `references/pytorch/train_speech.py` (checked equal in the tests): x / 32768; frames of 400 samples (25 ms) every
/// 160 (10 ms), no padding, so 398 frames; a periodic Hann window `0.5 − 0.5 cos(2πn/400)`; the power of the
/// 512-point DFT (bins 0–256); 40 triangular filters on the HTK mel scale (`2595 log10(1 + f/700)`, centres evenly
/// spaced in mel from 0 to 8000 Hz); then `ln(energy + 1e-6)`. Output layout: [40 mel bins][398 frames].
///
/// The DFT is two matrix products on OpenBLAS (frames × window-weighted cosine and sine tables, in Float32); the
/// tables and filterbank are built once per instance.
public final class LogMel {
    public static let sampleRate = 16000
    public static let windowSamples = 64000
    public static let frameLength = 400
    public static let hop = 160
    public static let fftSize = 512
    public static let mels = 40
    public static let frames = 1 + (windowSamples - frameLength) / hop
    static let bins = fftSize / 2 + 1

    private var cosTable: [Float]   // [frameLength][bins], the Hann window folded in
    private var sinTable: [Float]
    private let filterbank: [Float] // [mels][bins]
    private var framesBuffer: [Float]
    private var re: [Float], im: [Float], power: [Float], melOut: [Float]
    private var stats = SGEMMStats()

    public init() {
        let n = Self.frameLength, b = Self.bins
        cosTable = [Float](repeating: 0, count: n * b)
        sinTable = [Float](repeating: 0, count: n * b)
        for t in 0..<n {
            let w = 0.5 - 0.5 * cos(2 * Double.pi * Double(t) / Double(n))
            for k in 0..<b {
                let angle = 2 * Double.pi * Double(k * t % Self.fftSize) / Double(Self.fftSize)
                cosTable[t * b + k] = Float(w * cos(angle))
                sinTable[t * b + k] = Float(-w * sin(angle))
            }
        }
        filterbank = Self.melFilterbank()
        framesBuffer = [Float](repeating: 0, count: Self.frames * n)
        re = [Float](repeating: 0, count: Self.frames * b)
        im = re
        power = re
        melOut = [Float](repeating: 0, count: Self.frames * Self.mels)
    }

    /// `[mels][bins]` triangular filters: centres at `mels + 2` points evenly spaced in HTK mel from 0 to 8000 Hz,
    /// weights `max(0, min(rising, falling))` on the bin frequencies `k · 16000 / 512`.
    static func melFilterbank() -> [Float] {
        func mel(_ f: Double) -> Double { 2595 * log10(1 + f / 700) }
        let top = mel(Double(sampleRate) / 2)
        let points = (0..<(mels + 2)).map { 700 * (pow(10, top * Double($0) / Double(mels + 1) / 2595) - 1) }
        var bank = [Float](repeating: 0, count: mels * bins)
        for m in 0..<mels {
            let lo = points[m], mid = points[m + 1], hi = points[m + 2]
            for k in 0..<bins {
                let f = Double(k) * Double(sampleRate) / Double(fftSize)
                bank[m * bins + k] = Float(max(0, min((f - lo) / (mid - lo), (hi - f) / (hi - mid))))
            }
        }
        return bank
    }

    /// Features of one window: `audio` holds `windowSamples` int16 samples; writes `mels × frames` floats to `out`.
    public func compute(_ audio: UnsafePointer<Int16>, into out: UnsafeMutablePointer<Float>) {
        let n = Self.frameLength, b = Self.bins, f = Self.frames
        for r in 0..<f {
            for t in 0..<n { framesBuffer[r * n + t] = Float(audio[r * Self.hop + t]) / 32768 }
        }
        framesBuffer.withUnsafeBufferPointer { x in
            cosTable.withUnsafeBufferPointer { c in
                re.withUnsafeMutableBufferPointer { o in
                    BLAS.sgemm(m: f, n: b, k: n, a: x.baseAddress!, lda: n, b: c.baseAddress!, ldb: b, c: o.baseAddress!,
                               ldc: b, stats: &stats)
                }
            }
            sinTable.withUnsafeBufferPointer { s in
                im.withUnsafeMutableBufferPointer { o in
                    BLAS.sgemm(m: f, n: b, k: n, a: x.baseAddress!, lda: n, b: s.baseAddress!, ldb: b, c: o.baseAddress!,
                               ldc: b, stats: &stats)
                }
            }
        }
        for i in 0..<(f * b) { power[i] = re[i] * re[i] + im[i] * im[i] }
        power.withUnsafeBufferPointer { p in
            filterbank.withUnsafeBufferPointer { fb in
                melOut.withUnsafeMutableBufferPointer { o in
                    BLAS.sgemm(transB: true, m: f, n: Self.mels, k: b, a: p.baseAddress!, lda: b, b: fb.baseAddress!,
                               ldb: b, c: o.baseAddress!, ldc: Self.mels, stats: &stats)
                }
            }
        }
        for m in 0..<Self.mels {
            for r in 0..<f { out[m * f + r] = logf(melOut[r * Self.mels + m] + 1e-6) }
        }
    }
}
