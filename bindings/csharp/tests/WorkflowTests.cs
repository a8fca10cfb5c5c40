// Tests of OLConnect.Workflow against the simulator (started with --control true), run under a
// real CLR (Mono in CI). Usage: mono tests.exe http://127.0.0.1:PORT
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Reflection;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using OLConnect.Workflow;

[AttributeUsage(AttributeTargets.Method)]
sealed class TestAttribute : Attribute { }

/// <summary>IProgress that reports on the calling thread (System.Progress posts elsewhere).</summary>
sealed class SyncProgress : IProgress<int>
{
    public readonly List<int> Seen = new List<int>();
    public Action<int> OnReport;
    public void Report(int value) { Seen.Add(value); if (OnReport != null) OnReport(value); }
}

sealed class ThrowingStream : MemoryStream
{
    public override void Write(byte[] buffer, int offset, int count) { throw new IOException("disk full (simulated)"); }
}

static partial class Tests
{
    static string Url;
    static string Dir;

    static void Assert(bool condition, string what)
    {
        if (!condition) throw new Exception("assertion failed: " + what);
    }

    static T Throws<T>(Action action) where T : Exception
    {
        try { action(); }
        catch (T e) { return e; }
        catch (Exception e) { throw new Exception("expected " + typeof(T).Name + ", got " + e.GetType().Name + ": " + e.Message); }
        throw new Exception("expected " + typeof(T).Name + ", nothing was thrown");
    }

    static string Control(string method, string path, string body = null)
    {
        var req = (HttpWebRequest)WebRequest.Create(Url + path);
        req.Method = method;
        if (body != null)
        {
            var bytes = Encoding.UTF8.GetBytes(body);
            req.ContentType = "application/json";
            req.ContentLength = bytes.Length;
            using (var s = req.GetRequestStream()) s.Write(bytes, 0, bytes.Length);
        }
        using (var resp = (HttpWebResponse)req.GetResponse())
        using (var reader = new StreamReader(resp.GetResponseStream()))
            return reader.ReadToEnd();
    }

    static void Fault(string json) { Control("POST", "/sim/faults", json); }

    static WorkflowClient Client()
    {
        var c = new WorkflowClient(Url);
        c.Login("ol-admin", "secret");
        return c;
    }

    static string Config(string preset = "Invoice-PDF.OL-outputpreset", string parameters = "")
    {
        return "{\"datamining\":{\"identifier\":\"invoices.csv\",\"config\":\"Invoice.OL-datamapper\"},"
            + "\"contentcreation\":{\"config\":\"Invoice.OL-template\"},\"jobcreation\":{},"
            + "\"outputcreation\":{\"config\":\"" + preset + "\",\"parameters\":{" + parameters + "}},\"returnIdInHeader\":true}";
    }

    [Test]
    static void LibraryVersionAndAbi()
    {
        Assert(WorkflowClient.LibraryVersion == "0.1.0", "library version");
    }

    static int Count(string text)
    {
        var log = Control("GET", "/sim/requests");
        int n = 0;
        for (int i = log.IndexOf(text, StringComparison.Ordinal); i >= 0; i = log.IndexOf(text, i + 1, StringComparison.Ordinal)) n++;
        return n;
    }

    [Test]
    static void RetrySettingAndCount()
    {
        // What is repeated, and when, is tested in the Rust suite (tests/retry.rs); here the
        // setting reaches the library (requests counted by the simulator) and the count comes back.
        using (var c = Client())
        {
            Assert(c.RetryCount == 0, "no retry yet");
            c.SetRetry(3, TimeSpan.FromMilliseconds(20));
            Control("DELETE", "/sim/requests");
            Fault("{\"kind\":\"unavailable\",\"path\":\"/version\",\"times\":2}");
            c.GetServerVersion();
            Assert(Count("authentication/version") == 3 && c.RetryCount == 2, "two retries, three requests");
            c.SetRetry(1, TimeSpan.Zero);
            Control("DELETE", "/sim/requests");
            Fault("{\"kind\":\"unavailable\",\"path\":\"/version\"}");
            Assert(Throws<ServerErrorException>(() => c.GetServerVersion()).HttpStatus == 503, "one attempt");
            Assert(Count("authentication/version") == 1 && c.RetryCount == 2, "no retry");
            Throws<ArgumentOutOfRangeException>(() => c.SetRetry(0, TimeSpan.Zero));
            c.SetOutageLimit(TimeSpan.FromSeconds(30));
            c.SetOutageLimit(null);
        }
    }

