// Layer 1: the C ABI of olconnect_wf, declared for P/Invoke. Strings cross as NUL-terminated
// UTF-8 byte arrays (marshalled explicitly, the same on every runtime), bool as one byte,
// size_t as UIntPtr, handles as SafeHandles (the marshaller keeps them alive during a call).
using System;
using System.Runtime.InteropServices;

namespace OLConnect.Workflow
{
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    internal delegate int WriteCallback(IntPtr userData, IntPtr chunk, UIntPtr length);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    internal delegate int ProgressCallback(IntPtr userData, int percent);

    /// <summary>int32_t (*)(void *user_data, const wf_transfer *transfer)</summary>
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    internal delegate int TransferCallback(IntPtr userData, IntPtr transfer);

    /// <summary>void (*)(void *user_data, wf_log_level level, const char *message)</summary>
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    internal delegate void LogCallback(IntPtr userData, int level, IntPtr message);

    /// <summary>int64_t (*)(void *user_data, uint8_t *buf, size_t capacity)</summary>
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    internal delegate long ReadCallback(IntPtr userData, IntPtr buffer, UIntPtr capacity);

    /// <summary>struct wf_adhoc_job: strings as pointers to NUL-terminated UTF-8.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct NativeAdhocJob
    {
        public IntPtr DataMapping;
        public IntPtr TemplateName;
        public IntPtr JobPreset;
        public IntPtr OutputPreset;
        [MarshalAs(UnmanagedType.U1)] public bool CreateOnly;
        [MarshalAs(UnmanagedType.U1)] public bool ResultAsText;
        public IntPtr PrintRange;
        public IntPtr Filename;
    }

    /// <summary>struct wf_transfer.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct NativeTransfer
    {
        public ulong Received;
        public long ReceiveTotal;
        public ulong Sent;
        public long SendTotal;
    }

    internal static class NativeMethods
    {
        internal const string Library = "olconnect_wf";

        /// <summary>The ABI version these bindings were written for (WF_ABI_VERSION).</summary>
        internal const uint AbiVersion = 1;

        /// <summary>WF_OPERATION_ID_CAPACITY.</summary>
        internal const int OperationIdCapacity = 128;

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr wf_version();

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern uint wf_abi_version();

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr wf_status_name(int status);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr wf_last_error_message();

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int wf_last_http_status();

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int wf_client_new(byte[] baseUrl, out ClientHandle client);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void wf_client_free(IntPtr client);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int wf_client_set_basic_auth(ClientHandle client, byte[] username, byte[] password);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int wf_client_set_token(ClientHandle client, byte[] token);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int wf_client_login(ClientHandle client, byte[] username, byte[] password);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int wf_client_clear_auth(ClientHandle client);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int wf_client_set_timeouts(ClientHandle client, uint connectMs, uint readMs);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int wf_client_set_tls_ca_file(ClientHandle client, byte[] pemPath);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int wf_client_set_tls_insecure(ClientHandle client, [MarshalAs(UnmanagedType.U1)] bool acceptInvalidCerts);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int wf_client_set_proxy(ClientHandle client, byte[] proxyUrl);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int wf_client_set_durable_files(ClientHandle client, [MarshalAs(UnmanagedType.U1)] bool durable);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int wf_client_set_kept_body_limit(ClientHandle client, UIntPtr bytes);

        /// <summary>WF_LANGUAGE_DOTNET of the header's wf_language.</summary>
        internal const int LanguageDotNet = 2;

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int wf_client_set_message_language(ClientHandle client, int language);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int wf_client_set_outage_limit(ClientHandle client, uint limitMs);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int wf_abort_new(out AbortHandle abort);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void wf_abort_trigger(AbortHandle abort);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void wf_abort_free(IntPtr abort);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int wf_client_with_controls(ClientHandle client, AbortHandle abort, uint timeoutMs,
            TransferCallback onTransfer, IntPtr userData, out ClientHandle view);

