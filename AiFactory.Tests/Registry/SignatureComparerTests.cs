using AiFactory.Inference.Runtime;
using AiFactory.Inference.Validation;

namespace AiFactory.Tests.Registry;

/// <summary>What a caller of the reference version would have to change: the changes validation reports.</summary>
public sealed class SignatureComparerTests
{
    private static readonly TensorSpec X = new("x", "FP32", [-1, 3, -1, -1]);
    private static readonly TensorSpec Y = new("y", "FP32", [-1, 2]);

    [Fact]
    public void The_same_signature_has_no_changes_and_a_dimension_made_variable_is_none() =>
        Assert.Empty(SignatureComparer.Changes([X with { Shape = [-1, -1, -1, -1] }], [Y, new TensorSpec("extra", "FP32", [1])], [X], [Y]));

    [Fact]
    public void Datatype_rank_shape_and_names_are_each_named()
    {
        var changes = SignatureComparer.Changes(
            [X with { Datatype = "FP16" }, new TensorSpec("mask", "BOOL", [-1])], [Y with { Shape = [-1, 3] }],
            [X, new TensorSpec("scale", "FP32", [1])], [Y, new TensorSpec("z", "INT64", [-1])]);

        Assert.Equal([
            "input 'x' changed datatype from FP32 to FP16",
            "input 'scale' was removed",
            "input 'mask' is new: callers of the reference do not send it",
            "output 'y' changed shape from [-1,2] to [-1,3]",
            "output 'z' was removed",
        ], changes);
    }

    [Fact]
    public void A_changed_rank_shows_both_shapes() =>
        Assert.Equal(["input 'x' changed rank from 4 to 3 ([-1,3,-1,-1] to [-1,3,-1])"],
            SignatureComparer.Changes([X with { Shape = [-1, 3, -1] }], [Y], [X], [Y]));
}
