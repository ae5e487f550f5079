/// Corpus BLEU as sacreBLEU computes it by default (`sacrebleu.corpus_bleu(hyps, [refs])`, sacrebleu 2.x): one
/// reference per segment, the `13a` tokenisation (mteval-v13a's), case-sensitive, n-grams up to 4, `exp` smoothing,
/// the brevity penalty on the corpus lengths. Source of every rule: Post (2018), "A Call for Clarity in Reporting BLEU
/// Scores", and sacreBLEU's `metrics/bleu.py` and `tokenizers/tokenizer_13a.py`; checked equal to PyPI `sacrebleu`
/// to 0.01 BLEU on the translation test set by the tests.
public struct BLEU: Sendable, Equatable {
    /// 0…100.
    public var score: Double
    /// Modified n-gram precisions, percent (n = 1…4), after smoothing.
    public var precisions: [Double]
    /// Clipped n-gram matches and hypothesis n-grams, n = 1…4.
    public var matches: [Int]
    public var totals: [Int]
    /// Brevity penalty (≤ 1).
    public var brevityPenalty: Double
    /// Hypothesis and reference lengths in 13a tokens.
    public var hypothesisLength: Int
    public var referenceLength: Int

    public static let maxOrder = 4

    /// Scores `hypotheses` against `references` (same count, detokenised text).
    /// - Precondition: `hypotheses.count == references.count`.
    public static func corpus(hypotheses: [String], references: [String]) -> BLEU {
        precondition(hypotheses.count == references.count, "BLEU: \(hypotheses.count) hypotheses, \(references.count) references")
        var matches = [Int](repeating: 0, count: maxOrder)
        var totals = [Int](repeating: 0, count: maxOrder)
        var hypLength = 0, refLength = 0
        var ids: [String: Int] = [:]
        for (hyp, ref) in zip(hypotheses, references) {
            let h = tokenize13a(rstripped(hyp)).map { id(of: $0, in: &ids) }
            let r = tokenize13a(rstripped(ref)).map { id(of: $0, in: &ids) }
            hypLength += h.count
            refLength += r.count
            for n in 1...maxOrder {
                let hc = ngramCounts(h, n), rc = ngramCounts(r, n)
                totals[n - 1] += max(0, h.count - n + 1)
                for (gram, count) in hc { matches[n - 1] += min(count, rc[gram] ?? 0) }
            }
        }
        return score(matches: matches, totals: totals, hypothesisLength: hypLength, referenceLength: refLength)
    }

    /// The score from corpus statistics (sacreBLEU's `compute_bleu` with `smooth_method='exp'`): a zero-match order
    /// gets precision 100 / (2^k · total) for its k-th such order; an order with no hypothesis n-grams ends the
    /// product; BP = exp(1 − r/c) when c < r (0 when c = 0); no match at all is 0.
    public static func score(matches: [Int], totals: [Int], hypothesisLength: Int, referenceLength: Int) -> BLEU {
        var precisions = [Double](repeating: 0, count: maxOrder)
        let bp: Double
        if hypothesisLength < referenceLength {
            bp = hypothesisLength > 0 ? exp(1 - Double(referenceLength) / Double(hypothesisLength)) : 0
        } else {
            bp = 1
        }
        func result(_ score: Double) -> BLEU {
            BLEU(score: score, precisions: precisions, matches: matches, totals: totals, brevityPenalty: bp,
                 hypothesisLength: hypothesisLength, referenceLength: referenceLength)
        }
        if matches.allSatisfy({ $0 == 0 }) { return result(0) }  // sacreBLEU's early stop (its issue #141)
        var smooth = 1.0
        for n in 0..<maxOrder {
            if totals[n] == 0 { break }
            if matches[n] == 0 {
                smooth *= 2
                precisions[n] = 100 / (smooth * Double(totals[n]))
            } else {
                precisions[n] = 100 * Double(matches[n]) / Double(totals[n])
            }
        }
        // sacreBLEU's my_log: log(0) is −9999999999, so any zero precision makes the score 0.
        let logSum = precisions.reduce(0.0) { $0 + ($1 == 0 ? -9_999_999_999 : log($1)) }
        return result(bp * exp(logSum / Double(maxOrder)))
    }

