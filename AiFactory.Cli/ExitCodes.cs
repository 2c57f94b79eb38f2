using System.Net;

namespace AiFactory.Cli;

/// <summary>The exit codes scripts can rely on; <see cref="Help"/> is what <c>aifactory --help</c> and the README say.</summary>
public static class ExitCodes
{
    public const int Success = 0;
    public const int Refused = 1;
    public const int Usage = 2;
    public const int Unauthorized = 3;
    public const int NotFound = 4;
    public const int Conflict = 5;
    public const int Unavailable = 6;
    public const int ValidationFailed = 7;

    public const string Help = """
        Exit codes:
          0  success
          1  the request was refused (an HTTP 4xx answer not listed below)
          2  usage error (bad arguments)
          3  authentication or authorisation failed (HTTP 401, 403)
          4  not found (HTTP 404)
          5  conflict (HTTP 409)
          6  the gateway is unavailable or unreachable (HTTP 5xx, connection refused, timeout)
          7  validation failed (models push: the version is invalid)
        """;

    /// <summary>The exit code of an answer that is not a success.</summary>
    public static int ForStatus(HttpStatusCode status) => (int)status switch
    {
        401 or 403 => Unauthorized,
        404 => NotFound,
        409 => Conflict,
        >= 500 => Unavailable,
        _ => Refused,
    };
}
