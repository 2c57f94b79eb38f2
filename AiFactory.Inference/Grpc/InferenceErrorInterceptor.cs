using AiFactory.Inference.Protocol;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace AiFactory.Inference.Grpc;

/// <summary>
/// The gRPC edge's one place for errors: an <see cref="InferenceError"/> becomes the status of its kind, with its
/// message as the detail. Other exceptions are left to gRPC, which answers UNKNOWN without their details.
/// </summary>
public sealed class InferenceErrorInterceptor : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(request, context);
        }
        catch (InferenceError error)
        {
            throw new RpcException(new Status(StatusOf(error.Kind), error.Message));
        }
    }

    public static StatusCode StatusOf(InferenceErrorKind kind) => kind switch
    {
        InferenceErrorKind.InvalidArgument => StatusCode.InvalidArgument,
        InferenceErrorKind.NotFound => StatusCode.NotFound,
        InferenceErrorKind.ResourceExhausted => StatusCode.ResourceExhausted,
        InferenceErrorKind.DeadlineExceeded => StatusCode.DeadlineExceeded,
        InferenceErrorKind.Unavailable => StatusCode.Unavailable,
        InferenceErrorKind.Unprocessable => StatusCode.FailedPrecondition,
        _ => StatusCode.Internal,
    };
}
