// Layer 3: the public API.
using System;
using System.Collections.Generic;
using System.IO;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;

namespace OLConnect.Workflow
{
    /// <summary>What a result holds, from the server's X-Result-Type header.</summary>
    public enum ResultType
    {
        Unknown = 0,
        DataSetId = 1,
        ContentSetId = 2,
        JobSetId = 3,
        OutputStreamed = 4,
        OutputPaths = 5,
        OutputManaged = 6,
    }

    /// <summary>The progress of an operation.</summary>
    public struct WorkflowProgress
    {
        public int Percent { get; private set; }
        public bool Done { get; private set; }

        public WorkflowProgress(int percent, bool done) : this()
        {
            Percent = percent;
            Done = done;
        }
    }

    /// <summary>A fetched result: its bytes (empty when it went to a file or stream), what the
    /// headers said about it, and the paths of a multi-file result.</summary>
    public sealed class WorkflowResult
    {
        public byte[] Data { get; private set; }
        public ResultType Type { get; private set; }
        public long? DataSetId { get; private set; }
        public long? ContentSetId { get; private set; }
        public long? JobSetId { get; private set; }
        public IReadOnlyList<string> Paths { get; private set; }

        internal static WorkflowResult From(ResultHandle handle)
        {
            using (handle)
            {
                UIntPtr length;
                IntPtr data = NativeMethods.wf_result_data(handle, out length);
                var bytes = new byte[(long)length.ToUInt64()];
                if (bytes.Length > 0) Marshal.Copy(data, bytes, 0, bytes.Length);
                var paths = new List<string>();
                ulong count = NativeMethods.wf_result_path_count(handle).ToUInt64();
                for (ulong i = 0; i < count; i++) paths.Add(Native.FromUtf8(NativeMethods.wf_result_path(handle, new UIntPtr(i))));
                int type = NativeMethods.wf_result_type_of(handle);
                return new WorkflowResult
                {
                    Data = bytes,
                    Type = Enum.IsDefined(typeof(ResultType), type) ? (ResultType)type : ResultType.Unknown,
                    DataSetId = Id(NativeMethods.wf_result_data_set_id(handle)),
                    ContentSetId = Id(NativeMethods.wf_result_content_set_id(handle)),
                    JobSetId = Id(NativeMethods.wf_result_job_set_id(handle)),
                    Paths = paths.AsReadOnly(),
                };
            }
        }

        private static long? Id(long value) { return value >= 0 ? value : (long?)null; }
    }

