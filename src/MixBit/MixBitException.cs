namespace MixBit;

/// <summary>
/// An error caused by the user's input (a file, a flag, a budget), not by a bug. The CLI prints its message
/// (which names the problem and the fix) without a stack trace and exits non-zero.
/// </summary>
public class MixBitException(string message) : Exception(message);
