using MixBit.Quantization;

namespace MixBit.Memory;

/// <summary>One step of the rule-based allocation: a layer's weight or activation bits halved because of a constraint.</summary>
public sealed record BitCut(string Layer, BitCutTarget Target, int FromBits, int ToBits, BitCutReason Reason, string AtOp);

public enum BitCutTarget { Activation, Weight }

/// <summary>RAM: the op at <see cref="BitCut.AtOp"/> was over the RAM budget. Flash: the model was over the FLASH budget.</summary>
public enum BitCutReason { Ram, Flash }

/// <summary>Result of <see cref="RuleBasedAllocator"/>: a policy that fits, its cost, and the cuts in the order they were made.</summary>
public sealed record RuleBasedAllocation(BitPolicy Policy, PlanCost Cost, IReadOnlyList<BitCut> Cuts)
{
    public MemoryFootprint Footprint => Cost.Footprint;
}
