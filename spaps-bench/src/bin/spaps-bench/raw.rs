//! The physical floor: a keep-alive HTTP/1.1 client on a bare `TcpStream` that
//! writes a prebuilt request and frames the response by `Content-Length`.

use super::*;

pub(crate) struct Client {
    stream: TcpStream,
    request: Vec<u8>,
    buf: Vec<u8>,
}

pub(crate) fn addr_of(base: &str) -> Result<(SocketAddr, String, String), BoxError> {
    let url = url::Url::parse(base)?;
    if url.scheme() != "http" {
        return Err("the raw-socket client speaks plain http only".into());
    }
    let host = url.host_str().ok_or("no host")?.to_owned();
    let port = url.port_or_known_default().ok_or("no port")?;
    let addr = (host.as_str(), port)
        .to_socket_addrs()?
        .next()
        .ok_or("the host does not resolve")?;
    let host_header = match url.port() {
        Some(p) => format!("{host}:{p}"),
        None => host,
    };
    Ok((
        addr,
        host_header,
        url.path().trim_end_matches('/').to_owned(),
    ))
}

impl Client {
    pub(crate) fn connect(base: &str) -> Result<Self, BoxError> {
        let (addr, host, prefix) = addr_of(base)?;
        let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(Duration::from_secs(10)))?;
        let request = format!(
            "GET {prefix}{PATH} HTTP/1.1\r\nhost: {host}\r\nuser-agent: {}\r\nx-api-key: {API_KEY}\r\naccept: application/json\r\nauthorization: Bearer {TOKEN}\r\n\r\n",
            spaps_proto::USER_AGENT
        )
        .into_bytes();
        Ok(Self {
            stream,
            request,
            buf: Vec::with_capacity(4096),
        })
    }

    /// One exchange; returns the body length.
    pub(crate) fn call(&mut self) -> Result<usize, BoxError> {
        self.stream.write_all(&self.request)?;
        loop {
            if let Some((head, body)) = framed(&self.buf)? {
                if self.buf.len() >= head + body {
                    self.buf.drain(..head + body);
                    return Ok(body);
                }
            }
            let len = self.buf.len();
            self.buf.resize(len + 4096, 0);
            let n = self.stream.read(&mut self.buf[len..])?;
            self.buf.truncate(len + n);
            if n == 0 {
                return Err("the server closed the connection".into());
            }
        }
    }
}

/// The head length and body length of the response at the start of `buf`, once
/// the head is complete.
pub(crate) fn framed(buf: &[u8]) -> Result<Option<(usize, usize)>, BoxError> {
    let Some(end) = find(buf, b"\r\n\r\n") else {
        return Ok(None);
    };
    let head = std::str::from_utf8(&buf[..end])?;
    let mut len = None;
    for line in head.split("\r\n").skip(1) {
        if let Some((name, value)) = line.split_once(':') {
            if name.trim().eq_ignore_ascii_case("content-length") {
                len = Some(value.trim().parse::<usize>()?);
            }
        }
    }
    let len = len.ok_or("no content-length in the response")?;
    Ok(Some((end + 4, len)))
}

pub(crate) fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}
