namespace NeuralPool.Training.Models;

/// <summary>Options of the model builders; the defaults build the models the issue describes for Fashion-MNIST.</summary>
public sealed record ModelOptions
{
    /// <summary>Input channels (1 for Fashion-MNIST).</summary>
    public int InputChannels { get; init; } = 1;

    /// <summary>Input height and width (28 for Fashion-MNIST).</summary>
    public int ImageSize { get; init; } = 28;

    /// <summary>Classes (outputs of the last layer).</summary>
    public int Classes { get; init; } = 10;

    /// <summary>Initialisation of convolutions and linear layers.</summary>
    public InitScheme Init { get; init; } = InitScheme.TorchDefault;

    /// <summary>vgg-small only: a BatchNorm2d after every convolution (default true).</summary>
    public bool BatchNorm { get; init; } = true;

    /// <summary>Dropout probability before the last linear layer; 0 (the default) adds no dropout layer.</summary>
    public double Dropout { get; init; }
}
