namespace NeuralPool.Training.Models;

/// <summary>The downsampling a model uses after each convolution block (each halves the spatial size).</summary>
public enum PoolingMethod
{
    /// <summary>No pooling layer: the block's last convolution runs at stride 2 (the all-convolutional network's replacement).</summary>
    None,

    /// <summary><see cref="Layers.MaxPool2d{T}"/>, 2×2 at stride 2.</summary>
    Max,

    /// <summary><see cref="Layers.AvgPool2d{T}"/>, 2×2 at stride 2.</summary>
    Avg,

    /// <summary><see cref="Layers.LpPool2d{T}"/> with p = 2, 2×2 at stride 2.</summary>
    Lp,

    /// <summary><see cref="Layers.MaxPool2d{T}"/> over adaptive bins, to half the input size (rounded down).</summary>
    AdaptiveMax,

    /// <summary><see cref="Layers.AdaptiveAvgPool2d{T}"/> to half the input size (rounded down).</summary>
    AdaptiveAvg,

    /// <summary><see cref="Layers.GemPool2d{T}"/> with learnable p (initially 3), 2×2 at stride 2.</summary>
    Gem,

    /// <summary><see cref="Layers.SoftPool2d{T}"/>, 2×2 at stride 2.</summary>
    Soft,

    /// <summary><see cref="Layers.MixedPool2d{T}"/> with learnable a (initially 0.5), 2×2 at stride 2.</summary>
    Mixed,

    /// <summary><see cref="Layers.GatedPool2d{T}"/> with a learnable gate (initially 0), 2×2 at stride 2.</summary>
    Gated,

    /// <summary><see cref="Layers.StochasticPool2d{T}"/>, 2×2 at stride 2 (seeded draws in training, the expectation in evaluation).</summary>
    Stochastic,

    /// <summary><see cref="Layers.BlurPool2d{T}"/>: binomial filter 3, stride 2.</summary>
    Blur,

    /// <summary><see cref="Layers.MaxBlurPool2d{T}"/>: max 2×2 at stride 1, then binomial filter 3 at stride 2.</summary>
    MaxBlur,

    /// <summary><see cref="Layers.LipPool2d{T}"/>: 1×1 convolution logits with the SoftGate, window 3 at stride 2 with padding 1.</summary>
    Lip,

    /// <summary><see cref="Layers.DetailPreservingPool2d{T}"/> (symmetric, lite), 2×2 at stride 2.</summary>
    DetailPreserving,

    /// <summary><see cref="Layers.FractionalMaxPool2d{T}"/>, kernel 2, output ratio 0.5, seeded samples.</summary>
    Fractional,
}
