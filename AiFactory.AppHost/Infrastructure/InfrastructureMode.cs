namespace AiFactory.AppHost.Infrastructure;

/// <summary>How the AppHost provides Redis and PostgreSQL.</summary>
public enum InfrastructureMode
{
    /// <summary>Containers when a container runtime answers, local servers otherwise.</summary>
    Auto,

    /// <summary>Aspire's Redis and PostgreSQL containers, with data volumes. Always used for publishing.</summary>
    Containers,

    /// <summary><c>redis-server</c> and PostgreSQL binaries installed on this machine, run as executable resources.</summary>
    Local,

    /// <summary>Servers that already run elsewhere, given as <c>ConnectionStrings:cache</c> and <c>ConnectionStrings:aifactory</c>.</summary>
    Existing,
}
