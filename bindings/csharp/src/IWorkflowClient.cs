// The client as an interface, so that calling code can be unit-tested with a fake.
using System;
using System.Collections.Generic;
using System.IO;
using System.Threading;
using System.Threading.Tasks;

namespace OLConnect.Workflow
{
    /// <summary>What <see cref="WorkflowClient"/> offers; depend on this to test with a fake.</summary>
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
        /// <summary>Uploads a local file without blocking the caller.</summary>
        Task<string> UploadAsync(string path, ResourceKind? kind = null, string fileName = null, bool persistent = false,
            CancellationToken cancel = default(CancellationToken), IProgress<TransferProgress> sent = null);
        /// <summary>Submits a JSON All-In-One configuration; returns the operation id.</summary>
        string Submit(string configJson);
        /// <summary>The progress of an operation.</summary>
        WorkflowProgress GetProgress(string opId);
        /// <summary>Waits until the operation has finished.</summary>
        void Wait(string opId, TimeSpan? timeout = null, IProgress<int> progress = null);
        /// <summary>Cancels an operation.</summary>
        void Cancel(string opId);
        /// <summary>The operations running on the server.</summary>
        IReadOnlyList<OperationInfo> GetOperations();
        /// <summary>The operations running on the server, as the server's JSON text.</summary>
        string GetOperationsJson();
        /// <summary>The server's version string.</summary>
        string ServerVersion();
        /// <summary>Receives each log line of the client (null: none).</summary>
        Action<WorkflowLogLevel, string> LogHandler { get; set; }
        /// <summary>Submits without blocking the caller.</summary>
        Task<string> SubmitAsync(string configJson, CancellationToken cancel = default(CancellationToken));
        /// <summary>Waits without blocking the caller; the token stops the wait.</summary>
        Task WaitAsync(string opId, TimeSpan? timeout = null, IProgress<int> progress = null, CancellationToken cancel = default(CancellationToken));
        /// <summary>Fetches the result body without blocking the caller.</summary>
        Task<byte[]> GetResultAsync(string opId, CancellationToken cancel = default(CancellationToken));
        /// <summary>Fetches the result with its type and set IDs without blocking the caller.</summary>
        Task<WorkflowResult> GetResultExAsync(string opId, CancellationToken cancel = default(CancellationToken), IProgress<TransferProgress> bytes = null);
        /// <summary>Downloads the result to a file without blocking the caller.</summary>
        Task<WorkflowResult> GetResultToFileAsync(string opId, string path, CancellationToken cancel = default(CancellationToken), IProgress<TransferProgress> bytes = null);
        /// <summary>Streams the result without blocking the caller.</summary>
        Task<long> GetResultToStreamAsync(string opId, Stream destination, CancellationToken cancel = default(CancellationToken), IProgress<TransferProgress> bytes = null);
        /// <summary>Fetches the result as text without blocking the caller.</summary>
        Task<string> GetResultTextAsync(string opId, CancellationToken cancel = default(CancellationToken));
        /// <summary>Downloads managed output without blocking the caller.</summary>
        Task DownloadManagedAsync(string fileId, string path, string fileName = null, CancellationToken cancel = default(CancellationToken), IProgress<TransferProgress> bytes = null);
        /// <summary>Cancels an operation without blocking the caller.</summary>
        Task CancelAsync(string opId, CancellationToken cancel = default(CancellationToken));
        /// <summary>Asks for the server version without blocking the caller.</summary>
        Task<string> ServerVersionAsync(CancellationToken cancel = default(CancellationToken));
        /// <summary>Submits, waits and fetches: the result in memory, or streamed to a file.</summary>
        Task<WorkflowResult> RunAsync(string configJson, string toFile = null, IProgress<int> progress = null, CancellationToken cancel = default(CancellationToken), IProgress<TransferProgress> bytes = null);
    }
}