    [Test]
    static void CredentialsAndTheirExceptions()
    {
        using (var c = new WorkflowClient(Url))
        {
            var e = Throws<AuthRequiredException>(() => c.GetServerVersion());
            Assert(e.HttpStatus == 401 && e.Status == WorkflowStatus.AuthRequired, "401 without credentials");
            Assert(e.Message.Contains("Authentication required"), "the server's words: " + e.Message);
            Throws<AuthFailedException>(() => c.Login("ol-admin", "wrong-password"));
            c.SetBasicAuth("ol-admin", "secret");
            Assert(c.GetServerVersion() == "2024.2.1.12345", "basic auth");
            c.SetToken("made-up-token");
            var f = Throws<AuthFailedException>(() => c.GetServerVersion());
            Assert(!f.Message.Contains("made-up-token"), "no token in messages");
            c.Login("ol-admin", "secret");
            Assert(c.GetServerVersion() == "2024.2.1.12345", "login");
            c.ClearAuth();
            Throws<AuthRequiredException>(() => c.GetServerVersion());
            Throws<InvalidArgumentException>(() => c.SetToken("abc\r\nX-Injected: 1"));
            Throws<ArgumentNullException>(() => c.SetToken(null));
        }
        Control("POST", "/sim/settings", "{\"users\":[\"ol-admin:secret\",\"watcher:pw:monitor\"]}");
        using (var c = new WorkflowClient(Url))
        {
            c.Login("watcher", "pw");
            var e = Throws<ForbiddenException>(() => c.GetResult("x"));
            Assert(e.HttpStatus == 403, "403");
        }
    }

    [Test]
    static void InvalidArgumentsAreRefusedBeforeSending()
    {
        using (var c = Client())
        {
            Control("DELETE", "/sim/requests");
            foreach (var bad in new[] { "", "..", "a/b", "a?b", "a#b", "a%2F", "a\r\nb" })
                Throws<InvalidArgumentException>(() => c.GetResult(bad));
            Throws<InvalidArgumentException>(() => c.GetResult("a\0b"));
            Throws<ArgumentNullException>(() => c.GetResult(null));
            Assert(Control("GET", "/sim/requests") == "[]", "nothing sent");
        }
        Throws<InvalidArgumentException>(() => new WorkflowClient("localhost:9340"));
    }

    [Test]
    static void ResultsOfEveryKind()
    {
        using (var c = Client())
        {
            var op = c.Submit(Config(parameters: "\"sim_output_size\":5000"));
            Assert(c.GetResult(op).Length == 5000, "bytes");
            var r = c.GetResultEx(op);
            Assert(r.Type == ResultType.OutputStreamed && r.Data.Length == 5000 && r.JobSetId > 0 && r.Paths.Count == 0, "streamed");

            op = c.Submit(Config("Invoice-Split.OL-outputpreset"));
            r = c.GetResultEx(op);
            Assert(r.Type == ResultType.OutputPaths && r.Paths.Count == 3 && r.Paths.All(p => p.Contains(op)), "paths");
            Assert(c.GetResultText(op).Split(',').Length == 3, "text");
            var managed = c.GetManagedResult(op);
            Assert(managed.Files.SequenceEqual(new[] { "job_0001.pdf", "job_0002.pdf", "job_0003.pdf" }) && managed.Identifier.Length > 0, "managed");
            Assert(c.GetManagedResultJson(op).Contains("\"files\":"), "the raw text stays available");

            op = c.Submit("{\"datamining\":{\"identifier\":\"invoices.csv\",\"config\":\"Invoice.OL-datamapper\"},\"returnIdInHeader\":true}");
            r = c.GetResultEx(op);
            Assert(r.Type == ResultType.DataSetId && long.Parse(Encoding.ASCII.GetString(r.Data)) == r.DataSetId && r.JobSetId == null, "data set");
        }
    }

