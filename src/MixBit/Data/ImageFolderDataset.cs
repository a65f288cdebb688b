using MixBit.Nn.Specs;

namespace MixBit.Data;

/// <summary>
/// The sets of an image folder (<see cref="ImageFolderLayout"/>). <see cref="Validation"/> is null when the folder
/// has no val/ folder (the caller splits it off <see cref="Train"/>); an unlabelled folder has all its images in
/// <see cref="Train"/> with label 0 and <see cref="Labelled"/> false.
/// </summary>
public sealed record ImageFolderSets(ImageDataset Train, ImageDataset? Validation, ImageDataset Test, bool Labelled);

/// <summary>
/// Loads an image folder: every image decoded to one shape (the model's input, or for a new model the first image's
/// size, grey when every image is grey and RGB otherwise). A folder without train/ and test/ folders is split with a
/// seed: <see cref="TestFraction"/> of the images (at least one) for the test set, the rest for training.
/// </summary>
public static class ImageFolderDataset
{
    public const double TestFraction = 0.1;

    /// <param name="shape">The model's input shape, or null to take it from the images.</param>
    /// <param name="classNames">The classes of the model (stored at training), or null to take the folder's.</param>
    public static ImageFolderSets Load(string directory, ActivationShape? shape, IReadOnlyList<string>? classNames, int seed, int unlabelledClassCount = 2)
    {
        var layout = ImageFolderLayout.Find(directory);
        var all = new[] { layout.All, layout.Train, layout.Validation, layout.Test }.Where(s => s is not null).SelectMany(s => s!.Images).ToArray();
        var target = shape ?? ShapeOf(all.Select(i => i.Path).ToArray());
        var classes = layout.ClassNames;
        int[] classMap = Enumerable.Range(0, classes.Count).ToArray();
        int classCount = layout.Labelled ? classes.Count : Math.Max(2, unlabelledClassCount);
        if (layout.Labelled && classNames is not null)
        {
            classMap = classes.Select(c => IndexOf(classNames, c, directory)).ToArray();
            (classes, classCount) = (classNames, classNames.Count);
        }
        ImageDataset Decode(ImageFolderSplit split) => DecodeAll(split, target, classMap, classCount, layout.Labelled ? classes : null);

        if (layout.PreSplit)
            return new ImageFolderSets(Decode(layout.Train!), layout.Validation is null ? null : Decode(layout.Validation), Decode(layout.Test!), true);
        var images = Decode(layout.All!);
        if (!layout.Labelled) return new ImageFolderSets(images, null, images.Subset([]), false);
        if (images.Count < 3)
            throw new MixBitException($"The image folder '{directory}' holds {images.Count} images: training, validation and test need at least 3 (one each).");
        // Another seed than the validation split's (ImageDataset.Split mixes in its own constant): the two are independent.
        var (train, test) = images.Split(Math.Max(1, (int)Math.Round(images.Count * TestFraction)), seed ^ 0x7E57);
        return new ImageFolderSets(train, null, test, true);
    }

    private static int IndexOf(IReadOnlyList<string> classNames, string name, string directory)
    {
        for (int i = 0; i < classNames.Count; i++) if (classNames[i] == name) return i;
        throw new MixBitException($"The class folder '{name}' in '{directory}' is not a class of the model ({string.Join(", ", classNames)}): use the class folders the model was trained on.");
    }

    /// <summary>The first image's size; 1 channel when every image is grey-scale, else 3.</summary>
    private static ActivationShape ShapeOf(IReadOnlyList<string> paths)
    {
        var headers = new ImageHeader[paths.Count];
        ForEach(paths.Count, i => headers[i] = ImageDecoder.ReadHeader(paths[i]));
        return new ActivationShape(headers.All(h => h.Grey) ? 1 : 3, headers[0].Height, headers[0].Width);
    }

    private static ImageDataset DecodeAll(ImageFolderSplit split, ActivationShape shape, int[] classMap, int classCount, IReadOnlyList<string>? classNames)
    {
        int size = shape.Elements;
        var pixels = new byte[(long)split.Images.Count * size];
        var labels = new int[split.Images.Count];
        ForEach(split.Images.Count, i =>
        {
            var (path, label) = split.Images[i];
            ImageDecoder.Decode(path, shape, pixels.AsSpan(i * size, size));
            labels[i] = label < 0 ? 0 : classMap[label];
        });
        return new ImageDataset(pixels, labels, shape.Channels, shape.Height, shape.Width, classCount, classNames);
    }

    /// <summary>Decodes in parallel; a bad file is reported as its own one-line error (the first in file order), not as an aggregate.</summary>
    private static void ForEach(int count, Action<int> body)
    {
        var errors = new MixBitException?[count];
        Parallel.For(0, count, i =>
        {
            try { body(i); }
            catch (MixBitException e) { errors[i] = e; }
        });
        if (errors.FirstOrDefault(e => e is not null) is { } first) throw first;
    }
}
