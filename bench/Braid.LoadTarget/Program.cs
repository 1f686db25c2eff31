using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

// The trivial endpoint that bench/load-vs-wrk.sh loads with wrk and with `braid load` (issue 15):
// GET / answers "ok" on 127.0.0.1. The port is the first argument (0, the default, picks a free one);
// the bound URL is printed on the first line of standard output once Kestrel listens.
var port = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 0;
var builder = WebApplication.CreateSlimBuilder();
builder.Logging.ClearProviders();
builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port));
var app = builder.Build();
app.MapGet("/", () => "ok");
await app.StartAsync();
Console.WriteLine(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
await app.WaitForShutdownAsync();