        /// <summary>wf_client_with_controls without an abort switch (NULL).</summary>
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, EntryPoint = "wf_client_with_controls")]
        internal static extern int wf_client_with_controls_no_abort(ClientHandle client, IntPtr abort, uint timeoutMs,
            TransferCallback onTransfer, IntPtr userData, out ClientHandle view);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int wf_client_set_log(ClientHandle client, LogCallback log, IntPtr userData);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int wf_client_set_max_concurrent(ClientHandle client, uint max);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int wf_client_set_retry(ClientHandle client, uint maxAttempts, uint maxBackoffMs);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int wf_client_retry_count(ClientHandle client, out ulong count);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int wf_data_from_file(byte[] path, out DataHandle data);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int wf_data_from_buffer(IntPtr data, UIntPtr length, out DataHandle handle);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int wf_data_from_reader(ReadCallback read, IntPtr userData, long length, out DataHandle data);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void wf_data_free(IntPtr data);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int wf_upload(ClientHandle client, int kind, DataHandle data, byte[] filename,
            [MarshalAs(UnmanagedType.U1)] bool persistent, byte[] idOut, ref UIntPtr idLength);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int wf_delete_managed(ClientHandle client, byte[] fileId, [MarshalAs(UnmanagedType.U1)] out bool deleted);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int wf_managed_exists(ClientHandle client, byte[] fileId, [MarshalAs(UnmanagedType.U1)] out bool exists);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int wf_submit_adhoc(ClientHandle client, ref NativeAdhocJob job, DataHandle data, byte[] opId, ref UIntPtr opIdLength);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int wf_run_adhoc_to_file(ClientHandle client, ref NativeAdhocJob job, DataHandle data, byte[] path, out ResultHandle info);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int wf_run_adhoc_ex(ClientHandle client, ref NativeAdhocJob job, DataHandle data, out ResultHandle result);

        /// <summary>WF_FILE_ID_CAPACITY.</summary>
        internal const int FileIdCapacity = 1024;

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int wf_get_result_ex(ClientHandle client, byte[] opId, out ResultHandle result);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr wf_result_data(ResultHandle result, out UIntPtr length);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int wf_result_type_of(ResultHandle result);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern long wf_result_data_set_id(ResultHandle result);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern long wf_result_content_set_id(ResultHandle result);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern long wf_result_job_set_id(ResultHandle result);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern UIntPtr wf_result_path_count(ResultHandle result);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr wf_result_path(ResultHandle result, UIntPtr index);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void wf_result_free(IntPtr result);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int wf_get_result_stream(ClientHandle client, byte[] opId, WriteCallback write, IntPtr userData);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int wf_get_result_to_file_ex(ClientHandle client, byte[] opId, byte[] path, out ResultHandle info);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int wf_submit(ClientHandle client, byte[] configJson, byte[] opIdBuffer, ref UIntPtr opIdLength);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int wf_get_progress(ClientHandle client, byte[] opId, out int percent, [MarshalAs(UnmanagedType.U1)] out bool done);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int wf_wait(ClientHandle client, byte[] opId, uint timeoutMs, ProgressCallback onProgress, IntPtr userData);

        /// <summary>wf_wait_any: <paramref name="opIds"/> points at NUL-terminated UTF-8 strings
        /// that live during the call.</summary>
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int wf_wait_any(ClientHandle client, IntPtr[] opIds, UIntPtr count, uint timeoutMs, out UIntPtr index);

        /// <summary>wf_wait_all: as <see cref="wf_wait_any"/>.</summary>
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int wf_wait_all(ClientHandle client, IntPtr[] opIds, UIntPtr count, uint timeoutMs);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int wf_cancel(ClientHandle client, byte[] opId);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int wf_get_result_text(ClientHandle client, byte[] opId, byte[] buffer, ref UIntPtr length);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int wf_get_managed_result(ClientHandle client, byte[] opId, byte[] buffer, ref UIntPtr length);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int wf_get_operations(ClientHandle client, byte[] buffer, ref UIntPtr length);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int wf_server_version(ClientHandle client, byte[] buffer, ref UIntPtr length);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int wf_download_managed(ClientHandle client, byte[] fileId, byte[] fileName, byte[] path);
    }
}
