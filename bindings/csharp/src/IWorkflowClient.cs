// The client as an interface, so that calling code can be unit-tested with a fake.
using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.IO;
using System.Threading;
using System.Threading.Tasks;

namespace OLConnect.Workflow
{
    /// <summary>What <see cref="WorkflowClient"/> offers; depend on this to test with a fake.
    /// Every I/O method has an ...Async twin whose CancellationToken is the last parameter.</summary>
    public interface IWorkflowClient : IDisposable
    {
        /// <summary>Logs in now; the token is renewed before it expires and after a 401/403.</summary>
        void Login(string username, string password);
        /// <summary>Sends this auth_token on every request (it cannot be renewed).</summary>
        void SetToken(string token);
        /// <summary>Sends HTTP Basic credentials on every request.</summary>
        void SetBasicAuth(string username, string password);
        /// <summary>Sends no credentials from now on.</summary>
        void ClearAuth();
        /// <summary>The result body: an entity ID, a path list or a spool file's bytes.</summary>
        byte[] GetResult(string opId);
        /// <summary>The result with its type, set IDs and path list.</summary>
        WorkflowResult GetResultEx(string opId);
        /// <summary>Streams the result to a file: complete, or not at all.</summary>
        WorkflowResult GetResultToFile(string opId, string path);
        /// <summary>Streams the result into a stream; returns the number of bytes written.</summary>
        long GetResultToStream(string opId, Stream destination);
        /// <summary>The result as text: an entity ID or the spool file path(s).</summary>
        string GetResultText(string opId);
        /// <summary>The managed result: the File Store folder and its files.</summary>
        ManagedResult GetManagedResult(string opId);
        /// <summary>The managed result as the server's JSON text.</summary>
        string GetManagedResultJson(string opId);
        /// <summary>Downloads managed output from the File Store to a file.</summary>
        void DownloadManaged(string fileId, string path, string fileName = null);
        /// <summary>Uploads a local file to the File Store; returns its Managed File ID.</summary>
        string Upload(string path, ResourceKind? kind = null, string fileName = null, bool persistent = false);
        /// <summary>Uploads bytes to the File Store; returns their Managed File ID.</summary>
        string Upload(byte[] content, string fileName, ResourceKind? kind = null, bool persistent = false);
        /// <summary>Uploads what a stream holds to the File Store; returns its Managed File ID.</summary>
        string Upload(Stream content, string fileName, ResourceKind? kind = null, bool persistent = false);
        /// <summary>Deletes a File Store file or folder.</summary>
        bool Delete(string fileId);
        /// <summary>Whether a File Store file or folder exists.</summary>
        bool Exists(string fileId);
        /// <summary>Starts an ad-hoc All-In-One job on a local file; returns the operation id.</summary>
        string SubmitAdhoc(AdhocJob job, string dataPath);
        /// <summary>Starts an ad-hoc All-In-One job on bytes; returns the operation id.</summary>
        string SubmitAdhoc(AdhocJob job, byte[] content);
        /// <summary>Starts an ad-hoc All-In-One job on a stream; returns the operation id.</summary>
        string SubmitAdhoc(AdhocJob job, Stream content);
        /// <summary>Runs an ad-hoc job synchronously on bytes.</summary>
        WorkflowResult RunAdhoc(AdhocJob job, byte[] content, string toFile = null);
        /// <summary>Runs an ad-hoc job synchronously on a local file.</summary>
        WorkflowResult RunAdhoc(AdhocJob job, string dataPath, string toFile = null);
        /// <summary>Runs an ad-hoc job synchronously on a stream.</summary>
        WorkflowResult RunAdhoc(AdhocJob job, Stream content, string toFile = null);
        /// <summary>Submits a JSON All-In-One configuration; returns the operation id.</summary>
        string Submit(string configJson);
        /// <summary>The progress of an operation.</summary>
        WorkflowProgress GetProgress(string opId);
        /// <summary>Waits on this thread until the operation has finished.</summary>
        void Wait(string opId, TimeSpan? timeout = null, IProgress<int> progress = null);
        /// <summary>Cancels an operation.</summary>
        void Cancel(string opId);
        /// <summary>The operations running on the server.</summary>
        IReadOnlyList<OperationInfo> GetOperations();
        /// <summary>The operations running on the server, as the server's JSON text.</summary>
        string GetOperationsJson();
        /// <summary>The server's version string.</summary>
        string GetServerVersion();
        /// <summary>The former name of <see cref="GetServerVersion"/>.</summary>
        [Obsolete("Use GetServerVersion().")]
        string ServerVersion();
        /// <summary>Receives each log line of the client (null: none).</summary>
        Action<WorkflowLogLevel, string> LogHandler { get; set; }

