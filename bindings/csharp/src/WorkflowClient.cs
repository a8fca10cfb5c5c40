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
        /// <summary>No (or an unknown) X-Result-Type header.</summary>
        Unknown = 0,
        /// <summary>The body is a Data Set ID.</summary>
        DataSetId = 1,
        /// <summary>The body is a Content Set ID.</summary>
        ContentSetId = 2,
        /// <summary>The body is a Job Set ID.</summary>
        JobSetId = 3,
        /// <summary>The body is the content of the single spool file.</summary>
        OutputStreamed = 4,
        /// <summary>The body is a list of absolute paths of spool files on the server.</summary>
        OutputPaths = 5,
        /// <summary>The body identifies managed output in the File Store.</summary>
        OutputManaged = 6,
    }

    /// <summary>The progress of an operation.</summary>
    public struct WorkflowProgress
    {
        /// <summary>0 to 100.</summary>
        public int Percent { get; private set; }
        /// <summary>Whether the operation has finished.</summary>
        public bool Done { get; private set; }

        /// <summary>A progress report.</summary>
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
        /// <summary>The body (empty when it went to a file or stream).</summary>
        public byte[] Data { get; private set; }
        /// <summary>What the body holds (X-Result-Type).</summary>
        public ResultType Type { get; private set; }
        /// <summary>The X-Data-Set-ID header, when sent.</summary>
        public long? DataSetId { get; private set; }
        /// <summary>The X-Content-Set-ID header, when sent.</summary>
        public long? ContentSetId { get; private set; }
        /// <summary>The X-Job-Set-ID header, when sent.</summary>
        public long? JobSetId { get; private set; }
        /// <summary>The spool file paths of a multi-file result (else empty).</summary>
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
        /// <summary>At most this many requests in flight at once (null: no cap); callers beyond it
        /// wait their turn and a running download keeps its slot.</summary>
        public int? MaxConcurrent { get; set; }
    }

    /// <summary>A client of one OL Connect server. Thread-safe: share one between threads.
    /// Dispose it to free its connections and wipe its credentials.</summary>
    public sealed class WorkflowClient : IWorkflowClient
    {
        private readonly ClientHandle handle;
        private readonly LogSink logSink;
        /// <summary>Orders changes of the log hook and Dispose (never held while a handler runs).</summary>
        private readonly object logGate = new object();
        /// <summary>Whether the library has the log function (it formats no line while it has none).</summary>
        private bool logOn;

        /// <summary>A client of the server at <paramref name="baseUrl"/> with the default options.</summary>
        public WorkflowClient(string baseUrl) : this(new WorkflowClientOptions { BaseUrl = baseUrl }) { }

        /// <summary>A client with these options. Throws InvalidArgumentException for a malformed URL.</summary>
        public WorkflowClient(WorkflowClientOptions options)
        {
            if (options == null) throw new ArgumentNullException("options");
            Native.EnsureLoaded();
            handle = ClientHandle.Create(Native.Utf8(options.BaseUrl, "BaseUrl"));
            logSink = handle.LogSink;
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
                if (options.MaxConcurrent.HasValue)
                {
                    if (options.MaxConcurrent.Value < 0) throw new ArgumentOutOfRangeException("options", "MaxConcurrent must be 0 or more");
                    Native.Check(NativeMethods.wf_client_set_max_concurrent(handle, (uint)options.MaxConcurrent.Value));
                }
            }
            catch
            {
                handle.Dispose();
                throw;
            }
        }

        /// <summary>The ABI version these bindings were written for (WF_ABI_VERSION of the header).</summary>
        public static uint AbiVersion { get { return NativeMethods.AbiVersion; } }

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

        /// <summary>Frees the native client: its connections, kept bodies and credentials. From
        /// its return on, no log line reaches <see cref="LogHandler"/>, even from asynchronous
        /// calls still running; a call running on another thread finishes first.</summary>
        public void Dispose()
        {
            lock (logGate)
            {
                if (handle.IsClosed) return;
                // Views of this client (asynchronous calls) share its log and may outlive it.
                logSink.Handler = null;
                if (logOn) NativeMethods.wf_client_set_log(handle, null, IntPtr.Zero);
                logOn = false;
                handle.Dispose();
            }
        }

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

        // -- retries -----------------------------------------------------------------------------

        /// <summary>Sends a request that is safe to repeat (progress, the operation list, the
        /// version, Exists, File Store downloads, a login) at most <paramref name="maxAttempts"/>
        /// times in all (1: never again) after a transient failure (no connection, the connection
        /// lost before an answer, HTTP 502/503/504), pausing from 250 ms up to
        /// <paramref name="maxBackoff"/> between attempts, within the call's timeout and abort.
        /// Results, Cancel and Delete are sent again only when the connection could not be made;
        /// Submit and uploads never. Default: 4 attempts, 2 s.</summary>
        public void SetRetry(int maxAttempts, TimeSpan maxBackoff)
        {
            if (maxAttempts < 1) throw new ArgumentOutOfRangeException("maxAttempts", "counts the first attempt: give at least 1");
            Native.Check(NativeMethods.wf_client_set_retry(Handle, (uint)maxAttempts, Millis(maxBackoff)));
        }

        /// <summary>How many times this client has sent a request again since it was created.</summary>
        public long RetryCount
        {
            get
            {
                ulong count;
                Native.Check(NativeMethods.wf_client_retry_count(Handle, out count));
                return (long)count;
            }
        }

        // -- results -----------------------------------------------------------------------------

        /// <summary>The result body: an entity ID, a path list or a spool file's bytes.</summary>
        public byte[] GetResult(string opId) { return GetResultEx(opId).Data; }

        /// <summary>The result with its type, set IDs and path list.</summary>
        public WorkflowResult GetResultEx(string opId) { return GetResultEx(Handle, opId); }

        private static WorkflowResult GetResultEx(ClientHandle h, string opId)
        {
            ResultHandle result;
            Native.Check(NativeMethods.wf_get_result_ex(h, Native.Utf8(opId, "opId"), out result));
            return WorkflowResult.From(result);
        }

        /// <summary>Streams the result to <paramref name="path"/>: the file appears complete, or
        /// not at all. Returns the result's type and set IDs (its Data is empty).</summary>
        public WorkflowResult GetResultToFile(string opId, string path) { return GetResultToFile(Handle, opId, path); }

        private static WorkflowResult GetResultToFile(ClientHandle h, string opId, string path)
        {
            ResultHandle info;
            Native.Check(NativeMethods.wf_get_result_to_file_ex(h, Native.Utf8(opId, "opId"), Native.Utf8(path, "path"), out info));
            return WorkflowResult.From(info);
        }

        /// <summary>Streams the result into <paramref name="destination"/> chunk by chunk (no full
        /// buffering); returns the number of bytes written. An exception thrown by the stream
        /// stops the download and is rethrown here.</summary>
        public long GetResultToStream(string opId, Stream destination) { return GetResultToStream(Handle, opId, destination); }

        private static long GetResultToStream(ClientHandle h, string opId, Stream destination)
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
            int status = NativeMethods.wf_get_result_stream(h, id, write, IntPtr.Zero);
            GC.KeepAlive(write);
            if (failure != null) failure.Throw();
            Native.Check(status);
            return total;
        }

        /// <summary>The result as text (getResultTxt): an entity ID or the spool file path(s).</summary>
        public string GetResultText(string opId) { return GetResultText(Handle, opId); }

        private static string GetResultText(ClientHandle h, string opId)
        {
            var id = Native.Utf8(opId, "opId");
            return Native.Text((byte[] b, ref UIntPtr n) => NativeMethods.wf_get_result_text(h, id, b, ref n));
        }

        /// <summary>The managed result (getManagedResult): the File Store folder holding the output
        /// and the names of its files.</summary>
        public ManagedResult GetManagedResult(string opId) { return ServerJson.Managed(GetManagedResultJson(opId)); }

        /// <summary>The managed result as the server's JSON text: {"identifier": ..., "files": [...]}.</summary>
        public string GetManagedResultJson(string opId)
        {
            var id = Native.Utf8(opId, "opId");
            var h = Handle;
            return Native.Text((byte[] b, ref UIntPtr n) => NativeMethods.wf_get_managed_result(h, id, b, ref n));
        }

        /// <summary>Downloads managed output from the File Store to <paramref name="path"/>: one
        /// file of a folder, or (fileName null) the whole folder as a ZIP archive.</summary>
        public void DownloadManaged(string fileId, string path, string fileName = null) { DownloadManaged(Handle, fileId, path, fileName); }

        private static void DownloadManaged(ClientHandle h, string fileId, string path, string fileName)
        {
            Native.Check(NativeMethods.wf_download_managed(h, Native.Utf8(fileId, "fileId"),
                Native.Utf8(fileName, "fileName", allowNull: true), Native.Utf8(path, "path")));
        }

        // -- local data -------------------------------------------------------------------------------

        /// <summary>Uploads a local file to the File Store (streamed); returns its Managed File ID.
        /// The kind defaults to the one the name's extension selects.</summary>
        public string Upload(string path, ResourceKind? kind = null, string fileName = null, bool persistent = false)
        {
            using (var data = new NativeData(path)) return Upload(Handle, data, kind, fileName, persistent);
        }

        /// <summary>Uploads bytes to the File Store under <paramref name="fileName"/>; returns its id.</summary>
        public string Upload(byte[] content, string fileName, ResourceKind? kind = null, bool persistent = false)
        {
            using (var data = new NativeData(content)) return Upload(Handle, data, kind, fileName, persistent);
        }

        /// <summary>Uploads what <paramref name="content"/> holds (read once, streamed); returns its id.
        /// An exception the stream throws comes out of this call.</summary>
        public string Upload(Stream content, string fileName, ResourceKind? kind = null, bool persistent = false)
        {
            using (var data = new NativeData(content)) return Upload(Handle, data, kind, fileName, persistent);
        }

        private static string Upload(ClientHandle h, NativeData data, ResourceKind? kind, string fileName, bool persistent)
        {
            var id = new byte[NativeMethods.FileIdCapacity];
            var length = new UIntPtr((uint)id.Length);
            data.Check(NativeMethods.wf_upload(h, kind.HasValue ? (int)kind.Value : 0, data.Handle,
                Native.Utf8(fileName, "fileName", allowNull: true), persistent, id, ref length));
            return Native.FromUtf8(id, (int)length.ToUInt64());
        }

        /// <summary>Deletes a File Store file or folder; the server's answer (true: deleted).</summary>
        public bool Delete(string fileId)
        {
            bool deleted;
            Native.Check(NativeMethods.wf_delete_managed(Handle, Native.Utf8(fileId, "fileId"), out deleted));
            return deleted;
        }

        /// <summary>Whether a File Store file or folder exists (servers 2023.2+).</summary>
        public bool Exists(string fileId)
        {
            bool exists;
            Native.Check(NativeMethods.wf_managed_exists(Handle, Native.Utf8(fileId, "fileId"), out exists));
            return exists;
        }

        /// <summary>Starts an ad-hoc All-In-One job on a local file; returns the operation id.</summary>
        public string SubmitAdhoc(AdhocJob job, string dataPath)
        {
            using (var data = new NativeData(dataPath)) return SubmitAdhoc(Handle, job, data);
        }

        /// <summary>Starts an ad-hoc All-In-One job on these bytes; returns the operation id.</summary>
        public string SubmitAdhoc(AdhocJob job, byte[] content)
        {
            using (var data = new NativeData(content)) return SubmitAdhoc(Handle, job, data);
        }

        /// <summary>Starts an ad-hoc All-In-One job on what the stream holds; returns the operation id.</summary>
        public string SubmitAdhoc(AdhocJob job, Stream content)
        {
            using (var data = new NativeData(content)) return SubmitAdhoc(Handle, job, data);
        }

        private static string SubmitAdhoc(ClientHandle h, AdhocJob job, NativeData data)
        {
            if (job == null) throw new ArgumentNullException("job");
            var native = job.ToNative();
            try
            {
                var id = new byte[NativeMethods.OperationIdCapacity];
                var length = new UIntPtr((uint)id.Length);
                data.Check(NativeMethods.wf_submit_adhoc(h, ref native, data.Handle, id, ref length));
                return Native.FromUtf8(id, (int)length.ToUInt64());
            }
            finally
            {
                AdhocJob.Free(native);
            }
        }

        /// <summary>Runs an ad-hoc job synchronously on these bytes: the result streamed to
        /// <paramref name="toFile"/> (complete or absent), else in memory.</summary>
        public WorkflowResult RunAdhoc(AdhocJob job, byte[] content, string toFile = null)
        {
            using (var data = new NativeData(content)) return RunAdhoc(Handle, job, data, toFile);
        }

        /// <summary>Runs an ad-hoc job synchronously on a local file (see the byte[] overload).</summary>
        public WorkflowResult RunAdhoc(AdhocJob job, string dataPath, string toFile = null)
        {
            using (var data = new NativeData(dataPath)) return RunAdhoc(Handle, job, data, toFile);
        }

        /// <summary>Runs an ad-hoc job synchronously on what the stream holds (see the byte[] overload).</summary>
        public WorkflowResult RunAdhoc(AdhocJob job, Stream content, string toFile = null)
        {
            using (var data = new NativeData(content)) return RunAdhoc(Handle, job, data, toFile);
        }

        private static WorkflowResult RunAdhoc(ClientHandle h, AdhocJob job, NativeData data, string toFile)
        {
            if (job == null) throw new ArgumentNullException("job");
            var native = job.ToNative();
            try
            {
                ResultHandle result;
                data.Check(toFile != null
                    ? NativeMethods.wf_run_adhoc_to_file(h, ref native, data.Handle, Native.Utf8(toFile, "toFile"), out result)
                    : NativeMethods.wf_run_adhoc_ex(h, ref native, data.Handle, out result));
                return WorkflowResult.From(result);
            }
            finally
            {
                AdhocJob.Free(native);
            }
        }

        /// <summary>Uploads a local file without blocking the caller; the token stops it within half
        /// a second; bytes sent are reported to <paramref name="sent"/>.</summary>
        public Task<string> UploadAsync(string path, ResourceKind? kind = null, string fileName = null, bool persistent = false,
            CancellationToken cancel = default(CancellationToken), IProgress<TransferProgress> sent = null)
        {
            return Task.Run(() => Controlled(cancel, null, h =>
            {
                using (var data = new NativeData(path)) return Upload(h, data, kind, fileName, persistent);
            }, sent), cancel);
        }

        // -- workflow ----------------------------------------------------------------------------

        /// <summary>Submits a JSON All-In-One configuration; returns the operation id.</summary>
        public string Submit(string configJson) { return Submit(Handle, configJson); }

        private static string Submit(ClientHandle h, string configJson)
        {
            var buffer = new byte[NativeMethods.OperationIdCapacity];
            var length = new UIntPtr((uint)buffer.Length);
            Native.Check(NativeMethods.wf_submit(h, Native.Utf8(configJson, "configJson"), buffer, ref length));
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
            Wait(Handle, opId, timeout, progress);
        }

        private static void Wait(ClientHandle h, string opId, TimeSpan? timeout, IProgress<int> progress)
        {
            var id = Native.Utf8(opId, "opId");
            ExceptionDispatchInfo failure = null;
            ProgressCallback report = (user, percent) =>
            {
                try
                {
                    if (progress != null) progress.Report(percent);
                    return 0;
                }
                catch (Exception e)
                {
                    failure = ExceptionDispatchInfo.Capture(e);
                    return 1;
                }
            };
            int status = NativeMethods.wf_wait(h, id, Millis(timeout), report, IntPtr.Zero);
            GC.KeepAlive(report);
            if (failure != null) failure.Throw();
            Native.Check(status);
        }

        /// <summary>Cancels an operation; a Wait for it on this client throws AbortedException.</summary>
        public void Cancel(string opId) { Cancel(Handle, opId); }

        private static void Cancel(ClientHandle h, string opId) { Native.Check(NativeMethods.wf_cancel(h, Native.Utf8(opId, "opId"))); }

        /// <summary>The operations running on the server.</summary>
        public IReadOnlyList<OperationInfo> GetOperations() { return ServerJson.Operations(GetOperationsJson()); }

        /// <summary>The operations running on the server, as the server's JSON array text.</summary>
        public string GetOperationsJson()
        {
            var h = Handle;
            return Native.Text((byte[] b, ref UIntPtr n) => NativeMethods.wf_get_operations(h, b, ref n));
        }

        /// <summary>The server's version string.</summary>
        public string ServerVersion() { return ServerVersion(Handle); }

        private static string ServerVersion(ClientHandle h)
        {
            return Native.Text((byte[] b, ref UIntPtr n) => NativeMethods.wf_server_version(h, b, ref n));
        }

        // -- control of calls in flight ------------------------------------------------------------

        /// <summary>Runs <paramref name="call"/> on a view of this client whose call stops within a
        /// quarter of a second of <paramref name="cancel"/> being cancelled (wherever it is:
        /// connecting, waiting, downloading), reporting bytes received to
        /// <paramref name="bytes"/>. A cancelled call throws OperationCanceledException and leaves
        /// no partial file.</summary>
        private T Controlled<T>(CancellationToken cancel, IProgress<TransferProgress> bytes, Func<ClientHandle, T> call,
            IProgress<TransferProgress> sent = null)
        {
            cancel.ThrowIfCancellationRequested();
            using (var abort = AbortHandle.Create())
            {
                ExceptionDispatchInfo failure = null;
                TransferCallback transfer = (user, info) =>
                {
                    try
                    {
                        if (bytes == null && sent == null) return 0;
                        var t = (NativeTransfer)Marshal.PtrToStructure(info, typeof(NativeTransfer));
                        if (bytes != null && t.Received > 0) bytes.Report(new TransferProgress((long)t.Received, t.ReceiveTotal >= 0 ? t.ReceiveTotal : (long?)null));
                        if (sent != null && t.Sent > 0) sent.Report(new TransferProgress((long)t.Sent, t.SendTotal >= 0 ? t.SendTotal : (long?)null));
                        return 0;
                    }
                    catch (Exception e)
                    {
                        failure = ExceptionDispatchInfo.Capture(e);
                        return 1;
                    }
                };
                // The view keeps transfer until it is freed.
                using (var view = Handle.WithControls(abort, 0, transfer))
                using (cancel.Register(() => NativeMethods.wf_abort_trigger(abort)))
                {
                    try
                    {
                        return call(view);
                    }
                    catch (AbortedException) when (cancel.IsCancellationRequested || failure != null)
                    {
                        if (failure != null) failure.Throw();
                        throw new OperationCanceledException(cancel);
                    }
                }
            }
        }

        /// <summary>Receives each log line of this client: one per HTTP exchange (Info), retries and
        /// re-logins (Warning), failed calls (Error); never a secret. Called on the thread of the call
        /// that logs, so from several threads when the client is shared. Null (the default): no
        /// logging, at no cost. It may be replaced at any time, from any thread: a line being
        /// delivered at that moment may still reach the handler replaced, no later line does.
        /// Exceptions it throws are ignored.</summary>
        public Action<WorkflowLogLevel, string> LogHandler
        {
            get { return logSink.Handler; }
            set
            {
                lock (logGate)
                {
                    var h = Handle;
                    var previous = logSink.Handler;
                    logSink.Handler = value;
                    bool on = value != null;
                    if (on == logOn) return;
                    // Only switching logging on or off reaches the library, always with the same
                    // function and user_data (see LogSink.cs): nothing it was given can be collected.
                    try
                    {
                        Native.Check(NativeMethods.wf_client_set_log(h, on ? LogSink.Callback : null, on ? logSink.UserData : IntPtr.Zero));
                    }
                    catch
                    {
                        logSink.Handler = previous;
                        throw;
                    }
                    logOn = on;
                }
            }
        }

        // -- asynchronous variants: run on the thread pool; the token stops the native call ------------

        /// <summary>Submits without blocking the caller.</summary>
        public Task<string> SubmitAsync(string configJson, CancellationToken cancel = default(CancellationToken))
        {
            return Task.Run(() => Controlled(cancel, null, h => Submit(h, configJson)), cancel);
        }

        /// <summary>Waits without blocking the caller; cancelling the token stops the wait within a
        /// quarter of a second, even during a poll (OperationCanceledException).</summary>
        public Task WaitAsync(string opId, TimeSpan? timeout = null, IProgress<int> progress = null,
            CancellationToken cancel = default(CancellationToken))
        {
            return Task.Run(() => Controlled(cancel, null, h => { Wait(h, opId, timeout, progress); return true; }), cancel);
        }

        /// <summary>Fetches the result body without blocking the caller.</summary>
        public Task<byte[]> GetResultAsync(string opId, CancellationToken cancel = default(CancellationToken))
        {
            return Task.Run(() => Controlled(cancel, null, h => GetResultEx(h, opId).Data), cancel);
        }

        /// <summary>Fetches the result with its type and set IDs without blocking the caller.</summary>
        public Task<WorkflowResult> GetResultExAsync(string opId, CancellationToken cancel = default(CancellationToken),
            IProgress<TransferProgress> bytes = null)
        {
            return Task.Run(() => Controlled(cancel, bytes, h => GetResultEx(h, opId)), cancel);
        }

        /// <summary>Downloads the result to a file without blocking the caller, reporting bytes to
        /// <paramref name="bytes"/>; cancelling stops it within a quarter of a second and leaves no
        /// file.</summary>
        public Task<WorkflowResult> GetResultToFileAsync(string opId, string path, CancellationToken cancel = default(CancellationToken),
            IProgress<TransferProgress> bytes = null)
        {
            return Task.Run(() => Controlled(cancel, bytes, h => GetResultToFile(h, opId, path)), cancel);
        }

        /// <summary>Streams without blocking the caller; cancelling the token stops the download
        /// within a quarter of a second (OperationCanceledException).</summary>
        public Task<long> GetResultToStreamAsync(string opId, Stream destination, CancellationToken cancel = default(CancellationToken),
            IProgress<TransferProgress> bytes = null)
        {
            return Task.Run(() => Controlled(cancel, bytes, h => GetResultToStream(h, opId, destination)), cancel);
        }

        /// <summary>Fetches the result as text without blocking the caller.</summary>
        public Task<string> GetResultTextAsync(string opId, CancellationToken cancel = default(CancellationToken))
        {
            return Task.Run(() => Controlled(cancel, null, h => GetResultText(h, opId)), cancel);
        }

        /// <summary>Downloads managed output without blocking the caller.</summary>
        public Task DownloadManagedAsync(string fileId, string path, string fileName = null,
            CancellationToken cancel = default(CancellationToken), IProgress<TransferProgress> bytes = null)
        {
            return Task.Run(() => Controlled(cancel, bytes, h => { DownloadManaged(h, fileId, path, fileName); return true; }), cancel);
        }

        /// <summary>Cancels an operation without blocking the caller.</summary>
        public Task CancelAsync(string opId, CancellationToken cancel = default(CancellationToken))
        {
            return Task.Run(() => Controlled(cancel, null, h => { Cancel(h, opId); return true; }), cancel);
        }

        /// <summary>Asks for the server version without blocking the caller.</summary>
        public Task<string> ServerVersionAsync(CancellationToken cancel = default(CancellationToken))
        {
            return Task.Run(() => Controlled(cancel, null, h => ServerVersion(h)), cancel);
        }

        /// <summary>Submits, waits and fetches: the result in memory, or streamed to a file.</summary>
        public async Task<WorkflowResult> RunAsync(string configJson, string toFile = null, IProgress<int> progress = null,
            CancellationToken cancel = default(CancellationToken), IProgress<TransferProgress> bytes = null)
        {
            string opId = await SubmitAsync(configJson, cancel).ConfigureAwait(false);
            await WaitAsync(opId, null, progress, cancel).ConfigureAwait(false);
            return toFile != null
                ? await GetResultToFileAsync(opId, toFile, cancel, bytes).ConfigureAwait(false)
                : await GetResultExAsync(opId, cancel, bytes).ConfigureAwait(false);
        }
    }

    /// <summary>Bytes of a download received so far, and its total when the server announced it.</summary>
    public struct TransferProgress
    {
        /// <summary>Creates a report.</summary>
        public TransferProgress(long received, long? total)
        {
            Received = received;
            Total = total;
        }

        /// <summary>Bytes received so far.</summary>
        public long Received { get; private set; }

        /// <summary>The announced total, or null when the server did not announce one.</summary>
        public long? Total { get; private set; }
    }

    /// <summary>How much a log line matters (the numbers of the C wf_log_level).</summary>
    public enum WorkflowLogLevel
    {
        /// <summary>A call failed.</summary>
        Error = 1,
        /// <summary>A retry or a re-login.</summary>
        Warning = 2,
        /// <summary>One line per HTTP exchange.</summary>
        Info = 3,
        /// <summary>Details.</summary>
        Debug = 4,
    }
}
