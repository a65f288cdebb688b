using MixBit.Tensors;

namespace MixBit.Nn.Layers;

/// <summary>A trainable tensor with its gradient. Weight decay applies to conv/linear weights only.</summary>
public sealed record ParameterSlot(string Name, Tensor Value, Tensor Gradient, bool WeightDecay);

/// <summary>
/// Executable layer: forward keeps references to its inputs (owned by their producers and unchanged until the
/// next forward), backward writes the input gradients into the buffers it is given and accumulates parameter
/// gradients. Output and scratch buffers are owned by the layer and reused across batches.
/// </summary>
public abstract class Layer
{
    protected readonly Tensor Output = new(0);

    public virtual IReadOnlyList<ParameterSlot> Parameters => [];

    /// <summary>Computes the output for a batch; the returned tensor is valid until the next call.</summary>
    public abstract Tensor Forward(Tensor[] inputs, bool training);

    /// <summary>
    /// Given dL/dOutput, writes dL/dInput[k] into <paramref name="inputGradients"/>[k] (overwriting; null means
    /// not needed) and adds parameter gradients into each <see cref="ParameterSlot.Gradient"/>.
    /// </summary>
    public abstract void Backward(Tensor outputGradient, Tensor?[] inputGradients);

    /// <summary>Slots for a weight (with weight decay) and an optional bias (without), with fresh gradient tensors.</summary>
    protected static ParameterSlot[] WeightAndBiasSlots(string name, Tensor weight, Tensor? bias, out Tensor weightGrad, out Tensor? biasGrad)
    {
        weightGrad = new Tensor(weight.Shape.ToArray());
        biasGrad = bias is null ? null : new Tensor(bias.Shape.ToArray());
        var weightSlot = new ParameterSlot($"{name}.weight", weight, weightGrad, true);
        return bias is null ? [weightSlot] : [weightSlot, new ParameterSlot($"{name}.bias", bias, biasGrad!, false)];
    }

    /// <summary>Shapes <paramref name="t"/> like <paramref name="like"/> (reusing its buffer).</summary>
    protected static void ShapeLike(Tensor t, Tensor like)
    {
        if (!t.HasShape(like.Shape)) t.Reshape(like.Shape.ToArray());
    }

    protected static void EnsureShape(Tensor t, params int[] shape)
    {
        if (!t.HasShape(shape)) t.Reshape(shape);
    }

    /// <summary>Per-worker scratch array of at least <paramref name="length"/> floats.</summary>
    protected static float[] Scratch(float[][] perWorker, int worker, int length)
    {
        ref float[] buf = ref perWorker[worker];
        if (buf is null || buf.Length < length) buf = new float[length];
        return buf;
    }

    protected static float[][] NewWorkerBuffers() => new float[Workers.MaxCount][];
}
