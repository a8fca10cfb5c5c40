// Typed exceptions, one per wf_status. Each has the standard constructors; the library's own
// carry the status, the HTTP status of the failed exchange and the library's message.
//
// Where a failure has a BCL meaning, its exception derives from the BCL type, so that .NET catch
// clauses work: a refused argument is an ArgumentException (InvalidArgumentException, ParamName
// set), a timeout a TimeoutException (WorkflowTimeoutException), a local file problem an
// IOException (LocalIOException). An exception has one base class, so these three are not
// WorkflowExceptions; every exception of the library implements IWorkflowError (Status,
// HttpStatus): `catch (Exception e) when (e is IWorkflowError)` catches them all.
using System;

namespace OLConnect.Workflow
{
    /// <summary>The numbers of the C <c>wf_status</c> (a test checks them against the header).</summary>
    public enum WorkflowStatus
    {
        /// <summary>Success.</summary>
        Ok = 0,
        /// <summary>An argument was refused; nothing was sent.</summary>
        InvalidArgument = 1,
        /// <summary>A buffer was too small (handled inside this library).</summary>
        BufferTooSmall = 2,
        /// <summary>HTTP 401 and no credentials were configured.</summary>
        AuthRequired = 3,
        /// <summary>HTTP 401 with credentials sent.</summary>
        AuthFailed = 4,
        /// <summary>HTTP 403.</summary>
        Forbidden = 5,
        /// <summary>HTTP 404.</summary>
        NotFound = 6,
        /// <summary>HTTP 400.</summary>
        BadRequest = 7,
        /// <summary>HTTP 5xx.</summary>
        ServerError = 8,
        /// <summary>Any other answer, or one that breaks the protocol.</summary>
        UnexpectedResponse = 9,
        /// <summary>The server could not be reached.</summary>
        ConnectFailed = 10,
        /// <summary>TLS failed.</summary>
        TlsError = 11,
        /// <summary>A timeout or deadline expired.</summary>
        Timeout = 12,
        /// <summary>A local file could not be read or written.</summary>
        IoError = 13,
        /// <summary>Stopped by a callback, a cancel or a token.</summary>
        Aborted = 14,
        /// <summary>A body did not fit in memory.</summary>
        OutOfMemory = 15,
        /// <summary>A bug in the library.</summary>
        InternalError = 99,
    }

    /// <summary>What every exception of this library tells: the status and the HTTP status of the
    /// exchange (0 if there was none). Implemented by <see cref="WorkflowException"/> and by the
    /// three that derive from a BCL exception instead: <see cref="InvalidArgumentException"/> (an
    /// <see cref="ArgumentException"/>), <see cref="WorkflowTimeoutException"/> (a
    /// <see cref="TimeoutException"/>) and <see cref="LocalIOException"/> (an
    /// <see cref="System.IO.IOException"/>). <c>catch (Exception e) when (e is IWorkflowError)</c>
    /// catches every failure of the library.</summary>
    public interface IWorkflowError
    {
        /// <summary>The library's status.</summary>
        WorkflowStatus Status { get; }

        /// <summary>The HTTP status of the failed exchange, 0 when there was none.</summary>
        int HttpStatus { get; }
    }

    /// <summary>A failed call: the status, the HTTP status of the exchange (0 if there was none)
    /// and a message that says what happened, with the server's own words when it sent some.
    /// It never contains a password or token.</summary>
    public class WorkflowException : Exception, IWorkflowError
    {
        /// <summary>The library's status.</summary>
        public WorkflowStatus Status { get; private set; }

        /// <summary>The HTTP status of the failed exchange, 0 when there was none.</summary>
        public int HttpStatus { get; private set; }

        /// <summary>A failure with this status, HTTP status and message.</summary>
        public WorkflowException(WorkflowStatus status, int httpStatus, string message) : base(message)
        {
            Status = status;
            HttpStatus = httpStatus;
        }

        /// <summary>A failure with this status, HTTP status, message and cause.</summary>
        public WorkflowException(WorkflowStatus status, int httpStatus, string message, Exception innerException) : base(message, innerException)
        {
            Status = status;
            HttpStatus = httpStatus;
        }

        /// <summary>An unspecified failure (status InternalError).</summary>
        public WorkflowException() : this(WorkflowStatus.InternalError, 0, "olconnect-wf call failed") { }

        /// <summary>A failure with this message (status InternalError).</summary>
        public WorkflowException(string message) : this(WorkflowStatus.InternalError, 0, message) { }

        /// <summary>A failure with this message and cause (status InternalError).</summary>
        public WorkflowException(string message, Exception innerException) : this(WorkflowStatus.InternalError, 0, message, innerException) { }

