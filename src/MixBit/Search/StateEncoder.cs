using MixBit.Memory;
using MixBit.Nn.Specs;

namespace MixBit.Search;

/// <summary>
/// The agent's observation at each decision step (HAQ's layer embedding plus the memory constraint made visible).
/// Static features, min-max normalised per column over the episode's steps as in HAQ: layer index, depthwise flag,
/// c_in, c_out, kernel size, stride, number of weights, input H x W, weight-step flag (1 weight, 0 activation).
/// Dynamic features: the previous step's bits / 8 (0 at the first step), the weight FLASH committed so far, and what is
/// left of each budget if every undecided step took 2 bits (FLASH and peak RAM, as fractions of the usable budget;
/// negative when even that would not fit).
/// </summary>
public sealed class StateEncoder
{
    public const int StaticFeatures = 9;
    public const int Size = StaticFeatures + 4;

    private readonly float[][] _static;
    private readonly SearchSpace _space;
    private readonly MemoryBudget _budget;

    public StateEncoder(SearchSpace space, MemoryBudget budget)
    {
        (_space, _budget) = (space, budget);
        var plan = space.Plan;
        var raw = space.Steps.Select(s => RawFeatures(plan, s)).ToArray();
        _static = new float[raw.Length][];
        for (int i = 0; i < raw.Length; i++) _static[i] = new float[StaticFeatures];
        for (int f = 0; f < StaticFeatures && raw.Length > 0; f++)
        {
            double lo = raw.Min(r => r[f]), hi = raw.Max(r => r[f]);
            for (int i = 0; i < raw.Length; i++) _static[i][f] = hi > lo ? (float)((raw[i][f] - lo) / (hi - lo)) : 0f;
        }
    }

    /// <summary>The state at step <paramref name="step"/> given the bits chosen at steps 0 .. step-1 (<paramref name="chosen"/>).</summary>
    public float[] Encode(int step, IReadOnlyList<int> chosen)
    {
        var state = new float[Size];
        _static[step].CopyTo(state, 0);
        var bits = new int[_space.Steps.Count];
        for (int i = 0; i < bits.Length; i++) bits[i] = i < step ? chosen[i] : 2;
        var cost = _space.Plan.Price(_space.ToPolicy(bits));
        long committed = 0;
        for (int i = 0; i < step; i++)
            if (_space.Steps[i].Kind == StepKind.Weight) committed += cost.Ops[_space.Steps[i].Op].WeightBytes;
        state[StaticFeatures] = step == 0 ? 0f : chosen[step - 1] / 8f;
        state[StaticFeatures + 1] = (float)committed / _budget.UsableFlashBytes;
        state[StaticFeatures + 2] = (float)(_budget.UsableFlashBytes - cost.FlashBytes) / _budget.UsableFlashBytes;
        state[StaticFeatures + 3] = (float)(_budget.UsableRamBytes - cost.PeakRamBytes) / _budget.UsableRamBytes;
        return state;
    }

    private static double[] RawFeatures(DeploymentPlan plan, DecisionStep step)
    {
        var op = plan.Ops[step.Op];
        var input = plan.Tensors[op.Inputs[0]].Shape;
        var (dw, cin, cout, kernel, stride) = op.Spec switch
        {
            Conv2dSpec c => (c.IsDepthwise ? 1 : 0, c.InChannels, c.OutChannels, c.KernelH, c.StrideH),
            LinearSpec l => (0, l.InFeatures, l.OutFeatures, 1, 1),
            _ => throw new InvalidOperationException($"Step {step.Index} is not on a quantized layer."),
        };
        return [op.Index, dw, cin, cout, kernel, stride, op.WeightCount, (double)input.Height * input.Width, step.Kind == StepKind.Weight ? 1 : 0];
    }
}
