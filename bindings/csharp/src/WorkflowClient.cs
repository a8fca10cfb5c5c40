// Layer 3: the public API.
using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.Globalization;
using System.IO;
using System.Linq;
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
        /// <summary>The asynchronous waits: one thread for all of them (WaitDispatcher.cs).</summary>
        private readonly WaitDispatcher waits;
        /// <summary>Orders changes of the log hook and Dispose (never held while a handler runs).</summary>
        private readonly object logGate = new object();
        /// <summary>Whether the library has the log function (it formats no line while it has none).</summary>
        private bool logOn;

        /// <summary>A client of the server at <paramref name="baseUrl"/> with the default options.
        /// Throws InvalidArgumentException for a malformed URL.</summary>
        public WorkflowClient(string baseUrl) : this(new WorkflowClientOptions { BaseUrl = baseUrl }, "baseUrl") { }

        /// <summary>A client with these options. Throws InvalidArgumentException for a malformed URL.</summary>
        public WorkflowClient(WorkflowClientOptions options) : this(options, "options") { }

        private WorkflowClient(WorkflowClientOptions options, string urlParam)
        {
            if (options == null) throw new ArgumentNullException("options");
            if (options.BaseUrl == null)
            {
                if (urlParam == "baseUrl") throw new ArgumentNullException("baseUrl");
                throw new ArgumentNullException("options", "options.BaseUrl is null: set it to the server's URL, e.g. http://connect-host:9340");
            }
            Native.EnsureLoaded();
            uint connectMs = Millis(options.ConnectTimeout, "options");
            uint readMs = Millis(options.ReadTimeout, "options");
            if (options.KeptBodyLimit.HasValue && options.KeptBodyLimit.Value < 0)
                throw new ArgumentOutOfRangeException("options", "KeptBodyLimit must be 0 or more");
            if (options.MaxConcurrent.HasValue && options.MaxConcurrent.Value < 0)
                throw new ArgumentOutOfRangeException("options", "MaxConcurrent must be 0 or more");
            handle = ClientHandle.Create(Native.Utf8(options.BaseUrl, urlParam), urlParam);
            logSink = handle.LogSink;
            try
            {
                // The library's hints name .NET members, not C functions (docs/c-contract.md, "Messages").
                Native.Check(NativeMethods.wf_client_set_message_language(handle, NativeMethods.LanguageDotNet));
                Native.Check(NativeMethods.wf_client_set_timeouts(handle, connectMs, readMs), "options");
                if (options.CaFile != null) Native.Check(NativeMethods.wf_client_set_tls_ca_file(handle, Native.Utf8(options.CaFile, "options")), "options");
                if (options.Insecure) Native.Check(NativeMethods.wf_client_set_tls_insecure(handle, true));
                if (options.Proxy != null) Native.Check(NativeMethods.wf_client_set_proxy(handle, Native.Utf8(options.Proxy, "options")), "options");
                if (!options.DurableFiles) Native.Check(NativeMethods.wf_client_set_durable_files(handle, false));
                if (options.KeptBodyLimit.HasValue)
                    Native.Check(NativeMethods.wf_client_set_kept_body_limit(handle, new UIntPtr((ulong)options.KeptBodyLimit.Value)), "options");
                if (options.MaxConcurrent.HasValue)
                    Native.Check(NativeMethods.wf_client_set_max_concurrent(handle, (uint)options.MaxConcurrent.Value), "options");
            }
            catch
            {
                handle.Dispose();
                throw;
            }
            waits = new WaitDispatcher(handle);
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

        /// <summary>Milliseconds for the library (0: no limit); <paramref name="name"/> is the
        /// parameter it came from.</summary>
        private static uint Millis(TimeSpan? t, string name)
        {
            if (t == null) return 0;
            if (t.Value < TimeSpan.Zero) throw new ArgumentOutOfRangeException(name, t.Value, "a timeout must not be negative (null means no limit)");
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

        /// <summary>Frees the native client: its connections, kept bodies and credentials. Waits in
        /// progress (<see cref="WaitAsync(string, TimeSpan?, IProgress{int}, CancellationToken)"/>,
        /// <see cref="WhenAnyAsync"/>, <see cref="WhenAllAsync"/>) end with ObjectDisposedException
        /// (the operations go on on the server). From its return on, no log line reaches
        /// <see cref="LogHandler"/>, even from asynchronous calls still running; a call running on
        /// another thread finishes first.</summary>
        public void Dispose()
        {
            lock (logGate)
            {
                if (handle.IsClosed) return;
                waits.Close();
                // Views of this client (asynchronous calls) share its log and may outlive it.
                logSink.Handler = null;
                if (logOn) NativeMethods.wf_client_set_log(handle, null, IntPtr.Zero);
                logOn = false;
                handle.Dispose();
            }
        }

        // -- credentials ------------------------------------------------------------------------

        /// <summary>Logs in now; the token is renewed before it expires and after a 401/403.</summary>
        public void Login(string username, string password) { Login(Handle, username, password); }

        private static void Login(ClientHandle h, string username, string password)
        {
            Native.Check(NativeMethods.wf_client_login(h, Native.Utf8(username, "username"), Native.Utf8(password, "password")),
                "password=password", "username");
        }

        /// <summary>Sends this auth_token on every request (it cannot be renewed).</summary>
        public void SetToken(string token)
        {
            Native.Check(NativeMethods.wf_client_set_token(Handle, Native.Utf8(token, "token")), "token");
        }

        /// <summary>Sends HTTP Basic credentials on every request.</summary>
        public void SetBasicAuth(string username, string password)
        {
            Native.Check(NativeMethods.wf_client_set_basic_auth(Handle, Native.Utf8(username, "username"), Native.Utf8(password, "password")),
                "password=password", "username");
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
            Native.Check(NativeMethods.wf_client_set_retry(Handle, (uint)maxAttempts, Millis(maxBackoff, "maxBackoff")));
        }

        /// <summary>How long a wait goes on while the server cannot be asked about its operations
        /// (no connection, timeouts, HTTP 502/503/504 for every look) before it gives up with the
        /// last failure, naming the operation and how to resume; null: through any outage, until
        /// the wait's own timeout or cancellation. Default: 10 minutes.</summary>
        public void SetOutageLimit(TimeSpan? limit)
        {
            Native.Check(NativeMethods.wf_client_set_outage_limit(Handle, limit == null ? 0u : Math.Max(1u, Millis(limit, "limit"))));
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
            Native.Check(NativeMethods.wf_get_result_ex(h, Native.Utf8(opId, "opId"), out result), "opId");
            return WorkflowResult.From(result);
        }

        /// <summary>Streams the result to <paramref name="path"/>: the file appears complete, or
        /// not at all. Returns the result's type and set IDs (its Data is empty).</summary>
        public WorkflowResult GetResultToFile(string opId, string path) { return GetResultToFile(Handle, opId, path); }

        private static WorkflowResult GetResultToFile(ClientHandle h, string opId, string path)
        {
            ResultHandle info;
            Native.Check(NativeMethods.wf_get_result_to_file_ex(h, Native.Utf8(opId, "opId"), Native.Utf8(path, "path"), out info),
                "opId=operation id", "path");
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
            Native.Check(status, "opId");
            return total;
        }

        /// <summary>The result as text (getResultTxt): an entity ID or the spool file path(s).</summary>
        public string GetResultText(string opId) { return GetResultText(Handle, opId); }

        private static string GetResultText(ClientHandle h, string opId)
        {
            var id = Native.Utf8(opId, "opId");
            return Native.Text((byte[] b, ref UIntPtr n) => NativeMethods.wf_get_result_text(h, id, b, ref n), "opId");
        }

        /// <summary>The managed result (getManagedResult): the File Store folder holding the output
        /// and the names of its files.</summary>
        public ManagedResult GetManagedResult(string opId) { return ServerJson.Managed(GetManagedResultJson(Handle, opId)); }

        /// <summary>The managed result as the server's JSON text: {"identifier": ..., "files": [...]}.</summary>
        public string GetManagedResultJson(string opId) { return GetManagedResultJson(Handle, opId); }

        private static string GetManagedResultJson(ClientHandle h, string opId)
        {
            var id = Native.Utf8(opId, "opId");
            return Native.Text((byte[] b, ref UIntPtr n) => NativeMethods.wf_get_managed_result(h, id, b, ref n), "opId");
        }

        /// <summary>Downloads managed output from the File Store to <paramref name="path"/>: one
        /// file of a folder, or (fileName null) the whole folder as a ZIP archive.</summary>
        public void DownloadManaged(string fileId, string path, string fileName = null) { DownloadManaged(Handle, fileId, path, fileName); }

        private static void DownloadManaged(ClientHandle h, string fileId, string path, string fileName)
        {
            Native.Check(NativeMethods.wf_download_managed(h, Native.Utf8(fileId, "fileId"),
                Native.Utf8(fileName, "fileName", allowNull: true), Native.Utf8(path, "path")),
                "fileId=managed file id", "fileName=file name", "path");
        }

        // -- local data -------------------------------------------------------------------------------

        /// <summary>Uploads a local file to the File Store (streamed); returns its Managed File ID.
        /// The kind defaults to the one the name's extension selects.</summary>
        public string Upload(string path, ResourceKind? kind = null, string fileName = null, bool persistent = false)
        {
            using (var data = new NativeData(path, "path")) return Upload(Handle, data, kind, fileName, persistent);
        }

        /// <summary>Uploads bytes to the File Store under <paramref name="fileName"/>; returns its id.</summary>
        public string Upload(byte[] content, string fileName, ResourceKind? kind = null, bool persistent = false)
        {
            using (var data = new NativeData(content, "content")) return Upload(Handle, data, kind, fileName, persistent);
        }

        /// <summary>Uploads what <paramref name="content"/> holds (read once, streamed); returns its id.
        /// An exception the stream throws comes out of this call.</summary>
        public string Upload(Stream content, string fileName, ResourceKind? kind = null, bool persistent = false)
        {
            using (var data = new NativeData(content, "content")) return Upload(Handle, data, kind, fileName, persistent);
        }

        private static string Upload(ClientHandle h, NativeData data, ResourceKind? kind, string fileName, bool persistent)
        {
            var id = new byte[NativeMethods.FileIdCapacity];
            var length = new UIntPtr((uint)id.Length);
            data.Check(NativeMethods.wf_upload(h, kind.HasValue ? (int)kind.Value : 0, data.Handle,
                Native.Utf8(fileName, "fileName", allowNull: true), persistent, id, ref length), "kind=wf_resource_kind", "fileName=file name");
            return Native.FromUtf8(id, (int)length.ToUInt64());
        }

        /// <summary>Deletes a File Store file or folder; the server's answer (true: deleted).</summary>
        public bool Delete(string fileId) { return Delete(Handle, fileId); }

        private static bool Delete(ClientHandle h, string fileId)
        {
            bool deleted;
            Native.Check(NativeMethods.wf_delete_managed(h, Native.Utf8(fileId, "fileId"), out deleted), "fileId");
            return deleted;
        }

        /// <summary>Whether a File Store file or folder exists (servers 2023.2+).</summary>
        public bool Exists(string fileId) { return Exists(Handle, fileId); }

        private static bool Exists(ClientHandle h, string fileId)
        {
            bool exists;
            Native.Check(NativeMethods.wf_managed_exists(h, Native.Utf8(fileId, "fileId"), out exists), "fileId");
            return exists;
        }

        /// <summary>Starts an ad-hoc All-In-One job on a local file; returns the operation id.</summary>
        public string SubmitAdhoc(AdhocJob job, string dataPath)
        {
            using (var data = new NativeData(dataPath, "dataPath")) return SubmitAdhoc(Handle, job, data);
        }

        /// <summary>Starts an ad-hoc All-In-One job on these bytes; returns the operation id.</summary>
        public string SubmitAdhoc(AdhocJob job, byte[] content)
        {
            using (var data = new NativeData(content, "content")) return SubmitAdhoc(Handle, job, data);
        }

        /// <summary>Starts an ad-hoc All-In-One job on what the stream holds; returns the operation id.</summary>
        public string SubmitAdhoc(AdhocJob job, Stream content)
        {
            using (var data = new NativeData(content, "content")) return SubmitAdhoc(Handle, job, data);
        }

        private static string SubmitAdhoc(ClientHandle h, AdhocJob job, NativeData data)
        {
            if (job == null) throw new ArgumentNullException("job");
            var native = job.ToNative();
            try
            {
                var id = new byte[NativeMethods.OperationIdCapacity];
                var length = new UIntPtr((uint)id.Length);
                data.Check(NativeMethods.wf_submit_adhoc(h, ref native, data.Handle, id, ref length), "job=configuration", "job=template", "job=preset",
                    "job=print range", "job=file name");
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
            using (var data = new NativeData(content, "content")) return RunAdhoc(Handle, job, data, toFile);
        }

        /// <summary>Runs an ad-hoc job synchronously on a local file (see the byte[] overload).</summary>
        public WorkflowResult RunAdhoc(AdhocJob job, string dataPath, string toFile = null)
        {
            using (var data = new NativeData(dataPath, "dataPath")) return RunAdhoc(Handle, job, data, toFile);
        }

        /// <summary>Runs an ad-hoc job synchronously on what the stream holds (see the byte[] overload).</summary>
        public WorkflowResult RunAdhoc(AdhocJob job, Stream content, string toFile = null)
        {
            using (var data = new NativeData(content, "content")) return RunAdhoc(Handle, job, data, toFile);
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
                    : NativeMethods.wf_run_adhoc_ex(h, ref native, data.Handle, out result),
                    "toFile=does not name a file", "job=configuration", "job=template", "job=preset", "job=print range", "job=file name");
                return WorkflowResult.From(result);
            }
            finally
            {
                AdhocJob.Free(native);
            }
        }

        // -- workflow ----------------------------------------------------------------------------

        /// <summary>Submits a JSON All-In-One configuration; returns the operation id.</summary>
        public string Submit(string configJson) { return Submit(Handle, configJson); }

        private static string Submit(ClientHandle h, string configJson)
        {
            var buffer = new byte[NativeMethods.OperationIdCapacity];
            var length = new UIntPtr((uint)buffer.Length);
            Native.Check(NativeMethods.wf_submit(h, Native.Utf8(configJson, "configJson"), buffer, ref length), "configJson");
            return Native.FromUtf8(buffer, (int)length.ToUInt64());
        }

        /// <summary>The progress of an operation (getProgress).</summary>
        public WorkflowProgress GetProgress(string opId) { return GetProgress(Handle, opId); }

        private static WorkflowProgress GetProgress(ClientHandle h, string opId)
        {
            int percent;
            bool done;
            Native.Check(NativeMethods.wf_get_progress(h, Native.Utf8(opId, "opId"), out percent, out done), "opId");
            return new WorkflowProgress(percent, done);
        }

        /// <summary>Waits on this thread until the operation has finished, reporting each new
        /// percentage to <paramref name="progress"/> (on this thread). Throws
        /// WorkflowTimeoutException (a TimeoutException) after <paramref name="timeout"/>,
        /// AbortedException when another thread cancels the operation. To wait without holding a
        /// thread, use <see cref="WaitAsync(string, TimeSpan?, IProgress{int}, CancellationToken)"/>.</summary>
        public void Wait(string opId, TimeSpan? timeout = null, IProgress<int> progress = null)
        {
            var id = Native.Utf8(opId, "opId");
            uint ms = Millis(timeout, "timeout");
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
            int status = NativeMethods.wf_wait(Handle, id, ms, report, IntPtr.Zero);
            GC.KeepAlive(report);
            if (failure != null) failure.Throw();
            Native.Check(status, "opId");
        }

        /// <summary>Cancels an operation; a wait for it on this client throws AbortedException.</summary>
        public void Cancel(string opId) { Cancel(Handle, opId); }

        private static void Cancel(ClientHandle h, string opId) { Native.Check(NativeMethods.wf_cancel(h, Native.Utf8(opId, "opId")), "opId"); }

        /// <summary>The operations running on the server.</summary>
        public IReadOnlyList<OperationInfo> GetOperations() { return ServerJson.Operations(GetOperationsJson(Handle)); }

        /// <summary>The operations running on the server, as the server's JSON array text.</summary>
        public string GetOperationsJson() { return GetOperationsJson(Handle); }

        private static string GetOperationsJson(ClientHandle h)
        {
            return Native.Text((byte[] b, ref UIntPtr n) => NativeMethods.wf_get_operations(h, b, ref n));
        }

        /// <summary>The server's version string, e.g. "2024.2.1.12345".</summary>
        public string GetServerVersion() { return GetServerVersion(Handle); }

        /// <summary>The former name of <see cref="GetServerVersion()"/>, kept working.</summary>
        [Obsolete("Use GetServerVersion().")]
        public string ServerVersion() { return GetServerVersion(); }

        private static string GetServerVersion(ClientHandle h)
        {
            return Native.Text((byte[] b, ref UIntPtr n) => NativeMethods.wf_server_version(h, b, ref n));
        }

        // -- control of calls in flight ------------------------------------------------------------

        /// <summary>Runs <paramref name="call"/> on a view of this client whose call stops within a
        /// quarter of a second of <paramref name="cancel"/> being cancelled (wherever it is:
        /// connecting, waiting, downloading), reporting bytes received to
        /// <paramref name="bytes"/>. A cancelled call throws OperationCanceledException and leaves
        /// no partial file; the library's Error line about it reaches the LogHandler as Debug (the
        /// caller asked for it).</summary>
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
                    var outer = LogSink.SwapCallToken(cancel);
                    try
                    {
                        return call(view);
                    }
                    catch (AbortedException) when (cancel.IsCancellationRequested || failure != null)
                    {
                        if (failure != null) failure.Throw();
                        throw new OperationCanceledException(cancel);
                    }
                    finally
                    {
                        LogSink.SwapCallToken(outer);
                    }
                }
            }
        }

        /// <summary>Runs <paramref name="call"/> on the thread pool under Controlled.</summary>
        private Task<T> Run<T>(CancellationToken cancel, Func<ClientHandle, T> call, IProgress<TransferProgress> bytes = null,
            IProgress<TransferProgress> sent = null)
        {
            return Task.Run(() => Controlled(cancel, bytes, call, sent), cancel);
        }

        /// <summary>Receives each log line of this client: one per HTTP exchange (Info), retries and
        /// re-logins (Warning), failed calls (Error); never a secret. A failure the caller asked for
        /// (a call whose CancellationToken was cancelled) and the internal calls of the
        /// asynchronous waits come as Debug, not Error. Called on the thread of the call
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

        // -- asynchronous variants ------------------------------------------------------------------
        // Every I/O method has an ...Async twin, its CancellationToken last (CA1068). They run on
        // the thread pool and the token stops the native call within a quarter of a second
        // (OperationCanceledException). The waits hold no thread at all (WaitDispatcher.cs).
        // Overloads whose token came before a progress argument are kept working, marked obsolete.

        /// <summary>Logs in without blocking the caller.</summary>
        public Task LoginAsync(string username, string password, CancellationToken cancel = default(CancellationToken))
        {
            return Run(cancel, h => { Login(h, username, password); return true; });
        }

        /// <summary>Submits without blocking the caller.</summary>
        public Task<string> SubmitAsync(string configJson, CancellationToken cancel = default(CancellationToken))
        {
            return Run(cancel, h => Submit(h, configJson));
        }

        /// <summary>Asks for the progress of an operation without blocking the caller.</summary>
        public Task<WorkflowProgress> GetProgressAsync(string opId, CancellationToken cancel = default(CancellationToken))
        {
            return Run(cancel, h => GetProgress(h, opId));
        }

        /// <summary>Waits until the operation has finished, holding no thread: one thread per client
        /// (started by the first wait, ending when none is left) waits for every operation awaited
        /// through it, with one request to the server per interval for all of them, and completes
        /// each task. Each new percentage goes to <paramref name="progress"/> (learnt from one
        /// operation list a second shared by the waits that ask for progress; 100 at the end);
        /// <see cref="Progress{T}"/> posts it to the caller's context, another IProgress runs on
        /// the waits' thread: keep it short; an exception it throws ends this wait with it.
        /// After <paramref name="timeout"/>: WorkflowTimeoutException (a TimeoutException).
        /// Cancelling <paramref name="cancel"/> ends this wait at once with
        /// OperationCanceledException, and only this one; the operation goes on on the server
        /// (<see cref="CancelAsync"/> stops it). A failed operation throws its error, e.g.
        /// AbortedException when <see cref="Cancel(string)"/> stopped it.</summary>
        public Task WaitAsync(string opId, TimeSpan? timeout = null, IProgress<int> progress = null,
            CancellationToken cancel = default(CancellationToken))
        {
            return WaitOneAsync(opId, timeout, progress, cancel);
        }

        private async Task WaitOneAsync(string opId, TimeSpan? timeout, IProgress<int> progress, CancellationToken cancel)
        {
            Native.Utf8(opId, "opId");
            Millis(timeout, "timeout");
            using (var limit = Limit(timeout, cancel))
            using (var watched = Watch(new List<string> { opId }, progress, limit.Token, "opId"))
            {
                try
                {
                    await watched.Tasks[0].ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    throw Stopped(cancel, "operation '" + opId + "' did not finish", timeout, true);
                }
            }
        }

        /// <summary>Waits, holding no thread (see <see cref="WaitAsync(string, TimeSpan?, IProgress{int}, CancellationToken)"/>),
        /// until the first of <paramref name="opIds"/> ends; returns its id, or throws its error when
        /// it did not finish. The others go on on the server and are no longer waited for.
        /// <paramref name="timeout"/> bounds the whole wait (WorkflowTimeoutException).</summary>
        public Task<string> WhenAnyAsync(IEnumerable<string> opIds, TimeSpan? timeout = null, CancellationToken cancel = default(CancellationToken))
        {
            return WhenAnyCore(opIds, timeout, cancel);
        }

        private async Task<string> WhenAnyCore(IEnumerable<string> opIds, TimeSpan? timeout, CancellationToken cancel)
        {
            var ids = Ids(opIds);
            if (ids.Count == 0) throw new InvalidArgumentException("opIds names no operation: give at least one operation id", "opIds");
            Millis(timeout, "timeout");
            using (var limit = Limit(timeout, cancel))
            using (var watched = Watch(ids, null, limit.Token, "opIds"))
            {
                var first = await Task.WhenAny(watched.Tasks).ConfigureAwait(false);
                if (first.IsCanceled) throw Stopped(cancel, "none of the " + ids.Count + " operations waited on ended", timeout, false);
                if (first.IsFaulted) ExceptionDispatchInfo.Capture(first.Exception.InnerException).Throw();
                return ids[watched.Tasks.IndexOf(first)];
            }
        }

        /// <summary>Waits, holding no thread (see <see cref="WaitAsync(string, TimeSpan?, IProgress{int}, CancellationToken)"/>),
        /// until every one of <paramref name="opIds"/> has ended; then throws the error of the first
        /// (in the order given) that did not finish. <paramref name="timeout"/> bounds the whole
        /// wait (WorkflowTimeoutException, saying how many had not ended).</summary>
        public Task WhenAllAsync(IEnumerable<string> opIds, TimeSpan? timeout = null, CancellationToken cancel = default(CancellationToken))
        {
            return WhenAllCore(opIds, timeout, cancel);
        }

        private async Task WhenAllCore(IEnumerable<string> opIds, TimeSpan? timeout, CancellationToken cancel)
        {
            var ids = Ids(opIds);
            Millis(timeout, "timeout");
            if (ids.Count == 0) return;
            using (var limit = Limit(timeout, cancel))
            using (var watched = Watch(ids, null, limit.Token, "opIds"))
            {
                try
                {
                    await Task.WhenAll(watched.Tasks).ConfigureAwait(false);
                }
                catch (Exception)
                {
                    // Every task has ended; they are examined below, in the order given.
                }
                int pending = watched.Tasks.Count(t => t.IsCanceled);
                if (pending > 0) throw Stopped(cancel, pending + " of the " + ids.Count + " operations waited on did not end", timeout, false);
                foreach (var t in watched.Tasks)
                    if (t.IsFaulted) ExceptionDispatchInfo.Capture(t.Exception.InnerException).Throw();
            }
        }

        /// <summary>The distinct ids of <paramref name="opIds"/>, in order, checked as .NET can.</summary>
        private static List<string> Ids(IEnumerable<string> opIds)
        {
            if (opIds == null) throw new ArgumentNullException("opIds");
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var ids = new List<string>();
            foreach (var id in opIds)
            {
                if (id == null) throw new ArgumentNullException("opIds", "opIds holds a null operation id");
                Native.Utf8(id, "opIds");
                if (seen.Add(id)) ids.Add(id);
            }
            return ids;
        }

        /// <summary>A source cancelled by <paramref name="cancel"/> or after <paramref name="timeout"/>.</summary>
        private static CancellationTokenSource Limit(TimeSpan? timeout, CancellationToken cancel)
        {
            var limit = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            // Beyond int.MaxValue ms (24 days) a timer cannot be set: no deadline, as with null.
            if (timeout.HasValue && timeout.Value.TotalMilliseconds < int.MaxValue) limit.CancelAfter(timeout.Value);
            return limit;
        }

        /// <summary>What a wait stopped by its limit throws: the caller's cancellation, else its timeout.</summary>
        private static Exception Stopped(CancellationToken cancel, string what, TimeSpan? timeout, bool one)
        {
            if (cancel.IsCancellationRequested) return new OperationCanceledException(cancel);
            double seconds = timeout.HasValue ? timeout.Value.TotalSeconds : 0;
            return new WorkflowTimeoutException(0, string.Format(CultureInfo.InvariantCulture,
                "{0} within the timeout ({1:0.###} s); {2} on running on the server", what, seconds, one ? "it goes" : "they go"));
        }

        /// <summary>Waiters for <paramref name="ids"/>, added to the dispatcher; disposing of it
        /// removes those still there.</summary>
        private sealed class Watched : IDisposable
        {
            internal readonly List<Waiter> Waiters;
            internal readonly List<Task> Tasks;
            private readonly List<CancellationTokenRegistration> registrations = new List<CancellationTokenRegistration>();
            private readonly WaitDispatcher dispatcher;

            internal Watched(WaitDispatcher dispatcher, List<string> ids, IProgress<int> progress, CancellationToken limit, string paramName)
            {
                this.dispatcher = dispatcher;
                limit.ThrowIfCancellationRequested();
                Waiters = ids.Select(id => new Waiter(id, progress, paramName)).ToList();
                Tasks = Waiters.Select(w => w.Task).ToList();
                dispatcher.Add(Waiters);
                foreach (var w in Waiters)
                {
                    var waiter = w;
                    registrations.Add(limit.Register(() => { if (waiter.Cancel(limit)) dispatcher.Remove(waiter); }));
                }
            }

            public void Dispose()
            {
                foreach (var r in registrations) r.Dispose();
                foreach (var w in Waiters) dispatcher.Remove(w);
            }
        }

        private Watched Watch(List<string> ids, IProgress<int> progress, CancellationToken limit, string paramName)
        {
            if (handle.IsClosed) throw new ObjectDisposedException("WorkflowClient");
            return new Watched(waits, ids, progress, limit, paramName);
        }

        /// <summary>Cancels an operation without blocking the caller.</summary>
        public Task CancelAsync(string opId, CancellationToken cancel = default(CancellationToken))
        {
            return Run(cancel, h => { Cancel(h, opId); return true; });
        }

        /// <summary>Lists the operations running on the server without blocking the caller.</summary>
        public Task<IReadOnlyList<OperationInfo>> GetOperationsAsync(CancellationToken cancel = default(CancellationToken))
        {
            return Run(cancel, h => ServerJson.Operations(GetOperationsJson(h)));
        }

        /// <summary>Lists the operations running on the server, as the server's JSON text, without
        /// blocking the caller.</summary>
        public Task<string> GetOperationsJsonAsync(CancellationToken cancel = default(CancellationToken))
        {
            return Run(cancel, h => GetOperationsJson(h));
        }

        /// <summary>Asks for the server version without blocking the caller.</summary>
        public Task<string> GetServerVersionAsync(CancellationToken cancel = default(CancellationToken))
        {
            return Run(cancel, h => GetServerVersion(h));
        }

        /// <summary>The former name of <see cref="GetServerVersionAsync"/>, kept working.</summary>
        [Obsolete("Use GetServerVersionAsync(cancel).")]
        public Task<string> ServerVersionAsync(CancellationToken cancel = default(CancellationToken))
        {
            return GetServerVersionAsync(cancel);
        }

        /// <summary>Fetches the result body without blocking the caller.</summary>
        public Task<byte[]> GetResultAsync(string opId, CancellationToken cancel = default(CancellationToken))
        {
            return Run(cancel, h => GetResultEx(h, opId).Data);
        }

        /// <summary>Fetches the result with its type and set IDs without blocking the caller,
        /// reporting bytes to <paramref name="bytes"/>.</summary>
        public Task<WorkflowResult> GetResultExAsync(string opId, IProgress<TransferProgress> bytes = null,
            CancellationToken cancel = default(CancellationToken))
        {
            return Run(cancel, h => GetResultEx(h, opId), bytes);
        }

        /// <summary>Fetches the result with its type and set IDs without blocking the caller.</summary>
        public Task<WorkflowResult> GetResultExAsync(string opId, CancellationToken cancel)
        {
            return GetResultExAsync(opId, null, cancel);
        }

        /// <summary>The former order of the arguments, kept working.</summary>
        [Obsolete("Use GetResultExAsync(opId, bytes, cancel): the token comes last.")]
        [EditorBrowsable(EditorBrowsableState.Never)]
        public Task<WorkflowResult> GetResultExAsync(string opId, CancellationToken cancel, IProgress<TransferProgress> bytes)
        {
            return GetResultExAsync(opId, bytes, cancel);
        }

        /// <summary>Downloads the result to a file without blocking the caller, reporting bytes to
        /// <paramref name="bytes"/>; cancelling stops it within a quarter of a second and leaves no
        /// file.</summary>
        public Task<WorkflowResult> GetResultToFileAsync(string opId, string path, IProgress<TransferProgress> bytes = null,
            CancellationToken cancel = default(CancellationToken))
        {
            return Run(cancel, h => GetResultToFile(h, opId, path), bytes);
        }

        /// <summary>Downloads the result to a file without blocking the caller.</summary>
        public Task<WorkflowResult> GetResultToFileAsync(string opId, string path, CancellationToken cancel)
        {
            return GetResultToFileAsync(opId, path, null, cancel);
        }

        /// <summary>The former order of the arguments, kept working.</summary>
        [Obsolete("Use GetResultToFileAsync(opId, path, bytes, cancel): the token comes last.")]
        [EditorBrowsable(EditorBrowsableState.Never)]
        public Task<WorkflowResult> GetResultToFileAsync(string opId, string path, CancellationToken cancel, IProgress<TransferProgress> bytes)
        {
            return GetResultToFileAsync(opId, path, bytes, cancel);
        }

        /// <summary>Streams without blocking the caller; cancelling the token stops the download
        /// within a quarter of a second (OperationCanceledException).</summary>
        public Task<long> GetResultToStreamAsync(string opId, Stream destination, IProgress<TransferProgress> bytes = null,
            CancellationToken cancel = default(CancellationToken))
        {
            return Run(cancel, h => GetResultToStream(h, opId, destination), bytes);
        }

        /// <summary>Streams without blocking the caller.</summary>
        public Task<long> GetResultToStreamAsync(string opId, Stream destination, CancellationToken cancel)
        {
            return GetResultToStreamAsync(opId, destination, null, cancel);
        }

        /// <summary>The former order of the arguments, kept working.</summary>
        [Obsolete("Use GetResultToStreamAsync(opId, destination, bytes, cancel): the token comes last.")]
        [EditorBrowsable(EditorBrowsableState.Never)]
        public Task<long> GetResultToStreamAsync(string opId, Stream destination, CancellationToken cancel, IProgress<TransferProgress> bytes)
        {
            return GetResultToStreamAsync(opId, destination, bytes, cancel);
        }

        /// <summary>Fetches the result as text without blocking the caller.</summary>
        public Task<string> GetResultTextAsync(string opId, CancellationToken cancel = default(CancellationToken))
        {
            return Run(cancel, h => GetResultText(h, opId));
        }

        /// <summary>Fetches the managed result without blocking the caller.</summary>
        public Task<ManagedResult> GetManagedResultAsync(string opId, CancellationToken cancel = default(CancellationToken))
        {
            return Run(cancel, h => ServerJson.Managed(GetManagedResultJson(h, opId)));
        }

        /// <summary>Fetches the managed result as the server's JSON text without blocking the caller.</summary>
        public Task<string> GetManagedResultJsonAsync(string opId, CancellationToken cancel = default(CancellationToken))
        {
            return Run(cancel, h => GetManagedResultJson(h, opId));
        }

        /// <summary>Downloads managed output without blocking the caller, reporting bytes to
        /// <paramref name="bytes"/>.</summary>
        public Task DownloadManagedAsync(string fileId, string path, string fileName = null, IProgress<TransferProgress> bytes = null,
            CancellationToken cancel = default(CancellationToken))
        {
            return Run(cancel, h => { DownloadManaged(h, fileId, path, fileName); return true; }, bytes);
        }

        /// <summary>Downloads managed output without blocking the caller.</summary>
        public Task DownloadManagedAsync(string fileId, string path, string fileName, CancellationToken cancel)
        {
            return DownloadManagedAsync(fileId, path, fileName, null, cancel);
        }

        /// <summary>The former order of the arguments, kept working.</summary>
        [Obsolete("Use DownloadManagedAsync(fileId, path, fileName, bytes, cancel): the token comes last.")]
        [EditorBrowsable(EditorBrowsableState.Never)]
        public Task DownloadManagedAsync(string fileId, string path, string fileName, CancellationToken cancel, IProgress<TransferProgress> bytes)
        {
            return DownloadManagedAsync(fileId, path, fileName, bytes, cancel);
        }

        /// <summary>Uploads a local file without blocking the caller; the token stops it within half
        /// a second; bytes sent are reported to <paramref name="sent"/>.</summary>
        public Task<string> UploadAsync(string path, ResourceKind? kind = null, string fileName = null, bool persistent = false,
            IProgress<TransferProgress> sent = null, CancellationToken cancel = default(CancellationToken))
        {
            return Run(cancel, h =>
            {
                using (var data = new NativeData(path, "path")) return Upload(h, data, kind, fileName, persistent);
            }, null, sent);
        }

        /// <summary>Uploads a local file without blocking the caller.</summary>
        public Task<string> UploadAsync(string path, ResourceKind? kind, string fileName, bool persistent, CancellationToken cancel)
        {
            return UploadAsync(path, kind, fileName, persistent, null, cancel);
        }

        /// <summary>The former order of the arguments, kept working.</summary>
        [Obsolete("Use UploadAsync(path, kind, fileName, persistent, sent, cancel): the token comes last.")]
        [EditorBrowsable(EditorBrowsableState.Never)]
        public Task<string> UploadAsync(string path, ResourceKind? kind, string fileName, bool persistent,
            CancellationToken cancel, IProgress<TransferProgress> sent)
        {
            return UploadAsync(path, kind, fileName, persistent, sent, cancel);
        }

        /// <summary>Uploads bytes without blocking the caller (see <see cref="Upload(byte[], string, ResourceKind?, bool)"/>).</summary>
        public Task<string> UploadAsync(byte[] content, string fileName, ResourceKind? kind = null, bool persistent = false,
            IProgress<TransferProgress> sent = null, CancellationToken cancel = default(CancellationToken))
        {
            return Run(cancel, h =>
            {
                using (var data = new NativeData(content, "content")) return Upload(h, data, kind, fileName, persistent);
            }, null, sent);
        }

        /// <summary>Uploads what a stream holds without blocking the caller (see
        /// <see cref="Upload(Stream, string, ResourceKind?, bool)"/>).</summary>
        public Task<string> UploadAsync(Stream content, string fileName, ResourceKind? kind = null, bool persistent = false,
            IProgress<TransferProgress> sent = null, CancellationToken cancel = default(CancellationToken))
        {
            return Run(cancel, h =>
            {
                using (var data = new NativeData(content, "content")) return Upload(h, data, kind, fileName, persistent);
            }, null, sent);
        }

        /// <summary>Deletes a File Store file or folder without blocking the caller.</summary>
        public Task<bool> DeleteAsync(string fileId, CancellationToken cancel = default(CancellationToken))
        {
            return Run(cancel, h => Delete(h, fileId));
        }

        /// <summary>Asks whether a File Store file or folder exists without blocking the caller.</summary>
        public Task<bool> ExistsAsync(string fileId, CancellationToken cancel = default(CancellationToken))
        {
            return Run(cancel, h => Exists(h, fileId));
        }

        /// <summary>Starts an ad-hoc job on a local file without blocking the caller.</summary>
        public Task<string> SubmitAdhocAsync(AdhocJob job, string dataPath, CancellationToken cancel = default(CancellationToken))
        {
            return Run(cancel, h => { using (var data = new NativeData(dataPath, "dataPath")) return SubmitAdhoc(h, job, data); });
        }

        /// <summary>Starts an ad-hoc job on bytes without blocking the caller.</summary>
        public Task<string> SubmitAdhocAsync(AdhocJob job, byte[] content, CancellationToken cancel = default(CancellationToken))
        {
            return Run(cancel, h => { using (var data = new NativeData(content, "content")) return SubmitAdhoc(h, job, data); });
        }

        /// <summary>Starts an ad-hoc job on what a stream holds without blocking the caller.</summary>
        public Task<string> SubmitAdhocAsync(AdhocJob job, Stream content, CancellationToken cancel = default(CancellationToken))
        {
            return Run(cancel, h => { using (var data = new NativeData(content, "content")) return SubmitAdhoc(h, job, data); });
        }

        /// <summary>Runs an ad-hoc job on bytes without blocking the caller: the result streamed to
        /// <paramref name="toFile"/> (complete or absent), else in memory.</summary>
        public Task<WorkflowResult> RunAdhocAsync(AdhocJob job, byte[] content, string toFile = null,
            CancellationToken cancel = default(CancellationToken))
        {
            return Run(cancel, h => { using (var data = new NativeData(content, "content")) return RunAdhoc(h, job, data, toFile); });
        }

        /// <summary>Runs an ad-hoc job on a local file without blocking the caller.</summary>
        public Task<WorkflowResult> RunAdhocAsync(AdhocJob job, string dataPath, string toFile = null,
            CancellationToken cancel = default(CancellationToken))
        {
            return Run(cancel, h => { using (var data = new NativeData(dataPath, "dataPath")) return RunAdhoc(h, job, data, toFile); });
        }

        /// <summary>Runs an ad-hoc job on what a stream holds without blocking the caller.</summary>
        public Task<WorkflowResult> RunAdhocAsync(AdhocJob job, Stream content, string toFile = null,
            CancellationToken cancel = default(CancellationToken))
        {
            return Run(cancel, h => { using (var data = new NativeData(content, "content")) return RunAdhoc(h, job, data, toFile); });
        }

        /// <summary>Submits, waits (holding no thread, see <see cref="WaitAsync(string, TimeSpan?, IProgress{int}, CancellationToken)"/>)
        /// and fetches: the result in memory, or streamed to <paramref name="toFile"/>; percentages
        /// to <paramref name="progress"/>, bytes received to <paramref name="bytes"/>.</summary>
        public async Task<WorkflowResult> RunAsync(string configJson, string toFile = null, IProgress<int> progress = null,
            IProgress<TransferProgress> bytes = null, CancellationToken cancel = default(CancellationToken))
        {
            string opId = await SubmitAsync(configJson, cancel).ConfigureAwait(false);
            await WaitAsync(opId, null, progress, cancel).ConfigureAwait(false);
            return toFile != null
                ? await GetResultToFileAsync(opId, toFile, bytes, cancel).ConfigureAwait(false)
                : await GetResultExAsync(opId, bytes, cancel).ConfigureAwait(false);
        }

        /// <summary>Submits, waits and fetches without blocking the caller.</summary>
        public Task<WorkflowResult> RunAsync(string configJson, string toFile, IProgress<int> progress, CancellationToken cancel)
        {
            return RunAsync(configJson, toFile, progress, null, cancel);
        }

        /// <summary>The former order of the arguments, kept working.</summary>
        [Obsolete("Use RunAsync(configJson, toFile, progress, bytes, cancel): the token comes last.")]
        [EditorBrowsable(EditorBrowsableState.Never)]
        public Task<WorkflowResult> RunAsync(string configJson, string toFile, IProgress<int> progress, CancellationToken cancel,
            IProgress<TransferProgress> bytes)
        {
            return RunAsync(configJson, toFile, progress, bytes, cancel);
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