        /// <summary>The exception of a status; <paramref name="paramName"/> names the argument an
        /// InvalidArgument status refers to (null when unknown).</summary>
        internal static Exception Create(int status, int httpStatus, string message, string paramName = null)
        {
            switch ((WorkflowStatus)status)
            {
                case WorkflowStatus.InvalidArgument: return new InvalidArgumentException(message, paramName);
                case WorkflowStatus.AuthRequired: return new AuthRequiredException(httpStatus, message);
                case WorkflowStatus.AuthFailed: return new AuthFailedException(httpStatus, message);
                case WorkflowStatus.Forbidden: return new ForbiddenException(httpStatus, message);
                case WorkflowStatus.NotFound: return new NotFoundException(httpStatus, message);
                case WorkflowStatus.BadRequest: return new BadRequestException(httpStatus, message);
                case WorkflowStatus.ServerError: return new ServerErrorException(httpStatus, message);
                case WorkflowStatus.UnexpectedResponse: return new UnexpectedResponseException(httpStatus, message);
                case WorkflowStatus.ConnectFailed: return new ConnectFailedException(message);
                case WorkflowStatus.TlsError: return new TlsException(message);
                case WorkflowStatus.Timeout: return new WorkflowTimeoutException(httpStatus, message);
                case WorkflowStatus.IoError: return new LocalIOException(message);
                case WorkflowStatus.Aborted: return new AbortedException(message);
                case WorkflowStatus.OutOfMemory: return new WorkflowOutOfMemoryException(message);
                case WorkflowStatus.InternalError: return new InternalErrorException(message);
                default: return new WorkflowException((WorkflowStatus)status, httpStatus, message);
            }
        }
    }

    /// <summary>An argument was refused before anything was sent. An <see cref="ArgumentException"/>
    /// (as its Python twin is a ValueError); its status is available through
    /// <see cref="IWorkflowError"/>.</summary>
    public class InvalidArgumentException : ArgumentException, IWorkflowError
    {
        /// <summary>Always <see cref="WorkflowStatus.InvalidArgument"/>.</summary>
        public WorkflowStatus Status { get { return WorkflowStatus.InvalidArgument; } }

        /// <summary>Always 0: nothing was sent.</summary>
        public int HttpStatus { get { return 0; } }

        /// <summary>An argument was refused.</summary>
        public InvalidArgumentException() : base("an argument was refused; nothing was sent") { }

        /// <summary>An argument was refused, for this reason.</summary>
        public InvalidArgumentException(string message) : base(message) { }

        /// <summary>An argument was refused, for this reason and cause.</summary>
        public InvalidArgumentException(string message, Exception innerException) : base(message, innerException) { }

        /// <summary>The argument <paramref name="paramName"/> was refused, for this reason.</summary>
        public InvalidArgumentException(string message, string paramName) : base(message, paramName) { }

        /// <summary>The argument <paramref name="paramName"/> was refused, for this reason and cause.</summary>
        public InvalidArgumentException(string message, string paramName, Exception innerException) : base(message, paramName, innerException) { }
    }

    /// <summary>HTTP 401 and no credentials were configured.</summary>
    public class AuthRequiredException : WorkflowException
    {
        /// <summary>This failure, with the library's default message.</summary>
        public AuthRequiredException() : base(WorkflowStatus.AuthRequired, 0, "AuthRequired") { }

        /// <summary>This failure, with this message.</summary>
        public AuthRequiredException(string message) : base(WorkflowStatus.AuthRequired, 0, message) { }

        /// <summary>This failure, with this message and cause.</summary>
        public AuthRequiredException(string message, Exception innerException) : base(WorkflowStatus.AuthRequired, 0, message, innerException) { }

        /// <summary>This failure, with the HTTP status of the exchange and a message.</summary>
        public AuthRequiredException(int httpStatus, string message) : base(WorkflowStatus.AuthRequired, httpStatus, message) { }
    }

    /// <summary>HTTP 401: the credentials were rejected (after one automatic re-login).</summary>
    public class AuthFailedException : WorkflowException
    {
        /// <summary>This failure, with the library's default message.</summary>
        public AuthFailedException() : base(WorkflowStatus.AuthFailed, 0, "AuthFailed") { }

        /// <summary>This failure, with this message.</summary>
        public AuthFailedException(string message) : base(WorkflowStatus.AuthFailed, 0, message) { }

        /// <summary>This failure, with this message and cause.</summary>
        public AuthFailedException(string message, Exception innerException) : base(WorkflowStatus.AuthFailed, 0, message, innerException) { }

        /// <summary>This failure, with the HTTP status of the exchange and a message.</summary>
        public AuthFailedException(int httpStatus, string message) : base(WorkflowStatus.AuthFailed, httpStatus, message) { }
    }

