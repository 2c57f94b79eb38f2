using AiFactory.Inference.Protocol;

namespace AiFactory.Inference.Repository;

/// <summary>
/// The <c>model_repository</c> extension's explicit load and unload, whatever decides what a replica serves: the
/// folder (<see cref="ModelRepositoryLoader"/>) or the registry (<c>RegistryReconciler</c>). Each returns null, or the
/// refusal with its status.
/// </summary>
public interface IModelControl
{
    Task<InferenceException?> LoadAsync(string name, CancellationToken cancellationToken);

    Task<InferenceException?> UnloadAsync(string name, CancellationToken cancellationToken);
}
