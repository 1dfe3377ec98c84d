using System.Reflection;
using NeuralPool.Operators;

namespace NeuralPool.Bench.Runner;

/// <summary>
/// NeuralPool's thread setting, found by reflection so the runner builds before the library has one:
/// a public static settable int property <c>MaxDegreeOfParallelism</c> on <c>NeuralPool.PoolSettings</c>
/// (or <c>NeuralPool.Threading</c>). Without it NeuralPool runs on one thread.
/// </summary>
internal static class LibraryThreads
{
    private static readonly PropertyInfo? Property = Find();

    public static bool Available => Property is not null;

    public static string Description => Property is null
        ? "NeuralPool has no public static int PoolSettings.MaxDegreeOfParallelism yet: NeuralPool ran on 1 thread in every row (np_thr column)."
        : $"NeuralPool threads set through {Property.DeclaringType!.FullName}.{Property.Name}.";

    /// <summary>Sets the library's thread count; returns the count in effect (1 when the setting does not exist).</summary>
    public static int Set(int threads)
    {
        if (Property is null)
        {
            return 1;
        }

        Property.SetValue(null, threads);
        return (int)Property.GetValue(null)!;
    }

    private static PropertyInfo? Find()
    {
        var assembly = typeof(MaxPool).Assembly;
        foreach (string typeName in new[] { "NeuralPool.PoolSettings", "NeuralPool.Threading" })
        {
            var p = assembly.GetType(typeName)?.GetProperty("MaxDegreeOfParallelism", BindingFlags.Public | BindingFlags.Static);
            if (p is { CanWrite: true, CanRead: true } && p.PropertyType == typeof(int))
            {
                return p;
            }
        }

        return null;
    }
}