    /// The `13a` tokenisation of one segment, as whitespace-separated tokens: `&quot; &amp; &lt; &gt;` unescaped,
    /// then the ASCII symbols `{|}~ [\]^_` ` !"#$%& ()*+ :;<=>?@ /` split off, `.` and `,` split off unless between
    /// digits on that side, `-` split off after a digit (each rule one left-to-right, non-overlapping pass, as
    /// Python's `re.sub`), then whitespace (Python's `str.split()`) collapsed.
    public static func tokenize13a(_ segment: String) -> [String] {
        // Python's str.replace works on code points: so does this (Foundation's would compare graphemes, "\r\n").
        var line = Array(segment.unicodeScalars)
        line = replacing(line, "<skipped>", ""); line = replacing(line, "-\n", ""); line = replacing(line, "\n", " ")
        if line.contains("&") {
            line = replacing(line, "&quot;", "\""); line = replacing(line, "&amp;", "&")
            line = replacing(line, "&lt;", "<"); line = replacing(line, "&gt;", ">")
        }
        var s: [Unicode.Scalar] = []
        s.reserveCapacity(line.count * 2 + 2)
        for c in [" "] + line + [" "] {  // every symbol of the class → " c "
            if isSplitSymbol(c) { s += [" ", c, " "] } else { s.append(c) }
        }
        s = substitutingPairs(s, { !isDigit($0) && isPeriodOrComma($1) }, { [$0, " ", $1, " "] })  // ([^0-9])([.,]) → "\1 \2 "
        s = substitutingPairs(s, { isPeriodOrComma($0) && !isDigit($1) }, { [" ", $0, " ", $1] })  // ([.,])([^0-9]) → " \1 \2"
        s = substitutingPairs(s, { isDigit($0) && $1 == "-" }, { [$0, " ", $1, " "] })  // ([0-9])(-) → "\1 \2 "
        // Split on scalars, not Characters: a combining mark after a space is its own token in Python.
        var tokens: [String] = []
        var token = String.UnicodeScalarView()
        for c in s {
            if isPythonSpace(c) {
                if !token.isEmpty { tokens.append(String(token)); token = String.UnicodeScalarView() }
            } else {
                token.append(c)
            }
        }
        if !token.isEmpty { tokens.append(String(token)) }
        return tokens
    }

    /// One pass of a two-character pattern `(X)(Y)`, as Python's `re.sub`: scanning left to right, each match
    /// (not overlapping the previous one) replaced by `replacement(x, y)`.
    private static func substitutingPairs(_ s: [Unicode.Scalar], _ matches: (Unicode.Scalar, Unicode.Scalar) -> Bool,
                                          _ replacement: (Unicode.Scalar, Unicode.Scalar) -> [Unicode.Scalar])
        -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(s.count * 2)
        var i = 0
        while i < s.count {
            if i + 1 < s.count, matches(s[i], s[i + 1]) {
                out += replacement(s[i], s[i + 1])
                i += 2
            } else {
                out.append(s[i])
                i += 1
            }
        }
        return out
    }

    /// Every non-overlapping occurrence of `target`, left to right, replaced (Python's `str.replace`).
    private static func replacing(_ s: [Unicode.Scalar], _ target: String, _ replacement: String) -> [Unicode.Scalar] {
        let t = Array(target.unicodeScalars), r = Array(replacement.unicodeScalars)
        guard s.count >= t.count else { return s }
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(s.count)
        var i = 0
        while i < s.count {
            if i + t.count <= s.count, s[i..<(i + t.count)].elementsEqual(t) {
                out += r
                i += t.count
            } else {
                out.append(s[i])
                i += 1
            }
        }
        return out
    }

    /// Python's `str.rstrip()`: trailing whitespace (`str.isspace`) removed.
    static func rstripped(_ s: String) -> String {
        var scalars = Substring(s).unicodeScalars
        while let last = scalars.last, isPythonSpace(last) { scalars.removeLast() }
        return String(scalars)
    }

    private static func id(of token: String, in ids: inout [String: Int]) -> Int {
        if let i = ids[token] { return i }
        let i = ids.count
        ids[token] = i
        return i
    }

    private static func ngramCounts(_ tokens: [Int], _ n: Int) -> [ArraySlice<Int>: Int] {
        var counts: [ArraySlice<Int>: Int] = [:]
        if tokens.count >= n {
            for start in 0...(tokens.count - n) { counts[tokens[start..<(start + n)], default: 0] += 1 }
        }
        return counts
    }

    private static func isDigit(_ c: Unicode.Scalar) -> Bool { c.value >= 0x30 && c.value <= 0x39 }
    private static func isPeriodOrComma(_ c: Unicode.Scalar) -> Bool { c == "." || c == "," }

    /// 13a's first class, `[\{-\~\[-\` -\&\(-\+\:-\@\/]`: `{ | } ~`, `[ \ ] ^ _` `` ` ``, space to `&`, `( ) * +`,
    /// `: ; < = > ? @`, `/`.
    private static func isSplitSymbol(_ c: Unicode.Scalar) -> Bool {
        switch c.value {
        case 0x7B...0x7E, 0x5B...0x60, 0x20...0x26, 0x28...0x2B, 0x3A...0x40, 0x2F: return true
        default: return false
        }
    }

    /// Python's `str.isspace()` set (what `str.split()` splits on).
    static func isPythonSpace(_ c: Unicode.Scalar) -> Bool {
        switch c.value {
        case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
            return true
        default: return false
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
