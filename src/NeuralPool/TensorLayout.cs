namespace NeuralPool;

/// <summary>Memory order of an N-dimensional activation tensor.</summary>
public enum TensorLayout
{
    /// <summary>Batch, channels, then the spatial axes: NCL, NCHW, NCDHW (PyTorch's contiguous format, ONNX's only format).</summary>
    ChannelsFirst,

    /// <summary>Batch, the spatial axes, then channels: NLC, NHWC, NDHWC (PyTorch's channels_last format).</summary>
    ChannelsLast,
}
