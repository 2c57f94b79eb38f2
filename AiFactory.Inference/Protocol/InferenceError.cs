namespace AiFactory.Inference.Protocol;

/// <summary>
/// Why the server refuses a request, in terms both protocols have: the REST edge maps each kind to an HTTP status
/// (<see cref="Rest.InferenceErrorHandler"/>), the gRPC edge to a gRPC status (<see cref="Grpc.InferenceErrorInterceptor"/>).
/// </summary>
public enum InferenceErrorKind
{
    /// <summary>The request is malformed or does not fit the model (HTTP 400, gRPC INVALID_ARGUMENT).</summary>
    InvalidArgument,

    /// <summary>No such model or version (HTTP 404, gRPC NOT_FOUND).</summary>
    NotFound,

    /// <summary>The request is larger than a limit allows (HTTP 413, gRPC RESOURCE_EXHAUSTED).</summary>
    ResourceExhausted,

    /// <summary>The client sent its request too slowly (HTTP 408, gRPC DEADLINE_EXCEEDED).</summary>
    DeadlineExceeded,

    /// <summary>
    /// The model cannot take the request now: not ready, unloading, its queue full, or the request's own timeout
    /// passed while it waited (HTTP 503, gRPC UNAVAILABLE).
    /// </summary>
    Unavailable,

    /// <summary>The request is well formed but cannot be carried out on this model, e.g. a transform that does not apply (HTTP 422, gRPC FAILED_PRECONDITION).</summary>
    Unprocessable,
}

/// <summary>
/// The one error the inference core throws: a kind and a message for the client, naming what is wrong. Anything
/// else that escapes is a server fault, answered without its details.
/// </summary>
public sealed class InferenceError(InferenceErrorKind kind, string message) : Exception(message)
{
    public InferenceErrorKind Kind { get; } = kind;

    public static InferenceError InvalidArgument(string message) => new(InferenceErrorKind.InvalidArgument, message);
    public static InferenceError NotFound(string message) => new(InferenceErrorKind.NotFound, message);
    public static InferenceError Unavailable(string message) => new(InferenceErrorKind.Unavailable, message);
    public static InferenceError Unprocessable(string message) => new(InferenceErrorKind.Unprocessable, message);
}
