using AiFactory.Inference.Protocol;

namespace AiFactory.Inference.Repository;

/// <summary>
/// The <c>model_repository</c> extension's explicit load and unload, whatever decides what a replica serves: the
/// folder (<see cref="ModelRepositoryLoader"/>) or the registry (<c>RegistryReconciler</c>). A refusal is thrown as an
/// <see cref="InferenceError"/>, answered by the service's one error handler.
/// </summary>
public interface IModelControl
{
    Task LoadAsync(string name, CancellationToken cancellationToken);

    Task UnloadAsync(string name, CancellationToken cancellationToken);
}
