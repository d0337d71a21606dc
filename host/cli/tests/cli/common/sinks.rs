//! Local stand-ins for where alerts go: an SMTP server that keeps every
//! mail, and an HTTP receiver that keeps every POST. Loopback only; each
//! speaks just enough of its protocol for one client at a time.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

/// What a sink received, in order.
#[derive(Clone, Default)]
pub struct Received(Arc<Mutex<Vec<Delivery>>>);

#[derive(Clone, Debug)]
pub struct Delivery {
    /// Header lines as sent (HTTP request headers; a mail's own headers are in `body`).
    pub headers: Vec<String>,
    pub body: String,
}

impl Received {
    pub fn all(&self) -> Vec<Delivery> {
        self.0.lock().unwrap().clone()
    }

    fn push(&self, delivery: Delivery) {
        self.0.lock().unwrap().push(delivery);
    }
}

/// An SMTP server on a free loopback port: `smtp://127.0.0.1:PORT`.
pub fn smtp_sink() -> (String, Received) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("smtp://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let received = Received::default();
    let keep = received.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let _ = smtp_session(stream, &keep);
        }
    });
    (url, received)
}

fn smtp_session(stream: TcpStream, received: &Received) -> std::io::Result<()> {
    let mut out = stream.try_clone()?;
    let mut lines = BufReader::new(stream);
    out.write_all(b"220 sink ESMTP\r\n")?;
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let verb = line.trim_end().to_ascii_uppercase();
        if verb.starts_with("EHLO") || verb.starts_with("HELO") {
            out.write_all(b"250-sink\r\n250 8BITMIME\r\n")?;
        } else if verb.starts_with("DATA") {
            out.write_all(b"354 go on\r\n")?;
            let mut body = String::new();
            loop {
                line.clear();
                if lines.read_line(&mut line)? == 0 || line == ".\r\n" {
                    break;
                }
                body.push_str(&line);
            }
            received.push(Delivery { headers: Vec::new(), body });
            out.write_all(b"250 kept\r\n")?;
        } else if verb.starts_with("QUIT") {
            out.write_all(b"221 bye\r\n")?;
            return Ok(());
        } else {
            out.write_all(b"250 ok\r\n")?;
        }
    }
}

/// An HTTP receiver on a free loopback port that answers every request
/// with `status`; returns its address.
pub fn http_sink(status: u16) -> (String, Received) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://127.0.0.1:{}/alerts", listener.local_addr().unwrap().port());
    let received = Received::default();
    let keep = received.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let _ = http_request(stream, &keep, status);
        }
    });
    (url, received)
}

fn http_request(stream: TcpStream, received: &Received, status: u16) -> std::io::Result<()> {
    let mut out = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    let mut headers = Vec::new();
    let mut length = 0;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line)?;
        let line = line.trim_end().to_string();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap_or(0);
        }
        headers.push(line);
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    received.push(Delivery { headers, body: String::from_utf8_lossy(&body).into_owned() });
    write!(out, "HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
}