    [Test]
    static void FilesStreamsAndManagedDownloads()
    {
        using (var c = Client())
        {
            var op = c.Submit(Config(parameters: "\"sim_output_size\":256000000"));
            var path = Path.Combine(Dir, "big.pdf");
            using (var file = File.Create(path))
                Assert(c.GetResultToStream(op, file) == 256000000, "256 MB streamed");
            Assert(new FileInfo(path).Length == 256000000, "file size");
            var info = c.GetResultToFile(op, Path.Combine(Dir, "direct.pdf"));
            Assert(info.Type == ResultType.OutputStreamed && info.Data.Length == 0, "to file");
            Assert(new FileInfo(Path.Combine(Dir, "direct.pdf")).Length == 256000000, "direct size");
            var thrown = Throws<IOException>(() => c.GetResultToStream(op, new ThrowingStream()));
            Assert(thrown.Message.Contains("disk full"), "the stream's exception comes out");

            Throws<LocalIOException>(() => c.GetResultToFile(op, Path.Combine(Dir, "missing", "x.pdf")));
            using (var fast = new WorkflowClient(new WorkflowClientOptions { BaseUrl = Url, DurableFiles = false }))
            {
                fast.SetBasicAuth("ol-admin", "secret");
                fast.GetResultToFile(op, Path.Combine(Dir, "fast.pdf"));
                Assert(new FileInfo(Path.Combine(Dir, "fast.pdf")).Length == 256000000, "without sync");
            }

            op = c.Submit(Config("Invoice-Split.OL-outputpreset", "\"sim_output_size\":1000"));
            var id = c.GetManagedResult(op).Identifier;
            c.DownloadManaged(id, Path.Combine(Dir, "one.pdf"), "job_0001.pdf");
            Assert(new FileInfo(Path.Combine(Dir, "one.pdf")).Length == 1000, "one managed file");
            c.DownloadManaged(id, Path.Combine(Dir, "all.zip"));
            Assert(File.ReadAllBytes(Path.Combine(Dir, "all.zip"))[0] == (byte)'P', "zip");
            Throws<NotFoundException>(() => c.DownloadManaged("987654", Path.Combine(Dir, "none")));
        }
    }

    [Test]
    static void ServerAndConnectionFailures()
    {
        // One failure per exception type: the mapping and the message and HTTP status it carries.
        // What the core does in each failure is tested once, in the Rust suite.
        using (var c = Client())
        {
            var op = c.Submit(Config(parameters: "\"sim_output_size\":10"));
            Fault("{\"kind\":\"unavailable\",\"path\":\"getResult\"}");
            Assert(Throws<ServerErrorException>(() => c.GetResult(op)).HttpStatus == 503, "503");
            Fault("{\"kind\":\"error_500_json\",\"message\":\"words for the C# test\",\"path\":\"getResult\"}");
            Assert(Throws<ServerErrorException>(() => c.GetResult(op)).Message.Contains("words for the C# test"), "the server's message");
            Assert(Throws<NotFoundException>(() => c.GetResult("missing-op")).HttpStatus == 404, "404");
            var br = Throws<BadRequestException>(() => c.Submit("{\"datamining\":{\"identifier\":\"nope.csv\",\"config\":\"Invoice.OL-datamapper\"}}"));
            Assert(br.HttpStatus == 400, "400");
            Throws<ServerErrorException>(() => c.Submit("{\"jobcreation\":{}}"));
        }
        using (var slow = new WorkflowClient(new WorkflowClientOptions { BaseUrl = Url, ReadTimeout = TimeSpan.FromMilliseconds(200) }))
        {
            slow.SetBasicAuth("ol-admin", "secret");
            Fault("{\"kind\":\"delay\",\"ms\":1000,\"path\":\"/version\"}");
            var timeout = Throws<WorkflowTimeoutException>(() => slow.GetServerVersion());
            // The library's hint speaks .NET (WF_LANGUAGE_DOTNET), not C.
            Assert(timeout.Message.Contains("ReadTimeout") && !timeout.Message.Contains("wf_"), "a .NET hint: " + timeout.Message);
        }
        using (var down = new WorkflowClient("http://127.0.0.1:9"))
            Throws<ConnectFailedException>(() => down.GetResult("x"));
        using (var tls = new WorkflowClient(Url.Replace("http://", "https://")))
            Assert(Throws<TlsException>(() => tls.GetServerVersion()).Message.Contains("TLS failed"), "https to a plain server");
    }

