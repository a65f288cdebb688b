using MixBit.Quantization;

namespace MixBit.Memory;

/// <summary>What one op costs under a policy. FlashBytes = WeightBytes + ParameterBytes; RamBytes = LiveTensorBytes + ScratchBytes.</summary>
public sealed record OpCost(int Index, string Name, int WeightBits, long WeightBytes, long ParameterBytes, long ScratchBytes, long LiveTensorBytes)
{
    public long FlashBytes => WeightBytes + ParameterBytes;
    public long RamBytes => LiveTensorBytes + ScratchBytes;
}

/// <summary>
/// A <see cref="DeploymentPlan"/> priced for one <see cref="BitPolicy"/>: every tensor's bits and packed bytes, every
/// op's FLASH and RAM, and the totals. Computed in O(ops + live tensors) from the plan's policy-free structure.
/// </summary>
public sealed class PlanCost
{
    private readonly int[] _bits;
    private readonly OpCost[] _ops;

    internal PlanCost(DeploymentPlan plan, BitPolicy policy)
    {
        (Plan, Policy) = (plan, policy);
        var tensors = plan.Tensors;
        _bits = new int[tensors.Count];
        for (int t = 0; t < _bits.Length; t++) _bits[t] = plan.BitsOf(t, policy);
        _ops = new OpCost[plan.Ops.Count];
        int peak = 0;
        for (int o = 0; o < _ops.Length; o++)
        {
            var op = plan.Ops[o];
            int w = plan.WeightBitsOf(o, policy);
            long live = 0;
            foreach (var t in op.LiveTensors) live += TensorBytes(t);
            long scratch = KernelScratch.Bytes(op, _bits[op.Inputs[0]], w, _bits[op.Output]);
            _ops[o] = new OpCost(o, op.Name, w, op.WeightBytesAt(w), op.ParameterBytes, scratch, live);
            if (_ops[o].RamBytes > _ops[peak].RamBytes) peak = o;
        }
        Footprint = new MemoryFootprint(_ops.Sum(c => c.WeightBytes), _ops.Sum(c => c.ParameterBytes), _ops[peak].RamBytes, _ops[peak].Name);
    }

    public DeploymentPlan Plan { get; }
    public BitPolicy Policy { get; }
    public IReadOnlyList<OpCost> Ops => _ops;
    public MemoryFootprint Footprint { get; }
    public long FlashBytes => Footprint.FlashBytes;
    public long PeakRamBytes => Footprint.PeakRamBytes;

    /// <summary>Bits of tensor <paramref name="tensor"/> under this policy.</summary>
    public int BitsOf(int tensor) => _bits[tensor];

    /// <summary>Packed bytes of tensor <paramref name="tensor"/> under this policy.</summary>
    public long TensorBytes(int tensor) => Plan.Tensors[tensor].BytesAt(_bits[tensor]);

    public OpCost Op(string name) => _ops[Plan.Op(name).Index];

    public bool Fits(MemoryBudget budget) => Footprint.Fits(budget);
}
