/// The wire protocols a network SUT speaks.
public enum NetworkProtocol: String, Sendable, CaseIterable {
    /// The OpenAI API (`/v1/completions`, `/v1/chat/completions`): vLLM, llama.cpp, TGI, SGLang.
    case openai
    /// KServe v2, the Open Inference Protocol (`/v2/models/{name}/infer`): Triton, KServe, MLServer, TorchServe.
    case kserveV2 = "kserve-v2"
}

/// `--sut PROTOCOL:URL`: `kserve-v2:http://127.0.0.1:8080/fashion-mnist` (the model name is the URL's last path
/// component) or `openai:http://127.0.0.1:8000` (the model comes from `--model`; a trailing `/v1` is accepted).
public struct SUTAddress: Sendable, Equatable {
    public var networkProtocol: NetworkProtocol
    /// `http://host:port` with no trailing slash (plus any path prefix before the protocol's own paths).
    public var baseURL: String
    /// KServe v2: the model name in the URL; OpenAI: nil.
    public var model: String?

    public init(networkProtocol: NetworkProtocol, baseURL: String, model: String?) {
        self.networkProtocol = networkProtocol
        self.baseURL = baseURL
        self.model = model
    }

    /// - Throws: `NetworkSUTError.badAddress` saying what is wrong.
    public init(parsing text: String) throws {
        guard let colon = text.firstIndex(of: ":") else {
            throw NetworkSUTError.badAddress(text, reason: "no protocol before the URL")
        }
        let name = String(text[..<colon])
        guard let p = NetworkProtocol(rawValue: name) else {
            throw NetworkSUTError.badAddress(text, reason: "unknown protocol `\(name)` (known: "
                                             + NetworkProtocol.allCases.map(\.rawValue).joined(separator: ", ") + ")")
        }
        var url = String(text[text.index(after: colon)...])
        guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
            throw NetworkSUTError.badAddress(text, reason: "the URL must start with http:// or https://")
        }
        let schemeEnd = url.range(of: "://")!.upperBound
        guard let host = url[schemeEnd...].split(separator: "/").first, !host.isEmpty else {
            throw NetworkSUTError.badAddress(text, reason: "the URL has no host")
        }
        while url.hasSuffix("/") { url.removeLast() }
        switch p {
        case .kserveV2:
            guard let slash = url[schemeEnd...].lastIndex(of: "/") else {
                throw NetworkSUTError.badAddress(text, reason: "the URL must end with the model name (…/MODEL)")
            }
            var base = String(url[..<slash])
            let model = String(url[url.index(after: slash)...])
            // Accept the full v2 path too: http://host:port/v2/models/NAME.
            if base.hasSuffix("/v2/models") { base.removeLast("/v2/models".count) }
            guard !model.isEmpty else { throw NetworkSUTError.badAddress(text, reason: "empty model name") }
            self.init(networkProtocol: p, baseURL: base, model: model)
        case .openai:
            if url.hasSuffix("/v1") { url.removeLast(3) }
            self.init(networkProtocol: p, baseURL: url, model: nil)
        }
    }
}
