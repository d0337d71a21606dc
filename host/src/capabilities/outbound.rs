//! Sending one request to an address the HTTP policy has already vetted.
//! The connection goes to exactly that address, never to a second DNS answer
//! (a hostile name server could give one address to the check and another
//! to the connect), and TLS is verified against the request's host name.
//! Otherwise it behaves as wasmtime-wasi-http's default sender (HTTP/1.1,
//! the Web PKI roots, the request's timeouts).

use std::future::poll_fn;
use std::net::SocketAddr;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::BodyExt;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use wasmtime_wasi_http::io::TokioIo;
use wasmtime_wasi_http::{Error as HttpError, RequestOptions, WasiBody};

/// What the `wasi:http` hook hands back: the response, and the connection's
/// remaining I/O for the runtime to drive.
pub type Sent = (http::Response<WasiBody>, Box<dyn Future<Output = Result<(), HttpError>> + Send>);

/// The default sender's timeout for a request that sets none.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);

trait Stream: AsyncRead + AsyncWrite + Send + Sync + Unpin + 'static {}
impl<T: AsyncRead + AsyncWrite + Send + Sync + Unpin + 'static> Stream for T {}

/// Sends `request` to the first of `addresses` that answers; they serve
/// `host` (the request's own host name, for TLS and nothing else).
pub async fn send(
    mut request: http::Request<WasiBody>,
    addresses: &[SocketAddr],
    host: &str,
    tls: bool,
    options: Option<RequestOptions>,
) -> Result<Sent, HttpError> {
    let timeout = |pick: fn(&RequestOptions) -> Option<Duration>| options.as_ref().and_then(pick);
    let connect_timeout = timeout(|o| o.connect_timeout).unwrap_or(DEFAULT_TIMEOUT);
    let first_byte_timeout = timeout(|o| o.first_byte_timeout).unwrap_or(DEFAULT_TIMEOUT);
    // Tokio refuses a zero interval.
    let between_bytes = timeout(|o| o.between_bytes_timeout).unwrap_or(DEFAULT_TIMEOUT).max(Duration::from_nanos(1));

    let tcp = tokio::time::timeout(connect_timeout, TcpStream::connect(addresses))
        .await
        .map_err(|_| HttpError::ConnectionTimeout)?
        .map_err(HttpError::Connect)?;
    let stream: Box<dyn Stream> = if tls { Box::new(tls_connect(tcp, host).await?) } else { Box::new(tcp) };
    let (mut sender, conn) =
        tokio::time::timeout(connect_timeout, hyper::client::conn::http1::handshake(TokioIo::new(stream)))
            .await
            .map_err(|_| HttpError::ConnectionTimeout)??;

    // The request line carries the path only: scheme and authority are for
    // proxies (the Host header is set by wasi:http).
    let path = request.uri().path_and_query().map_or("/", |p| p.as_str()).to_string();
    *request.uri_mut() =
        http::Uri::builder().path_and_query(path).build().map_err(|_| HttpError::HttpRequestUriInvalid)?;

    let send = async {
        let response = tokio::time::timeout(first_byte_timeout, sender.send_request(request))
            .await
            .map_err(|_| HttpError::ConnectionReadTimeout)??;
        let mut idle = tokio::time::interval(between_bytes);
        idle.reset();
        Ok::<_, HttpError>(response.map(|incoming| Timed { incoming, idle }.boxed_unsync()))
    };
    let mut send = pin!(send);
    let mut conn = Some(conn);
    // The connection's I/O is driven while the response is awaited.
    let response = poll_fn(|cx| match send.as_mut().poll(cx) {
        Poll::Ready(result) => Poll::Ready(result),
        Poll::Pending => {
            let Some(io) = conn.as_mut() else { return Poll::Pending };
            let ended = ready!(Pin::new(io).poll(cx));
            conn = None;
            match ended {
                Ok(()) => send.as_mut().poll(cx),
                Err(e) => Poll::Ready(Err(HttpError::from(e))),
            }
        }
    })
    .await?;
    let rest = async move {
        match conn {
            Some(io) => io.await.map_err(|e| if e.is_timeout() { HttpError::HttpResponseTimeout } else { e.into() }),
            None => Ok(()),
        }
    };
    Ok((response, Box::new(rest)))
}

async fn tls_connect(tcp: TcpStream, host: &str) -> Result<impl Stream, HttpError> {
    let roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.into() };
    let config = rustls::ClientConfig::builder().with_root_certificates(roots).with_no_client_auth();
    let name = match host.parse::<std::net::IpAddr>() {
        Ok(ip) => rustls::pki_types::ServerName::from(ip),
        Err(_) => rustls::pki_types::ServerName::try_from(host)?.to_owned(),
    };
    tokio_rustls::TlsConnector::from(Arc::new(config)).connect(name, tcp).await.map_err(HttpError::Tls)
}

/// A response body that fails when the server goes quiet for longer than
/// the request's between-bytes timeout.
struct Timed {
    incoming: hyper::body::Incoming,
    idle: tokio::time::Interval,
}

impl http_body::Body for Timed {
    type Data = Bytes;
    type Error = HttpError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, HttpError>>> {
        match Pin::new(&mut self.incoming).poll_frame(cx) {
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Ready(Some(Err(e))) => {
                Poll::Ready(Some(Err(if e.is_timeout() { HttpError::HttpResponseTimeout } else { e.into() })))
            }
            Poll::Ready(Some(Ok(frame))) => {
                self.idle.reset();
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Pending => {
                ready!(self.idle.poll_tick(cx));
                Poll::Ready(Some(Err(HttpError::ConnectionReadTimeout)))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.incoming.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.incoming.size_hint()
    }
}
