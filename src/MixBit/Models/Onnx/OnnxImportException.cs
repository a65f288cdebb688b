namespace MixBit.Models.Onnx;

/// <summary>An ONNX file MixBit cannot read: invalid or truncated, or using an operator or setting it does not support.</summary>
public sealed class OnnxImportException(string message, Exception? inner = null) : MixBitException(message)
{
    public Exception? Cause { get; } = inner;
}
