//! A small blocking HTTP client over `wasi:http/outgoing-handler`: what a
//! connector needs to call a REST API, and nothing else. The host decides
//! which hosts are reachable; a refused request comes back as an error here.

use crate::Error;
use crate::bindings::wasi::http::outgoing_handler;
use crate::bindings::wasi::http::types::{
    ErrorCode, Fields, IncomingBody, Method, OutgoingBody, OutgoingRequest, Scheme,
};
use crate::bindings::wasi::io::streams::StreamError;

/// Responses larger than this are refused rather than buffered: no API page
/// we read comes near it, and a runaway body must not exhaust our memory.
const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;

#[derive(Debug, Clone)]
pub struct Request {
    pub method: &'static str,
    /// Absolute URL: scheme://host[:port]/path?query
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// The first header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

impl Request {
    pub fn new(method: &'static str, url: impl Into<String>) -> Self {
        Self { method, url: url.into(), headers: Vec::new(), body: Vec::new() }
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_string(), value.into()));
        self
    }

    pub fn body(mut self, body: Vec<u8>) -> Self {
        self.body = body;
        self
    }

    /// Sends the request and reads the whole answer. Transport failures are
    /// `transient` (worth a retry), a refusal by the host is `fatal`.
    pub fn send(self) -> Result<Response, Error> {
        let url = ParsedUrl::parse(&self.url)?;
        let headers = Fields::new();
        for (name, value) in &self.headers {
            headers
                .append(name, value.as_bytes())
                .map_err(|e| Error::Invalid(format!("header {name} cannot be sent: {e:?}")))?;
        }
        let request = OutgoingRequest::new(headers);
        let method = match self.method {
            "GET" => Method::Get,
            "POST" => Method::Post,
            "PUT" => Method::Put,
            "PATCH" => Method::Patch,
            "DELETE" => Method::Delete,
            other => Method::Other(other.to_string()),
        };
        let set = |ok: Result<(), ()>, what: &str| {
            ok.map_err(|()| Error::Invalid(format!("{what} of {} is not valid", self.url)))
        };
        set(request.set_method(&method), "method")?;
        set(request.set_scheme(Some(&url.scheme)), "scheme")?;
        set(request.set_authority(Some(&url.authority)), "host")?;
        set(request.set_path_with_query(Some(&url.path_and_query)), "path")?;

        let body = request.body().map_err(|()| fatal("request body taken twice"))?;
        let pending = outgoing_handler::handle(request, None).map_err(|e| transport_error(&self.url, e))?;
        // A server may answer before it has read the whole body (413: too
        // large) and close the connection: the write then fails, but the
        // answer is what says whether retrying can help.
        let written = write_body(&body, &self.body);
        let finished = OutgoingBody::finish(body, None).map_err(|e| transport_error(&self.url, e));
        let sent = written.and(finished);

        pending.subscribe().block();
        let answer = pending
            .get()
            .ok_or_else(|| fatal("response not ready after waiting for it"))?
            .map_err(|()| fatal("response read twice"))?;
        let response = match answer {
            Ok(response) => response,
            Err(e) => return Err(sent.err().unwrap_or_else(|| transport_error(&self.url, e))),
        };
        let status = response.status();
        let headers = response
            .headers()
            .entries()
            .into_iter()
            .map(|(k, v)| (k, String::from_utf8_lossy(&v).into_owned()))
            .collect();
        let incoming = response.consume().map_err(|()| fatal("response body taken twice"))?;
        let body = read_body(&self.url, incoming)?;
        Ok(Response { status, headers, body })
    }
}

fn write_body(body: &OutgoingBody, bytes: &[u8]) -> Result<(), Error> {
    if bytes.is_empty() {
        return Ok(());
    }
    let stream = body.write().map_err(|()| fatal("request body stream taken twice"))?;
    // blocking-write-and-flush accepts at most 4096 bytes per call.
    for chunk in bytes.chunks(4096) {
        stream
            .blocking_write_and_flush(chunk)
            .map_err(|e| Error::Transient(format!("sending the request body failed: {e:?}")))?;
    }
    Ok(())
}

fn read_body(url: &str, incoming: IncomingBody) -> Result<Vec<u8>, Error> {
    let mut out = Vec::new();
    {
        let stream = incoming.stream().map_err(|()| fatal("response body stream taken twice"))?;
        loop {
            match stream.blocking_read(64 * 1024) {
                Ok(chunk) => {
                    out.extend_from_slice(&chunk);
                    if out.len() > MAX_BODY_BYTES {
                        return Err(Error::Invalid(format!(
                            "{url} answered with more than {} MiB; refusing to read it",
                            MAX_BODY_BYTES / (1024 * 1024)
                        )));
                    }
                }
                Err(StreamError::Closed) => break,
                Err(StreamError::LastOperationFailed(e)) => {
                    return Err(Error::Transient(format!(
                        "the connection to {url} broke while reading the answer: {}",
                        e.to_debug_string()
                    )));
                }
            }
        }
    }
    Ok(out)
}

fn fatal(what: &str) -> Error {
    Error::Fatal(format!("HTTP client bug: {what}"))
}

fn transport_error(url: &str, e: ErrorCode) -> Error {
    match e {
        ErrorCode::HttpRequestDenied => Error::Fatal(format!(
            "the host refused the request to {url} (its reason is in the activity log: `trestle logs --kind host`)"
        )),
        ErrorCode::HttpRequestUriInvalid => Error::Invalid(format!("{url} is not a valid URL")),
        ErrorCode::HttpRequestBodySize(_) => Error::Invalid(format!("the request body is larger than {url} accepts")),
        other => Error::Transient(format!("request to {url} failed: {other:?}")),
    }
}

struct ParsedUrl {
    scheme: Scheme,
    authority: String,
    path_and_query: String,
}

impl ParsedUrl {
    fn parse(url: &str) -> Result<Self, Error> {
        let (scheme, rest) = if let Some(rest) = url.strip_prefix("https://") {
            (Scheme::Https, rest)
        } else if let Some(rest) = url.strip_prefix("http://") {
            (Scheme::Http, rest)
        } else {
            return Err(Error::Invalid(format!("{url} must start with http:// or https://")));
        };
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        if authority.is_empty() {
            return Err(Error::Invalid(format!("{url} has no host")));
        }
        Ok(Self { scheme, authority: authority.to_string(), path_and_query: path.to_string() })
    }
}

/// Characters that pass unencoded in a path segment or a query value: RFC
/// 3986's unreserved ones.
const UNRESERVED: &percent_encoding::AsciiSet =
    &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// `text` percent-encoded for a path segment, a query value or a form field.
pub fn encode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, UNRESERVED).to_string()
}
