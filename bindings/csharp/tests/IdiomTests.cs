// .NET idiom (issue 28, items 6-8): an ...Async twin for every I/O method with its token last,
// exceptions that fit BCL catch clauses, a user's own cancellation not logged as an error, and
// .NET names.
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using OLConnect.Workflow;

static partial class Tests
{
    /// <summary>What does no I/O: credentials set locally, and the interface's plumbing.</summary>
    static readonly string[] NoIo = { "SetToken", "SetBasicAuth", "ClearAuth", "Dispose" };

    [Test]
    static void EveryIoMethodHasAnAsyncTwinWithTheTokenLast()
    {
        var methods = typeof(IWorkflowClient).GetMethods().Concat(typeof(IDisposable).GetMethods()).ToList();
        var current = methods.Where(m => m.GetCustomAttribute<ObsoleteAttribute>() == null).ToList();
        var missing = current
            .Where(m => !m.IsSpecialName && !m.Name.EndsWith("Async") && !NoIo.Contains(m.Name))
            .Where(m => !current.Any(a => a.Name == m.Name + "Async"))
            .Select(m => m.Name).Distinct().ToList();
        Assert(missing.Count == 0, "no Async twin: " + string.Join(", ", missing));
        var misplaced = current
            .Where(m => m.GetParameters().Any(p => p.ParameterType == typeof(CancellationToken))
                && m.GetParameters().Last().ParameterType != typeof(CancellationToken))
            .Select(m => m.Name + "(" + string.Join(", ", m.GetParameters().Select(p => p.ParameterType.Name)) + ")").ToList();
        Assert(misplaced.Count == 0, "the token is not last (CA1068): " + string.Join("; ", misplaced));
        foreach (var m in typeof(IWorkflowClient).GetMethods())
            Assert(typeof(WorkflowClient).GetMethod(m.Name, m.GetParameters().Select(p => p.ParameterType).ToArray()) != null, "implemented: " + m);
    }

    [Test]
    static void TheNewAsyncTwinsWork()
    {
        var csv = Encoding.ASCII.GetBytes("id,name\n1,Ann\n2,Bob\n");
        using (var c = new WorkflowClient(Url))
        {
            c.LoginAsync("ol-admin", "secret").Wait();
            Assert(c.GetServerVersionAsync().Result == "2024.2.1.12345", "LoginAsync logged in");
            Assert(Inner(() => c.LoginAsync("ol-admin", "wrong").Wait()) is AuthFailedException, "LoginAsync fails as Login does");
            c.LoginAsync("ol-admin", "secret").Wait();

            var running = c.SubmitAsync(Config(parameters: "\"sim_duration_ms\":60000")).Result;
            Assert(!c.GetProgressAsync(running).Result.Done, "GetProgressAsync");
            Assert(c.GetOperationsAsync().Result.Any(o => o.Id == running), "GetOperationsAsync");
            Assert(c.GetOperationsJsonAsync().Result.Contains(running), "GetOperationsJsonAsync");
            c.CancelAsync(running).Wait();

            var id = c.UploadAsync(csv, "twins.csv").Result;
            Assert(c.ExistsAsync(id).Result, "ExistsAsync");
            var streamed = c.UploadAsync(new MemoryStream(csv), "twins2.csv", ResourceKind.DataFile).Result;
            Assert(c.DeleteAsync(id).Result && !c.ExistsAsync(id).Result && c.DeleteAsync(streamed).Result, "DeleteAsync");

            var job = new AdhocJob { DataMapping = "Invoice.OL-datamapper", Template = "Invoice.OL-template", OutputPreset = "Invoice-PDF.OL-outputpreset" };
            var op = c.SubmitAdhocAsync(job, csv).Result;
            c.WaitAsync(op).Wait();
            Assert(c.GetResultAsync(op).Result.Length > 0, "SubmitAdhocAsync");
            var path = Path.Combine(Dir, "twins.csv");
            File.WriteAllBytes(path, csv);
            var file = Path.Combine(Dir, "twins.pdf");
            Assert(c.RunAdhocAsync(job, path, file).Result.Data.Length == 0 && new FileInfo(file).Length > 0, "RunAdhocAsync to a file");
            Assert(c.RunAdhocAsync(job, new MemoryStream(csv)).Result.Data.Length > 0, "RunAdhocAsync in memory");

            op = c.Submit(Config("Invoice-Split.OL-outputpreset"));
            var managed = c.GetManagedResultAsync(op).Result;
            Assert(managed.Files.Count == 3 && c.GetManagedResultJsonAsync(op).Result.Contains("files"), "GetManagedResultAsync");
            var bytes = new Recorder<TransferProgress>();
            c.DownloadManagedAsync(managed.Identifier, Path.Combine(Dir, "one-async.pdf"), "job_0001.pdf", bytes).Wait();
            Assert(bytes.Seen.Count > 0 && File.Exists(Path.Combine(Dir, "one-async.pdf")), "DownloadManagedAsync reports bytes");

            // A cancelled token stops the new twins too.
            var stop = new CancellationTokenSource();
            stop.Cancel();
            Assert(Inner(() => c.ExistsAsync("x", stop.Token).Wait()) is OperationCanceledException, "cancelled");
        }
    }