        /// <summary>Logs in without blocking the caller.</summary>
        Task LoginAsync(string username, string password, CancellationToken cancel = default(CancellationToken));
        /// <summary>Submits without blocking the caller.</summary>
        Task<string> SubmitAsync(string configJson, CancellationToken cancel = default(CancellationToken));
        /// <summary>Asks for the progress of an operation without blocking the caller.</summary>
        Task<WorkflowProgress> GetProgressAsync(string opId, CancellationToken cancel = default(CancellationToken));
        /// <summary>Waits until the operation has finished, holding no thread; the token stops the wait.</summary>
        Task WaitAsync(string opId, TimeSpan? timeout = null, IProgress<int> progress = null, CancellationToken cancel = default(CancellationToken));
        /// <summary>Waits, holding no thread, until the first of the operations ends; returns its id.</summary>
        Task<string> WhenAnyAsync(IEnumerable<string> opIds, TimeSpan? timeout = null, CancellationToken cancel = default(CancellationToken));
        /// <summary>Waits, holding no thread, until every operation has ended.</summary>
        Task WhenAllAsync(IEnumerable<string> opIds, TimeSpan? timeout = null, CancellationToken cancel = default(CancellationToken));
        /// <summary>Cancels an operation without blocking the caller.</summary>
        Task CancelAsync(string opId, CancellationToken cancel = default(CancellationToken));
        /// <summary>Lists the operations running on the server without blocking the caller.</summary>
        Task<IReadOnlyList<OperationInfo>> GetOperationsAsync(CancellationToken cancel = default(CancellationToken));
        /// <summary>Lists the operations as the server's JSON text without blocking the caller.</summary>
        Task<string> GetOperationsJsonAsync(CancellationToken cancel = default(CancellationToken));
        /// <summary>Asks for the server version without blocking the caller.</summary>
        Task<string> GetServerVersionAsync(CancellationToken cancel = default(CancellationToken));
        /// <summary>The former name of <see cref="GetServerVersionAsync"/>.</summary>
        [Obsolete("Use GetServerVersionAsync(cancel).")]
        Task<string> ServerVersionAsync(CancellationToken cancel = default(CancellationToken));
        /// <summary>Fetches the result body without blocking the caller.</summary>
        Task<byte[]> GetResultAsync(string opId, CancellationToken cancel = default(CancellationToken));
        /// <summary>Fetches the result with its type and set IDs without blocking the caller.</summary>
        Task<WorkflowResult> GetResultExAsync(string opId, IProgress<TransferProgress> bytes = null, CancellationToken cancel = default(CancellationToken));
        /// <summary>Fetches the result with its type and set IDs without blocking the caller.</summary>
        Task<WorkflowResult> GetResultExAsync(string opId, CancellationToken cancel);
        /// <summary>The former order of the arguments.</summary>
        [Obsolete("Use GetResultExAsync(opId, bytes, cancel): the token comes last.")]
        [EditorBrowsable(EditorBrowsableState.Never)]
        Task<WorkflowResult> GetResultExAsync(string opId, CancellationToken cancel, IProgress<TransferProgress> bytes);
        /// <summary>Downloads the result to a file without blocking the caller.</summary>
        Task<WorkflowResult> GetResultToFileAsync(string opId, string path, IProgress<TransferProgress> bytes = null, CancellationToken cancel = default(CancellationToken));
        /// <summary>Downloads the result to a file without blocking the caller.</summary>
        Task<WorkflowResult> GetResultToFileAsync(string opId, string path, CancellationToken cancel);
        /// <summary>The former order of the arguments.</summary>
        [Obsolete("Use GetResultToFileAsync(opId, path, bytes, cancel): the token comes last.")]
        [EditorBrowsable(EditorBrowsableState.Never)]
        Task<WorkflowResult> GetResultToFileAsync(string opId, string path, CancellationToken cancel, IProgress<TransferProgress> bytes);
        /// <summary>Streams the result without blocking the caller.</summary>
        Task<long> GetResultToStreamAsync(string opId, Stream destination, IProgress<TransferProgress> bytes = null, CancellationToken cancel = default(CancellationToken));
        /// <summary>Streams the result without blocking the caller.</summary>
        Task<long> GetResultToStreamAsync(string opId, Stream destination, CancellationToken cancel);
        /// <summary>The former order of the arguments.</summary>
        [Obsolete("Use GetResultToStreamAsync(opId, destination, bytes, cancel): the token comes last.")]
        [EditorBrowsable(EditorBrowsableState.Never)]
        Task<long> GetResultToStreamAsync(string opId, Stream destination, CancellationToken cancel, IProgress<TransferProgress> bytes);
        /// <summary>Fetches the result as text without blocking the caller.</summary>
        Task<string> GetResultTextAsync(string opId, CancellationToken cancel = default(CancellationToken));
        /// <summary>Fetches the managed result without blocking the caller.</summary>
        Task<ManagedResult> GetManagedResultAsync(string opId, CancellationToken cancel = default(CancellationToken));
        /// <summary>Fetches the managed result as JSON text without blocking the caller.</summary>
        Task<string> GetManagedResultJsonAsync(string opId, CancellationToken cancel = default(CancellationToken));
        /// <summary>Downloads managed output without blocking the caller.</summary>
        Task DownloadManagedAsync(string fileId, string path, string fileName = null, IProgress<TransferProgress> bytes = null, CancellationToken cancel = default(CancellationToken));
        /// <summary>Downloads managed output without blocking the caller.</summary>
        Task DownloadManagedAsync(string fileId, string path, string fileName, CancellationToken cancel);
        /// <summary>The former order of the arguments.</summary>
        [Obsolete("Use DownloadManagedAsync(fileId, path, fileName, bytes, cancel): the token comes last.")]
        [EditorBrowsable(EditorBrowsableState.Never)]
        Task DownloadManagedAsync(string fileId, string path, string fileName, CancellationToken cancel, IProgress<TransferProgress> bytes);
        /// <summary>Uploads a local file without blocking the caller.</summary>
        Task<string> UploadAsync(string path, ResourceKind? kind = null, string fileName = null, bool persistent = false,
            IProgress<TransferProgress> sent = null, CancellationToken cancel = default(CancellationToken));
        /// <summary>Uploads a local file without blocking the caller.</summary>
        Task<string> UploadAsync(string path, ResourceKind? kind, string fileName, bool persistent, CancellationToken cancel);
        /// <summary>The former order of the arguments.</summary>
        [Obsolete("Use UploadAsync(path, kind, fileName, persistent, sent, cancel): the token comes last.")]
        [EditorBrowsable(EditorBrowsableState.Never)]
        Task<string> UploadAsync(string path, ResourceKind? kind, string fileName, bool persistent, CancellationToken cancel, IProgress<TransferProgress> sent);
        /// <summary>Uploads bytes without blocking the caller.</summary>
        Task<string> UploadAsync(byte[] content, string fileName, ResourceKind? kind = null, bool persistent = false,
            IProgress<TransferProgress> sent = null, CancellationToken cancel = default(CancellationToken));
        /// <summary>Uploads what a stream holds without blocking the caller.</summary>
        Task<string> UploadAsync(Stream content, string fileName, ResourceKind? kind = null, bool persistent = false,
            IProgress<TransferProgress> sent = null, CancellationToken cancel = default(CancellationToken));
        /// <summary>Deletes a File Store file or folder without blocking the caller.</summary>
        Task<bool> DeleteAsync(string fileId, CancellationToken cancel = default(CancellationToken));
        /// <summary>Asks whether a File Store file or folder exists without blocking the caller.</summary>
        Task<bool> ExistsAsync(string fileId, CancellationToken cancel = default(CancellationToken));
        /// <summary>Starts an ad-hoc job on a local file without blocking the caller.</summary>
        Task<string> SubmitAdhocAsync(AdhocJob job, string dataPath, CancellationToken cancel = default(CancellationToken));
        /// <summary>Starts an ad-hoc job on bytes without blocking the caller.</summary>
        Task<string> SubmitAdhocAsync(AdhocJob job, byte[] content, CancellationToken cancel = default(CancellationToken));
        /// <summary>Starts an ad-hoc job on a stream without blocking the caller.</summary>
        Task<string> SubmitAdhocAsync(AdhocJob job, Stream content, CancellationToken cancel = default(CancellationToken));
        /// <summary>Runs an ad-hoc job on bytes without blocking the caller.</summary>
        Task<WorkflowResult> RunAdhocAsync(AdhocJob job, byte[] content, string toFile = null, CancellationToken cancel = default(CancellationToken));
        /// <summary>Runs an ad-hoc job on a local file without blocking the caller.</summary>
        Task<WorkflowResult> RunAdhocAsync(AdhocJob job, string dataPath, string toFile = null, CancellationToken cancel = default(CancellationToken));
        /// <summary>Runs an ad-hoc job on a stream without blocking the caller.</summary>
        Task<WorkflowResult> RunAdhocAsync(AdhocJob job, Stream content, string toFile = null, CancellationToken cancel = default(CancellationToken));
        /// <summary>Submits, waits and fetches: the result in memory, or streamed to a file.</summary>
        Task<WorkflowResult> RunAsync(string configJson, string toFile = null, IProgress<int> progress = null,
            IProgress<TransferProgress> bytes = null, CancellationToken cancel = default(CancellationToken));
        /// <summary>Submits, waits and fetches without blocking the caller.</summary>
        Task<WorkflowResult> RunAsync(string configJson, string toFile, IProgress<int> progress, CancellationToken cancel);
        /// <summary>The former order of the arguments.</summary>
        [Obsolete("Use RunAsync(configJson, toFile, progress, bytes, cancel): the token comes last.")]
        [EditorBrowsable(EditorBrowsableState.Never)]
        Task<WorkflowResult> RunAsync(string configJson, string toFile, IProgress<int> progress, CancellationToken cancel, IProgress<TransferProgress> bytes);
    }
}
