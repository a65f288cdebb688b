using System.Text.Json.Serialization;
using MixBit.Memory;

namespace MixBit.Integer;

/// <summary>
/// One integer operator of a <see cref="QuantizedModel"/>, in execution order, reading and writing tensors by plan id.
/// Everything a kernel needs is here, computed once at conversion (prepare vs run); <see cref="DeviceParameters"/> lays
/// the integer parameters out as the device stores them. Arrays are never modified after conversion.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "op")]
[JsonDerivedType(typeof(QuantizedLayer), "layer")]
[JsonDerivedType(typeof(QuantizedAdd), "add")]
[JsonDerivedType(typeof(QuantizedAveragePool), "avgpool")]
[JsonDerivedType(typeof(QuantizedMaxPool), "maxpool")]
public abstract record QuantizedOp(string Name, int Output)
{
    public abstract DeployedOpKind Kind { get; }

    /// <summary>Tensor ids read, in order.</summary>
    [JsonIgnore]
    public abstract IReadOnlyList<int> Inputs { get; }

    /// <summary>The packed weights as stored in FLASH (empty for ops without weights).</summary>
    [JsonIgnore]
    public virtual byte[] StoredWeights => [];
}
