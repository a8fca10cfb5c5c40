// Typed exceptions, one per wf_status.
using System;

namespace OLConnect.Workflow
{
    /// <summary>The numbers of the C <c>wf_status</c>.</summary>
    public enum WorkflowStatus
    {
        Ok = 0,
        InvalidArgument = 1,
        BufferTooSmall = 2,
        AuthRequired = 3,
        AuthFailed = 4,
        Forbidden = 5,
        NotFound = 6,
        BadRequest = 7,
        ServerError = 8,
        UnexpectedResponse = 9,
        ConnectFailed = 10,
        TlsError = 11,
        Timeout = 12,
        IoError = 13,
        Aborted = 14,
        OutOfMemory = 15,
        InternalError = 99,
    }

    /// <summary>A failed call: the status, the HTTP status of the exchange (0 if there was none)
    /// and a message that says what happened, with the server's own words when it sent some.
    /// It never contains a password or token.</summary>
    public class WorkflowException : Exception
    {
        public WorkflowStatus Status { get; private set; }
        public int HttpStatus { get; private set; }

        public WorkflowException(WorkflowStatus status, int httpStatus, string message) : base(message)
        {
            Status = status;
            HttpStatus = httpStatus;
        }

        internal static WorkflowException Create(int status, int httpStatus, string message)
        {
            switch ((WorkflowStatus)status)
            {
                case WorkflowStatus.InvalidArgument: return new InvalidArgumentException(message);
                case WorkflowStatus.AuthRequired: return new AuthRequiredException(httpStatus, message);
                case WorkflowStatus.AuthFailed: return new AuthFailedException(httpStatus, message);
                case WorkflowStatus.Forbidden: return new ForbiddenException(httpStatus, message);
                case WorkflowStatus.NotFound: return new NotFoundException(httpStatus, message);
                case WorkflowStatus.BadRequest: return new BadRequestException(httpStatus, message);
                case WorkflowStatus.ServerError: return new ServerErrorException(httpStatus, message);
                case WorkflowStatus.UnexpectedResponse: return new UnexpectedResponseException(httpStatus, message);
                case WorkflowStatus.ConnectFailed: return new ConnectFailedException(message);
                case WorkflowStatus.TlsError: return new TlsException(message);
                case WorkflowStatus.Timeout: return new WorkflowTimeoutException(message);
                case WorkflowStatus.IoError: return new LocalIOException(message);
                case WorkflowStatus.Aborted: return new AbortedException(message);
                case WorkflowStatus.OutOfMemory: return new WorkflowOutOfMemoryException(message);
                case WorkflowStatus.InternalError: return new InternalErrorException(message);
                default: return new WorkflowException((WorkflowStatus)status, httpStatus, message);
            }
        }
    }

    /// <summary>An argument was refused before anything was sent.</summary>
    public class InvalidArgumentException : WorkflowException
    {
        public InvalidArgumentException(string message) : base(WorkflowStatus.InvalidArgument, 0, message) { }
    }

    /// <summary>HTTP 401 and no credentials were configured.</summary>
    public class AuthRequiredException : WorkflowException
    {
        public AuthRequiredException(int httpStatus, string message) : base(WorkflowStatus.AuthRequired, httpStatus, message) { }
    }

    /// <summary>HTTP 401: the credentials were rejected (after one automatic re-login).</summary>
    public class AuthFailedException : WorkflowException
    {
        public AuthFailedException(int httpStatus, string message) : base(WorkflowStatus.AuthFailed, httpStatus, message) { }
    }

    /// <summary>HTTP 403: a missing role, or (older servers) invalid credentials.</summary>
    public class ForbiddenException : WorkflowException
    {
        public ForbiddenException(int httpStatus, string message) : base(WorkflowStatus.Forbidden, httpStatus, message) { }
    }

    /// <summary>HTTP 404: the operation or file is not on the server.</summary>
    public class NotFoundException : WorkflowException
    {
        public NotFoundException(int httpStatus, string message) : base(WorkflowStatus.NotFound, httpStatus, message) { }
    }

    /// <summary>HTTP 400: e.g. a File Store resource of the configuration does not exist.</summary>
    public class BadRequestException : WorkflowException
    {
        public BadRequestException(int httpStatus, string message) : base(WorkflowStatus.BadRequest, httpStatus, message) { }
    }

    /// <summary>HTTP 5xx: the operation or the server failed.</summary>
    public class ServerErrorException : WorkflowException
    {
        public ServerErrorException(int httpStatus, string message) : base(WorkflowStatus.ServerError, httpStatus, message) { }
    }

    /// <summary>An answer that breaks the protocol (truncated body, connection lost mid-body...).</summary>
    public class UnexpectedResponseException : WorkflowException
    {
        public UnexpectedResponseException(int httpStatus, string message) : base(WorkflowStatus.UnexpectedResponse, httpStatus, message) { }
    }

    /// <summary>The server could not be reached (DNS, refused, reset, proxy).</summary>
    public class ConnectFailedException : WorkflowException
    {
        public ConnectFailedException(string message) : base(WorkflowStatus.ConnectFailed, 0, message) { }
    }

    /// <summary>The TLS handshake or the certificate verification failed.</summary>
    public class TlsException : WorkflowException
    {
        public TlsException(string message) : base(WorkflowStatus.TlsError, 0, message) { }
    }

    /// <summary>A timeout or a wait deadline expired.</summary>
    public class WorkflowTimeoutException : WorkflowException
    {
        public WorkflowTimeoutException(string message) : base(WorkflowStatus.Timeout, 0, message) { }
    }

    /// <summary>A local file could not be written or renamed.</summary>
    public class LocalIOException : WorkflowException
    {
        public LocalIOException(string message) : base(WorkflowStatus.IoError, 0, message) { }
    }

    /// <summary>A callback asked to stop, or the operation waited on was cancelled.</summary>
    /// <summary>A body asked for in memory did not fit; use the streaming or file methods for
    /// large results.</summary>
    public class WorkflowOutOfMemoryException : WorkflowException
    {
        public WorkflowOutOfMemoryException(string message) : base(WorkflowStatus.OutOfMemory, 0, message) { }
    }

    public class AbortedException : WorkflowException
    {
        public AbortedException(string message) : base(WorkflowStatus.Aborted, 0, message) { }
    }

    /// <summary>A bug in the library; please report it.</summary>
    public class InternalErrorException : WorkflowException
    {
        public InternalErrorException(string message) : base(WorkflowStatus.InternalError, 0, message) { }
    }
}
