using AiFactory.Inference.Repository;

namespace AiFactory.Tests.Inference;

public sealed class ModelRepositoryLookupTests
{
    [Fact]
    public void Without_a_version_the_newest_ready_version_is_served()
    {
        var repository = new ModelRepository();
        repository.Set(ModelVersionEntry.Unavailable("m", "10", "broken"));
        repository.Set(ModelVersionEntry.Loading("m", "9"));
        repository.Set(ModelVersionEntry.Unavailable("m", "2", "also broken"));

        Assert.Equal(["2", "9", "10"], repository.VersionsOf("m"));
        // None is ready: the newest is reported, so the client learns why it cannot be served.
        Assert.Equal("10", repository.Find("m", null).Entry!.Version);
    }

    [Fact]
    public void Unknown_models_and_versions_say_which()
    {
        var repository = new ModelRepository();
        repository.Set(ModelVersionEntry.Loading("m", "1"));

        Assert.Equal("unknown model 'n'", repository.Find("n", null).Error);
        Assert.Equal("unknown version '3' of model 'm'", repository.Find("m", "3").Error);
        Assert.Equal("1", repository.Find("m", "1").Entry!.Version);
    }

    [Fact]
    public void Setting_a_version_again_replaces_it()
    {
        var repository = new ModelRepository();
        repository.Set(ModelVersionEntry.Loading("m", "1"));
        repository.Set(ModelVersionEntry.Unavailable("m", "1", "bad file"));

        var entry = Assert.Single(repository.Entries);
        Assert.Equal(ModelState.Unavailable, entry.State);
        Assert.Equal("bad file", entry.Reason);
    }
}
