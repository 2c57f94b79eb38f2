using AiFactory.Inference.Runtime;

namespace AiFactory.Inference.Repository;

/// <summary>What the repository knows of one model version: its state, and its session once it is ready.</summary>
public sealed record ModelVersionEntry(string Name, string Version, string State, string Reason, LoadedModel? Model)
{
    public bool IsReady => State == ModelState.Ready && Model is not null;

    public static ModelVersionEntry Loading(string name, string version) => new(name, version, ModelState.Loading, "", null);

    public static ModelVersionEntry Unavailable(string name, string version, string reason) =>
        new(name, version, ModelState.Unavailable, reason, null);

    public static ModelVersionEntry Ready(LoadedModel model) => new(model.Name, model.Version, ModelState.Ready, "", model);
}
