namespace NeuralPool.Cli.Pictures;

/// <summary>Shows how a batch of pictures advances while its outcomes arrive.</summary>
internal interface IBatchDisplay
{
    /// <summary>Consumes <paramref name="outcomes"/> as they arrive, showing progress and every failure; returns them all.</summary>
    /// <param name="total">The number of outcomes to expect.</param>
    /// <param name="outcomes">The outcomes, in the order the pictures finish.</param>
    IReadOnlyList<ImageOutcome> Follow(int total, IEnumerable<ImageOutcome> outcomes);
}
