using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NeuralPool.Tests.Operators;

/// <summary>
/// The instruction-set matrix of .ci/run reruns these tests with runtime knobs that switch vector instruction sets off.
/// A knob the runtime does not know is silently ignored, and the rerun would test the same paths again: this checks
/// that each knob the run was started with has taken effect.
/// </summary>
public class InstructionSetMatrixTests
{
    [Fact]
    public void KnobsInTheEnvironmentTakeEffect()
    {
        static bool Off(string knob) => Environment.GetEnvironmentVariable(knob) == "0";
        if (Off("DOTNET_EnableAVX512"))
        {
            Assert.False(Avx512F.IsSupported, "DOTNET_EnableAVX512=0 left AVX-512 on");
            Assert.False(Vector512.IsHardwareAccelerated, "DOTNET_EnableAVX512=0 left 512-bit vectors accelerated");
        }

        if (Off("DOTNET_EnableAVX2"))
        {
            Assert.False(Avx2.IsSupported, "DOTNET_EnableAVX2=0 left AVX2 on");
        }

        if (Off("DOTNET_EnableHWIntrinsic"))
        {
            Assert.False(Sse2.IsSupported, "DOTNET_EnableHWIntrinsic=0 left SSE2 on");
            Assert.False(System.Numerics.Vector.IsHardwareAccelerated, "DOTNET_EnableHWIntrinsic=0 left Vector<T> accelerated");
        }

        Assert.False(Off("DOTNET_EnableAVX512F"), "DOTNET_EnableAVX512F is not a knob of this runtime: use DOTNET_EnableAVX512");
    }
}