    /// <summary>HTTP 403: a missing role, or (older servers) invalid credentials.</summary>
    public class ForbiddenException : WorkflowException
    {
        /// <summary>This failure, with the library's default message.</summary>
        public ForbiddenException() : base(WorkflowStatus.Forbidden, 0, "Forbidden") { }

        /// <summary>This failure, with this message.</summary>
        public ForbiddenException(string message) : base(WorkflowStatus.Forbidden, 0, message) { }

        /// <summary>This failure, with this message and cause.</summary>
        public ForbiddenException(string message, Exception innerException) : base(WorkflowStatus.Forbidden, 0, message, innerException) { }

        /// <summary>This failure, with the HTTP status of the exchange and a message.</summary>
        public ForbiddenException(int httpStatus, string message) : base(WorkflowStatus.Forbidden, httpStatus, message) { }
    }

    /// <summary>HTTP 404: the operation or file is not on the server.</summary>
    public class NotFoundException : WorkflowException
    {
        /// <summary>This failure, with the library's default message.</summary>
        public NotFoundException() : base(WorkflowStatus.NotFound, 0, "NotFound") { }

        /// <summary>This failure, with this message.</summary>
        public NotFoundException(string message) : base(WorkflowStatus.NotFound, 0, message) { }

        /// <summary>This failure, with this message and cause.</summary>
        public NotFoundException(string message, Exception innerException) : base(WorkflowStatus.NotFound, 0, message, innerException) { }

        /// <summary>This failure, with the HTTP status of the exchange and a message.</summary>
        public NotFoundException(int httpStatus, string message) : base(WorkflowStatus.NotFound, httpStatus, message) { }
    }

    /// <summary>HTTP 400: e.g. a File Store resource of the configuration does not exist.</summary>
    public class BadRequestException : WorkflowException
    {
        /// <summary>This failure, with the library's default message.</summary>
        public BadRequestException() : base(WorkflowStatus.BadRequest, 0, "BadRequest") { }

        /// <summary>This failure, with this message.</summary>
        public BadRequestException(string message) : base(WorkflowStatus.BadRequest, 0, message) { }

        /// <summary>This failure, with this message and cause.</summary>
        public BadRequestException(string message, Exception innerException) : base(WorkflowStatus.BadRequest, 0, message, innerException) { }

        /// <summary>This failure, with the HTTP status of the exchange and a message.</summary>
        public BadRequestException(int httpStatus, string message) : base(WorkflowStatus.BadRequest, httpStatus, message) { }
    }

    /// <summary>HTTP 5xx: the operation or the server failed.</summary>
    public class ServerErrorException : WorkflowException
    {
        /// <summary>This failure, with the library's default message.</summary>
        public ServerErrorException() : base(WorkflowStatus.ServerError, 0, "ServerError") { }

        /// <summary>This failure, with this message.</summary>
        public ServerErrorException(string message) : base(WorkflowStatus.ServerError, 0, message) { }

        /// <summary>This failure, with this message and cause.</summary>
        public ServerErrorException(string message, Exception innerException) : base(WorkflowStatus.ServerError, 0, message, innerException) { }

        /// <summary>This failure, with the HTTP status of the exchange and a message.</summary>
        public ServerErrorException(int httpStatus, string message) : base(WorkflowStatus.ServerError, httpStatus, message) { }
    }

    /// <summary>An answer that breaks the protocol (truncated body, connection lost mid-body...).</summary>
    public class UnexpectedResponseException : WorkflowException
    {
        /// <summary>This failure, with the library's default message.</summary>
        public UnexpectedResponseException() : base(WorkflowStatus.UnexpectedResponse, 0, "UnexpectedResponse") { }

        /// <summary>This failure, with this message.</summary>
        public UnexpectedResponseException(string message) : base(WorkflowStatus.UnexpectedResponse, 0, message) { }

        /// <summary>This failure, with this message and cause.</summary>
        public UnexpectedResponseException(string message, Exception innerException) : base(WorkflowStatus.UnexpectedResponse, 0, message, innerException) { }

        /// <summary>This failure, with the HTTP status of the exchange and a message.</summary>
        public UnexpectedResponseException(int httpStatus, string message) : base(WorkflowStatus.UnexpectedResponse, httpStatus, message) { }
    }

    /// <summary>The server could not be reached (DNS, refused, reset, proxy).</summary>
    public class ConnectFailedException : WorkflowException
    {
        /// <summary>This failure, with the library's default message.</summary>
        public ConnectFailedException() : base(WorkflowStatus.ConnectFailed, 0, "ConnectFailed") { }

        /// <summary>This failure, with this message.</summary>
        public ConnectFailedException(string message) : base(WorkflowStatus.ConnectFailed, 0, message) { }

        /// <summary>This failure, with this message and cause.</summary>
        public ConnectFailedException(string message, Exception innerException) : base(WorkflowStatus.ConnectFailed, 0, message, innerException) { }
    }

