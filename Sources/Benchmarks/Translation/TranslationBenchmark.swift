import Datasets

/// Translation: English → German paragraphs of LibreOffice's offline help (real human translations, aligned by
/// page and element id; test pages never seen in training), a small Transformer (PyTorch reference
/// `references/pytorch/train_translation.py`, exported to ONNX as an encoder and a decoder), a joint BPE vocabulary
/// (`SubwordTokenizer`), and corpus BLEU (`BLEU`, sacreBLEU's defaults) as the quality (docs/datasets.md,
/// `translation`).
public enum TranslationBenchmark {
    public static let name = "translation"
    public static let area = "translation"
    public static let dataset = "LibreOffice help En→De (Debian libreoffice-help-en-us + -de 4:7.4.7-1+deb12u14)"

    public static let data = DataSource(
        description: dataset + ", aligned by scripts/data/translation.py", environmentVariable: "MLPERF_TRANSLATION_DIR",
        defaultDirectory: "data/generated/translation", fetchCommand: "bash scripts/setup.sh")
}
