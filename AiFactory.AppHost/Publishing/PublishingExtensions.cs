namespace AiFactory.AppHost.Publishing;

/// <summary>How the services appear in the published manifest, which Aspirate turns into <c>manifests/base</c>.</summary>
public static class PublishingExtensions
{
    /// <summary>
    /// Publishes the project with plain-HTTP endpoints only. In publish mode Aspire gives every web project a
    /// default <c>https</c> endpoint; none of the services terminates TLS (the cluster's ingress does), so that
    /// endpoint would only become a Service port nothing listens on. For a project whose endpoints come from
    /// Kestrel configuration it is worse: Aspire copies the target port of the first http-scheme endpoint, which
    /// for inference is the gRPC port. Run mode is left as it is.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithPlainHttpWhenPublished(this IResourceBuilder<ProjectResource> project)
    {
        if (!project.ApplicationBuilder.ExecutionContext.IsPublishMode)
        {
            return project;
        }

        var https = project.Resource.Annotations.OfType<EndpointAnnotation>()
            .Where(endpoint => endpoint.UriScheme == "https")
            .ToList();
        foreach (var endpoint in https)
        {
            project.Resource.Annotations.Remove(endpoint);
        }

        return project;
    }
}
