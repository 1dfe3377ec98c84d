using System.Numerics;
using NeuralPool.Geometry;
using NeuralPool.Interop;
using NeuralPool.Operators;

namespace NeuralPool.Cli.Operators;

/// <summary>
/// Calls the library's span API on <see cref="NpyArray"/> tensors, dispatching on the element type.
/// Max pooling and unpooling forward take float32, float64, uint8 and int8; everything else float32 and float64.
/// Indices are int64. Every result is a fresh array in the geometry's (physical) layout.
/// </summary>
internal static class PoolKernels
{
    public static NpyArray MaxForward(string op, in PoolGeometry g, NpyArray x) => x.DType switch
    {
        NpyDType.Float32 => Max<float>(g, x),
        NpyDType.Float64 => Max<double>(g, x),
        NpyDType.UInt8 => Max<byte>(g, x),
        NpyDType.Int8 => Max<sbyte>(g, x),
        _ => throw UnsupportedType(op, x),
    };

    public static (NpyArray Values, NpyArray Indices) MaxForwardWithIndices(string op, in PoolGeometry g, NpyArray x, IndexEncoding encoding) => x.DType switch
    {
        NpyDType.Float32 => MaxIdx<float>(g, x, encoding),
        NpyDType.Float64 => MaxIdx<double>(g, x, encoding),
        NpyDType.UInt8 => MaxIdx<byte>(g, x, encoding),
        NpyDType.Int8 => MaxIdx<sbyte>(g, x, encoding),
        _ => throw UnsupportedType(op, x),
    };

    public static NpyArray MaxBackward(string op, in PoolGeometry g, NpyArray x, NpyArray gradOutput)
    {
        CheckGrad(op, g, x, gradOutput);
        return x.DType switch
        {
            NpyDType.Float32 => MaxGrad<float>(g, x, gradOutput),
            NpyDType.Float64 => MaxGrad<double>(g, x, gradOutput),
            _ => throw UnsupportedType(op + " backward", x),
        };
    }

    public static NpyArray AvgForward(string op, in PoolGeometry g, NpyArray x, bool countIncludePad, int? divisorOverride) => x.DType switch
    {
        NpyDType.Float32 => Avg<float>(g, x, countIncludePad, divisorOverride),
        NpyDType.Float64 => Avg<double>(g, x, countIncludePad, divisorOverride),
        _ => throw UnsupportedType(op, x),
    };

    public static NpyArray AvgBackward(string op, in PoolGeometry g, NpyArray x, NpyArray gradOutput, bool countIncludePad, int? divisorOverride)
    {
        CheckGrad(op, g, x, gradOutput);
        return x.DType switch
        {
            NpyDType.Float32 => AvgGrad<float>(g, gradOutput, countIncludePad, divisorOverride),
            NpyDType.Float64 => AvgGrad<double>(g, gradOutput, countIncludePad, divisorOverride),
            _ => throw UnsupportedType(op + " backward", x),
        };
    }

    public static NpyArray LpForward(string op, in PoolGeometry g, NpyArray x, double p, LpFlavor flavor) => x.DType switch
    {
        NpyDType.Float32 => Lp<float>(g, x, p, flavor),
        NpyDType.Float64 => Lp<double>(g, x, p, flavor),
        _ => throw UnsupportedType(op, x),
    };

    public static NpyArray LpBackward(string op, in PoolGeometry g, NpyArray x, NpyArray gradOutput, double p, LpFlavor flavor)
    {
        CheckGrad(op, g, x, gradOutput);
        return x.DType switch
        {
            NpyDType.Float32 => LpGrad<float>(g, x, gradOutput, p, flavor),
            NpyDType.Float64 => LpGrad<double>(g, x, gradOutput, p, flavor),
            _ => throw UnsupportedType(op + " backward", x),
        };
    }

