namespace MixBit;

/// <summary>
/// Warnings of the library (not errors: the work goes on). The CLI routes them to stderr; without a handler they are
/// dropped, so library callers choose.
/// </summary>
public static class Warnings
{
    public static Action<string>? Handler { get; set; }

    public static void Report(string message) => Handler?.Invoke(message);
}
