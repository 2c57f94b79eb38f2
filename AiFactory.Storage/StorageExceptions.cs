namespace AiFactory.Storage;

/// <summary>The store cannot be reached or refuses to work (down, timing out, wrong credentials, no bucket): uploads answer 503, replicas keep serving.</summary>
public sealed class StorageUnavailableException(string message, Exception? innerException = null)
    : Exception(message, innerException);

/// <summary>More than the allowed bytes arrived (an upload answers 413); nothing was stored.</summary>
public sealed class ObjectTooLargeException(string key, long maxBytes)
    : Exception($"the object for '{key}' is larger than the limit of {maxBytes} bytes")
{
    public string Key { get; } = key;

    public long MaxBytes { get; } = maxBytes;
}

/// <summary>No object is stored under the key.</summary>
public sealed class ObjectNotFoundException(string key, Exception? innerException = null)
    : Exception($"no object is stored under '{key}'", innerException)
{
    public string Key { get; } = key;
}

/// <summary>An artifact's bytes are not the ones its content address names (<see cref="VerifyingStream"/>).</summary>
public sealed class ArtifactIntegrityException(string key, string problem)
    : Exception($"artifact '{key}' failed verification: {problem}")
{
    public string Key { get; } = key;
}