    /// <summary>Max unpooling: <paramref name="x"/> and <paramref name="indices"/> share a shape; the output has <paramref name="outputSpatial"/> spatial extents.</summary>
    public static NpyArray UnpoolForward(string op, TensorLayout layout, NpyArray x, NpyArray indices, int[] outputSpatial, IndexEncoding encoding)
    {
        CheckIndices(op, x, indices);
        return x.DType switch
        {
            NpyDType.Float32 => Unpool<float>(layout, x, indices, outputSpatial, encoding),
            NpyDType.Float64 => Unpool<double>(layout, x, indices, outputSpatial, encoding),
            NpyDType.UInt8 => Unpool<byte>(layout, x, indices, outputSpatial, encoding),
            NpyDType.Int8 => Unpool<sbyte>(layout, x, indices, outputSpatial, encoding),
            _ => throw UnsupportedType(op, x),
        };
    }

    /// <summary>Gradient of max unpooling with respect to its input (a gather from <paramref name="gradOutput"/>).</summary>
    public static NpyArray UnpoolBackward(string op, TensorLayout layout, NpyArray x, NpyArray indices, int[] outputSpatial, NpyArray gradOutput, IndexEncoding encoding)
    {
        CheckIndices(op, x, indices);
        int[] outShape = UnpoolShape(layout, x.Shape, outputSpatial);
        if (gradOutput.DType != x.DType)
        {
            throw new OperatorException($"{op}: grad_output is {Name(gradOutput)} but the input is {Name(x)}.");
        }

        if (!gradOutput.Shape.AsSpan().SequenceEqual(outShape))
        {
            throw new OperatorException($"{op}: grad_output has shape {AttributeReader.Format(gradOutput.Shape)} but the output has shape {AttributeReader.Format(outShape)}.");
        }

        return x.DType switch
        {
            NpyDType.Float32 => UnpoolGrad<float>(layout, x, indices, outputSpatial, gradOutput, encoding),
            NpyDType.Float64 => UnpoolGrad<double>(layout, x, indices, outputSpatial, gradOutput, encoding),
            _ => throw UnsupportedType(op + " backward", x),
        };
    }

    public static NpyArray[] FractionalForward(string op, TensorLayout layout, NpyArray x, NpyArray samples, int[] kernel, int[] outputSize, bool withIndices) => x.DType switch
    {
        NpyDType.Float32 => FractionalRun<float>(op, layout, x, samples, kernel, outputSize, null, withIndices),
        NpyDType.Float64 => FractionalRun<double>(op, layout, x, samples, kernel, outputSize, null, withIndices),
        _ => throw UnsupportedType(op, x),
    };

    public static NpyArray FractionalBackward(string op, TensorLayout layout, NpyArray x, NpyArray samples, int[] kernel, int[] outputSize, NpyArray gradOutput) => x.DType switch
    {
        NpyDType.Float32 => FractionalRun<float>(op, layout, x, samples, kernel, outputSize, gradOutput, false)[0],
        NpyDType.Float64 => FractionalRun<double>(op, layout, x, samples, kernel, outputSize, gradOutput, false)[0],
        _ => throw UnsupportedType(op + " backward", x),
    };

    private static NpyArray[] FractionalRun<T>(string op, TensorLayout layout, NpyArray x, NpyArray samples, int[] kernel, int[] outputSize, NpyArray? gradOutput, bool withIndices)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int rank = x.Shape.Length - 2;
        if (samples.DType != x.DType || samples.Shape.Length != 3 || samples.Shape[2] != rank)
        {
            throw new OperatorException($"{op}: _random_samples must be an N x C x {rank} {Name(x)} tensor, got {Name(samples)} of shape {AttributeReader.Format(samples.Shape)}.");
        }

        int[] outShape = UnpoolShape(layout, x.Shape, outputSize);
        if (gradOutput is null)
        {
            long count = outShape.Aggregate(1L, (a, b) => a * b);
            var y = new T[count];
            var idx = withIndices ? new long[count] : [];
            NeuralPool.Operators.FractionalMaxPool.Forward(layout, x.Shape, kernel, outputSize, samples.GetData<T>(), x.GetData<T>(), y, idx);
            NpyArray values = new(x.DType, outShape, y);
            return withIndices ? [values, new NpyArray(NpyDType.Int64, outShape, idx)] : [values];
        }

