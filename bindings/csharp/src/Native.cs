// Helpers between layer 1 and the public API: UTF-8 strings, status checks, loading the
// library (with OLCONNECT_WF_LIB on runtimes that have NativeLibrary) and the ABI check.
using System;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;

namespace OLConnect.Workflow
{
    internal static class Native
    {
        private static int checkedAbi;

        /// <summary>Loads the library and checks its ABI version, once.</summary>
        internal static void EnsureLoaded()
        {
            if (Volatile.Read(ref checkedAbi) == 1) return;
#if NETCOREAPP3_0_OR_GREATER
            Resolver.Install();
#endif
            uint abi;
            try
            {
                abi = NativeMethods.wf_abi_version();
            }
            catch (DllNotFoundException e)
            {
                throw new DllNotFoundException(
                    "OLConnect.Workflow cannot load the native library 'olconnect_wf' (libolconnect_wf.so): ship it "
                    + "under runtimes/<rid>/native/ (the NuGet package does), put it on LD_LIBRARY_PATH, or set "
                    + "OLCONNECT_WF_LIB to its path (.NET Core 3.0 and later).", e);
            }
            if (abi != NativeMethods.AbiVersion)
            {
                throw new InvalidOperationException(string.Format(
                    "OLConnect.Workflow needs olconnect_wf ABI version {0}, but the loaded library has {1}: install matching versions.",
                    NativeMethods.AbiVersion, abi));
            }
            Volatile.Write(ref checkedAbi, 1);
        }

        /// <summary>A NUL-terminated UTF-8 copy of <paramref name="value"/>; null stays null.</summary>
        internal static byte[] Utf8(string value, string name, bool allowNull = false)
        {
            if (value == null)
            {
                if (allowNull) return null;
                throw new ArgumentNullException(name);
            }
            if (value.IndexOf('\0') >= 0)
                throw new InvalidArgumentException(name + " contains a NUL character (\\0), which cannot be sent: remove it; nothing was sent", name);
            var bytes = new byte[Encoding.UTF8.GetByteCount(value) + 1];
            Encoding.UTF8.GetBytes(value, 0, value.Length, bytes, 0);
            return bytes;
        }

        /// <summary>Reads a NUL-terminated UTF-8 string the library owns.</summary>
        internal static string FromUtf8(IntPtr p)
        {
            if (p == IntPtr.Zero) return null;
            int length = 0;
            while (Marshal.ReadByte(p, length) != 0) length++;
            var bytes = new byte[length];
            Marshal.Copy(p, bytes, 0, length);
            return Encoding.UTF8.GetString(bytes);
        }

        internal static string FromUtf8(byte[] buffer, int lengthWithNul)
        {
            return Encoding.UTF8.GetString(buffer, 0, Math.Max(0, lengthWithNul - 1));
        }

        /// <summary>Throws the exception of a non-OK status with the thread's last error.
        /// <paramref name="parameters"/> say which parameter of the caller's method an
        /// InvalidArgument status refers to: each is "name" or "name=words", where the words are
        /// those the library's message uses for that argument (e.g. "opId=operation id"); the first
        /// whose words the message holds (a plain name always matches) becomes the exception's
        /// ParamName.</summary>
        internal static void Check(int status, params string[] parameters)
        {
            if (status == 0) return;
            var message = FromUtf8(NativeMethods.wf_last_error_message());
            throw WorkflowException.Create(status, NativeMethods.wf_last_http_status(), message,
                status == (int)WorkflowStatus.InvalidArgument ? ParamOf(message, parameters) : null);
        }

        private static string ParamOf(string message, string[] parameters)
        {
            foreach (var p in parameters)
            {
                int eq = p.IndexOf('=');
                if (eq < 0) return p;
                if (message != null && message.IndexOf(p.Substring(eq + 1), StringComparison.OrdinalIgnoreCase) >= 0) return p.Substring(0, eq);
            }
            return null;
        }

        internal const int BufferTooSmall = 2;

        internal delegate int TextCall(byte[] buffer, ref UIntPtr length);

        /// <summary>Runs a call of the text buffer protocol, growing the buffer as asked;
        /// <paramref name="parameters"/> as for <see cref="Check"/>.</summary>
        internal static string Text(TextCall call, params string[] parameters)
        {
            var length = new UIntPtr(4096);
            while (true)
            {
                var buffer = new byte[(int)length.ToUInt64()];
                int status = call(buffer, ref length);
                if (status != BufferTooSmall)
                {
                    Check(status, parameters);
                    return FromUtf8(buffer, (int)length.ToUInt64());
                }
            }
        }
    }

#if NETCOREAPP3_0_OR_GREATER
    internal static class Resolver
    {
        private static int installed;

        internal static void Install()
        {
            if (Interlocked.Exchange(ref installed, 1) == 1) return;
            NativeLibrary.SetDllImportResolver(typeof(Resolver).Assembly, (name, assembly, path) =>
            {
                if (name != NativeMethods.Library) return IntPtr.Zero;
                var fromEnv = Environment.GetEnvironmentVariable("OLCONNECT_WF_LIB");
                if (!string.IsNullOrEmpty(fromEnv) && NativeLibrary.TryLoad(fromEnv, out var handle)) return handle;
                return IntPtr.Zero; // the default probing (runtimes/<rid>/native, then the system)
            });
        }
    }
#endif
}
