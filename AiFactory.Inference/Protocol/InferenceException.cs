namespace AiFactory.Inference.Protocol;

/// <summary>A request the server refuses, with the status code and the message the client gets.</summary>
public sealed class InferenceException(int statusCode, string message) : Exception(message)
{
    public int StatusCode { get; } = statusCode;

    public static InferenceException BadRequest(string message) => new(StatusCodes.Status400BadRequest, message);
    public static InferenceException NotFound(string message) => new(StatusCodes.Status404NotFound, message);
    public static InferenceException Unavailable(string message) => new(StatusCodes.Status503ServiceUnavailable, message);
}
