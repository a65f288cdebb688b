using System.CommandLine;
using MixBit.Quantization;
using MixBit.Workflows;

namespace MixBit.Cli.Commands;

/// <summary>The policy and quantization flags of `mixbit quantize` and `mixbit convert`, parsed in one place.</summary>
public sealed class QuantizationFlags
{
    private readonly Option<string?> _policy = new("--policy") { Description = "Bit policy JSON file" };
    private readonly Option<int?> _wBits = new("--w-bits") { Description = "Uniform weight bits (2, 4 or 8) instead of --policy" };
    private readonly Option<int?> _aBits = new("--a-bits") { Description = "Uniform activation bits (2, 4 or 8) instead of --policy" };
    private readonly Option<bool> _keep8 = new("--keep-first-last-8bit") { Description = "Keep the first and last quantizable layers at 8/8 bits" };
    private readonly Option<string> _calibration = new("--calibration") { Description = "Activation ranges: minmax, percentile (99.99) or mse", DefaultValueFactory = _ => "mse" };
    private readonly Option<string> _weightRange = new("--weight-calibration") { Description = "Weight ranges: minmax or mse", DefaultValueFactory = _ => "minmax" };
    private readonly Option<bool> _perTensor = new("--per-tensor") { Description = "One weight scale per tensor instead of per output channel" };
    private readonly Option<bool> _asymmetric = new("--asymmetric") { Description = "Asymmetric weights with a zero point instead of symmetric" };
    private readonly Option<bool> _kmeans = new("--kmeans") { Description = "Comparison only: non-uniform k-means weights (one 2^bits codebook per layer)" };
    private readonly Option<string> _bn = new("--bn") { Description = "BatchNorm: fold (into the weights) or keep (per-channel normalisation)", DefaultValueFactory = _ => "fold" };

    public IEnumerable<Option> All => [_policy, _wBits, _aBits, _keep8, _calibration, _weightRange, _perTensor, _asymmetric, _kmeans, _bn];

    public PolicySource Policy(ParseResult p) => new(p.GetValue(_policy), p.GetValue(_wBits), p.GetValue(_aBits), p.GetValue(_keep8));

    public QuantizationOptions Options(ParseResult p) => new()
    {
        ActivationRange = QuantizationOptions.ParseRange(p.GetValue(_calibration)!),
        WeightRange = QuantizationOptions.ParseRange(p.GetValue(_weightRange)!),
        PerChannelWeights = !p.GetValue(_perTensor), SymmetricWeights = !p.GetValue(_asymmetric),
        BatchNorm = QuantizationOptions.ParseBatchNorm(p.GetValue(_bn)!), KMeansWeights = p.GetValue(_kmeans),
    };
}