    /// <summary>How to reach the server and how long to wait for it.</summary>
    public sealed class WorkflowClientOptions
    {
        /// <summary>e.g. http://connect-host:9340 (a path prefix is allowed).</summary>
        public string BaseUrl { get; set; }
        /// <summary>Connect timeout; null: no limit. Default 10 s.</summary>
        public TimeSpan? ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);
        /// <summary>Longest silence while reading (not a whole transfer); null: no limit. Default 60 s.</summary>
        public TimeSpan? ReadTimeout { get; set; } = TimeSpan.FromSeconds(60);
        /// <summary>Trust only the certificates of this PEM file.</summary>
        public string CaFile { get; set; }
        /// <summary>Accept any server certificate (test servers only).</summary>
        public bool Insecure { get; set; }
        /// <summary>Send every request through this proxy URL.</summary>
        public string Proxy { get; set; }
        /// <summary>Sync downloaded files to the disk before they appear (default). False is faster;
        /// a file is still complete or absent, but a machine crash shortly after may lose it.</summary>
        public bool DurableFiles { get; set; } = true;
        /// <summary>Bytes of result bodies kept between a too-small buffer and its retry (0 keeps
        /// none, the oldest are released first); null keeps the library's default (32 MiB).</summary>
        public long? KeptBodyLimit { get; set; }
    }

    /// <summary>A client of one OL Connect server. Thread-safe: share one between threads.
    /// Dispose it to free its connections and wipe its credentials.</summary>
    public sealed class WorkflowClient : IDisposable
    {
        private readonly ClientHandle handle;

        public WorkflowClient(string baseUrl) : this(new WorkflowClientOptions { BaseUrl = baseUrl }) { }

        public WorkflowClient(WorkflowClientOptions options)
        {
            if (options == null) throw new ArgumentNullException("options");
            Native.EnsureLoaded();
            ClientHandle created;
            Native.Check(NativeMethods.wf_client_new(Native.Utf8(options.BaseUrl, "BaseUrl"), out created));
            handle = created;
            try
            {
                Native.Check(NativeMethods.wf_client_set_timeouts(handle, Millis(options.ConnectTimeout), Millis(options.ReadTimeout)));
                if (options.CaFile != null) Native.Check(NativeMethods.wf_client_set_tls_ca_file(handle, Native.Utf8(options.CaFile, "CaFile")));
                if (options.Insecure) Native.Check(NativeMethods.wf_client_set_tls_insecure(handle, true));
                if (options.Proxy != null) Native.Check(NativeMethods.wf_client_set_proxy(handle, Native.Utf8(options.Proxy, "Proxy")));
                if (!options.DurableFiles) Native.Check(NativeMethods.wf_client_set_durable_files(handle, false));
                if (options.KeptBodyLimit.HasValue)
                {
                    if (options.KeptBodyLimit.Value < 0) throw new ArgumentOutOfRangeException("options", "KeptBodyLimit must be 0 or more");
                    Native.Check(NativeMethods.wf_client_set_kept_body_limit(handle, new UIntPtr((ulong)options.KeptBodyLimit.Value)));
                }
            }
            catch
            {
                handle.Dispose();
                throw;
            }
        }

        /// <summary>The version of the native library.</summary>
        public static string LibraryVersion
        {
            get
            {
                Native.EnsureLoaded();
                return Native.FromUtf8(NativeMethods.wf_version());
            }
        }

        private static uint Millis(TimeSpan? t)
        {
            if (t == null) return 0;
            if (t.Value < TimeSpan.Zero) throw new ArgumentOutOfRangeException("timeout", "must not be negative");
            double ms = Math.Ceiling(t.Value.TotalMilliseconds);
            return ms >= uint.MaxValue ? uint.MaxValue : (uint)ms;
        }

        private ClientHandle Handle
        {
            get
            {
                if (handle.IsClosed) throw new ObjectDisposedException("WorkflowClient");
                return handle;
            }
        }

        public void Dispose() { handle.Dispose(); }

        // -- credentials ------------------------------------------------------------------------

        /// <summary>Logs in now; the token is renewed before it expires and after a 401/403.</summary>
        public void Login(string username, string password)
        {
            Native.Check(NativeMethods.wf_client_login(Handle, Native.Utf8(username, "username"), Native.Utf8(password, "password")));
        }

        /// <summary>Sends this auth_token on every request (it cannot be renewed).</summary>
        public void SetToken(string token)
        {
            Native.Check(NativeMethods.wf_client_set_token(Handle, Native.Utf8(token, "token")));
        }

        /// <summary>Sends HTTP Basic credentials on every request.</summary>
        public void SetBasicAuth(string username, string password)
        {
            Native.Check(NativeMethods.wf_client_set_basic_auth(Handle, Native.Utf8(username, "username"), Native.Utf8(password, "password")));
        }

        /// <summary>Sends no credentials from now on.</summary>
        public void ClearAuth() { Native.Check(NativeMethods.wf_client_clear_auth(Handle)); }

        // -- results -----------------------------------------------------------------------------

        /// <summary>The result body: an entity ID, a path list or a spool file's bytes.</summary>
        public byte[] GetResult(string opId) { return GetResultEx(opId).Data; }

        /// <summary>The result with its type, set IDs and path list.</summary>
        public WorkflowResult GetResultEx(string opId)
        {
            ResultHandle result;
            Native.Check(NativeMethods.wf_get_result_ex(Handle, Native.Utf8(opId, "opId"), out result));
            return WorkflowResult.From(result);
        }

        /// <summary>Streams the result to <paramref name="path"/>: the file appears complete, or
        /// not at all. Returns the result's type and set IDs (its Data is empty).</summary>
        public WorkflowResult GetResultToFile(string opId, string path)
        {
            ResultHandle info;
            Native.Check(NativeMethods.wf_get_result_to_file_ex(Handle, Native.Utf8(opId, "opId"), Native.Utf8(path, "path"), out info));
            return WorkflowResult.From(info);
        }

        /// <summary>Streams the result into <paramref name="destination"/> chunk by chunk (no full
        /// buffering); returns the number of bytes written. An exception thrown by the stream
        /// stops the download and is rethrown here.</summary>
        public long GetResultToStream(string opId, Stream destination)
        {
            return GetResultToStream(opId, destination, CancellationToken.None);
        }

        private long GetResultToStream(string opId, Stream destination, CancellationToken cancel)
        {
            if (destination == null) throw new ArgumentNullException("destination");
            var id = Native.Utf8(opId, "opId");
            var buffer = new byte[0];
            long total = 0;
            ExceptionDispatchInfo failure = null;
            WriteCallback write = (user, chunk, length) =>
            {
                try
                {
                    if (cancel.IsCancellationRequested) return 1;
                    int n = checked((int)length.ToUInt64());
                    if (buffer.Length < n) buffer = new byte[n];
                    Marshal.Copy(chunk, buffer, 0, n);
                    destination.Write(buffer, 0, n);
                    total += n;
                    return 0;
                }
                catch (Exception e)
                {
                    failure = ExceptionDispatchInfo.Capture(e);
                    return 1;
                }
            };
            int status = NativeMethods.wf_get_result_stream(Handle, id, write, IntPtr.Zero);
            GC.KeepAlive(write);
            if (failure != null) failure.Throw();
            cancel.ThrowIfCancellationRequested();
            Native.Check(status);
            return total;
        }

        /// <summary>The result as text (getResultTxt): an entity ID or the spool file path(s).</summary>
        public string GetResultText(string opId)
        {
            var id = Native.Utf8(opId, "opId");
            var h = Handle;
            return Native.Text((byte[] b, ref UIntPtr n) => NativeMethods.wf_get_result_text(h, id, b, ref n));
        }

        /// <summary>The managed result (getManagedResult) as the server's JSON text:
        /// {"identifier": ..., "files": [...]}.</summary>
        public string GetManagedResult(string opId)
        {
            var id = Native.Utf8(opId, "opId");
            var h = Handle;
            return Native.Text((byte[] b, ref UIntPtr n) => NativeMethods.wf_get_managed_result(h, id, b, ref n));
        }

        /// <summary>Downloads managed output from the File Store to <paramref name="path"/>: one
        /// file of a folder, or (fileName null) the whole folder as a ZIP archive.</summary>
        public void DownloadManaged(string fileId, string path, string fileName = null)
        {
            Native.Check(NativeMethods.wf_download_managed(Handle, Native.Utf8(fileId, "fileId"),
                Native.Utf8(fileName, "fileName", allowNull: true), Native.Utf8(path, "path")));
        }

        // -- workflow ----------------------------------------------------------------------------

        /// <summary>Submits a JSON All-In-One configuration; returns the operation id.</summary>
        public string Submit(string configJson)
        {
            var buffer = new byte[NativeMethods.OperationIdCapacity];
            var length = new UIntPtr((uint)buffer.Length);
            Native.Check(NativeMethods.wf_submit(Handle, Native.Utf8(configJson, "configJson"), buffer, ref length));
            return Native.FromUtf8(buffer, (int)length.ToUInt64());
        }

        /// <summary>The progress of an operation (getProgress).</summary>
        public WorkflowProgress GetProgress(string opId)
        {
            int percent;
            bool done;
            Native.Check(NativeMethods.wf_get_progress(Handle, Native.Utf8(opId, "opId"), out percent, out done));
            return new WorkflowProgress(percent, done);
        }

        /// <summary>Waits until the operation has finished, reporting each new percentage to
        /// <paramref name="progress"/> (on this thread). Throws WorkflowTimeoutException after
        /// <paramref name="timeout"/>, AbortedException when another thread cancels the operation.</summary>
        public void Wait(string opId, TimeSpan? timeout = null, IProgress<int> progress = null)
        {
            Wait(opId, timeout, progress, CancellationToken.None);
        }

        private void Wait(string opId, TimeSpan? timeout, IProgress<int> progress, CancellationToken cancel)
        {
            var id = Native.Utf8(opId, "opId");
            ExceptionDispatchInfo failure = null;
            ProgressCallback report = (user, percent) =>
            {
                try
                {
                    if (cancel.IsCancellationRequested) return 1;
                    if (progress != null) progress.Report(percent);
                    return 0;
                }
                catch (Exception e)
                {
                    failure = ExceptionDispatchInfo.Capture(e);
                    return 1;
                }
            };
            int status = NativeMethods.wf_wait(Handle, id, Millis(timeout), report, IntPtr.Zero);
            GC.KeepAlive(report);
            if (failure != null) failure.Throw();
            cancel.ThrowIfCancellationRequested();
            Native.Check(status);
        }

        /// <summary>Cancels an operation.</summary>
        public void Cancel(string opId) { Native.Check(NativeMethods.wf_cancel(Handle, Native.Utf8(opId, "opId"))); }

        /// <summary>The operations running on the server, as the server's JSON array text.</summary>
        public string GetOperations()
        {
            var h = Handle;
            return Native.Text((byte[] b, ref UIntPtr n) => NativeMethods.wf_get_operations(h, b, ref n));
        }

        /// <summary>The server's version string.</summary>
        public string ServerVersion()
        {
            var h = Handle;
            return Native.Text((byte[] b, ref UIntPtr n) => NativeMethods.wf_server_version(h, b, ref n));
        }

        // -- asynchronous variants (run on the thread pool; the caller's thread is not blocked) --

        public Task<string> SubmitAsync(string configJson, CancellationToken cancel = default(CancellationToken))
        {
            return Task.Run(() => Submit(configJson), cancel);
        }

        /// <summary>Waits without blocking the caller; cancelling the token stops the wait at the
        /// next progress report or poll (OperationCanceledException).</summary>
        public Task WaitAsync(string opId, TimeSpan? timeout = null, IProgress<int> progress = null,
            CancellationToken cancel = default(CancellationToken))
        {
            return Task.Run(() => Wait(opId, timeout, progress, cancel), cancel);
        }

        public Task<byte[]> GetResultAsync(string opId, CancellationToken cancel = default(CancellationToken))
        {
            return Task.Run(() => GetResult(opId), cancel);
        }

        public Task<WorkflowResult> GetResultExAsync(string opId, CancellationToken cancel = default(CancellationToken))
        {
            return Task.Run(() => GetResultEx(opId), cancel);
        }

        public Task<WorkflowResult> GetResultToFileAsync(string opId, string path, CancellationToken cancel = default(CancellationToken))
        {
            return Task.Run(() => GetResultToFile(opId, path), cancel);
        }

        /// <summary>Streams without blocking the caller; cancelling the token stops the download
        /// at the next chunk (OperationCanceledException).</summary>
        public Task<long> GetResultToStreamAsync(string opId, Stream destination, CancellationToken cancel = default(CancellationToken))
        {
            return Task.Run(() => GetResultToStream(opId, destination, cancel), cancel);
        }

        public Task<string> GetResultTextAsync(string opId, CancellationToken cancel = default(CancellationToken))
        {
            return Task.Run(() => GetResultText(opId), cancel);
        }

        public Task CancelAsync(string opId, CancellationToken cancel = default(CancellationToken))
        {
            return Task.Run(() => Cancel(opId), cancel);
        }

        /// <summary>Submits, waits and fetches: the result in memory, or streamed to a file.</summary>
        public async Task<WorkflowResult> RunAsync(string configJson, string toFile = null, IProgress<int> progress = null,
            CancellationToken cancel = default(CancellationToken))
        {
            string opId = await SubmitAsync(configJson, cancel).ConfigureAwait(false);
            await WaitAsync(opId, null, progress, cancel).ConfigureAwait(false);
            return toFile != null
                ? await GetResultToFileAsync(opId, toFile, cancel).ConfigureAwait(false)
                : await GetResultExAsync(opId, cancel).ConfigureAwait(false);
        }
    }
}
