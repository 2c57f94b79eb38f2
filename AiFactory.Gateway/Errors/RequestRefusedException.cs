namespace AiFactory.Gateway.Errors;

/// <summary>
/// A request the admin API refuses, thrown where the refusal is decided (the registry's store decides most of them
/// inside a transaction): the status and the <c>{"error"}</c> message the caller gets (see <c>AdminGroup</c>).
/// </summary>
public sealed class RequestRefusedException(int status, string message) : Exception(message)
{
    public int Status { get; } = status;

    public static RequestRefusedException BadRequest(string message) => new(StatusCodes.Status400BadRequest, message);

    public static RequestRefusedException NotFound(string message) => new(StatusCodes.Status404NotFound, message);

    public static RequestRefusedException Conflict(string message) => new(StatusCodes.Status409Conflict, message);

    public static RequestRefusedException TooLarge(string message) => new(StatusCodes.Status413PayloadTooLarge, message);

    public static RequestRefusedException Unavailable(string message) => new(StatusCodes.Status503ServiceUnavailable, message);
}