    [Test]
    static void WaitProgressAndCancel()
    {
        using (var c = Client())
        {
            var op = c.Submit(Config(parameters: "\"sim_duration_ms\":800"));
            Assert(!c.GetProgress(op).Done, "running");
            var progress = new SyncProgress();
            c.Wait(op, TimeSpan.FromSeconds(30), progress);
            Assert(progress.Seen.Last() == 100 && progress.Seen.SequenceEqual(progress.Seen.Distinct().OrderBy(x => x)), "rising percentages");
            Assert(c.GetProgress(op).Done && c.GetProgress(op).Percent == 100, "done");

            op = c.Submit(Config(parameters: "\"sim_duration_ms\":60000"));
            Throws<WorkflowTimeoutException>(() => c.Wait(op, TimeSpan.FromMilliseconds(300)));
            var exploding = new SyncProgress { OnReport = p => { throw new InvalidOperationException("from the callback"); } };
            Throws<InvalidOperationException>(() => c.Wait(op, null, exploding));

            Exception fromWaiter = null;
            var waiter = new Thread(() => { try { c.Wait(op); } catch (Exception e) { fromWaiter = e; } });
            waiter.Start();
            Thread.Sleep(300);
            c.Cancel(op);
            waiter.Join();
            Assert(fromWaiter is AbortedException, "cancel stops the wait: " + fromWaiter);
            Throws<NotFoundException>(() => c.Cancel(op));
            Throws<NotFoundException>(() => c.Wait("never-submitted"));
        }
    }

    [Test]
    static void AsyncVariantsHonourCancellation()
    {
        using (var c = Client())
        {
            var r = c.RunAsync(Config(parameters: "\"sim_output_size\":4096,\"sim_duration_ms\":300")).Result;
            Assert(r.Data.Length == 4096, "RunAsync");
            var file = Path.Combine(Dir, "run.pdf");
            r = c.RunAsync(Config(parameters: "\"sim_output_size\":4096"), file).Result;
            Assert(new FileInfo(file).Length == 4096 && r.Type == ResultType.OutputStreamed, "RunAsync to a file");

            var op = c.SubmitAsync(Config(parameters: "\"sim_duration_ms\":60000")).Result;
            var cts = new CancellationTokenSource();
            var wait = c.WaitAsync(op, null, null, cts.Token);
            Thread.Sleep(200);
            Assert(!wait.IsCompleted, "the wait runs without blocking the caller");
            cts.Cancel();
            try { wait.Wait(); throw new Exception("WaitAsync ended without cancellation"); }
            catch (AggregateException e) { Assert(e.InnerException is OperationCanceledException, "canceled: " + e.InnerException); }
            c.CancelAsync(op).Wait();

            op = c.Submit(Config(parameters: "\"sim_output_size\":50000000"));
            var stop = new CancellationTokenSource();
            var sink = new CancellingStream(stop);
            try { c.GetResultToStreamAsync(op, sink, stop.Token).Wait(); throw new Exception("not cancelled"); }
            catch (AggregateException e) { Assert(e.InnerException is OperationCanceledException, "stream cancelled: " + e.InnerException); }
            Assert(sink.Length < 50000000, "stopped early");
            Assert(c.GetResultToStreamAsync(op, Stream.Null).Result == 50000000, "stream async");
        }
    }

    [Test]
    static void TokensStopCallsInFlightWithinHalfASecond()
    {
        using (var c = Client())
        {
            // A stalled call: the server takes 30 s to answer.
            Fault("{\"kind\":\"delay\",\"ms\":30000,\"path\":\"/version\"}");
            AssertCancelledQuickly("stalled call", token => c.GetServerVersionAsync(token));
            Control("DELETE", "/sim/faults", null);

            // A wait, during its sleeps and polls.
            var op = c.Submit(Config(parameters: "\"sim_duration_ms\":60000"));
            AssertCancelledQuickly("wait", token => c.WaitAsync(op, null, null, token));
            c.Cancel(op);

            // A file download: no file is left.
            op = c.Submit(Config(parameters: "\"sim_output_size\":5000000"));
            Fault("{\"kind\":\"trickle\",\"chunk\":65536,\"interval_ms\":200,\"path\":\"getResult\"}");
            var path = Path.Combine(Dir, "cancelled.pdf");
            AssertCancelledQuickly("download", token => c.GetResultToFileAsync(op, path, token));
            Assert(!File.Exists(path), "no partial file");
            Control("DELETE", "/sim/faults", null);
        }
    }

