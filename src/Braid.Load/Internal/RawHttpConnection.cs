using System.Buffers.Text;
using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text;

namespace Braid.Load.Internal;

/// <summary>
/// One keep-alive HTTP/1.1 connection that sends the same prepared GET again and again and reads each
/// response's status, skipping its body (Content-Length, chunked, or up to the close), as wrk does.
/// Used for <c>http://</c> targets of the open and closed models (docs/design.md rule 147); reconnects
/// after an error or a <c>Connection: close</c>. Not safe for concurrent use: one per connection worker.
/// The per-request async methods use pooled state machines: without them each request allocated about
/// 600 bytes, boxes of the methods that waited (measured with dotnet-counters, docs/load.md).
/// </summary>
internal sealed class RawHttpConnection : IDisposable
{
    private const int BufferSize = 16 * 1024;
    private static readonly byte[] HeadEnd = "\r\n\r\n"u8.ToArray();
    private static readonly byte[] LineEnd = "\r\n"u8.ToArray();

    private readonly EndPoint _endPoint;
    private readonly ReadOnlyMemory<byte> _request;
    private readonly TimeSpan _timeout;
    private readonly CancellationToken _runToken;
    private readonly byte[] _buffer = new byte[BufferSize];
    private CancellationTokenSource _timeoutSource;
    private Socket? _socket;
    private int _start;
    private int _end;

    public RawHttpConnection(Uri target, TimeSpan timeout, CancellationToken runToken)
    {
        var host = target.IdnHost.Trim('[', ']');
        _endPoint = IPAddress.TryParse(host, out var address) ? new IPEndPoint(address, target.Port) : new DnsEndPoint(host, target.Port);
        _request = Encoding.ASCII.GetBytes($"GET {target.PathAndQuery} HTTP/1.1\r\nHost: {target.Authority}\r\nUser-Agent: braid-load\r\nAccept: */*\r\n\r\n");
        _timeout = timeout;
        _runToken = runToken;
        _timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(runToken);
    }

    public void Dispose()
    {
        _socket?.Dispose();
        _timeoutSource.Dispose();
    }

    /// <summary>Sends the request and reads the whole response; returns its status code.</summary>
    /// <exception cref="OperationCanceledException">The run was cancelled.</exception>
    /// <exception cref="TimeoutException">The response took longer than the timeout.</exception>
    /// <exception cref="SocketException">Connecting or a read or write failed (refused, reset...).</exception>
    /// <exception cref="HttpRequestException">The response ended early or was not HTTP/1.x.</exception>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<int> SendAsync()
    {
        if (!_timeoutSource.TryReset())
        {
            _timeoutSource.Dispose();
            _timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(_runToken);
        }

        _timeoutSource.CancelAfter(_timeout);
        var token = _timeoutSource.Token;
        try
        {
            var socket = _socket ??= await ConnectAsync(token).ConfigureAwait(false);
            var sent = 0;
            while (sent < _request.Length)
            {
                sent += await socket.SendAsync(_request[sent..], SocketFlags.None, token).ConfigureAwait(false);
            }

            var (status, close) = await ReadResponseAsync(socket, token).ConfigureAwait(false);
            if (close)
            {
                Reset();
            }

            return status;
        }
        catch (OperationCanceledException) when (!_runToken.IsCancellationRequested)
        {
            Reset();
            throw new TimeoutException("the response took longer than the timeout");
        }
        catch
        {
            Reset();
            throw;
        }
    }

