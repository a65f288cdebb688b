using MixBit.Nn.Layers;

namespace MixBit.Nn.Optim;

/// <summary>Updates parameters from their accumulated gradients; the learning rate is set per step by a schedule.</summary>
public abstract class Optimizer(IReadOnlyList<ParameterSlot> parameters)
{
    protected IReadOnlyList<ParameterSlot> Slots { get; } = parameters;
    public float LearningRate { get; set; }
    public abstract void Step();

    /// <summary>Per-parameter state buffers (momentum, moments), in a fixed order, for checkpoints.</summary>
    protected abstract IEnumerable<float[]> StateBuffers { get; }
    protected virtual int StepCount { get => 0; set { } }

    /// <summary>Writes the optimizer state so a resumed run continues exactly.</summary>
    public void WriteState(BinaryWriter writer)
    {
        writer.Write(StepCount);
        foreach (var b in StateBuffers)
        {
            writer.Write(b.Length);
            foreach (float v in b) writer.Write(v);
        }
    }

    public void ReadState(BinaryReader reader)
    {
        StepCount = reader.ReadInt32();
        foreach (var b in StateBuffers)
        {
            int n = reader.ReadInt32();
            if (n != b.Length) throw new MixBitException("The optimizer checkpoint does not match this model; start without --resume.");
            for (int i = 0; i < n; i++) b[i] = reader.ReadSingle();
        }
    }
}
