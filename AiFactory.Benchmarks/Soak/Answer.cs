using Grpc.Core;

namespace AiFactory.Benchmarks.Soak;

/// <summary>
/// What the client saw of one request: an HTTP status, a gRPC status, or a failure that left it without an answer
/// (a timeout, a transport error, a connection closed unanswered). <see cref="Message"/>: the error the server gave
/// (the start of an error body, a gRPC status detail), for the report.
/// </summary>
public sealed record Answer(int? HttpStatus, StatusCode? GrpcStatus, string? Failure, bool CacheHit = false, string? Message = null)
{
    public static Answer Http(int status, bool cacheHit = false, string? message = null) => new(status, null, null, cacheHit, message);

    public static Answer Grpc(StatusCode status, string? message = null) => new(null, status, null, Message: message);

    public static Answer Failed(string failure) => new(null, null, failure);

    /// <summary>A short name for the outcome, for tables: <c>200</c>, <c>gRPC PermissionDenied</c>, <c>timeout</c>.</summary>
    public string Outcome => Failure ?? (GrpcStatus is { } grpc ? $"gRPC {grpc}" : $"{HttpStatus}");

    /// <summary>
    /// The status the gateway's usage meter counts this request under: its HTTP status. A gRPC call is answered with
    /// HTTP 200 whatever its gRPC status (that travels in trailers, or in the headers of a trailers-only answer), so
    /// every answered gRPC call counts as 200. Null without an answer: what the gateway counted is not known then.
    /// </summary>
    public int? MeteredStatus => Failure is not null ? null : GrpcStatus is not null ? 200 : HttpStatus;

    /// <summary>
    /// A refusal of the request for what it is: an HTTP 4xx, or a gRPC status the gateway gives for one
    /// (<c>GatewayErrors.GrpcStatusOf</c>). A 5xx, a timeout or a transport failure is not: the service failed.
    /// </summary>
    public bool IsRefusal => Failure is null && (HttpStatus is >= 400 and < 500 || GrpcStatus is StatusCode.InvalidArgument
        or StatusCode.PermissionDenied or StatusCode.NotFound or StatusCode.Unimplemented or StatusCode.ResourceExhausted
        or StatusCode.Unauthenticated);
}
