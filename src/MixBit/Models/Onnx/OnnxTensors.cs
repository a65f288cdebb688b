using System.Buffers.Binary;
using Google.Protobuf;
using MixBit.Nn.Specs;
using Onnx;

namespace MixBit.Models.Onnx;

/// <summary>
/// Reads and writes ONNX TensorProto contents. Data is little-endian in raw_data (ONNX's rule) or in the typed
/// repeated fields; MixBit reads FLOAT weights and INT64/INT32 shapes and writes FLOAT as raw_data.
/// </summary>
internal static class OnnxTensors
{
    private const int Float = (int)TensorProto.Types.DataType.Float;
    private const int Int64 = (int)TensorProto.Types.DataType.Int64;
    private const int Int32 = (int)TensorProto.Types.DataType.Int32;

    public static int[] Dims(TensorProto t) => t.Dims.Select(d => d is >= 0 and <= int.MaxValue
        ? (int)d : throw new ModelException($"Tensor '{t.Name}' has an invalid dimension {d}.")).ToArray();

    /// <summary>The product of the dimensions; a negative one, or a product beyond int range (a damaged file), is refused.</summary>
    public static long ElementCount(TensorProto t)
    {
        long count = 1;
        foreach (long d in t.Dims)
        {
            if (d < 0) throw new ModelException($"Tensor '{t.Name}' has an invalid dimension {d}.");
            if (d > 0 && count > int.MaxValue / d)
                throw new ModelException($"Tensor '{t.Name}' has dimensions [{string.Join(", ", t.Dims)}], more values than the {int.MaxValue:N0} MixBit supports; the file is damaged.");
            count *= d;
        }
        return count;
    }

    /// <summary>The values of a FLOAT tensor; <paramref name="what"/> names its use for error messages.</summary>
    public static float[] ReadFloats(TensorProto t, string what)
    {
        CheckLocation(t, what);
        if (t.DataType != Float)
            throw new ModelException($"{what} '{t.Name}' has data type {TypeName(t.DataType)}; MixBit imports FLOAT (float32) tensors only, so convert the model to float32 first.");
        long count = ElementCount(t);
        float[] data;
        if (!t.RawData.IsEmpty)
        {
            var raw = t.RawData.Span;
            if (raw.Length != count * sizeof(float))
                throw new ModelException($"{what} '{t.Name}' holds {raw.Length} bytes but its shape needs {count * sizeof(float)}; the file is truncated or corrupt.");
            data = new float[count];
            for (int i = 0; i < data.Length; i++) data[i] = BinaryPrimitives.ReadSingleLittleEndian(raw[(i * 4)..]);
        }
        else
        {
            if (t.FloatData.Count != count)
                throw new ModelException($"{what} '{t.Name}' holds {t.FloatData.Count} values but its shape needs {count}; the file is truncated or corrupt.");
            data = t.FloatData.ToArray();
        }
        return data;
    }

    /// <summary>The values of an INT64 or INT32 tensor (shapes, axes).</summary>
    public static long[] ReadInt64s(TensorProto t, string what)
    {
        CheckLocation(t, what);
        long count = ElementCount(t);
        long[] data;
        if (t.DataType == Int64)
        {
            if (!t.RawData.IsEmpty)
            {
                var raw = t.RawData.Span;
                if (raw.Length != count * sizeof(long))
                    throw new ModelException($"{what} '{t.Name}' holds {raw.Length} bytes but its shape needs {count * sizeof(long)}; the file is truncated or corrupt.");
                data = new long[count];
                for (int i = 0; i < data.Length; i++) data[i] = BinaryPrimitives.ReadInt64LittleEndian(raw[(i * 8)..]);
            }
            else data = t.Int64Data.ToArray();
        }
        else if (t.DataType == Int32)
        {
            if (!t.RawData.IsEmpty)
            {
                var raw = t.RawData.Span;
                if (raw.Length != count * sizeof(int))
                    throw new ModelException($"{what} '{t.Name}' holds {raw.Length} bytes but its shape needs {count * sizeof(int)}; the file is truncated or corrupt.");
                data = new long[count];
                for (int i = 0; i < data.Length; i++) data[i] = BinaryPrimitives.ReadInt32LittleEndian(raw[(i * 4)..]);
            }
            else data = t.Int32Data.Select(v => (long)v).ToArray();
        }
        else throw new ModelException($"{what} '{t.Name}' has data type {TypeName(t.DataType)}; an integer (INT64) tensor is needed.");
        if (data.Length != count)
            throw new ModelException($"{what} '{t.Name}' holds {data.Length} values but its shape needs {count}; the file is truncated or corrupt.");
        return data;
    }

    /// <summary>A FLOAT tensor with the data in raw_data (little-endian).</summary>
    public static TensorProto FromFloats(string name, ReadOnlySpan<float> data, ReadOnlySpan<int> dims)
    {
        var bytes = new byte[data.Length * sizeof(float)];
        for (int i = 0; i < data.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), data[i]);
        var t = new TensorProto { Name = name, DataType = Float, RawData = ByteString.CopyFrom(bytes) };
        foreach (int d in dims) t.Dims.Add(d);
        return t;
    }

    public static TensorProto FromInt64s(string name, ReadOnlySpan<long> data, ReadOnlySpan<int> dims)
    {
        var t = new TensorProto { Name = name, DataType = Int64 };
        foreach (long v in data) t.Int64Data.Add(v);
        foreach (int d in dims) t.Dims.Add(d);
        return t;
    }

    public static string TypeName(int dataType) =>
        Enum.IsDefined(typeof(TensorProto.Types.DataType), dataType)
            ? ((TensorProto.Types.DataType)dataType).ToString().ToUpperInvariant()
            : $"#{dataType}";

    private static void CheckLocation(TensorProto t, string what)
    {
        if (t.DataLocation == TensorProto.Types.DataLocation.External)
            throw new ModelException($"{what} '{t.Name}' is stored in an external data file, which MixBit does not read; save the model with its weights inside the .onnx file.");
    }
}
