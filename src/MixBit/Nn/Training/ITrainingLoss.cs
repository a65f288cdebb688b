using MixBit.Tensors;

namespace MixBit.Nn.Training;

/// <summary>The loss a <see cref="Trainer"/> minimises: value, correct predictions and dL/dlogits for a batch.</summary>
public interface ITrainingLoss
{
    /// <summary>Computes the loss of <paramref name="logits"/> for the batch (<paramref name="images"/> are there for
    /// losses that need them, e.g. a teacher's predictions) and fills <see cref="Gradient"/>.</summary>
    (float Loss, int Correct) Compute(Tensor logits, Tensor images, ReadOnlySpan<int> labels);

    Tensor Gradient { get; }
}

/// <summary>Softmax cross-entropy as a training loss.</summary>
public sealed class CrossEntropyTrainingLoss(float labelSmoothing = 0f) : ITrainingLoss
{
    private readonly SoftmaxCrossEntropy _loss = new(labelSmoothing);

    public Tensor Gradient => _loss.Gradient;

    public (float Loss, int Correct) Compute(Tensor logits, Tensor images, ReadOnlySpan<int> labels) => _loss.Compute(logits, labels);
}
