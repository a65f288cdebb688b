using MixBit.Quantization;

namespace MixBit.Search.Strategies;

/// <summary>
/// Per-step sensitivity, the proxy the greedy and exact strategies optimise: with every other step at 8 bits, lower only
/// step s to b bits and measure the mean KL divergence of the quantized model's output from the float model's (a
/// smooth, label-free output error; on 2,000 images an accuracy drop of one tensor is mostly noise). Sensitivity(s, b) =
/// KL(s at b) - KL(all at 8), floored at 0; Sensitivity(s, 8) = 0. The probes are logged as kind "probe": they measure,
/// they are not candidates, so they need not fit. 1 + 2 x steps evaluations.
/// </summary>
public sealed class SensitivityTable
{
    private readonly double[][] _sensitivity; // [step][bits index in AllowedBits]

    private SensitivityTable(double[][] sensitivity) => _sensitivity = sensitivity;

    public static int Probes(SearchEnvironment env) => 1 + 2 * env.Space.Steps.Count;

    public static SensitivityTable Measure(SearchEnvironment env, CancellationToken cancel = default)
    {
        var steps = env.Space.Steps;
        var all8 = Enumerable.Repeat(8, steps.Count).ToArray();
        var probes = new List<BitPolicy> { env.Space.ToPolicy(all8) };
        foreach (var s in steps)
            foreach (int b in new[] { 4, 2 })
            {
                var bits = (int[])all8.Clone();
                bits[s.Index] = b;
                probes.Add(env.Space.ToPolicy(bits));
            }
        var trials = env.Evaluate(probes, "probe", null, cancel);
        double reference = trials[0].Record.MeanKl;
        var table = new double[steps.Count][];
        for (int i = 0; i < steps.Count; i++)
            table[i] = [0, Math.Max(0, trials[1 + 2 * i].Record.MeanKl - reference), Math.Max(0, trials[2 + 2 * i].Record.MeanKl - reference)];
        return new SensitivityTable(table);
    }

    /// <summary>Sensitivity of step <paramref name="step"/> at <paramref name="bits"/> (8, 4 or 2).</summary>
    public double At(int step, int bits) => _sensitivity[step][bits switch { 8 => 0, 4 => 1, 2 => 2, _ => throw new ArgumentOutOfRangeException(nameof(bits)) }];
}