    /// <summary>The TLS handshake or the certificate verification failed.</summary>
    public class TlsException : WorkflowException
    {
        /// <summary>This failure, with the library's default message.</summary>
        public TlsException() : base(WorkflowStatus.TlsError, 0, "TlsError") { }

        /// <summary>This failure, with this message.</summary>
        public TlsException(string message) : base(WorkflowStatus.TlsError, 0, message) { }

        /// <summary>This failure, with this message and cause.</summary>
        public TlsException(string message, Exception innerException) : base(WorkflowStatus.TlsError, 0, message, innerException) { }
    }

    /// <summary>A timeout or a wait deadline expired. A <see cref="TimeoutException"/>, so that
    /// <c>catch (TimeoutException)</c> catches it; its status and the HTTP status of the exchange
    /// (if any) are available through <see cref="IWorkflowError"/>.</summary>
    public class WorkflowTimeoutException : TimeoutException, IWorkflowError
    {
        /// <summary>Always <see cref="WorkflowStatus.Timeout"/>.</summary>
        public WorkflowStatus Status { get { return WorkflowStatus.Timeout; } }

        /// <summary>The HTTP status of the exchange, 0 when there was none.</summary>
        public int HttpStatus { get; private set; }

        /// <summary>This failure, with the library's default message.</summary>
        public WorkflowTimeoutException() : base("the call did not finish within its timeout") { }

        /// <summary>This failure, with this message.</summary>
        public WorkflowTimeoutException(string message) : base(message) { }

        /// <summary>This failure, with this message and cause.</summary>
        public WorkflowTimeoutException(string message, Exception innerException) : base(message, innerException) { }

        /// <summary>This failure, with the HTTP status of the exchange and a message.</summary>
        public WorkflowTimeoutException(int httpStatus, string message) : base(message) { HttpStatus = httpStatus; }
    }

    /// <summary>A local file could not be read, written or renamed. An
    /// <see cref="System.IO.IOException"/>, so that <c>catch (IOException)</c> catches it; its status
    /// is available through <see cref="IWorkflowError"/>.</summary>
    public class LocalIOException : System.IO.IOException, IWorkflowError
    {
        /// <summary>Always <see cref="WorkflowStatus.IoError"/>.</summary>
        public WorkflowStatus Status { get { return WorkflowStatus.IoError; } }

        /// <summary>Always 0: the failure was local.</summary>
        public int HttpStatus { get { return 0; } }

        /// <summary>This failure, with the library's default message.</summary>
        public LocalIOException() : base("a local file could not be read or written") { }

        /// <summary>This failure, with this message.</summary>
        public LocalIOException(string message) : base(message) { }

        /// <summary>This failure, with this message and cause.</summary>
        public LocalIOException(string message, Exception innerException) : base(message, innerException) { }
    }

    /// <summary>A callback asked to stop, or the operation waited on was cancelled.</summary>
    public class AbortedException : WorkflowException
    {
        /// <summary>This failure, with the library's default message.</summary>
        public AbortedException() : base(WorkflowStatus.Aborted, 0, "Aborted") { }

        /// <summary>This failure, with this message.</summary>
        public AbortedException(string message) : base(WorkflowStatus.Aborted, 0, message) { }

        /// <summary>This failure, with this message and cause.</summary>
        public AbortedException(string message, Exception innerException) : base(WorkflowStatus.Aborted, 0, message, innerException) { }
    }

    /// <summary>A body asked for in memory did not fit; use the streaming or file methods for large results.</summary>
    public class WorkflowOutOfMemoryException : WorkflowException
    {
        /// <summary>This failure, with the library's default message.</summary>
        public WorkflowOutOfMemoryException() : base(WorkflowStatus.OutOfMemory, 0, "OutOfMemory") { }

        /// <summary>This failure, with this message.</summary>
        public WorkflowOutOfMemoryException(string message) : base(WorkflowStatus.OutOfMemory, 0, message) { }

        /// <summary>This failure, with this message and cause.</summary>
        public WorkflowOutOfMemoryException(string message, Exception innerException) : base(WorkflowStatus.OutOfMemory, 0, message, innerException) { }
    }

    /// <summary>A bug in the library; please report it.</summary>
    public class InternalErrorException : WorkflowException
    {
        /// <summary>This failure, with the library's default message.</summary>
        public InternalErrorException() : base(WorkflowStatus.InternalError, 0, "InternalError") { }

        /// <summary>This failure, with this message.</summary>
        public InternalErrorException(string message) : base(WorkflowStatus.InternalError, 0, message) { }

        /// <summary>This failure, with this message and cause.</summary>
        public InternalErrorException(string message, Exception innerException) : base(WorkflowStatus.InternalError, 0, message, innerException) { }
    }
}
