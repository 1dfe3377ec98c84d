using NeuralPool.Geometry;

namespace NeuralPool.Operators;

/// <summary>The valid taps of a window as input indices, for the operators that visit windows one by one (SoftPool, stochastic pooling).</summary>
internal static class WindowTaps
{
    /// <summary>The physical index of output <paramref name="within"/> of plane (n, c).</summary>
    public static long Output(in PoolGeometry g, int n, int c, long within) => g.Layout == TensorLayout.ChannelsFirst
        ? ((((long)n * g.C) + c) * g.OutputPlane) + within
        : ((((long)n * g.OutputPlane) + within) * g.C) + c;

    /// <summary>Input positions of the valid taps of output <paramref name="within"/> of plane (n, c), in D, H, W scan order.</summary>
    public static int Of(in PoolGeometry g, int n, int c, long within, Span<long> into)
    {
        int ow = (int)(within % g.W.Out), oh = (int)(within / g.W.Out % g.H.Out), od = (int)(within / g.W.Out / g.H.Out);
        int count = 0;
        for (int jd = g.D.FirstValid(od); jd < g.D.EndValid(od); jd++)
        {
            int d = g.D.Start(od) + (jd * g.D.Dilation);
            for (int jh = g.H.FirstValid(oh); jh < g.H.EndValid(oh); jh++)
            {
                int h = g.H.Start(oh) + (jh * g.H.Dilation);
                for (int jw = g.W.FirstValid(ow); jw < g.W.EndValid(ow); jw++)
                {
                    int w = g.W.Start(ow) + (jw * g.W.Dilation);
                    long pos = (((long)d * g.H.In) + h) * g.W.In + w;
                    into[count++] = g.Layout == TensorLayout.ChannelsFirst
                        ? ((((long)n * g.C) + c) * g.InputPlane) + pos
                        : ((((long)n * g.InputPlane) + pos) * g.C) + c;
                }
            }
        }

        return count;
    }

    /// <summary>
    /// Walks every window of a geometry (planes n, c, then output positions in row-major order), filling the
    /// caller's tap buffer with the window's valid taps.
    /// </summary>
    public ref struct Walk
    {
        private readonly PoolGeometry _g;
        private readonly Span<long> _taps;
        private int _n, _c;
        private long _within;

        /// <param name="g">The geometry.</param>
        /// <param name="taps">At least <see cref="PoolGeometry.KernelVolume"/> entries.</param>
        public Walk(in PoolGeometry g, Span<long> taps)
        {
            _g = g;
            _taps = taps;
            _within = -1;
        }

        /// <summary>The channel of the current window.</summary>
        public readonly int Channel => _c;

        /// <summary>Moves to the next window: its output index and its number of valid taps (now in the tap buffer); false after the last.</summary>
        public bool Next(out long output, out int count)
        {
            if (++_within == _g.OutputPlane)
            {
                _within = 0;
                if (++_c == _g.C)
                {
                    _c = 0;
                    _n++;
                }
            }

            if (_n >= _g.N || _g.OutputPlane == 0 || _g.C == 0)
            {
                (output, count) = (0, 0);
                return false;
            }

            output = Output(_g, _n, _c, _within);
            count = Of(_g, _n, _c, _within, _taps);
            return true;
        }
    }
}
