using System.Buffers.Binary;
using System.Text;
using NeuralPool.Interop;

namespace NeuralPool.Tests.Interop;

public sealed class NpyTests : IDisposable
{
    private static readonly string FixtureDir = Path.Combine(AppContext.BaseDirectory, "Interop", "npy");

    private readonly string _tempDir = Path.Combine(Path.GetTempPath(), "npy-tests-" + Guid.NewGuid().ToString("N"));

    public NpyTests() => Directory.CreateDirectory(_tempDir);

    public void Dispose() => Directory.Delete(_tempDir, recursive: true);

    // ------------------------------------------------------------------ round trips

    public static TheoryData<NpyDType, int[]> RoundTripCases()
    {
        var data = new TheoryData<NpyDType, int[]>();
        int[][] shapes = [[], [0], [1], [5], [2, 3], [2, 3, 4], [0, 3], [3, 0, 2], [1, 1, 1, 1]];
        foreach (var dtype in Enum.GetValues<NpyDType>())
        {
            foreach (var shape in shapes)
            {
                data.Add(dtype, shape);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(RoundTripCases))]
    public void RoundTrip_Stream(NpyDType dtype, int[] shape)
    {
        var original = MakeArray(dtype, shape);
        using var ms = new MemoryStream();
        Npy.Write(ms, original);
        ms.Position = 0;

        var back = Npy.Read(ms);

        AssertSame(original, back);
    }

    [Theory]
    [MemberData(nameof(RoundTripCases))]
    public void RoundTrip_File(NpyDType dtype, int[] shape)
    {
        var original = MakeArray(dtype, shape);
        var path = Path.Combine(_tempDir, "a.npy");
        Npy.Write(path, original);

        AssertSame(original, Npy.Read(path));
        Assert.Equal(["a.npy"], Directory.GetFiles(_tempDir).Select(Path.GetFileName));
    }

    [Theory]
    [MemberData(nameof(RoundTripCases))]
    public void Write_PreambleIsAlignedAndNewlineTerminated(NpyDType dtype, int[] shape)
    {
        using var ms = new MemoryStream();
        Npy.Write(ms, MakeArray(dtype, shape));
        var bytes = ms.ToArray();

        Assert.Equal(1, bytes[6]);
        Assert.Equal(0, bytes[7]);
        var preamble = 10 + BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8));
        Assert.Equal(0, preamble % 64);
        Assert.Equal((byte)'\n', bytes[preamble - 1]);
        Assert.Equal(MakeArray(dtype, shape).Length * ItemSize(dtype), bytes.Length - preamble);
    }

    [Fact]
    public void RoundTrip_SpecialFloatValues()
    {
        float[] f = [float.NaN, float.PositiveInfinity, float.NegativeInfinity, -0.0f, float.Epsilon, float.MaxValue];
        double[] d = [double.NaN, double.PositiveInfinity, double.NegativeInfinity, -0.0, double.Epsilon, double.MaxValue];

        var f2 = RoundTrip(NpyArray.Create(f, 6)).GetData<float>();
        var d2 = RoundTrip(NpyArray.Create(d, 2, 3)).GetData<double>();

        Assert.Equal(f.Select(BitConverter.SingleToInt32Bits), f2.Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(d.Select(BitConverter.DoubleToInt64Bits), d2.Select(BitConverter.DoubleToInt64Bits));
    }

    [Fact]
    public void RoundTrip_LargerThanOneChunk_NonSeekable()
    {
        var data = new float[(1 << 20) + 12345];
        for (var i = 0; i < data.Length; i++)
        {
            data[i] = i * 0.5f;
        }

        using var ms = new MemoryStream();
        Npy.Write(ms, NpyArray.Create(data, 1, data.Length));
        using var ns = new NonSeekableStream(ms.ToArray());

        var back = Npy.Read(ns);

        Assert.Equal([1, data.Length], back.Shape);
        Assert.Equal(data, back.GetData<float>());
    }

    [Fact]
    public void Write_HeaderTooLongForVersion1_UsesVersion2()
    {
        var shape = Enumerable.Repeat(1, 30000).ToArray();
        using var ms = new MemoryStream();
        Npy.Write(ms, NpyArray.Create(new byte[] { 42 }, shape));
        var bytes = ms.ToArray();

        Assert.Equal(2, bytes[6]);
        var preamble = 12 + (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8));
        Assert.True(preamble > ushort.MaxValue);
        Assert.Equal(0, preamble % 64);
        Assert.Equal((byte)'\n', bytes[preamble - 1]);

        ms.Position = 0;
        var back = Npy.Read(ms);
        Assert.Equal(shape, back.Shape);
        Assert.Equal(new byte[] { 42 }, back.GetData<byte>());
    }

    // ------------------------------------------------------------------ files written by NumPy

    [Fact]
    public void ReadNumpy_Float32_2x3()
    {
        var a = Npy.Read(Fixture("f4_2x3.npy"));
        Assert.Equal(NpyDType.Float32, a.DType);
        Assert.Equal([2, 3], a.Shape);
        Assert.Equal(6, a.Length);
        Assert.Equal([1.5f, -2.25f, 0f, 3f, 0.001f, -7f], a.GetData<float>());
    }

    [Fact]
    public void ReadNumpy_Float64_Scalar()
    {
        var a = Npy.Read(Fixture("f8_scalar.npy"));
        Assert.Equal(NpyDType.Float64, a.DType);
        Assert.Empty(a.Shape);
        Assert.Equal(1, a.Length);
        Assert.Equal([Math.PI], a.GetData<double>());
    }

    [Fact]
    public void ReadNumpy_UInt8()
    {
        var a = Npy.Read(Fixture("u1_5.npy"));
        Assert.Equal(NpyDType.UInt8, a.DType);
        Assert.Equal([5], a.Shape);
        Assert.Equal(new byte[] { 0, 1, 127, 128, 255 }, a.GetData<byte>());
    }

    [Fact]
    public void ReadNumpy_Int8()
    {
        var a = Npy.Read(Fixture("i1_2x2.npy"));
        Assert.Equal(NpyDType.Int8, a.DType);
        Assert.Equal([2, 2], a.Shape);
        Assert.Equal(new sbyte[] { -128, -1, 0, 127 }, a.GetData<sbyte>());
    }

    [Fact]
    public void ReadNumpy_Int64()
    {
        var a = Npy.Read(Fixture("i8_3.npy"));
        Assert.Equal(NpyDType.Int64, a.DType);
        Assert.Equal([3], a.Shape);
        Assert.Equal([long.MinValue, 0L, long.MaxValue], a.GetData<long>());
    }

    [Fact]
    public void ReadNumpy_Float64_3D()
    {
        var a = Npy.Read(Fixture("f8_2x3x4.npy"));
        Assert.Equal([2, 3, 4], a.Shape);
        Assert.Equal(Enumerable.Range(0, 24).Select(i => i / 4.0), a.GetData<double>());
    }

    [Fact]
    public void ReadNumpy_Empty()
    {
        var a = Npy.Read(Fixture("f4_empty.npy"));
        Assert.Equal(NpyDType.Float32, a.DType);
        Assert.Equal([0], a.Shape);
        Assert.Equal(0, a.Length);
        Assert.Empty(a.GetData<float>());
    }

    [Fact]
    public void ReadNumpy_BigEndianFloat32()
    {
        var a = Npy.Read(Fixture("f4_bigendian.npy"));
        Assert.Equal(NpyDType.Float32, a.DType);
        Assert.Equal([3], a.Shape);
        Assert.Equal([1f, -2.5f, 3.25f], a.GetData<float>());
    }

    [Fact]
    public void ReadNumpy_BigEndianFloat64()
    {
        var a = Npy.Read(Fixture("f8_bigendian.npy"));
        Assert.Equal([2, 2], a.Shape);
        Assert.Equal([0.1, -1e300, 2.0, double.Epsilon], a.GetData<double>());
    }

    [Fact]
    public void ReadNumpy_BigEndianInt64()
    {
        var a = Npy.Read(Fixture("i8_bigendian.npy"));
        Assert.Equal([1L, -2L, 1L << 40], a.GetData<long>());
    }

    [Fact]
    public void ReadNumpy_BigEndian_RewrittenAsLittleEndian()
    {
        using var ms = new MemoryStream();
        Npy.Write(ms, Npy.Read(Fixture("f4_bigendian.npy")));
        var text = Encoding.ASCII.GetString(ms.ToArray(), 10, 20);
        Assert.Contains("'<f4'", text, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadNumpy_Version2()
    {
        var a = Npy.Read(Fixture("version2.npy"));
        Assert.Equal(NpyDType.Float64, a.DType);
        Assert.Equal([2, 2], a.Shape);
        Assert.Equal([1.0, 2.0, 3.0, 4.0], a.GetData<double>());
    }

    [Fact]
    public void ReadNumpy_Version3()
    {
        var a = Npy.Read(Fixture("version3.npy"));
        Assert.Equal(NpyDType.Int64, a.DType);
        Assert.Equal([10L, 20L, 30L], a.GetData<long>());
    }

    [Theory]
    [InlineData("f4_2x3.npy")]
    [InlineData("f8_scalar.npy")]
    [InlineData("u1_5.npy")]
    [InlineData("i1_2x2.npy")]
    [InlineData("i8_3.npy")]
    [InlineData("f8_2x3x4.npy")]
    [InlineData("f4_empty.npy")]
    public void Write_IsByteIdenticalToNumpy(string name)
    {
        var expected = File.ReadAllBytes(Fixture(name));
        using var ms = new MemoryStream();

        Npy.Write(ms, Npy.Read(Fixture(name)));

        Assert.Equal(expected, ms.ToArray());
    }

    [Fact]
    public void ReadNumpy_Fortran_Rejected()
    {
        var path = Fixture("f4_fortran.npy");
        var ex = Assert.Throws<NpyFormatException>(() => Npy.Read(path));
        Assert.Contains("Fortran-order arrays are not supported; save with C order", ex.Message, StringComparison.Ordinal);
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadNumpy_Complex_Rejected()
    {
        var path = Fixture("c8.npy");
        var ex = Assert.Throws<NpyFormatException>(() => Npy.Read(path));
        Assert.Contains("'<c8' (complex64) is not supported; supported: float32, float64, uint8, int8, int64", ex.Message, StringComparison.Ordinal);
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadNumpy_Object_Rejected()
    {
        var path = Fixture("object.npy");
        var ex = Assert.Throws<NpyFormatException>(() => Npy.Read(path));
        Assert.Contains("'|O' (object; pickled Python objects) is not supported", ex.Message, StringComparison.Ordinal);
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
    }

    // ------------------------------------------------------------------ header robustness

    [Theory]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)}")]
    [InlineData("{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (2, 3)}")]
    [InlineData("{'shape': (2,3), 'descr': '<f4', 'fortran_order': False}")]
    [InlineData("  {  'fortran_order'  :  False ,'shape':( 2 , 3 , ) ,'descr':'<f4',  }  ")]
    [InlineData("{'descr': '<f4',\n 'fortran_order': False,\n 'shape': (2L, 3L),\n}")]
    [InlineData("{'descr': u'<f4', 'fortran_order': False, 'shape': [2, 3]}")]
    [InlineData("{'descr': '=f4', 'fortran_order': False, 'shape': (2, 3)}")]
    [InlineData("{'descr': 'f4', 'fortran_order': False, 'shape': (2, 3)}")]
    public void Header_ToleratesPythonLiteralVariations(string header)
    {
        var a = Npy.Read(new MemoryStream(Build(header, FloatBytes(1, 2, 3, 4, 5, 6))));
        Assert.Equal(NpyDType.Float32, a.DType);
        Assert.Equal([2, 3], a.Shape);
        Assert.Equal([1f, 2f, 3f, 4f, 5f, 6f], a.GetData<float>());
    }

    [Theory]
    [InlineData("(3,)", new[] { 3 })]
    [InlineData("( 3 , )", new[] { 3 })]
    [InlineData("()", new int[0])]
    [InlineData("( )", new int[0])]
    [InlineData("(1, 1, 3)", new[] { 1, 1, 3 })]
    public void Header_ShapeForms(string shape, int[] expected)
    {
        var count = expected.Aggregate(1, (a, b) => a * b);
        var bytes = Build($"{{'descr': '<i8', 'fortran_order': False, 'shape': {shape}, }}", new byte[count * 8]);
        Assert.Equal(expected, Npy.Read(new MemoryStream(bytes)).Shape);
    }

    [Theory]
    [InlineData("|u1", NpyDType.UInt8)]
    [InlineData("<u1", NpyDType.UInt8)]
    [InlineData(">u1", NpyDType.UInt8)]
    [InlineData("|i1", NpyDType.Int8)]
    [InlineData("<i1", NpyDType.Int8)]
    [InlineData("<f8", NpyDType.Float64)]
    [InlineData(">f8", NpyDType.Float64)]
    [InlineData(">i8", NpyDType.Int64)]
    public void Header_DescrForms(string descr, NpyDType expected)
    {
        var size = expected is NpyDType.UInt8 or NpyDType.Int8 ? 1 : 8;
        var a = Npy.Read(new MemoryStream(Build($"{{'descr': '{descr}', 'fortran_order': False, 'shape': (2,)}}", new byte[2 * size])));
        Assert.Equal(expected, a.DType);
    }

    [Fact]
    public void Header_UnalignedAndWithoutNewline_Accepted()
    {
        var bytes = Build("{'descr': '|u1', 'fortran_order': False, 'shape': (2,)}", [7, 9], align: false);
        Assert.Equal(new byte[] { 7, 9 }, Npy.Read(new MemoryStream(bytes)).GetData<byte>());
    }

    [Fact]
    public void Header_BigEndianHandCrafted_Swapped()
    {
        var data = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(data, 0x0102030405060708);
        var a = Npy.Read(new MemoryStream(Build("{'descr': '>i8', 'fortran_order': False, 'shape': ()}", data)));
        Assert.Equal([0x0102030405060708L], a.GetData<long>());
    }

    // ------------------------------------------------------------------ corrupt input

    [Fact]
    public void Corrupt_BadMagic()
    {
        var bytes = Build("{'descr': '<f4', 'fortran_order': False, 'shape': ()}", new byte[4]);
        bytes[1] = (byte)'X';
        var ex = ReadFails(bytes);
        Assert.Contains("bad magic", ex.Message, StringComparison.Ordinal);
        Assert.Contains("\\x93NUMPY", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Corrupt_ZipArchive_HintsAtNpz()
    {
        var ex = ReadFails([(byte)'P', (byte)'K', 3, 4, 20, 0, 0, 0, 8, 0]);
        Assert.Contains("bad magic", ex.Message, StringComparison.Ordinal);
        Assert.Contains(".npz", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Corrupt_Empty()
    {
        Assert.Contains("empty", ReadFails([]).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Corrupt_ShorterThanMagic()
    {
        Assert.Contains("only 3 bytes", ReadFails([0x93, (byte)'N', (byte)'U']).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Corrupt_EndsBeforeVersion()
    {
        var ex = ReadFails([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1]);
        Assert.Contains("before the format version", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(4, 0, "4.0")]
    [InlineData(0, 0, "0.0")]
    [InlineData(1, 1, "1.1")]
    [InlineData(2, 5, "2.5")]
    public void Corrupt_UnsupportedVersion(byte major, byte minor, string shown)
    {
        var bytes = Build("{'descr': '<f4', 'fortran_order': False, 'shape': ()}", new byte[4]);
        bytes[6] = major;
        bytes[7] = minor;
        var ex = ReadFails(bytes);
        Assert.Contains($"unsupported .npy format version {shown}; supported: 1.0, 2.0, 3.0", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Corrupt_EndsInsideHeaderLength()
    {
        var ex = ReadFails([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 2, 0, 10]);
        Assert.Contains("inside the 4-byte header length", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Corrupt_HeaderTruncated()
    {
        var bytes = Build("{'descr': '<f4', 'fortran_order': False, 'shape': ()}", []);
        var cut = bytes.AsSpan(0, 30).ToArray();
        var ex = ReadFails(cut);
        Assert.Contains("header is truncated", ex.Message, StringComparison.Ordinal);
        Assert.Contains("only 20 bytes follow", ex.Message, StringComparison.Ordinal);

        var ex2 = Assert.Throws<NpyFormatException>(() => Npy.Read(new NonSeekableStream(cut)));
        Assert.Contains("only 20 bytes follow", ex2.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Corrupt_HeaderLengthAbsurd()
    {
        byte[] bytes = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 2, 0, 0xFF, 0xFF, 0xFF, 0xF0, (byte)'{'];
        var ex = Assert.Throws<NpyFormatException>(() => Npy.Read(new NonSeekableStream(bytes)));
        Assert.Contains("implausibly large", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "must start with '{'")]
    [InlineData("['descr', '<f4']", "must start with '{'")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)", "expected ',' or '}'")]
    [InlineData("{'descr' '<f4', 'fortran_order': False, 'shape': (2,)}", "expected ':' after key 'descr'")]
    [InlineData("{'descr': '<f4, 'fortran_order': False, 'shape': (2,)}", "expected ',' or '}' after a dict value")]
    [InlineData("{'descr': '<f4', 'fortran_order': false, 'shape': (2,)}", "unexpected name 'false'")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3.5)}", "expected an integer")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (2 3)}", "expected ',' or ')'")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (2,)} junk", "unexpected text after the closing '}'")]
    [InlineData("{descr: '<f4', 'fortran_order': False, 'shape': (2,)}", "expected a quoted string key")]
    [InlineData("{'descr': '<f4", "unterminated string")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'shape': (2,)}", "duplicate key 'shape'")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'extra': 1}", "unexpected key 'extra'")]
    [InlineData("{'descr': '<f4', 'fortran_order': 0, 'shape': (2,)}", "'fortran_order' must be True or False, got 0")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (2)}", "a one-element tuple needs a trailing comma")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': ('2',)}", "'shape' must be a tuple of integers")]
    [InlineData("{'descr': 4, 'fortran_order': False, 'shape': (2,)}", "'descr' must be a dtype string")]
    public void Corrupt_UnparseableHeader(string header, string expected)
    {
        var ex = ReadFails(Build(header, new byte[8]));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("descr")]
    [InlineData("fortran_order")]
    [InlineData("shape")]
    public void Corrupt_MissingKey(string key)
    {
        var parts = new Dictionary<string, string>
        {
            ["descr"] = "'descr': '<f4'",
            ["fortran_order"] = "'fortran_order': False",
            ["shape"] = "'shape': (1,)",
        };
        parts.Remove(key);
        var ex = ReadFails(Build("{" + string.Join(", ", parts.Values) + "}", new byte[4]));
        Assert.Contains($"header is missing the '{key}' key", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Corrupt_FortranOrder()
    {
        var ex = ReadFails(Build("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3)}", new byte[24]));
        Assert.Contains("Fortran-order arrays are not supported; save with C order", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("<c8", "complex64")]
    [InlineData("<c16", "complex128")]
    [InlineData("|O", "object; pickled Python objects")]
    [InlineData("<i4", "int32")]
    [InlineData("<u8", "uint64")]
    [InlineData("<f2", "float16")]
    [InlineData("|b1", "bool")]
    [InlineData("<U5", "unicode string of 5 characters")]
    [InlineData("|S3", "byte string of 3 bytes")]
    [InlineData("<M8[ns]", "datetime64")]
    [InlineData("", "empty")]
    public void Corrupt_UnsupportedDType(string descr, string description)
    {
        var ex = ReadFails(Build($"{{'descr': '{descr}', 'fortran_order': False, 'shape': (1,)}}", new byte[8]));
        Assert.Contains($"'{descr}' ({description}) is not supported; supported: float32, float64, uint8, int8, int64", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Corrupt_StructuredDType()
    {
        var ex = ReadFails(Build("{'descr': [('x', '<f4'), ('y', '<i8')], 'fortran_order': False, 'shape': (1,)}", new byte[12]));
        Assert.Contains("structured dtype [('x', '<f4'), ('y', '<i8')] is not supported", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Corrupt_MultiByteWithoutByteOrder()
    {
        var ex = ReadFails(Build("{'descr': '|f4', 'fortran_order': False, 'shape': (1,)}", new byte[4]));
        Assert.Contains("'|f4' has no byte order", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Corrupt_NegativeShape()
    {
        var ex = ReadFails(Build("{'descr': '<f4', 'fortran_order': False, 'shape': (2, -3)}", new byte[4]));
        Assert.Contains("shape (2, -3) has a negative dimension (-3)", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("(100000, 100000)", "10000000000 elements")]
    [InlineData("(2147483647,)", "2147483647 elements")]
    [InlineData("(9223372036854775807, 9223372036854775807)", "85070591730234615847396907784232501249 elements")]
    public void Corrupt_AbsurdShape_ReportsElementCount(string shape, string expected)
    {
        var ex = ReadFails(Build($"{{'descr': '<f4', 'fortran_order': False, 'shape': {shape}}}", new byte[4]));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.Contains("at most", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Corrupt_DimensionBeyondInt64()
    {
        var ex = ReadFails(Build("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 99999999999999999999)}", []));
        Assert.Contains("99999999999999999999", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Corrupt_ZeroSizedButDimensionBeyondInt32()
    {
        var ex = ReadFails(Build("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 3000000000)}", []));
        Assert.Contains("dimension (3000000000) larger than 2147483647", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Corrupt_TruncatedData()
    {
        var ex = ReadFails(Build("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", new byte[20]));
        Assert.Contains("file holds 20 bytes of data, shape (2, 3) float32 needs 24", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Corrupt_TruncatedData_NonSeekable()
    {
        var bytes = Build("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", new byte[17]);
        var ex = Assert.Throws<NpyFormatException>(() => Npy.Read(new NonSeekableStream(bytes)));
        Assert.Contains("file holds 17 bytes of data, shape (3,) float64 needs 24", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Corrupt_TrailingData()
    {
        var ex = Assert.Throws<NpyFormatException>(
            () => Npy.Read(new MemoryStream(Build("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", new byte[25]))));
        Assert.Contains("unexpected data after the array", ex.Message, StringComparison.Ordinal);
        Assert.Contains("file holds 25 bytes of data, shape (2, 3) float32 needs only 24", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Corrupt_TrailingData_NonSeekable()
    {
        var bytes = Build("{'descr': '|u1', 'fortran_order': False, 'shape': (2,), }", new byte[3]);
        var ex = Assert.Throws<NpyFormatException>(() => Npy.Read(new NonSeekableStream(bytes)));
        Assert.Contains("unexpected data after the array", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Corrupt_HugeShapeInTinyFile_FailsFastWithoutAllocating()
    {
        var bytes = Build("{'descr': '<f8', 'fortran_order': False, 'shape': (2000000000,), }", new byte[16]);
        var before = GC.GetAllocatedBytesForCurrentThread();

        var ex = Assert.Throws<NpyFormatException>(() => Npy.Read(new MemoryStream(bytes)));

        Assert.Contains("file holds 16 bytes of data, shape (2000000000,) float64 needs 16000000000", ex.Message, StringComparison.Ordinal);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1_000_000, "no data array should be allocated");
    }

    [Fact]
    public void Corrupt_HugeShapeInTinyNonSeekableStream_FailsWithoutHugeAllocation()
    {
        var bytes = Build("{'descr': '<f4', 'fortran_order': False, 'shape': (40000, 50000), }", new byte[16]);
        var before = GC.GetAllocatedBytesForCurrentThread();

        var ex = Assert.Throws<NpyFormatException>(() => Npy.Read(new NonSeekableStream(bytes)));

        Assert.Contains("file holds 16 bytes of data, shape (40000, 50000) float32 needs 8000000000", ex.Message, StringComparison.Ordinal);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 10_000_000, "allocation must grow with the data actually present");
    }

    [Fact]
    public void Corrupt_InvalidUtf8InVersion3Header()
    {
        var bytes = Build("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", new byte[4], major: 3);
        bytes[13] = 0xFF;
        Assert.Contains("not valid UTF-8", ReadFails(bytes).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Version2And3_HandCrafted()
    {
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }";
        Assert.Equal([2.5f], Npy.Read(new MemoryStream(Build(header, FloatBytes(2.5f), major: 2))).GetData<float>());
        Assert.Equal([2.5f], Npy.Read(new MemoryStream(Build(header, FloatBytes(2.5f), major: 3))).GetData<float>());
    }

    [Fact]
    public void ReadPath_ErrorMentionsPath()
    {
        var path = Path.Combine(_tempDir, "bad.npy");
        File.WriteAllBytes(path, Build("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", new byte[20]));

        var ex = Assert.Throws<NpyFormatException>(() => Npy.Read(path));

        Assert.StartsWith(path + ": ", ex.Message, StringComparison.Ordinal);
        Assert.Contains("file holds 20 bytes of data, shape (2, 3) float32 needs 24", ex.Message, StringComparison.Ordinal);
        Assert.IsType<NpyFormatException>(ex.InnerException);
        Assert.IsAssignableFrom<FormatException>(ex);
    }

    [Fact]
    public void ReadPath_Missing_MentionsPath()
    {
        var path = Path.Combine(_tempDir, "missing.npy");
        var ex = Assert.Throws<FileNotFoundException>(() => Npy.Read(path));
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
    }

    // ------------------------------------------------------------------ atomic writes

    [Fact]
    public void WritePath_OverwritesExistingFile_LeavesNoTempFiles()
    {
        var path = Path.Combine(_tempDir, "x.npy");
        Npy.Write(path, NpyArray.Create(new long[] { 1, 2, 3 }, 3));
        Npy.Write(path, NpyArray.Create(new float[] { 4 }));

        Assert.Equal([4f], Npy.Read(path).GetData<float>());
        Assert.Equal(["x.npy"], Directory.GetFiles(_tempDir).Select(Path.GetFileName));
    }

    [Fact]
    public void WritePath_NullArray_DoesNotClobberExistingFile()
    {
        var path = Path.Combine(_tempDir, "keep.npy");
        File.WriteAllBytes(path, [1, 2, 3]);

        Assert.Throws<ArgumentNullException>(() => Npy.Write(path, null!));

        Assert.Equal(new byte[] { 1, 2, 3 }, File.ReadAllBytes(path));
        Assert.Equal(["keep.npy"], Directory.GetFiles(_tempDir).Select(Path.GetFileName));
    }

    [Fact]
    public void WritePath_InvalidArrayCannotBeConstructed_ExistingFileKept()
    {
        var path = Path.Combine(_tempDir, "keep.npy");
        Npy.Write(path, NpyArray.Create(new byte[] { 9 }, 1));

        Assert.Throws<ArgumentException>(() => Npy.Write(path, NpyArray.Create(new byte[] { 1, 2 }, 3)));

        Assert.Equal(new byte[] { 9 }, Npy.Read(path).GetData<byte>());
        Assert.Equal(["keep.npy"], Directory.GetFiles(_tempDir).Select(Path.GetFileName));
    }

    [Fact]
    public void WriteAtomic_FailureMidWrite_KeepsOriginalAndRemovesTemp()
    {
        var path = Path.Combine(_tempDir, "keep.npy");
        Npy.Write(path, NpyArray.Create(new double[] { 1, 2 }, 2));
        var original = File.ReadAllBytes(path);

        var ex = Assert.Throws<IOException>(() => Npy.WriteAtomic(path, stream =>
        {
            stream.Write(new byte[1000]);
            throw new IOException("disk full");
        }));

        Assert.Equal("disk full", ex.Message);
        Assert.Equal(original, File.ReadAllBytes(path));
        Assert.Equal(["keep.npy"], Directory.GetFiles(_tempDir).Select(Path.GetFileName));
    }

    [Fact]
    public void WriteAtomic_FailureMidWrite_NoFileCreated()
    {
        var path = Path.Combine(_tempDir, "new.npy");

        Assert.Throws<InvalidOperationException>(() => Npy.WriteAtomic(path, _ => throw new InvalidOperationException()));

        Assert.Empty(Directory.GetFiles(_tempDir));
    }

    [Fact]
    public void WritePath_MissingDirectory_Throws()
    {
        var path = Path.Combine(_tempDir, "nope", "a.npy");
        Assert.Throws<DirectoryNotFoundException>(() => Npy.Write(path, NpyArray.Create(new byte[] { 1 }, 1)));
        Assert.Empty(Directory.GetFileSystemEntries(_tempDir));
    }

    [Fact]
    public void WritePath_TargetIsDirectory_LeavesNoTemp()
    {
        var path = Path.Combine(_tempDir, "dir.npy");
        Directory.CreateDirectory(path);

        Assert.ThrowsAny<IOException>(() => Npy.Write(path, NpyArray.Create(new byte[] { 1 }, 1)));

        Assert.Empty(Directory.GetFiles(_tempDir));
        Assert.True(Directory.Exists(path));
    }

    // ------------------------------------------------------------------ NpyArray

    [Fact]
    public void NpyArray_ShapeIsCopySafe()
    {
        int[] shape = [2, 3];
        var a = new NpyArray(NpyDType.Float32, shape, new float[6]);
        shape[0] = 99;
        a.Shape[1] = 99;
        Assert.Equal([2, 3], a.Shape);
    }

    [Fact]
    public void NpyArray_Scalar()
    {
        var a = NpyArray.Create(new double[] { 7 });
        Assert.Empty(a.Shape);
        Assert.Equal(1, a.Length);
        Assert.Equal("NpyArray float64 ()", a.ToString());
    }

    [Fact]
    public void NpyArray_WrongDataType()
    {
        var ex = Assert.Throws<ArgumentException>(() => new NpyArray(NpyDType.Float32, [2], new double[2]));
        Assert.Contains("data is Double[] but dtype float32 needs Single[]", ex.Message, StringComparison.Ordinal);
        Assert.Equal("data", ex.ParamName);
    }

    [Fact]
    public void NpyArray_CovariantArraysRejected()
    {
        // The CLR lets a byte[] masquerade as sbyte[] and a ulong[] as long[]; these must still be rejected.
        Assert.Throws<ArgumentException>(() => new NpyArray(NpyDType.Int8, [1], new byte[1]));
        Assert.Throws<ArgumentException>(() => new NpyArray(NpyDType.Int64, [1], new ulong[1]));
    }

    [Fact]
    public void NpyArray_LengthMismatch()
    {
        var ex = Assert.Throws<ArgumentException>(() => new NpyArray(NpyDType.UInt8, [2, 3], new byte[5]));
        Assert.Contains("data has 5 elements but shape (2, 3) needs 6", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NpyArray_ScalarNeedsOneElement()
    {
        var ex = Assert.Throws<ArgumentException>(() => NpyArray.Create(new float[3]));
        Assert.Contains("shape () needs 1", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NpyArray_NegativeDimension()
    {
        var ex = Assert.Throws<ArgumentException>(() => new NpyArray(NpyDType.UInt8, [2, -1], Array.Empty<byte>()));
        Assert.Contains("negative dimension (-1)", ex.Message, StringComparison.Ordinal);
        Assert.Equal("shape", ex.ParamName);
    }

    [Fact]
    public void NpyArray_TooManyElements()
    {
        var ex = Assert.Throws<ArgumentException>(() => new NpyArray(NpyDType.UInt8, [65536, 65536], new byte[1]));
        Assert.Contains("4294967296 elements", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NpyArray_UndefinedDType()
    {
        Assert.Throws<ArgumentException>(() => new NpyArray((NpyDType)42, [1], new byte[1]));
    }

    [Fact]
    public void Create_UnsupportedElementType()
    {
        var ex = Assert.Throws<ArgumentException>(() => NpyArray.Create(new int[2], 2));
        Assert.Contains("Int32 is not supported", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_InfersDType()
    {
        Assert.Equal(NpyDType.Float32, NpyArray.Create(new float[1], 1).DType);
        Assert.Equal(NpyDType.Float64, NpyArray.Create(new double[1], 1).DType);
        Assert.Equal(NpyDType.UInt8, NpyArray.Create(new byte[1], 1).DType);
        Assert.Equal(NpyDType.Int8, NpyArray.Create(new sbyte[1], 1).DType);
        Assert.Equal(NpyDType.Int64, NpyArray.Create(new long[1], 1).DType);
    }

    [Fact]
    public void GetData_WrongType()
    {
        var a = NpyArray.Create(new double[2], 2);
        var ex = Assert.Throws<InvalidOperationException>(() => a.GetData<float>());
        Assert.Contains("array holds float64, not float32", ex.Message, StringComparison.Ordinal);
        var ex2 = Assert.Throws<InvalidOperationException>(() => a.GetData<int>());
        Assert.Contains("array holds float64, not Int32", ex2.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GetData_ReturnsSameArray()
    {
        var data = new long[] { 5 };
        Assert.Same(data, NpyArray.Create(data, 1).GetData<long>());
    }

    [Fact]
    public void ToDoubleArray_ConvertsEveryDType()
    {
        Assert.Equal([1.5, -2], NpyArray.Create(new float[] { 1.5f, -2 }, 2).ToDoubleArray());
        Assert.Equal([1.5, -2], NpyArray.Create(new double[] { 1.5, -2 }, 2).ToDoubleArray());
        Assert.Equal([0, 255], NpyArray.Create(new byte[] { 0, 255 }, 2).ToDoubleArray());
        Assert.Equal([-128, 127], NpyArray.Create(new sbyte[] { -128, 127 }, 2).ToDoubleArray());
        Assert.Equal([-5, 1L << 40], NpyArray.Create(new long[] { -5, 1L << 40 }, 2).ToDoubleArray());

        var source = new double[] { 1 };
        var copy = NpyArray.Create(source, 1).ToDoubleArray();
        Assert.NotSame(source, copy);
    }

    // ------------------------------------------------------------------ helpers

    private static string Fixture(string name) => Path.Combine(FixtureDir, name);

    /// <summary>Asserts that reading fails, from both a seekable and a non-seekable stream, with the same message.</summary>
    private static NpyFormatException ReadFails(byte[] bytes)
    {
        var seekable = Assert.Throws<NpyFormatException>(() => Npy.Read(new MemoryStream(bytes)));
        var streamed = Assert.Throws<NpyFormatException>(() => Npy.Read(new NonSeekableStream(bytes)));
        Assert.Equal(seekable.Message, streamed.Message);
        return seekable;
    }

    private static NpyArray RoundTrip(NpyArray array)
    {
        using var ms = new MemoryStream();
        Npy.Write(ms, array);
        ms.Position = 0;
        return Npy.Read(ms);
    }

    /// <summary>Builds an .npy byte image from a raw header text and raw data bytes.</summary>
    private static byte[] Build(string header, byte[] data, byte major = 1, bool align = true)
    {
        var prefix = major == 1 ? 10 : 12;
        var text = header;
        if (align)
        {
            var total = prefix + Encoding.UTF8.GetByteCount(text) + 1;
            text += new string(' ', (64 - (total % 64)) % 64) + "\n";
        }

        var headerBytes = major == 3 ? Encoding.UTF8.GetBytes(text) : Encoding.Latin1.GetBytes(text);
        var result = new byte[prefix + headerBytes.Length + data.Length];
        byte[] magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];
        magic.CopyTo(result, 0);
        result[6] = major;
        result[7] = 0;
        if (major == 1)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(result.AsSpan(8), (ushort)headerBytes.Length);
        }
        else
        {
            BinaryPrimitives.WriteUInt32LittleEndian(result.AsSpan(8), (uint)headerBytes.Length);
        }

        headerBytes.CopyTo(result, prefix);
        data.CopyTo(result, prefix + headerBytes.Length);
        return result;
    }

    private static byte[] FloatBytes(params float[] values)
    {
        var bytes = new byte[values.Length * 4];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), values[i]);
        }

        return bytes;
    }

    private static int ItemSize(NpyDType dtype) => dtype switch
    {
        NpyDType.Float32 => 4,
        NpyDType.Float64 => 8,
        NpyDType.Int64 => 8,
        _ => 1,
    };

    private static NpyArray MakeArray(NpyDType dtype, int[] shape)
    {
        var n = shape.Aggregate(1, (a, b) => a * b);
        Array data = dtype switch
        {
            NpyDType.Float32 => Enumerable.Range(0, n).Select(i => (i * 1.25f) - 3.5f).ToArray(),
            NpyDType.Float64 => Enumerable.Range(0, n).Select(i => (i * Math.E) - 1e10).ToArray(),
            NpyDType.UInt8 => Enumerable.Range(0, n).Select(i => (byte)(i * 37)).ToArray(),
            NpyDType.Int8 => Enumerable.Range(0, n).Select(i => (sbyte)((i * 37) - 100)).ToArray(),
            NpyDType.Int64 => Enumerable.Range(0, n).Select(i => (i * 0x0102030405060708L) - long.MaxValue).ToArray(),
            _ => throw new ArgumentOutOfRangeException(nameof(dtype)),
        };
        return new NpyArray(dtype, shape, data);
    }

    private static void AssertSame(NpyArray expected, NpyArray actual)
    {
        Assert.Equal(expected.DType, actual.DType);
        Assert.Equal(expected.Shape, actual.Shape);
        Assert.Equal(expected.Length, actual.Length);
        Assert.Equal(expected.Data.GetType(), actual.Data.GetType());
        Assert.Equal(expected.Data.Cast<object>(), actual.Data.Cast<object>());
    }

    /// <summary>A read-only stream that cannot seek and returns at most 7 bytes per read, like a slow pipe.</summary>
    private sealed class NonSeekableStream(byte[] bytes) : Stream
    {
        private readonly MemoryStream _inner = new(bytes);

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, Math.Min(count, 7));

        public override int Read(Span<byte> buffer) => _inner.Read(buffer[..Math.Min(buffer.Length, 7)]);

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
