using MixBit.Nn.Graph;

namespace MixBit.Models.Architectures;

/// <summary>The built-in architectures by name, as the CLI's --arch flag and model files refer to them.</summary>
public static class ArchitectureRegistry
{
    private static readonly Dictionary<string, Func<ArchitectureOptions, ModelGraph>> Builders = new(StringComparer.OrdinalIgnoreCase)
    {
        ["mobilenet_v1"] = MobileNetV1.Build,
        ["mobilenet_v2"] = MobileNetV2.Build,
        ["mnasnet"] = MnasNet.Build,
        ["plain_cnn"] = PlainCnn.Build,
        ["reference_cnn"] = o => ReferenceCnn.Build(o),
    };

    public static IReadOnlyList<string> Names { get; } = [.. Builders.Keys];

    /// <summary>Builds the named architecture (case-insensitive); an unknown name lists the valid ones.</summary>
    public static ModelGraph Build(string name, ArchitectureOptions options) =>
        Builders.TryGetValue(name, out var build)
            ? build(options)
            : throw new MixBitException($"Unknown architecture '{name}': use one of {string.Join(", ", Names)}.");
}