    private async ValueTask<Socket> ConnectAsync(CancellationToken token)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(_endPoint, token).ConfigureAwait(false);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private void Reset()
    {
        _socket?.Dispose();
        _socket = null;
        _start = _end = 0;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<(int Status, bool Close)> ReadResponseAsync(Socket socket, CancellationToken token)
    {
        while (true)
        {
            var headerEnd = await FindAsync(socket, HeadEnd, token).ConfigureAwait(false);
            var (status, length, chunked, close) = ParseHead(_buffer.AsSpan(_start, headerEnd - _start));
            _start = headerEnd + 4;
            if (status is >= 100 and < 200 && status != 101)
            {
                continue; // an interim response (100 Continue, 103 Early Hints): the real one follows
            }

            if (status is 204 or 304 or (>= 100 and < 200))
            {
                return (status, close);
            }

            if (chunked)
            {
                await SkipChunkedAsync(socket, token).ConfigureAwait(false);
            }
            else if (length >= 0)
            {
                await SkipAsync(socket, length, token).ConfigureAwait(false);
            }
            else
            {
                // No length: the body ends when the server closes the connection.
                _start = _end = 0;
                while (await socket.ReceiveAsync(_buffer, SocketFlags.None, token).ConfigureAwait(false) > 0)
                {
                }

                return (status, true);
            }

            return (status, close);
        }
    }

    private static (int Status, long Length, bool Chunked, bool Close) ParseHead(ReadOnlySpan<byte> head)
    {
        var lineEnd = head.IndexOf("\r\n"u8);
        var statusLine = lineEnd < 0 ? head : head[..lineEnd];
        if (statusLine.Length < 12 || !statusLine.StartsWith("HTTP/1."u8) || !Utf8Parser.TryParse(statusLine.Slice(9, 3), out int status, out var used) || used != 3)
        {
            throw new HttpRequestException(HttpRequestError.InvalidResponse, "the response is not HTTP/1.x");
        }

        long length = -1;
        bool chunked = false, close = statusLine[7] == (byte)'0'; // HTTP/1.0 closes unless told otherwise
        var rest = lineEnd < 0 ? [] : head[(lineEnd + 2)..];
        while (!rest.IsEmpty)
        {
            var end = rest.IndexOf("\r\n"u8);
            var line = end < 0 ? rest : rest[..end];
            rest = end < 0 ? [] : rest[(end + 2)..];
            var colon = line.IndexOf((byte)':');
            if (colon <= 0)
            {
                continue;
            }

            var name = line[..colon];
            var value = line[(colon + 1)..].Trim((byte)' ');
            if (Ascii.EqualsIgnoreCase(name, "content-length"u8))
            {
                if (!Utf8Parser.TryParse(value, out length, out var n) || n != value.Length || length < 0)
                {
                    throw new HttpRequestException(HttpRequestError.InvalidResponse, "the response's Content-Length is not a number");
                }
            }
            else if (Ascii.EqualsIgnoreCase(name, "transfer-encoding"u8))
            {
                chunked = ContainsIgnoreCase(value, "chunked"u8);
            }
            else if (Ascii.EqualsIgnoreCase(name, "connection"u8))
            {
                close = ContainsIgnoreCase(value, "close"u8) || (close && !ContainsIgnoreCase(value, "keep-alive"u8));
            }
        }

        return (status, length, chunked, close);
    }

    private static bool ContainsIgnoreCase(ReadOnlySpan<byte> value, ReadOnlySpan<byte> word)
    {
        for (var i = 0; i + word.Length <= value.Length; i++)
        {
            if (Ascii.EqualsIgnoreCase(value.Slice(i, word.Length), word))
            {
                return true;
            }
        }

        return false;
    }

    // The index in _buffer where 'marker' starts, reading more until it is there.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> FindAsync(Socket socket, ReadOnlyMemory<byte> marker, CancellationToken token)
    {
        while (true)
        {
            var found = _buffer.AsSpan(_start, _end - _start).IndexOf(marker.Span);
            if (found >= 0)
            {
                return _start + found;
            }

            await FillAsync(socket, token).ConfigureAwait(false);
        }
    }

    // Reads more into the buffer, moving what is unread to its start first.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask FillAsync(Socket socket, CancellationToken token)
    {
        if (_start > 0)
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _end -= _start;
            _start = 0;
        }

        if (_end == _buffer.Length)
        {
            throw new HttpRequestException(HttpRequestError.InvalidResponse, "a response line or header is longer than 16 KB");
        }

        var read = await socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None, token).ConfigureAwait(false);
        if (read == 0)
        {
            throw new HttpRequestException(HttpRequestError.ResponseEnded, "the server closed the connection before the response ended");
        }

        _end += read;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask SkipAsync(Socket socket, long count, CancellationToken token)
    {
        while (true)
        {
            var buffered = _end - _start;
            if (buffered >= count)
            {
                _start += (int)count;
                return;
            }

            count -= buffered;
            _start = _end = 0;
            await FillAsync(socket, token).ConfigureAwait(false);
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask SkipChunkedAsync(Socket socket, CancellationToken token)
    {
        while (true)
        {
            var lineEnd = await FindAsync(socket, LineEnd, token).ConfigureAwait(false);
            var line = _buffer.AsSpan(_start, lineEnd - _start);
            var extension = line.IndexOf((byte)';');
            if (extension >= 0)
            {
                line = line[..extension];
            }

            if (!Utf8Parser.TryParse(line.Trim((byte)' '), out long size, out var used, 'X') || used == 0 || size < 0)
            {
                throw new HttpRequestException(HttpRequestError.InvalidResponse, "a chunk size is not a hexadecimal number");
            }

            _start = lineEnd + 2;
            if (size == 0)
            {
                // Trailers, if any, then the empty line.
                while (true)
                {
                    var end = await FindAsync(socket, LineEnd, token).ConfigureAwait(false);
                    var empty = end == _start;
                    _start = end + 2;
                    if (empty)
                    {
                        return;
                    }
                }
            }

            await SkipAsync(socket, size + 2, token).ConfigureAwait(false);
        }
    }
}
