namespace MixBit.Quantization;

/// <summary>
/// The ranges a fine-tuned network was trained with: the PACT clip value of every activation quantizer and the weight
/// clip ratios of every layer. Restoring both reproduces the fine-tuned network's outputs exactly (recalibrating would
/// not: an MSE weight range searched on the fine-tuned weights differs from the one they were trained under).
/// </summary>
public sealed record LearnedRanges(Dictionary<string, float> Clips, Dictionary<string, float[]> WeightRatios)
{
    public static LearnedRanges Capture(FakeQuantNetwork network) => new(
        network.ActivationQuantizers.Where(q => q.Parameter is not null).ToDictionary(q => q.Name, q => q.Alpha),
        network.WeightLayers.Where(p => p.Value.Quantizer.Ratios.Count > 0).ToDictionary(p => p.Key, p => p.Value.Quantizer.Ratios.ToArray()));

    public void ApplyTo(FakeQuantNetwork network)
    {
        foreach (var q in network.ActivationQuantizers)
            if (q.Parameter is not null && Clips.TryGetValue(q.Name, out var a)) q.Alpha = a;
        foreach (var (name, layer) in network.WeightLayers)
            if (WeightRatios.TryGetValue(name, out var r))
            {
                layer.Quantizer.SetRatios(r);
                layer.Invalidate();
            }
    }
}
