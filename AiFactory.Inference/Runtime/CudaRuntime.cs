using System.Runtime.InteropServices;

namespace AiFactory.Inference.Runtime;

/// <summary>
/// The two CUDA runtime calls a captured graph needs around its replay: copying tensors to and from the device
/// buffers it was captured with. ONNX Runtime's CUDA provider has already loaded this library when they are called.
/// </summary>
internal static partial class CudaRuntime
{
    private const string Library = "libcudart.so.13";
    private const int HostToDevice = 1;
    private const int DeviceToHost = 2;

    public static unsafe void CopyToDevice(Span<byte> device, ReadOnlySpan<byte> host)
    {
        fixed (byte* target = device)
        fixed (byte* source = host)
        {
            Check(cudaMemcpy((nint)target, (nint)source, (nuint)host.Length, HostToDevice), "cudaMemcpy to the device");
        }

        // From pageable memory cudaMemcpy may return before the copy has reached the device, and ONNX Runtime replays
        // the graph on a stream of its own that does not wait for the default one: wait here.
        Check(cudaDeviceSynchronize(), "cudaDeviceSynchronize");
    }

    public static unsafe byte[] CopyFromDevice(ReadOnlySpan<byte> device)
    {
        var host = new byte[device.Length];
        fixed (byte* source = device)
        fixed (byte* target = host)
        {
            Check(cudaMemcpy((nint)target, (nint)source, (nuint)host.Length, DeviceToHost), "cudaMemcpy from the device");
        }

        return host;
    }

    private static void Check(int error, string call)
    {
        if (error != 0)
        {
            throw new InvalidOperationException($"{call} failed: CUDA error {error} ({Marshal.PtrToStringAnsi(cudaGetErrorString(error))})");
        }
    }

    [LibraryImport(Library)]
    private static partial int cudaMemcpy(nint destination, nint source, nuint count, int kind);

    [LibraryImport(Library)]
    private static partial int cudaDeviceSynchronize();

    [LibraryImport(Library)]
    private static partial nint cudaGetErrorString(int error);
}
