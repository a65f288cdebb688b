namespace MixBit.Data;

/// <summary>The images of one split: each file with its class index (-1 when the folder is unlabelled).</summary>
public sealed record ImageFolderSplit(IReadOnlyList<(string Path, int Class)> Images);

/// <summary>
/// How a folder of images is organised, found from its sub-folders alone (no image is read here):
/// <list type="bullet">
/// <item>one sub-folder per class (names sorted ordinally give the class indices), optionally inside train/, val/ or
/// validation/, and test/ folders that fix the split;</item>
/// <item>or images directly in the folder: unlabelled (calibration and the label-free search reward only).</item>
/// </list>
/// Only .png, .jpg and .jpeg files count as images; other files are ignored, as are hidden files and folders.
/// </summary>
public sealed record ImageFolderLayout(string Directory, IReadOnlyList<string> ClassNames, ImageFolderSplit? Train, ImageFolderSplit? Validation,
    ImageFolderSplit? Test, ImageFolderSplit? All)
{
    public bool Labelled => ClassNames.Count > 0;

    /// <summary>True when the folder has its own train/ and test/ (and maybe val/) folders.</summary>
    public bool PreSplit => Train is not null;

    private static readonly string[] Extensions = [".png", ".jpg", ".jpeg"];
    private static readonly string[] TrainNames = ["train"], ValidationNames = ["val", "validation"], TestNames = ["test"];

    public static bool IsImage(string path) => Extensions.Contains(Path.GetExtension(path).ToLowerInvariant());

    public static ImageFolderLayout Find(string directory)
    {
        var folders = Folders(directory);
        var looseImages = Images(directory);
        bool IsSplit(string name) => TrainNames.Concat(ValidationNames).Concat(TestNames).Contains(name.ToLowerInvariant());
        if (folders.Any(f => IsSplit(Path.GetFileName(f))))
            return FindSplit(directory, folders, looseImages);
        if (folders.Length > 0)
        {
            if (looseImages.Length > 0)
                throw new MixBitException($"The image folder '{directory}' holds both images ({Path.GetFileName(looseImages[0])}, ...) and class sub-folders: put every image in its class's sub-folder, or keep only images for an unlabelled set.");
            var classes = folders.Select(Path.GetFileName).ToArray()!;
            return new ImageFolderLayout(directory, CheckClasses(directory, classes!), null, null, null, ClassImages(folders, classes!, requireEvery: true));
        }
        if (looseImages.Length == 0)
            throw new MixBitException($"The folder '{directory}' holds no PNG or JPEG images: give a folder with one sub-folder of images per class (or of Fashion-MNIST IDX files).");
        return new ImageFolderLayout(directory, [], null, null, null, new ImageFolderSplit(looseImages.Select(p => (p, -1)).ToArray()));
    }

    private static ImageFolderLayout FindSplit(string directory, string[] folders, string[] looseImages)
    {
        string? Named(string[] names) => folders.FirstOrDefault(f => names.Contains(Path.GetFileName(f).ToLowerInvariant()));
        string? train = Named(TrainNames), validation = Named(ValidationNames), test = Named(TestNames);
        var others = folders.Where(f => f != train && f != validation && f != test).Select(Path.GetFileName).ToArray();
        if (others.Length > 0 || looseImages.Length > 0)
            throw new MixBitException($"The image folder '{directory}' has split folders (train/, val/, test/) and also {(others.Length > 0 ? $"the folder '{others[0]}'" : $"the image '{Path.GetFileName(looseImages[0])}'")}: keep only the split folders, each with one sub-folder per class.");
        if (train is null || test is null)
            throw new MixBitException($"The image folder '{directory}' has {(train is null ? "no train/" : "no test/")} folder beside its other split folders: give both train/ and test/ (val/ is optional), or none and MixBit splits the images itself.");
        var splits = new[] { train, validation, test }.Where(s => s is not null).ToArray();
        var classes = CheckClasses(directory, splits.SelectMany(s => Folders(s!).Select(Path.GetFileName)).Distinct().ToArray()!);
        foreach (var split in splits)
            if (Images(split!) is { Length: > 0 } loose)
                throw new MixBitException($"'{split}' holds the image '{Path.GetFileName(loose[0])}' outside any class sub-folder: put every image in its class's sub-folder.");
        ImageFolderSplit Split(string s) => ClassImages(Folders(s), classes.ToArray(), requireEvery: false);
        var result = new ImageFolderLayout(directory, classes, Split(train), validation is null ? null : Split(validation), Split(test), null);
        foreach (var (name, split) in new[] { ("train", result.Train), ("test", result.Test) })
            if (split!.Images.Count == 0) throw new MixBitException($"The {name}/ folder of '{directory}' holds no PNG or JPEG images in its class sub-folders.");
        foreach (var c in classes.Select((name, index) => (name, index)))
            if (!result.Train!.Images.Any(i => i.Class == c.index))
                throw new MixBitException($"The class '{c.name}' has no images in '{train}': every class needs training images.");
        return result;
    }

    /// <summary>The images of class folders; with <paramref name="requireEvery"/> an empty class folder is an error.</summary>
    private static ImageFolderSplit ClassImages(string[] classFolders, string[] classes, bool requireEvery)
    {
        var images = new List<(string, int)>();
        foreach (var folder in classFolders)
        {
            int index = Array.IndexOf(classes, Path.GetFileName(folder));
            var files = Images(folder);
            if (files.Length == 0 && requireEvery)
                throw new MixBitException($"The class folder '{folder}' holds no PNG or JPEG images: add images of class '{Path.GetFileName(folder)}' or remove the folder.");
            if (Folders(folder) is { Length: > 0 } nested && files.Length == 0)
                throw new MixBitException($"The class folder '{folder}' holds folders ('{Path.GetFileName(nested[0])}') but no images: class folders hold images directly.");
            images.AddRange(files.Select(f => (f, index)));
        }
        return new ImageFolderSplit(images);
    }

    private static IReadOnlyList<string> CheckClasses(string directory, string[] classes)
    {
        Array.Sort(classes, StringComparer.Ordinal);
        if (classes.Length < 2)
            throw new MixBitException($"The image folder '{directory}' has {classes.Length} class sub-folder{(classes.Length == 1 ? $" ('{classes[0]}')" : "s")}: a classifier needs at least 2 classes, one sub-folder of images each.");
        return classes;
    }

    private static string[] Folders(string directory)
        => Sorted(System.IO.Directory.GetDirectories(directory).Where(d => !Path.GetFileName(d).StartsWith('.')));

    private static string[] Images(string directory)
        => Sorted(System.IO.Directory.GetFiles(directory).Where(f => IsImage(f) && !Path.GetFileName(f).StartsWith('.')));

    private static string[] Sorted(IEnumerable<string> paths) => paths.Order(StringComparer.Ordinal).ToArray();
}