    static void AssertCancelledQuickly(string what, Func<CancellationToken, Task> start)
    {
        var cts = new CancellationTokenSource();
        var task = start(cts.Token);
        Thread.Sleep(300);
        Assert(!task.IsCompleted, what + ": the call was running");
        var watch = System.Diagnostics.Stopwatch.StartNew();
        cts.Cancel();
        try { task.Wait(); throw new Exception(what + ": not cancelled"); }
        catch (AggregateException e) { Assert(e.InnerException is OperationCanceledException, what + ": " + e.InnerException); }
        Assert(watch.ElapsedMilliseconds < 500, what + ": stopped after " + watch.ElapsedMilliseconds + " ms");
    }

    sealed class Recorder<T> : IProgress<T>
    {
        public readonly List<T> Seen = new List<T>();
        public void Report(T value) { lock (Seen) Seen.Add(value); }
    }

    [Test]
    static void BytesAndLogLines()
    {
        using (var c = Client())
        {
            var lines = new List<string>();
            c.LogHandler = (level, line) => { lock (lines) lines.Add(level + " " + line); };
            var op = c.Submit(Config(parameters: "\"sim_output_size\":3000000"));
            var bytes = new Recorder<TransferProgress>();
            c.GetResultToFileAsync(op, Path.Combine(Dir, "bytes.pdf"), bytes).Wait();
            var last = bytes.Seen[bytes.Seen.Count - 1];
            Assert(last.Received == 3000000 && last.Total == 3000000, "final report: " + last.Received + "/" + last.Total);
            Throws<NotFoundException>(() => c.GetResult("no-such-op"));
            c.LogHandler = null;
            var text = string.Join("\n", lines);
            Assert(text.Contains("Info POST /rest/serverengine/workflow/print/getResult/" + op + " -> HTTP 200"), text);
            Assert(text.Contains("Error ") && text.Contains("no-such-op"), text);
            Assert(!text.Contains("secret") && !text.Contains("b2wtYWRtaW46c2VjcmV0"), "no secret in the log");
        }
    }

    sealed class BrokenStream : MemoryStream
    {
        public override bool CanSeek { get { return false; } }
        public override int Read(byte[] buffer, int offset, int count) { throw new IOException("the source broke"); }
    }


    /// <summary>Replaces the log handler in a tight loop, collecting garbage after each
    /// replacement, while other threads make calls that log. The library may call the log
    /// function it had when a call started after it was replaced: a delegate collected by then
    /// crashes the process, or (Mono) runs with its target gone and the line is lost. Each call
    /// logs one Info line, so a completed call whose line reached no handler shows a call into a
    /// collected delegate. Stops at the first loss, or after a few seconds.</summary>
    [Test]
    static void ReplacingTheLogHandlerUnderLoad()
    {
        using (var c = Client())
        {
            int stop = 0, failures = 0;
            long calls = 0, lines = 0;
            var callers = Enumerable.Range(0, 3).Select(i => new Thread(() =>
            {
                while (Volatile.Read(ref stop) == 0)
                {
                    try
                    {
                        c.GetServerVersion();
                        Interlocked.Increment(ref calls);
                    }
                    catch (Exception) { Interlocked.Increment(ref failures); }
                }
            })).ToList();
            Action<WorkflowLogLevel, string> count = (level, line) => { if (level == WorkflowLogLevel.Info) Interlocked.Increment(ref lines); };
            c.LogHandler = count; // before the first call: each one has a line
            callers.ForEach(t => t.Start());
            var watch = System.Diagnostics.Stopwatch.StartNew();
            int replacements = 0;
            long lost = 0;
            while (watch.ElapsedMilliseconds < 5000 && lost <= 0)
            {
                c.LogHandler = count.Invoke; // a new delegate each time, the old one unreferenced
                replacements++;
                GC.Collect();
                GC.WaitForPendingFinalizers();
                // Calls first: every line of a call counted there was delivered before it returned.
                long done = Interlocked.Read(ref calls);
                lost = done - Interlocked.Read(ref lines);
            }
            Volatile.Write(ref stop, 1);
            callers.ForEach(t => t.Join());
            c.LogHandler = null;
            Assert(failures == 0, "calls failed: " + failures);
            Assert(lines == calls, (calls - lines) + " of " + calls + " lines lost (a collected delegate called) in "
                + replacements + " replacements, " + watch.ElapsedMilliseconds + " ms");
            Assert(replacements > 100 && calls > 1000, "load: " + replacements + " replacements, " + calls + " calls");
        }
    }

