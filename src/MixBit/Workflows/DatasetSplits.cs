using MixBit.Data;

namespace MixBit.Workflows;

/// <summary>
/// The image sets a command runs on. <see cref="Name"/> is what training stores as the model's data set
/// ("fashion-mnist" or "image-folder"). An unlabelled image folder has all its images in <see cref="Train"/> and
/// <see cref="Validation"/> (calibration and the label-free search reward) and an empty <see cref="Test"/>.
/// </summary>
public sealed record DatasetSplits(ImageDataset Train, ImageDataset Validation, ImageDataset Test, string Name, string Source, bool Labelled)
{
    public void Deconstruct(out ImageDataset train, out ImageDataset validation, out ImageDataset test)
        => (train, validation, test) = (Train, Validation, Test);

    /// <summary>Refuses unlabelled images for <paramref name="purpose"/> (e.g. "train", "measure accuracy").</summary>
    public DatasetSplits RequireLabels(string purpose) => Labelled ? this : throw new MixBitException(
        $"'{Source}' holds unlabelled images (no class sub-folders), which serve calibration and `mixbit search --reward fidelity` only; to {purpose}, give a folder with one sub-folder of images per class.");
}
