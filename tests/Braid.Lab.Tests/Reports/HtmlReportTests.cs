using System.Globalization;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Braid.Lab.Reports;

namespace Braid.Lab.Tests.Reports;

/// <summary>
/// The HTML report as a reader sees it (issue 12), checked on the generated file: every label inside its
/// SVG's viewBox, a label on a dark bar in a light colour, a legend for failed tasks, and singular counts.
/// </summary>
public sealed partial class HtmlReportTests
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    // The longest model runs one task at a time to the very end of the axis (1 s): its wall-time label
    // cannot follow its bar and lands on the darkest blue, and the axis's last tick sits at the right edge.
    private static readonly LabResults Results = new()
    {
        StartedAt = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero),
        Workload = "io",
        Tasks = 10,
        Workers = 1,
        Repeats = 1,
        ProcessorCount = 1,
        ResultsAgree = true,
        Overhead = new LabOverhead { SamplerSamples = 1, SamplerPeriodMs = 5 },
        Models =
        [
            new ModelResult
            {
                Model = "sequential",
                Status = "completed",
                WallMs = 1000,
                TasksOk = 9,
                TasksFailed = 1,
                Tasks = [.. Enumerable.Range(0, 10).Select(i => Task(i, "t1", i * 100, (i + 1) * 100, ok: i != 3))],
            },
            new ModelResult
            {
                Model = "async",
                Status = "completed",
                WallMs = 120,
                TasksOk = 10,
                Tasks = [.. Enumerable.Range(0, 10).Select(i => Task(i, "t2", i, 100 + i, ok: true))],
            },
        ],
    };

    [Fact]
    public void Every_label_lies_inside_its_svgs_viewbox()
    {
        var svgs = Svgs(LabReports.ToHtml(Results));

        Assert.Equal(3, svgs.Count); // the overview and one timeline per model
        foreach (var svg in svgs)
        {
            var box = ((string)svg.Attribute("viewBox")!).Split(' ').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
            Assert.Equal([0, 0, double.Parse((string)svg.Attribute("width")!, CultureInfo.InvariantCulture), double.Parse((string)svg.Attribute("height")!, CultureInfo.InvariantCulture)], box);
            foreach (var text in svg.Descendants(Svg + "text"))
            {
                var (left, right) = Extent(text);
                var y = Number(text, "y");
                var size = Number(text, "font-size");
                Assert.True(left >= box[0] && right <= box[2], $"'{text.Value}' spans x {left:0.#}..{right:0.#}, outside 0..{box[2]}");
                Assert.True(y - size >= box[1] && y + (size * 0.3) <= box[3], $"'{text.Value}' at y {y} (size {size}) is outside 0..{box[3]}");
            }
        }

        // The case that used to be clipped: the last tick of the sequential timeline, at the right edge.
        var lastTick = svgs[1].Descendants(Svg + "text").Single(t => t.Value == "1.00 s");
        Assert.Equal(HtmlReport.LabelWidth + HtmlReport.Plot, Number(lastTick, "x"));
        Assert.Equal("end", (string?)lastTick.Attribute("text-anchor"));
    }

    [Fact]
    public void A_wall_time_label_on_a_dark_bar_is_light_and_every_label_on_a_bar_contrasts_with_it()
    {
        var overview = Svgs(LabReports.ToHtml(Results))[0];
        var bars = overview.Elements(Svg + "rect").ToList();
        var onBars = 0;
        foreach (var label in overview.Elements(Svg + "text").Where(t => (string?)t.Attribute("font-size") == "11"))
        {
            var (left, right) = Extent(label);
            var y = Number(label, "y");
            var under = bars.Where(r => Number(r, "y") < y && Number(r, "y") + Number(r, "height") > y - 11 && Number(r, "x") < right && Number(r, "x") + Number(r, "width") > left)
                .Select(r => (string)r.Attribute("fill")! == HtmlReport.TrackColour ? null : HtmlReport.Over((string)r.Attribute("fill")!, Number(r, "fill-opacity"), HtmlReport.TrackColour))
                .OfType<string>()
                .ToList();
            if (under.Count == 0)
            {
                continue; // after its bar, on the page
            }

            onBars++;
            var fill = (string)label.Attribute("fill")!;
            Assert.All(under, bar => Assert.True(HtmlReport.Contrast(fill, bar) >= 3, $"'{label.Value}' in {fill} on {bar}: contrast {HtmlReport.Contrast(fill, bar):0.0}"));
        }

        Assert.Equal(1, onBars);
        var sequential = overview.Elements(Svg + "text").Single(t => t.Value == "1.00 s" && (string?)t.Attribute("font-size") == "11");
        Assert.True(HtmlReport.Luminance((string)sequential.Attribute("fill")!) > 0.5, "the label on the darkest bar is light");
        Assert.Equal(HtmlReport.Light, HtmlReport.LabelColour([HtmlReport.OkColour]));
        Assert.Equal(HtmlReport.Ink, HtmlReport.LabelColour([HtmlReport.TrackColour]));
    }

    [Fact]
    public void Each_timeline_has_a_legend_for_ok_and_failed_tasks()
    {
        var svgs = Svgs(LabReports.ToHtml(Results));

        var sequential = svgs[1].Descendants(Svg + "text").Select(t => t.Value).ToList();
        Assert.Contains("9 tasks ok", sequential);
        Assert.Contains("1 task failed", sequential);
        Assert.Contains("0 tasks failed", svgs[2].Descendants(Svg + "text").Select(t => t.Value));

        // The legend's swatches are the bars' colours: one red bar (the failed task), one red swatch.
        Assert.Equal(2, svgs[1].Elements(Svg + "rect").Count(r => (string?)r.Attribute("fill") == HtmlReport.FailedColour));
        Assert.Equal(1, svgs[1].Elements(Svg + "rect").Count(r => (string?)r.Attribute("fill") == HtmlReport.FailedColour && r.Element(Svg + "title") is not null));
    }

    [Fact]
    public void A_count_of_one_is_singular_everywhere()
    {
        var html = LabReports.ToHtml(Results);

        Assert.Contains(">1 lane<", html, StringComparison.Ordinal);
        Assert.Contains("1 worker,", html, StringComparison.Ordinal);
        Assert.Contains("1 repeat,", html, StringComparison.Ordinal);
        Assert.Contains("1 processor ", html, StringComparison.Ordinal);
        Assert.Contains("1 sample every", html, StringComparison.Ordinal);
        Assert.Empty(OnePlural().Matches(html).Select(m => m.Value));
        Assert.Equal(["1 lane", "2 lanes", "0 lanes", "1,024 tasks", "2 processes"], [Plural.Count(1, "lane"), Plural.Count(2, "lane"), Plural.Count(0, "lane"), Plural.Count(1024, "task"), Plural.Count(2, "process", "processes")]);
    }

    private static TaskRecord Task(int index, string lane, double start, double end, bool ok) =>
        new() { Index = index, Lane = lane, StartMs = start, EndMs = end, Ok = ok, Error = ok ? null : "HttpRequestException: 500" };

    private static List<XElement> Svgs(string html) =>
        [.. SvgElement().Matches(html).Select(m => XElement.Parse(m.Value))];

    // Where a text is drawn, from its anchor and a width of 0.6 em per character.
    private static (double Left, double Right) Extent(XElement text)
    {
        var x = Number(text, "x");
        var width = text.Value.Length * Number(text, "font-size") * 0.6;
        return (string?)text.Attribute("text-anchor") switch
        {
            "middle" => (x - (width / 2), x + (width / 2)),
            "end" => (x - width, x),
            _ => (x, x + width),
        };
    }

    private static double Number(XElement element, string attribute) =>
        double.Parse((string?)element.Attribute(attribute) ?? "1", CultureInfo.InvariantCulture);

    [GeneratedRegex("<svg .*?</svg>", RegexOptions.Singleline)]
    private static partial Regex SvgElement();

    [GeneratedRegex(@"\b1 (lanes|workers|groups|tasks|repeats|samples|processors|models|completed models)\b")]
    private static partial Regex OnePlural();
}
