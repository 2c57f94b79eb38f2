using System.Text.Json.Nodes;
using AiFactory.Gateway.Errors;
using AiFactory.Optimization.Transforms;

namespace AiFactory.Gateway.Registry;

/// <summary>
/// Makes a new version from a ready one (DESIGN.md §8): an inference replica runs the transform, its output streams
/// into the object store as an upload does (size and SHA-256 from the bytes received, at most
/// Registry:MaxUploadBytes), and the version is added in state <c>validating</c> with its lineage
/// <c>{"name", "options", "details", "calibration"}</c>, audited as <c>model.version.derive</c>. It then validates
/// like any upload, against the version taking traffic.
/// </summary>
public sealed class VersionOptimizer(RegistryStore registry, OptimizationClient replicas, UploadService uploads, TensorRtServing tensorRt)
{
    /// <exception cref="RequestRefusedException">
    /// 404 unknown model or version; 409 a parent that is not ready, or a result identical to a version; 413 a result
    /// over Registry:MaxUploadBytes; 422 the transform does not apply (the reason); 503 no replica or no object store.
    /// </exception>
    public async Task<VersionRecord> OptimizeAsync(string model, int version, TransformRequest request, string keyId, CancellationToken cancellationToken)
    {
        // Checked before any work; the store checks again under the model's lock when it adds the version.
        var parent = RegistryStore.RequireDerivable(model, version, await registry.FindVersionAsync(model, version, cancellationToken));
        if (request.Transform == TransformRequest.TensorRt)
        {
            return await tensorRt.DeriveAsync(parent, request, keyId, cancellationToken);
        }

        using var result = await replicas.OptimizeAsync(parent, request, cancellationToken);
        UploadService.StagedUpload staged;
        try
        {
            staged = await uploads.StageAsync(result.Bytes, cancellationToken);
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            throw RequestRefusedException.Unavailable($"the inference replica stopped sending the new model: {e.Message}");
        }

        return await uploads.AddDerivedAsync(staged, model, parent.Version, parent.Config, Lineage(request, result.Details, result.Calibration), keyId,
            cancellationToken);
    }

    /// <summary>The version's <c>transform</c>: what was asked (name, options in force), what was done, and what it calibrated on.</summary>
    public static string Lineage(TransformRequest request, JsonNode? details, string calibration)
    {
        var options = request.ToJson();
        options.Remove("transform");
        return new JsonObject
        {
            ["name"] = request.Transform,
            ["options"] = options,
            ["details"] = details ?? new JsonObject(),
            ["calibration"] = calibration,
        }.ToJsonString();
    }
}