    /// <summary>A handler that was replaced, and the last one once the client is disposed,
    /// receive no more lines, even from an asynchronous call (a view of the client) still
    /// running after Dispose.</summary>
    [Test]
    static void NoLineReachesAReplacedHandlerOrADisposedClient()
    {
        var c = Client();
        int stage = 0; // 0: first handler current, 1: second one, 2: disposed
        int first = 0, firstLate = 0, second = 0, secondLate = 0;
        c.LogHandler = (level, line) =>
        {
            Interlocked.Increment(ref first);
            if (Volatile.Read(ref stage) >= 1) Interlocked.Increment(ref firstLate);
        };
        c.GetServerVersion();
        Fault("{\"kind\":\"delay\",\"ms\":1500,\"path\":\"/version\"}");
        var slow = c.GetServerVersionAsync(); // answered (and logged) after Dispose
        Thread.Sleep(200);
        c.LogHandler = (level, line) =>
        {
            Interlocked.Increment(ref second);
            if (Volatile.Read(ref stage) >= 2) Interlocked.Increment(ref secondLate);
        };
        Volatile.Write(ref stage, 1);
        c.GetOperations();
        int secondAtDispose = Volatile.Read(ref second);
        c.Dispose();
        Volatile.Write(ref stage, 2);
        Assert(c.LogHandler == null, "no handler once disposed");
        var watch = System.Diagnostics.Stopwatch.StartNew();
        Assert(slow.Result.Length > 0, "the call in flight completed");
        Assert(watch.ElapsedMilliseconds > 500, "the call went on after Dispose (" + watch.ElapsedMilliseconds + " ms)");
        Control("DELETE", "/sim/faults");
        Assert(first > 0 && secondAtDispose > 0, "both handlers had lines: " + first + ", " + secondAtDispose);
        Assert(firstLate == 0 && secondLate == 0, "late lines: " + firstLate + " to the replaced handler, " + secondLate + " after Dispose");
    }

    /// <summary>Replacing the handler 10,000 times, while calls log, keeps none of the handlers
    /// replaced: all but the last can be collected once the calls are over.</summary>
    [Test]
    static void ReplacedHandlersAreNotKept()
    {
        const int Replacements = 10000;
        var replaced = new WeakReference[Replacements];
        using (var c = Client())
        {
            int stop = 0;
            var caller = new Thread(() => { while (Volatile.Read(ref stop) == 0) c.GetServerVersion(); });
            caller.Start();
            for (int i = 0; i < Replacements; i++)
            {
                var counter = new int[1];
                Action<WorkflowLogLevel, string> handler = (level, line) => Interlocked.Increment(ref counter[0]);
                replaced[i] = new WeakReference(handler);
                c.LogHandler = i % 100 == 99 ? null : handler; // switching off and on too
            }
            Volatile.Write(ref stop, 1);
            caller.Join();
            c.LogHandler = null;
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            int alive = replaced.Count(w => w.IsAlive);
            // Mono scans stacks conservatively: a few may look reachable; all of them must not.
            Assert(alive <= 10, alive + " of " + Replacements + " replaced handlers are still referenced");
        }
    }

    [Test]
    static void LocalDataUploadsAndAdhocJobs()
    {
        var csv = Encoding.ASCII.GetBytes("id,name\n1,Ann\n2,Bob\n");
        using (var c = Client())
        {
            var path = Path.Combine(Dir, "mine.csv");
            File.WriteAllBytes(path, csv);
            var ids = new[] {
                c.Upload(path), c.Upload(csv, "b.csv", ResourceKind.DataFile, true), c.Upload(new MemoryStream(csv), "c.csv"),
                c.UploadAsync(path, null, "d.csv", false, new Recorder<TransferProgress>()).Result,
            };
            foreach (var id in ids)
            {
                Assert(c.Exists(id), "exists " + id);
                c.DownloadManaged(id, Path.Combine(Dir, "back-" + id));
                Assert(File.ReadAllBytes(Path.Combine(Dir, "back-" + id)).SequenceEqual(csv), "byte for byte");
            }
            Assert(c.Delete(ids[0]) && !c.Exists(ids[0]), "deleted");
            Throws<NotFoundException>(() => c.Delete(ids[0]));
            Assert(Throws<IOException>(() => c.Upload(new BrokenStream(), "broken.csv")).Message == "the source broke", "the stream's exception");
            Throws<LocalIOException>(() => c.Upload(Path.Combine(Dir, "missing.csv")));

            var job = new AdhocJob { DataMapping = "Invoice.OL-datamapper", Template = "Invoice.OL-template", OutputPreset = "Invoice-PDF.OL-outputpreset" };
            var op = c.SubmitAdhoc(job, csv);
            c.Wait(op);
            Assert(c.GetResult(op).Length > 0, "async ad-hoc");
            var file = Path.Combine(Dir, "adhoc.pdf");
            var r = c.RunAdhoc(job, path, file);
            Assert(new FileInfo(file).Length > 0 && r.Data.Length == 0, "sync ad-hoc to a file");
            job.OutputPreset = "Invoice-Split.OL-outputpreset";
            job.ResultAsText = true;
            Assert(Encoding.UTF8.GetString(c.RunAdhoc(job, new MemoryStream(csv)).Data).Split(',').Length == 3, "paths as text");
        }
    }

