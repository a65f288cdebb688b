namespace MixBit.Reporting;

/// <summary>The files of a `mixbit run` folder (docs/RUN.md), relative to the folder.</summary>
public static class RunFolderLayout
{
    public const string Settings = "run.json";
    public const string FloatModel = "float.onnx";
    public const string FloatFacts = "float.json";
    public const string Analysis = "analysis.json";
    public const string SearchFolder = "search";
    public const string RuleBaselineFolder = "baselines/rule";
    public const string UniformBaselineFolder = "baselines/uniform";
    public const string FineTunedModel = "finetuned.onnx";
    public const string FinetuneFacts = "finetune.json";
    public const string IntegerModel = "model.mbq";
    public const string QdqModel = "model.qdq.onnx";
    public const string IntegerFacts = "integer.json";
    public const string QdqFacts = "qdq.json";
    public const string CFolder = "c";
    public const string CCheck = CFolder + "/check.json";
    public const string HtmlReport = "report.html";
    public const string MarkdownReport = "report.md";
    public const string PlotsFolder = "plots";
}
