namespace AiFactory.AppHost.Infrastructure;

/// <summary>How the AppHost provides Redis, PostgreSQL and the object store.</summary>
public enum InfrastructureMode
{
    /// <summary>Containers when a container runtime answers, local servers otherwise.</summary>
    Auto,

    /// <summary>Aspire's Redis and PostgreSQL containers and SeaweedFS, with data volumes. Always used for publishing.</summary>
    Containers,

    /// <summary><c>redis-server</c> and PostgreSQL binaries installed on this machine and npm's s3rver, run as executable resources.</summary>
    Local,

    /// <summary>Servers that already run elsewhere, given as <c>ConnectionStrings:cache</c>, <c>ConnectionStrings:aifactory</c> and <c>ConnectionStrings:storage</c>.</summary>
    Existing,
}