    sealed class CancellingStream : MemoryStream
    {
        readonly CancellationTokenSource source;
        public CancellingStream(CancellationTokenSource source) { this.source = source; }
        public override void Write(byte[] buffer, int offset, int count) { base.Write(buffer, offset, count); source.Cancel(); }
    }

    [Test]
    static void OperationsAndVersion()
    {
        using (var c = Client())
        {
            var running = c.Submit(Config(parameters: "\"sim_duration_ms\":60000"));
            var ops = c.GetOperations();
            var mine = ops.Single(o => o.Id == running);
            Assert(mine.Type == "PrintRestService" && mine.Progress >= 0 && mine.StartTime.HasValue, "typed operation");
            Assert(c.GetOperationsJson().StartsWith("["), "the raw text stays available");
            c.Cancel(running);
            Assert(c.GetServerVersion() == "2024.2.1.12345", "version");
        }
    }

    [Test]
    static void ThreadsShareOneClient()
    {
        using (var c = Client())
        {
            var op = c.Submit(Config(parameters: "\"sim_output_size\":10000"));
            int failures = 0;
            var threads = Enumerable.Range(0, 8).Select(i => new Thread(() =>
            {
                for (int k = 0; k < 20; k++) if (c.GetResult(op).Length != 10000) Interlocked.Increment(ref failures);
            })).ToList();
            threads.ForEach(t => t.Start());
            threads.ForEach(t => t.Join());
            Assert(failures == 0, "all calls succeeded");
        }
    }

    [Test]
    static void KeptBodyLimitIsPassedOn()
    {
        using (var c = new WorkflowClient(new WorkflowClientOptions { BaseUrl = Url, KeptBodyLimit = 0 }))
        {
            c.Login("ol-admin", "secret");
            Assert(c.GetResultText(c.Submit(Config("Invoice-Split.OL-outputpreset"))).Split(',').Length == 3, "text");
        }
        try
        {
            new WorkflowClient(new WorkflowClientOptions { BaseUrl = Url, KeptBodyLimit = -1 }).Dispose();
            Assert(false, "a negative limit is refused");
        }
        catch (ArgumentOutOfRangeException) { }
        Assert(typeof(WorkflowException).IsAssignableFrom(typeof(WorkflowOutOfMemoryException)), "OutOfMemory is a WorkflowException");
    }

    [Test]
    static void DisposalReleasesTheHandle()
    {
        var c = new WorkflowClient(Url);
        c.Dispose();
        c.Dispose();
        Throws<ObjectDisposedException>(() => c.GetServerVersion());
        Throws<ObjectDisposedException>(() => c.Login("a", "b"));
        for (int i = 0; i < 200; i++) new WorkflowClient(Url).SetBasicAuth("a", "b"); // left to the finalizer
        GC.Collect();
        GC.WaitForPendingFinalizers();
        using (var d = Client()) Assert(d.GetServerVersion().Length > 0, "still usable after finalization");
    }

    static string HeaderPath;

    [Test]
    static void ExceptionsAndTheInterfaceAreIdiomatic()
    {
        Assert(typeof(ArgumentException).IsAssignableFrom(typeof(InvalidArgumentException)), "an ArgumentException");
        Assert(typeof(IWorkflowError).IsAssignableFrom(typeof(InvalidArgumentException)) && typeof(IWorkflowError).IsAssignableFrom(typeof(NotFoundException)), "IWorkflowError");
        var e = Throws<ArgumentException>(() => new WorkflowClient("ftp://nowhere"));
        Assert(((IWorkflowError)e).Status == WorkflowStatus.InvalidArgument, "its status");
        var inner = new IOException("disk");
        var nf = new NotFoundException("gone", inner);
        Assert(nf.Status == WorkflowStatus.NotFound && nf.InnerException == inner && new NotFoundException().Message.Length > 0, "standard constructors");
        using (IWorkflowClient client = new WorkflowClient(Url))
        {
            client.Login("ol-admin", "secret");
            Assert(client.GetServerVersion() == "2024.2.1.12345", "usable through the interface");
        }
        Assert(typeof(IWorkflowClient).GetMethods().Length >= 30, "the interface covers the client");
    }

