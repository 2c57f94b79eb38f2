extern alias benchmarks;

using benchmarks::AiFactory.Benchmarks.Soak;
using Grpc.Core;

namespace AiFactory.Tests.Benchmarks.Soak;

/// <summary>
/// The soak's mix: exactly one arrival in 100 is hostile, the hostile kinds take turns over the whole run, the valid
/// kinds come in proportion to their weights; and what counts as an error for each.
/// </summary>
public sealed class SoakMixTests
{
    private static readonly SoakRequest[] Hostile = [Request("attack-a", hostile: true), Request("attack-b", hostile: true)];

    private readonly SoakMix _mix = new([(Request("heavy", hostile: false), 75), (Request("light", hostile: false), 25)], Hostile);

    [Fact]
    public void One_arrival_in_a_hundred_is_hostile_and_the_hostile_kinds_take_turns()
    {
        var picks = Enumerable.Range(0, 10_000).Select(n => (N: n, Request: _mix.Pick(n))).ToList();
        var hostile = picks.Where(pick => pick.Request.Hostile).ToList();

        Assert.Equal(100, hostile.Count);
        Assert.All(hostile.Zip(hostile.Skip(1)), pair => Assert.Equal(SoakMix.HostileEvery, pair.Second.N - pair.First.N));
        Assert.Equal(Enumerable.Range(0, 100).Select(i => Hostile[i % 2].Name), hostile.Select(pick => pick.Request.Name));
    }

    [Fact]
    public void Valid_kinds_come_in_proportion_to_their_weights()
    {
        var heavy = Enumerable.Range(0, 100_000).Select(n => _mix.Pick(n)).Where(request => !request.Hostile).Count(request => request.Name == "heavy");

        // 99,000 valid arrivals, 75 % of them heavy.
        Assert.InRange(heavy, 0.74 * 99_000, 0.76 * 99_000);
    }

    [Fact]
    public void The_same_index_always_sends_the_same_request()
    {
        var again = new SoakMix([(Request("heavy", hostile: false), 75), (Request("light", hostile: false), 25)], Hostile);

        Assert.Equal(Enumerable.Range(0, 1_000).Select(n => _mix.Pick(n).Name), Enumerable.Range(0, 1_000).Select(n => again.Pick(n).Name));
    }

    [Fact]
    public void The_capacity_ramp_s_mix_has_no_hostile_request_and_none_of_the_kinds_left_out()
    {
        var valid = _mix.ValidOnly(request => request.Name != "light");

        Assert.All(Enumerable.Range(0, 1_000), n => Assert.Equal("heavy", valid.Pick(n).Name));
    }

    [Theory]
    [InlineData("200", false)]
    [InlineData("429", false)]  // a rate-limited key's refusal is an expected answer
    [InlineData("503", true)]
    [InlineData("timeout", true)]
    public void A_valid_request_errs_on_any_outcome_but_the_expected_ones(string outcome, bool error)
    {
        var rateLimited = new SoakRequest("rate-limited", false, KeyRole.RateLimited, "m", ["200", "429"], (_, _, _) => Task.FromResult(Answer.Http(200)));

        Assert.Equal(error, rateLimited.IsError(AnswerOf(outcome)));
    }

    [Theory]
    [InlineData("400", false)]  // the expected refusal
    [InlineData("404", false)]  // another refusal: reported, but refused all the same
    [InlineData("200", true)]   // the attack got through
    [InlineData("500", true)]
    [InlineData("timeout", true)]
    public void A_hostile_request_errs_unless_it_is_refused(string outcome, bool error) =>
        Assert.Equal(error, Hostile[0].IsError(AnswerOf(outcome)));

    [Theory]
    [InlineData(StatusCode.PermissionDenied, false)]
    [InlineData(StatusCode.InvalidArgument, false)]
    [InlineData(StatusCode.OK, true)]
    [InlineData(StatusCode.Internal, true)]
    [InlineData(StatusCode.Unavailable, true)]
    public void A_hostile_grpc_call_errs_unless_its_status_is_a_refusal(StatusCode status, bool error) =>
        Assert.Equal(error, Hostile[0].IsError(Answer.Grpc(status)));

    private static Answer AnswerOf(string outcome) => int.TryParse(outcome, out var status) ? Answer.Http(status) : Answer.Failed(outcome);

    private static SoakRequest Request(string name, bool hostile) =>
        new(name, hostile, KeyRole.Unrestricted, "m", hostile ? ["400"] : ["200"], (_, _, _) => Task.FromResult(Answer.Http(200)));
}