    /// <summary>The overloads whose token came before a progress argument still work.</summary>
    [Test]
    static void FormerOverloadsStillWork()
    {
        using (var c = Client())
        {
            var op = c.Submit(Config(parameters: "\"sim_output_size\":3000"));
            var bytes = new Recorder<TransferProgress>();
#pragma warning disable 618
            Assert(c.GetResultToFileAsync(op, Path.Combine(Dir, "former.pdf"), CancellationToken.None, bytes).Result.Type == ResultType.OutputStreamed, "file");
            Assert(c.GetResultExAsync(op, CancellationToken.None, bytes).Result.Data.Length == 3000, "ex");
            Assert(c.GetResultToStreamAsync(op, Stream.Null, CancellationToken.None, bytes).Result == 3000, "stream");
            Assert(c.RunAsync(Config(parameters: "\"sim_output_size\":10"), null, null, CancellationToken.None, bytes).Result.Data.Length == 10, "run");
            Assert(c.ServerVersion() == c.ServerVersionAsync().Result, "the former version names");
#pragma warning restore 618
            // The compliant forms without progress.
            Assert(c.GetResultToFileAsync(op, Path.Combine(Dir, "former2.pdf"), CancellationToken.None).Result.Data.Length == 0, "token only");
            Assert(c.RunAsync(Config(parameters: "\"sim_output_size\":10"), null, null, CancellationToken.None).Result.Data.Length == 10, "run, token only");
        }
    }

    [Test]
    static void ExceptionsFitBclCatchClauses()
    {
        using (var slow = new WorkflowClient(new WorkflowClientOptions { BaseUrl = Url, ReadTimeout = TimeSpan.FromMilliseconds(200) }))
        {
            slow.SetBasicAuth("ol-admin", "secret");
            Fault("{\"kind\":\"delay\",\"ms\":1000,\"path\":\"/version\"}");
            try
            {
                slow.GetServerVersion();
                Assert(false, "no timeout");
            }
            catch (TimeoutException e)
            {
                var known = e as IWorkflowError;
                Assert(known != null && known.Status == WorkflowStatus.Timeout, "a TimeoutException with its status: " + e);
            }
        }
        using (var c = Client())
        {
            try
            {
                c.GetResultToFile("x", Path.Combine(Dir, "missing", "x.pdf"));
                Assert(false, "no IOException");
            }
            catch (IOException e)
            {
                Assert(e is LocalIOException && ((IWorkflowError)e).Status == WorkflowStatus.IoError, "an IOException with its status: " + e);
            }
            Assert(Inner(() => c.Upload(Path.Combine(Dir, "missing.csv"))) is IOException, "a missing file to upload");

            // ParamName names the parameter of the method called.
            var cases = new Dictionary<string, Action>
            {
                { "opId", () => c.GetResult("a/b") },
                { "opId ", () => c.GetResultText("a\0b") },
                { "path", () => c.GetResultToFile("x", Path.Combine(Dir, "..")) },
                { "username", () => c.Login("", "secret") },
                { "fileId", () => c.DownloadManaged("a/b", Path.Combine(Dir, "m")) },
                { "fileName", () => c.DownloadManaged("5000", Path.Combine(Dir, "m"), "../x") },
                { "content", () => c.Upload(new byte[0], "empty.csv") },
                { "configJson", () => c.Submit("") },
                { "token", () => c.SetToken("a\r\nb") },
                { "baseUrl", () => new WorkflowClient("ftp://nowhere").Dispose() },
                { "timeout", () => c.Wait("x", TimeSpan.FromSeconds(-1)) },
                { "opIds", () => c.WhenAnyAsync(new[] { "a\0" }).Wait() },
            };
            foreach (var kv in cases)
            {
                var e = Inner(kv.Value) as ArgumentException;
                Assert(e != null && e.ParamName == kv.Key.Trim(), kv.Key.Trim() + ": " + (e == null ? "not an ArgumentException" : e.ParamName + " in " + e.Message));
            }
            var nul = (ArgumentException)Inner(() => c.GetResultText("a\0b"));
            Assert(!nul.Message.Contains("wf_") && nul.Message.Contains("NUL"), "a .NET message: " + nul.Message);
        }
        Assert(Inner(() => new WorkflowClient(new WorkflowClientOptions { BaseUrl = Url, ReadTimeout = TimeSpan.FromSeconds(-1) }))
            is ArgumentOutOfRangeException, "a negative option");
        Control("DELETE", "/sim/faults");
    }

    /// <summary>A call the caller cancelled reaches the log as Debug, not Error; other failures
    /// stay errors.</summary>
    [Test]
    static void OwnCancellationIsNotLoggedAsError()
    {
        using (var c = Client())
        {
            var lines = new List<string>();
            c.LogHandler = (level, line) => { lock (lines) lines.Add(level + " " + line); };
            Fault("{\"kind\":\"delay\",\"ms\":30000,\"path\":\"/version\"}");
            var cts = new CancellationTokenSource();
            var call = c.GetServerVersionAsync(cts.Token);
            Thread.Sleep(300);
            cts.Cancel();
            Assert(Inner(() => call.Wait()) is OperationCanceledException, "cancelled");
            var op = c.Submit(Config(parameters: "\"sim_duration_ms\":60000"));
            var waitCts = new CancellationTokenSource();
            var wait = c.WaitAsync(op, null, null, waitCts.Token);
            Thread.Sleep(500);
            waitCts.Cancel();
            Assert(Inner(() => wait.Wait()) is OperationCanceledException, "wait cancelled");
            Thread.Sleep(300); // the dispatcher's calls end
            Throws<NotFoundException>(() => c.GetResult("no-such-op"));
            c.LogHandler = null;
            Control("DELETE", "/sim/faults");
            c.Cancel(op);
            string[] copy;
            lock (lines) copy = lines.ToArray();
            var errors = copy.Where(l => l.StartsWith("Error ")).ToList();
            Assert(errors.Count == 1 && errors[0].Contains("no-such-op"), "only the real failure is an Error: " + string.Join("\n", errors));
            Assert(copy.Any(l => l.StartsWith("Debug ")), "the cancelled call's line is Debug: " + string.Join("\n", copy));
        }
    }
}
