using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace AiFactory.Evaluation.Running;

/// <summary>Adapts an ONNX Runtime session with one input to <see cref="ModelRun"/>.</summary>
public static class OnnxModelRun
{
    public static ModelRun For(InferenceSession session)
    {
        var input = session.InputMetadata.Keys.Single();
        var output = session.OutputMetadata.Keys.First();
        return tensor =>
        {
            using var results = session.Run([NamedOnnxValue.CreateFromTensor(input, new DenseTensor<float>(tensor.Data, tensor.Shape))], [output]);
            var result = results[0].AsTensor<float>();
            return new FloatTensor(result.ToArray(), result.Dimensions.ToArray());
        };
    }
}