        CheckGradOutput(op, x, gradOutput, outShape);
        var gx = new T[x.Length];
        NeuralPool.Operators.FractionalMaxPool.Backward(layout, x.Shape, kernel, outputSize, samples.GetData<T>(), x.GetData<T>(), gradOutput.GetData<T>(), gx);
        return [new NpyArray(x.DType, x.Shape, gx)];
    }

    /// <summary>The output shape of region pooling, (K, C, OH, OW) or (K, OH, OW, C).</summary>
    private static int[] RegionShape(TensorLayout layout, int channels, int k, int outputHeight, int outputWidth) =>
        layout == TensorLayout.ChannelsFirst ? [k, channels, outputHeight, outputWidth] : [k, outputHeight, outputWidth, channels];

    private static int Channels(TensorLayout layout, NpyArray x) => layout == TensorLayout.ChannelsFirst ? x.Shape[1] : x.Shape[^1];

    /// <summary>A gradient of the output must have the input's type and the output's shape.</summary>
    private static void CheckGradOutput(string op, NpyArray x, NpyArray gradOutput, int[] outShape)
    {
        if (gradOutput.DType != x.DType || !gradOutput.Shape.AsSpan().SequenceEqual(outShape))
        {
            throw new OperatorException($"{op}: grad_output must be {Name(x)} of shape {AttributeReader.Format(outShape)}, got {Name(gradOutput)} of shape {AttributeReader.Format(gradOutput.Shape)}.");
        }
    }

    public static NpyArray RoiAlignForward(string op, TensorLayout layout, NpyArray x, NpyArray rois, NpyArray batchIndices, RoiAlignOptions options) => x.DType switch
    {
        NpyDType.Float32 => RoiAlignRun<float>(op, layout, x, rois, batchIndices, options, null),
        NpyDType.Float64 => RoiAlignRun<double>(op, layout, x, rois, batchIndices, options, null),
        _ => throw UnsupportedType(op, x),
    };

    public static NpyArray RoiAlignBackward(string op, TensorLayout layout, NpyArray x, NpyArray rois, NpyArray batchIndices, RoiAlignOptions options, NpyArray gradOutput) => x.DType switch
    {
        NpyDType.Float32 => RoiAlignRun<float>(op, layout, x, rois, batchIndices, options, gradOutput),
        NpyDType.Float64 => RoiAlignRun<double>(op, layout, x, rois, batchIndices, options, gradOutput),
        _ => throw UnsupportedType(op + " backward", x),
    };

    private static NpyArray RoiAlignRun<T>(string op, TensorLayout layout, NpyArray x, NpyArray rois, NpyArray batchIndices, RoiAlignOptions options, NpyArray? gradOutput)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (rois.DType != x.DType || rois.Shape.Length != 2 || rois.Shape[1] != 4)
        {
            throw new OperatorException($"{op}: rois must be a K x 4 {Name(x)} tensor, got {Name(rois)} of shape {AttributeReader.Format(rois.Shape)}.");
        }

        if (batchIndices.DType != NpyDType.Int64 || batchIndices.Shape.Length != 1)
        {
            throw new OperatorException($"{op}: batch_indices must be a 1-D int64 tensor, got {Name(batchIndices)} of shape {AttributeReader.Format(batchIndices.Shape)}.");
        }

        int[] outShape = RegionShape(layout, Channels(layout, x), rois.Shape[0], options.OutputHeight, options.OutputWidth);
        if (gradOutput is null)
        {
            var y = new T[outShape.Aggregate(1L, (a, b) => a * b)];
            NeuralPool.Operators.RoiAlign.Forward(layout, x.Shape, x.GetData<T>(), rois.GetData<T>(), batchIndices.GetData<long>(), options, y);
            return new NpyArray(x.DType, outShape, y);
        }

        CheckGradOutput(op, x, gradOutput, outShape);
        var gx = new T[x.Length];
        NeuralPool.Operators.RoiAlign.Backward(layout, x.Shape, rois.GetData<T>(), batchIndices.GetData<long>(), options, gradOutput.GetData<T>(), gx);
        return new NpyArray(x.DType, x.Shape, gx);
    }

    /// <summary>K × 5 boxes (batch, x1, y1, x2, y2) as RoIAlign's K × 4 rois and K batch indices (torchvision's boxes format).</summary>
    public static (NpyArray Rois, NpyArray BatchIndices) SplitBoxes(string op, NpyArray x, NpyArray boxes)
    {
        if (boxes.DType != x.DType || boxes.Shape.Length != 2 || boxes.Shape[1] != 5)
        {
            throw new OperatorException($"{op}: boxes must be a K x 5 {Name(x)} tensor (batch, x1, y1, x2, y2), got {Name(boxes)} of shape {AttributeReader.Format(boxes.Shape)}.");
        }

        int k = boxes.Shape[0];
        var batch = new long[k];
        double[] b = boxes.DType == NpyDType.Float32 ? [.. boxes.GetData<float>().ToArray().Select(v => (double)v)] : boxes.GetData<double>().ToArray();
        var rois = new double[k * 4];
        for (int i = 0; i < k; i++)
        {
            if (!double.IsFinite(b[i * 5]))
            {
                throw new OperatorException($"{op}: batch entry {b[i * 5]} of box {i} is not a finite number.");
            }

            batch[i] = (long)Math.Truncate(b[i * 5]);
            Array.Copy(b, (i * 5) + 1, rois, i * 4, 4);
        }

        NpyArray roiArray = boxes.DType == NpyDType.Float32
            ? new NpyArray(NpyDType.Float32, [k, 4], rois.Select(v => (float)v).ToArray())
            : new NpyArray(NpyDType.Float64, [k, 4], rois);
        return (roiArray, new NpyArray(NpyDType.Int64, [k], batch));
    }

    public static NpyArray PsRoiAlignForward(string op, TensorLayout layout, NpyArray x, NpyArray rois, NpyArray batchIndices, PsRoiAlignOptions options) => x.DType switch
    {
        NpyDType.Float32 => PsRoiAlignRun<float>(op, layout, x, rois, batchIndices, options, null),
        NpyDType.Float64 => PsRoiAlignRun<double>(op, layout, x, rois, batchIndices, options, null),
        _ => throw UnsupportedType(op, x),
    };

    public static NpyArray PsRoiAlignBackward(string op, TensorLayout layout, NpyArray x, NpyArray rois, NpyArray batchIndices, PsRoiAlignOptions options, NpyArray gradOutput) => x.DType switch
    {
        NpyDType.Float32 => PsRoiAlignRun<float>(op, layout, x, rois, batchIndices, options, gradOutput),
        NpyDType.Float64 => PsRoiAlignRun<double>(op, layout, x, rois, batchIndices, options, gradOutput),
        _ => throw UnsupportedType(op + " backward", x),
    };

    private static NpyArray PsRoiAlignRun<T>(string op, TensorLayout layout, NpyArray x, NpyArray rois, NpyArray batchIndices, PsRoiAlignOptions options, NpyArray? gradOutput)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int bins = options.OutputHeight * options.OutputWidth, c = Channels(layout, x);
        if (bins <= 0 || c % bins != 0)
        {
            throw new OperatorException($"{op}: input channels ({c}) must be a multiple of the output bins ({options.OutputHeight} x {options.OutputWidth}).");
        }

        int[] outShape = RegionShape(layout, c / bins, rois.Shape[0], options.OutputHeight, options.OutputWidth);
        if (gradOutput is null)
        {
            var y = new T[outShape.Aggregate(1L, (a, b) => a * b)];
            NeuralPool.Operators.PsRoiAlign.Forward(layout, x.Shape, x.GetData<T>(), rois.GetData<T>(), batchIndices.GetData<long>(), options, y);
            return new NpyArray(x.DType, outShape, y);
        }

        CheckGradOutput(op, x, gradOutput, outShape);
        var gx = new T[x.Length];
        NeuralPool.Operators.PsRoiAlign.Backward(layout, x.Shape, rois.GetData<T>(), batchIndices.GetData<long>(), options, gradOutput.GetData<T>(), gx);
        return new NpyArray(x.DType, x.Shape, gx);
    }

    public static NpyArray RoiPoolForward(string op, TensorLayout layout, NpyArray x, NpyArray boxes, RoiPoolOptions options) => x.DType switch
    {
        NpyDType.Float32 => RoiPoolRun<float>(op, layout, x, boxes, options, null),
        NpyDType.Float64 => RoiPoolRun<double>(op, layout, x, boxes, options, null),
        _ => throw UnsupportedType(op, x),
    };

    public static NpyArray RoiPoolBackward(string op, TensorLayout layout, NpyArray x, NpyArray boxes, RoiPoolOptions options, NpyArray gradOutput) => x.DType switch
    {
        NpyDType.Float32 => RoiPoolRun<float>(op, layout, x, boxes, options, gradOutput),
        NpyDType.Float64 => RoiPoolRun<double>(op, layout, x, boxes, options, gradOutput),
        _ => throw UnsupportedType(op + " backward", x),
    };

    private static NpyArray RoiPoolRun<T>(string op, TensorLayout layout, NpyArray x, NpyArray boxes, RoiPoolOptions options, NpyArray? gradOutput)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (boxes.DType != x.DType || boxes.Shape.Length != 2 || boxes.Shape[1] != 5)
        {
            throw new OperatorException($"{op}: boxes must be a K x 5 {Name(x)} tensor (batch, x1, y1, x2, y2), got {Name(boxes)} of shape {AttributeReader.Format(boxes.Shape)}.");
        }

        if (x.Shape.Length != 4)
        {
            throw new OperatorException($"{op}: input must be 4-D, got shape {AttributeReader.Format(x.Shape)}.");
        }

        int[] outShape = RegionShape(layout, Channels(layout, x), boxes.Shape[0], options.OutputHeight, options.OutputWidth);
        if (gradOutput is null)
        {
            var y = new T[outShape.Aggregate(1L, (a, b) => a * b)];
            NeuralPool.Operators.RoiPool.Forward(layout, x.Shape, x.GetData<T>(), boxes.GetData<T>(), options, y);
            return new NpyArray(x.DType, outShape, y);
        }

        CheckGradOutput(op, x, gradOutput, outShape);
        var gx = new T[x.Length];
        NeuralPool.Operators.RoiPool.Backward(layout, x.Shape, x.GetData<T>(), boxes.GetData<T>(), options, gradOutput.GetData<T>(), gx);
        return new NpyArray(x.DType, x.Shape, gx);
    }

    /// <summary>The unpooled tensor's physical shape: N, C and <paramref name="outputSpatial"/> in <paramref name="layout"/> order.</summary>
    public static int[] UnpoolShape(TensorLayout layout, int[] inputShape, int[] outputSpatial)
    {
        var shape = new int[inputShape.Length];
        shape[0] = inputShape[0];
        bool first = layout == TensorLayout.ChannelsFirst;
        shape[first ? 1 : ^1] = first ? inputShape[1] : inputShape[^1];
        outputSpatial.CopyTo(shape, first ? 2 : 1);
        return shape;
    }

    /// <summary>The spatial extents of a physical shape.</summary>
    public static int[] Spatial(TensorLayout layout, int[] shape) =>
        layout == TensorLayout.ChannelsFirst ? shape[2..] : shape[1..^1];

    public static string Name(NpyArray a) => a.DType switch
    {
        NpyDType.Float32 => "float32",
        NpyDType.Float64 => "float64",
        NpyDType.UInt8 => "uint8",
        NpyDType.Int8 => "int8",
        NpyDType.Int64 => "int64",
        _ => a.DType.ToString(),
    };

    private static UnsupportedOperatorException UnsupportedType(string op, NpyArray x) =>
        new($"{op} does not support {Name(x)} data.");

    private static void CheckGrad(string op, in PoolGeometry g, NpyArray x, NpyArray gradOutput)
    {
        if (gradOutput.DType != x.DType)
        {
            throw new OperatorException($"{op}: grad_output is {Name(gradOutput)} but the input is {Name(x)}.");
        }

        if (!gradOutput.Shape.AsSpan().SequenceEqual(g.OutputShape))
        {
            throw new OperatorException($"{op}: grad_output has shape {AttributeReader.Format(gradOutput.Shape)} but the output has shape {AttributeReader.Format(g.OutputShape)}.");
        }
    }

    private static void CheckIndices(string op, NpyArray x, NpyArray indices)
    {
        if (indices.DType != NpyDType.Int64)
        {
            throw new OperatorException($"{op}: indices must be int64, got {Name(indices)}.");
        }

        if (!indices.Shape.AsSpan().SequenceEqual(x.Shape))
        {
            throw new OperatorException($"{op}: indices have shape {AttributeReader.Format(indices.Shape)} but the input has shape {AttributeReader.Format(x.Shape)}.");
        }
    }

    private static NpyArray Max<T>(in PoolGeometry g, NpyArray x)
        where T : unmanaged, INumber<T>, IMinMaxValue<T>
    {
        var y = new T[g.OutputLength];
        MaxPool.Forward<T>(g, x.GetData<T>(), y);
        return NpyArray.Create(y, g.OutputShape);
    }

    private static (NpyArray, NpyArray) MaxIdx<T>(in PoolGeometry g, NpyArray x, IndexEncoding encoding)
        where T : unmanaged, INumber<T>, IMinMaxValue<T>
    {
        var y = new T[g.OutputLength];
        var idx = new long[g.OutputLength];
        MaxPool.Forward<T>(g, x.GetData<T>(), y, idx, encoding);
        return (NpyArray.Create(y, g.OutputShape), NpyArray.Create(idx, g.OutputShape));
    }

    private static NpyArray MaxGrad<T>(in PoolGeometry g, NpyArray x, NpyArray gy)
        where T : unmanaged, IFloatingPointIeee754<T>, IMinMaxValue<T>
    {
        var gx = new T[g.InputLength];
        MaxPool.Backward<T>(g, x.GetData<T>(), gy.GetData<T>(), gx);
        return NpyArray.Create(gx, x.Shape);
    }

    private static NpyArray Avg<T>(in PoolGeometry g, NpyArray x, bool countIncludePad, int? divisorOverride)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var y = new T[g.OutputLength];
        AvgPool.Forward<T>(g, x.GetData<T>(), y, countIncludePad, divisorOverride);
        return NpyArray.Create(y, g.OutputShape);
    }

    private static NpyArray AvgGrad<T>(in PoolGeometry g, NpyArray gy, bool countIncludePad, int? divisorOverride)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var gx = new T[g.InputLength];
        AvgPool.Backward<T>(g, gy.GetData<T>(), gx, countIncludePad, divisorOverride);
        return NpyArray.Create(gx, g.InputShape);
    }

    private static NpyArray Lp<T>(in PoolGeometry g, NpyArray x, double p, LpFlavor flavor)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var y = new T[g.OutputLength];
        LpPool.Forward<T>(g, x.GetData<T>(), p, y, flavor);
        return NpyArray.Create(y, g.OutputShape);
    }

    private static NpyArray LpGrad<T>(in PoolGeometry g, NpyArray x, NpyArray gy, double p, LpFlavor flavor)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var gx = new T[g.InputLength];
        LpPool.Backward<T>(g, x.GetData<T>(), p, gy.GetData<T>(), gx, flavor);
        return NpyArray.Create(gx, x.Shape);
    }

    private static NpyArray Unpool<T>(TensorLayout layout, NpyArray x, NpyArray indices, int[] outputSpatial, IndexEncoding encoding)
        where T : unmanaged, INumber<T>, IMinMaxValue<T>
    {
        int[] shape = UnpoolShape(layout, x.Shape, outputSpatial);
        long length = 1;
        foreach (int d in shape)
        {
            length *= d;
        }

        if (length > Array.MaxLength)
        {
            throw new OperatorException($"output shape {AttributeReader.Format(shape)} is too large.");
        }

        var y = new T[length];
        MaxUnpool.Forward<T>(layout, x.Shape, x.GetData<T>(), indices.GetData<long>(), outputSpatial, y, encoding);
        return NpyArray.Create(y, shape);
    }

    private static NpyArray UnpoolGrad<T>(TensorLayout layout, NpyArray x, NpyArray indices, int[] outputSpatial, NpyArray gy, IndexEncoding encoding)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var gx = new T[x.Length];
        MaxUnpool.Backward<T>(layout, x.Shape, indices.GetData<long>(), outputSpatial, gy.GetData<T>(), gx, encoding);
        return NpyArray.Create(gx, x.Shape);
    }
}