    /// <summary>The NAME = value lines of a C enum of the header.</summary>
    static Dictionary<string, int> HeaderEnum(string name)
    {
        var text = File.ReadAllText(HeaderPath);
        var body = text.Substring(text.IndexOf("enum " + name + "\n"));
        body = body.Substring(0, body.IndexOf("};"));
        var rows = new Dictionary<string, int>();
        foreach (var line in body.Split('\n'))
        {
            var t = line.Trim().TrimEnd(',');
            var eq = t.IndexOf(" = ");
            if (eq > 0 && t.StartsWith("WF_")) rows[t.Substring(0, eq)] = int.Parse(t.Substring(eq + 3));
        }
        return rows;
    }

    static string Pascal(string cName, string prefix)
    {
        return string.Concat(cName.Substring(prefix.Length).Split('_').Select(w => w.Substring(0, 1) + w.Substring(1).ToLowerInvariant()));
    }

    [Test]
    static void ConstantsMatchTheHeader()
    {
        var statuses = HeaderEnum("wf_status");
        Assert(statuses.Count >= 16, "statuses found");
        foreach (var row in statuses)
        {
            var name = Pascal(row.Key, "WF_").Replace("Tls", "Tls").Replace("Io", "Io");
            WorkflowStatus value;
            Assert(Enum.TryParse(name, out value) && (int)value == row.Value, row.Key + " -> " + name);
        }
        foreach (var row in HeaderEnum("wf_result_type"))
        {
            ResultType value;
            Assert(Enum.TryParse(Pascal(row.Key, "WF_RESULT_"), out value) && (int)value == row.Value, row.Key);
        }
        foreach (var row in HeaderEnum("wf_resource_kind"))
        {
            OLConnect.Workflow.ResourceKind value;
            Assert(Enum.TryParse(Pascal(row.Key, "WF_RESOURCE_"), out value) && (int)value == row.Value, row.Key);
        }
        Assert(HeaderEnum("wf_language")["WF_LANGUAGE_DOTNET"] == 2, "WF_LANGUAGE_DOTNET is the binding's LanguageDotNet (2)");
        foreach (var row in HeaderEnum("wf_log_level"))
        {
            var name = Pascal(row.Key, "WF_LOG_").Replace("Warn", "Warning");
            WorkflowLogLevel value;
            Assert(Enum.TryParse(name, out value) && (int)value == row.Value, row.Key);
        }
        var abi = File.ReadAllLines(HeaderPath).First(l => l.StartsWith("#define WF_ABI_VERSION "));
        Assert(uint.Parse(abi.Split(' ')[2]) == WorkflowClient.AbiVersion, "ABI version");
    }

    static int Main(string[] args)
    {
        if (args.Length < 2 || args.Length > 3)
        {
            Console.Error.WriteLine("usage: tests.exe http://127.0.0.1:PORT path/to/olconnect_wf.h [test name]");
            return 2;
        }
        Url = args[0];
        HeaderPath = args[1];
        Dir = Path.Combine(Path.GetTempPath(), "olconnect-wf-cs-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Dir);
        int passed = 0, failed = 0;
        var tests = typeof(Tests).GetMethods(BindingFlags.Static | BindingFlags.NonPublic)
            .Where(m => m.GetCustomAttributes(typeof(TestAttribute), false).Length > 0)
            .Where(m => args.Length < 3 || m.Name == args[2]);
        foreach (var test in tests)
        {
            try
            {
                test.Invoke(null, null);
                passed++;
                Console.WriteLine("ok   " + test.Name);
            }
            catch (TargetInvocationException e)
            {
                failed++;
                Console.WriteLine("FAIL " + test.Name + ": " + e.InnerException);
            }
        }
        Directory.Delete(Dir, true);
        Console.WriteLine(passed + " passed, " + failed + " failed");
        return failed == 0 ? 0 : 1;
    }
}
