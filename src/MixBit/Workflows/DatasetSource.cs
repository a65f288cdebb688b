using MixBit.Data;

namespace MixBit.Workflows;

/// <summary>Where training and test images come from; Fashion-MNIST is the built-in default.</summary>
public sealed record DatasetSource(string? Directory = null, int ValidationCount = 5000, int SplitSeed = 0)
{
    /// <summary>Loads the data and splits a seeded validation set off the training set.</summary>
    public (ImageDataset Train, ImageDataset Validation, ImageDataset Test) Load()
    {
        var sets = FashionMnist.Load(Directory);
        if (ValidationCount < 0 || ValidationCount >= sets.Train.Count)
            throw new MixBitException($"--validation must be in [0, {sets.Train.Count}), got {ValidationCount}.");
        var (train, validation) = sets.Train.Split(ValidationCount, SplitSeed);
        return (train, validation, sets.Test);
    }
}
