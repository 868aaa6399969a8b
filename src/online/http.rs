//! HTTP for the sender: `ureq` (rustls, no OpenSSL; proxies from the environment as Python's
//! `requests` reads them: `HTTPS_PROXY` for an https base URL, `HTTP_PROXY` for an http one,
//! `ALL_PROXY` as the fallback, `NO_PROXY` hosts bypass it),
//! Basic auth `api:<key>`, retries with exponential backoff + jitter on connection errors,
//! 5xx and 429 (honouring `Retry-After`), bounded by the caller's deadline. A 4xx other than
//! 429 is a permanent error.
//!
//! One transport for everything the library sends (runs, sync, Weave traces):
//! * **Auth by origin**: `Authorization` goes only to URLs whose parsed scheme, host and port
//!   equal the base URL's ([`Origin`]); an upload URL on any other origin (another port, a
//!   host that merely starts with the base URL's text, userinfo that looks like the base
//!   host, another scheme) gets no credentials at all. URLs that are not `http(s)://` are
//!   refused at once (no retries). Redirects are never followed (a 3xx is a permanent error
//!   naming the target): a redirect must not carry a request, or the key, anywhere else.
//! * **Streaming bodies** ([`Body`]): a file is sent from disk (never read into memory),
//!   opened without blocking, regular files only, its size fixed when the upload starts;
//!   any reader (e.g. a multipart body) can be streamed.
//! * **Deadline-bounded**: each attempt's timeout is the time left before the [`Ctl`]
//!   deadline, and [`Ctl::cancel`] interrupts requests in flight (their sockets are shut
//!   down), so a caller's "at most" holds against a server that drips its answer.
//! * **Bounded responses**: bodies are read up to a limit ([`MAX_RESPONSE_BYTES`] for
//!   answers that are used, a few KiB of an error answer for its message).

use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;

use crate::error::{Error, ErrorKind, Result};
use crate::json::Json;
use crate::online::Settings;

/// Stop conditions shared between the host thread and the uploader.
#[derive(Default)]
pub struct Ctl {
    /// Set: give up waiting/retrying at this instant (finish timeout).
    pub deadline: Mutex<Option<Instant>>,
    /// Give up now (host dropping the run without waiting).
    pub abort: AtomicBool,
    /// When the caller returns whatever happens (after the deadline: the moment left for
    /// local work, e.g. counting what is pending).
    hard_end: Mutex<Option<Instant>>,
    /// The agents of the clients that sent requests under this control (by client id):
    /// [`Ctl::cancel`] shuts their connections down.
    agents: Mutex<Vec<(u64, ureq::Agent)>>,
    /// An online run's upload status (issue 23): requests under this control report
    /// reaching the server, retries and refusals to it.
    pub status: std::sync::OnceLock<Arc<crate::online::status::Status>>,
}

impl std::fmt::Debug for Ctl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ctl")
            .field("deadline", &self.deadline())
            .field("abort", &self.aborted())
            .finish()
    }
}

impl Ctl {
    pub fn new() -> Arc<Ctl> {
        Arc::new(Ctl::default())
    }
    fn deadline(&self) -> Option<Instant> {
        *self.deadline.lock().unwrap_or_else(|p| p.into_inner())
    }
    pub fn set_deadline(&self, d: Option<Instant>) {
        *self.deadline.lock().unwrap_or_else(|p| p.into_inner()) = d;
    }
    pub fn aborted(&self) -> bool {
        self.abort.load(Ordering::SeqCst)
    }
    /// Gives up now: no new attempt starts, and every request in flight under this control
    /// fails at once (its socket is shut down; a TCP connect in progress still runs out its
    /// own timeout, at most the time that was left before the deadline when it started, or
    /// 20 s). The clients used under it refuse further requests.
    pub fn cancel(&self) {
        self.abort.store(true, Ordering::SeqCst);
        let agents = std::mem::take(&mut *self.agents.lock().unwrap_or_else(|p| p.into_inner()));
        for (_, a) in agents {
            a.shutdown();
        }
    }
    fn attach(&self, id: u64, agent: &ureq::Agent) {
        let mut g = self.agents.lock().unwrap_or_else(|p| p.into_inner());
        if !g.iter().any(|(i, _)| *i == id) {
            g.push((id, agent.clone()));
        }
    }
    /// Sets when the caller returns whatever happens (see [`Ctl::past_hard_end`]).
    pub fn set_hard_end(&self, t: Option<Instant>) {
        *self.hard_end.lock().unwrap_or_else(|p| p.into_inner()) = t;
    }
    /// Whether local work after the deadline must stop now: the hard end passed (or, with
    /// none set, the deadline passed more than 100 ms ago).
    pub fn past_hard_end(&self) -> bool {
        let now = Instant::now();
        match *self.hard_end.lock().unwrap_or_else(|p| p.into_inner()) {
            Some(t) => now >= t,
            None => self
                .deadline()
                .is_some_and(|d| now > d + Duration::from_millis(100)),
        }
    }
    /// Time left before the deadline (None: no deadline).
    fn remaining(&self) -> Option<Duration> {
        self.deadline()
            .map(|d| d.saturating_duration_since(Instant::now()))
    }
    /// Sleeps up to `d`; false if the deadline or an abort came first.
    pub fn sleep(&self, d: Duration) -> bool {
        let end = Instant::now() + d;
        if let Some(dl) = self.deadline() {
            if dl < end {
                return false;
            }
        }
        while Instant::now() < end {
            if self.aborted() {
                return false;
            }
            std::thread::sleep((end - Instant::now()).min(Duration::from_millis(50)));
        }
        true
    }
}

/// A message that a call gave up (deadline/abort) rather than failed.
pub const GAVE_UP: &str = "gave up waiting for the server";

pub fn gave_up(e: &Error) -> bool {
    e.message.contains(GAVE_UP)
}

/// Most bytes of a response body that is used (GraphQL answers, file_stream): a larger
/// answer is an error, never a larger allocation.
pub const MAX_RESPONSE_BYTES: u64 = 16 << 20;
/// Most bytes of an error answer read for its message.
const MAX_ERROR_BODY: u64 = 64 << 10;
/// Timeout of one attempt when no deadline is set (and of a TCP connect: 20 s).
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(180);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);

/// The origin of a URL (scheme, host, port), as browsers and HTTP clients compare them:
/// parsed, lower-cased, the default port made explicit; userinfo is not part of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub scheme: String,
    pub host: String,
    pub port: u16,
}

/// A URL as text safe for a message: scheme and host only (a pre-signed upload URL's path
/// and query are credentials).
fn url_label(url: &str) -> String {
    let scheme = url.split_once(':').map(|(s, _)| s).unwrap_or("");
    let plausible = !scheme.is_empty()
        && scheme.len() <= 16
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    if !plausible {
        return "(a URL without a scheme)".into();
    }
    match ureq::http::Uri::try_from(url) {
        Ok(u) => match u.host() {
            Some(h) => format!("{scheme}://{h}/…"),
            None => format!("{scheme}://…"),
        },
        Err(_) => format!("{scheme}://…"),
    }
}

impl Origin {
    /// The origin of an `http://` or `https://` URL; anything else (other schemes, no host,
    /// unparsable) is an error naming why.
    pub fn parse(url: &str) -> Result<Origin> {
        let bad = |why: &str| {
            Error::invalid(format!(
                "refused: the URL {} {why} (only http:// and https:// URLs are used)",
                url_label(url)
            ))
        };
        let uri = ureq::http::Uri::try_from(url).map_err(|_| bad("cannot be parsed"))?;
        let scheme = uri
            .scheme_str()
            .ok_or_else(|| bad("has no scheme"))?
            .to_ascii_lowercase();
        let default_port = match scheme.as_str() {
            "http" => 80,
            "https" => 443,
            _ => return Err(bad("is not http(s)")),
        };
        let host = uri
            .host()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| bad("has no host"))?
            .trim_end_matches('.')
            .to_ascii_lowercase();
        Ok(Origin {
            scheme,
            host,
            port: uri.port_u16().unwrap_or(default_port),
        })
    }
}

/// A request body.
pub enum Body<'a> {
    Bytes(&'a [u8]),
    /// A file sent from disk: opened (each attempt) by `open`, which must refuse anything
    /// but a regular file and never block (see [`crate::platform::open_regular_file`]) and
    /// return it with its size. The size of the first open is what is sent: a file that
    /// grew since is sent up to that size; one that shrank fails the upload.
    File {
        label: &'a str,
        open: &'a (dyn Fn() -> Result<(std::fs::File, u64)> + Sync),
    },
    /// Any stream (e.g. a multipart body), created again for each attempt, of `len` bytes
    /// when known (`Content-Length`; else chunked).
    Stream {
        open: &'a (dyn Fn() -> Result<Box<dyn Read + Send>> + Sync),
        len: Option<u64>,
    },
}

/// Reads exactly `left` bytes of a file and then stops; fewer is an error (the file shrank).
struct Exact {
    f: std::fs::File,
    left: u64,
    label: String,
}

impl Read for Exact {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            return Ok(0);
        }
        let want = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.f.read(&mut buf[..want])?;
        if n == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                format!(
                    "{} shrank during the upload ({} bytes missing)",
                    self.label, self.left
                ),
            ));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

static CLIENT_IDS: AtomicU64 = AtomicU64::new(1);

pub struct Client {
    agent: ureq::Agent,
    id: u64,
    pub base_url: String,
    origin: Origin,
    auth: String,
    retry_min: Duration,
    retry_max: Duration,
    /// Requests sent (attempts), for tests and diagnostics.
    pub attempts: std::sync::atomic::AtomicU64,
    /// Shared mode: the writer's client id (see `set_shared_id`).
    shared_id: std::sync::OnceLock<String>,
}

/// An attempt's outcome that is not a response.
enum Fail {
    /// Retry later (connection errors, 5xx, 429), with the delay to use if any.
    Retry(String, Option<Duration>),
    /// Never retried (4xx, refused URLs, bad local files, answers too large).
    Permanent(Error),
    /// The server refused the request with this HTTP status (4xx, 3xx): never retried.
    Refused(u16, Error),
}

/// Root certificates: `SSL_CERT_FILE` or `REQUESTS_CA_BUNDLE` (a PEM bundle, as Python's
/// `requests` reads them) replace the defaults; otherwise the platform's verifier (system
/// roots).
fn tls_config() -> Result<ureq::tls::TlsConfig> {
    let file = ["REQUESTS_CA_BUNDLE", "SSL_CERT_FILE"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()));
    let roots = match file {
        Some(path) => {
            let pem = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
            let certs: Vec<ureq::tls::Certificate<'static>> = ureq::tls::parse_pem(&pem)
                .filter_map(|item| match item {
                    Ok(ureq::tls::PemItem::Certificate(c)) => Some(c),
                    _ => None,
                })
                .collect();
            if certs.is_empty() {
                return Err(Error::invalid(format!("{path}: no PEM certificates found")));
            }
            ureq::tls::RootCerts::new_with_certs(&certs)
        }
        None => ureq::tls::RootCerts::PlatformVerifier,
    };
    Ok(ureq::tls::TlsConfig::builder().root_certs(roots).build())
}

/// The proxy for `base_url`'s scheme (`HTTPS_PROXY`/`https_proxy` for https,
/// `HTTP_PROXY`/`http_proxy` for http, then `ALL_PROXY`/`all_proxy`), with `NO_PROXY` entries.
/// `ureq::Proxy::try_from_env` takes the first variable set whatever the scheme (an
/// `HTTP_PROXY` would carry https traffic), unlike `requests`, hence this selection. Every
/// request of a run uses this proxy (uploads to other hosts included), as the SDK does for
/// https storage URLs.
fn proxy_from_env(base_url: &str) -> Result<Option<ureq::Proxy>> {
    let var = |names: &[&str]| {
        names
            .iter()
            .find_map(|n| std::env::var(n).ok().filter(|v| !v.trim().is_empty()))
    };
    let https = base_url
        .get(..6)
        .is_some_and(|p| p.eq_ignore_ascii_case("https:"));
    let scheme_vars: &[&str] = if https {
        &["HTTPS_PROXY", "https_proxy"]
    } else {
        &["HTTP_PROXY", "http_proxy"]
    };
    let Some(url) = var(scheme_vars).or_else(|| var(&["ALL_PROXY", "all_proxy"])) else {
        return Ok(None);
    };
    let bad = |e: ureq::Error| Error::invalid(format!("proxy {url:?} from the environment: {e}"));
    let p = ureq::Proxy::new(url.trim()).map_err(bad)?;
    let mut b = ureq::Proxy::builder(p.protocol())
        .host(p.host())
        .port(p.port());
    if let Some(u) = p.username() {
        b = b.username(u);
    }
    if let Some(pw) = p.password() {
        b = b.password(pw);
    }
    if let Some(np) = var(&["NO_PROXY", "no_proxy"]) {
        for entry in np.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            b = b.no_proxy(entry);
            // `requests` also bypasses subdomains of a plain domain entry.
            let plain =
                !entry.starts_with(['.', '*']) && entry.parse::<std::net::IpAddr>().is_err();
            if plain {
                b = b.no_proxy(&format!(".{entry}"));
            }
        }
    }
    b.build().map(Some).map_err(bad)
}

fn jitter(d: Duration) -> Duration {
    let mut b = [0u8; 2];
    let r = if getrandom::fill(&mut b).is_ok() {
        f64::from(u16::from_le_bytes(b)) / 65535.0
    } else {
        0.5
    };
    // Uniform in [d/2, d].
    d.mul_f64(0.5 + 0.5 * r)
}

fn retry_after(resp: &ureq::http::Response<ureq::Body>) -> Option<Duration> {
    let v = resp.headers().get("retry-after")?.to_str().ok()?;
    let secs: f64 = v.trim().parse().ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs.min(3600.0)))
}

fn net_err(msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::Io, msg)
}

impl Client {
    pub fn new(s: &Settings) -> Result<Client> {
        let origin = Origin::parse(&s.base_url)?;
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_connect(Some(CONNECT_TIMEOUT))
            .timeout_global(Some(ATTEMPT_TIMEOUT))
            .proxy(proxy_from_env(&s.base_url)?)
            .tls_config(tls_config()?)
            .user_agent(format!("wandb-media/{}", crate::VERSION))
            .build();
        let token = base64::engine::general_purpose::STANDARD.encode(format!("api:{}", s.api_key));
        Ok(Client {
            agent: config.into(),
            id: CLIENT_IDS.fetch_add(1, Ordering::Relaxed),
            base_url: s.base_url.clone(),
            origin,
            auth: format!("Basic {token}"),
            retry_min: s.retry_min,
            retry_max: s.retry_max,
            attempts: Default::default(),
            shared_id: std::sync::OnceLock::new(),
        })
    }

    /// Shared mode: this writer's client id, sent with `X-WANDB-USE-ASYNC-FILESTREAM: true`
    /// as `X-WANDB-CLIENT-ID` (GraphQL) and `X-WANDB-ASYNC-CLIENT-ID` (file_stream).
    pub fn set_shared_id(&self, id: &str) {
        let _ = self.shared_id.set(id.to_string());
    }

    /// `Content-Type: application/json`, plus the shared-mode headers when this writer has a
    /// client id (`id_header`: `X-WANDB-CLIENT-ID` for GraphQL, `X-WANDB-ASYNC-CLIENT-ID`
    /// for file_stream).
    fn json_headers<'a>(&'a self, id_header: &'a str) -> Vec<(&'a str, &'a str)> {
        let mut h = vec![("Content-Type", "application/json")];
        if let Some(id) = self.shared_id.get() {
            h.push(("X-WANDB-USE-ASYNC-FILESTREAM", "true"));
            h.push((id_header, id.as_str()));
        }
        h
    }

    /// Whether `url` is on the base URL's origin (then it gets our credentials).
    pub fn same_origin(&self, url: &str) -> bool {
        Origin::parse(url).is_ok_and(|o| o == self.origin)
    }

    /// One request (`method` POST or PUT) with retries until it succeeds, fails
    /// permanently, or the deadline/abort of `ctl` comes. `Authorization` is sent only when
    /// `url` is on the base URL's origin; `headers` are sent as given. Returns the body of
    /// the 2xx answer (at most [`MAX_RESPONSE_BYTES`]; `read_answer` false: not read).
    #[allow(clippy::too_many_arguments)]
    pub fn request(
        &self,
        what: &str,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        body: &Body<'_>,
        read_answer: bool,
        ctl: &Ctl,
    ) -> Result<Vec<u8>> {
        let perm = |e: Error| Error::new(e.kind, format!("{what}: {}", e.message));
        // Refused at once: a URL that is not http(s) (file://, ftp://, …) is never retried.
        let origin = Origin::parse(url).map_err(perm)?;
        let auth = origin == self.origin;
        if !matches!(method, "POST" | "PUT") {
            return Err(Error::invalid(format!(
                "{what}: method {method} not supported"
            )));
        }
        // The size of a file body is fixed by its first open.
        let mut fixed: Option<u64> = None;
        let mut wait = self.retry_min;
        let mut attempt = 0u32;
        let mut last: Option<String> = None;
        loop {
            if ctl.aborted() {
                return Err(net_err(format!(
                    "{what}: {GAVE_UP} (cancelled{})",
                    last.as_deref()
                        .map(|l| format!("; last error: {l}"))
                        .unwrap_or_default()
                )));
            }
            let left = ctl.remaining();
            if left.is_some_and(|l| l.is_zero()) {
                return Err(net_err(format!(
                    "{what}: {GAVE_UP} (the timeout passed{})",
                    last.as_deref()
                        .map(|l| format!("; last error: {l}"))
                        .unwrap_or_default()
                )));
            }
            attempt += 1;
            self.attempts.fetch_add(1, Ordering::Relaxed);
            ctl.attach(self.id, &self.agent);
            let r = self.attempt(
                method,
                url,
                auth,
                headers,
                body,
                &mut fixed,
                left,
                read_answer,
            );
            let hook = ctl.status.get();
            let (delay, why) = match r {
                Ok(bytes) => {
                    if let Some(h) = hook {
                        h.reached();
                    }
                    return Ok(bytes);
                }
                Err(Fail::Permanent(e)) => return Err(perm(e)),
                Err(Fail::Refused(code, e)) => {
                    if let Some(h) = hook {
                        h.refused(code);
                    }
                    return Err(perm(e));
                }
                Err(Fail::Retry(why, after)) => {
                    let why = crate::online::status::explain_transport(&why, url);
                    if ctl.aborted() {
                        return Err(net_err(format!(
                            "{what}: {GAVE_UP} (cancelled while the request was in flight: {why})"
                        )));
                    }
                    (after.unwrap_or_else(|| jitter(wait)), why)
                }
            };
            let warned = attempt == 1 || attempt.is_multiple_of(10);
            if warned {
                crate::online::warn(&format!("{what} failed ({why}); retrying in {delay:.1?}"));
            }
            if let Some(h) = hook {
                h.retrying(what, &why, warned);
            }
            if !ctl.sleep(delay) {
                return Err(net_err(format!("{what}: {GAVE_UP} (last error: {why})")));
            }
            last = Some(why);
            wait = (wait * 2).min(self.retry_max);
        }
    }

    /// One attempt of [`Client::request`].
    #[allow(clippy::too_many_arguments)]
    fn attempt(
        &self,
        method: &str,
        url: &str,
        auth: bool,
        headers: &[(&str, &str)],
        body: &Body<'_>,
        fixed: &mut Option<u64>,
        left: Option<Duration>,
        read_answer: bool,
    ) -> std::result::Result<Vec<u8>, Fail> {
        let timeout = left.map_or(ATTEMPT_TIMEOUT, |l| l.min(ATTEMPT_TIMEOUT));
        let mut req = match method {
            "PUT" => self.agent.put(url),
            _ => self.agent.post(url),
        }
        .config()
        .timeout_global(Some(timeout))
        .timeout_connect(Some(timeout.min(CONNECT_TIMEOUT)))
        .build();
        if auth {
            req = req.header("Authorization", &self.auth);
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let sent = match body {
            Body::Bytes(b) => req.send(*b),
            Body::File { label, open } => {
                let (f, len) = open().map_err(Fail::Permanent)?;
                let n = *fixed.get_or_insert(len);
                if len < n {
                    return Err(Fail::Permanent(Error::io(
                        label,
                        std::io::Error::other(format!(
                            "the file shrank from {n} to {len} bytes during the upload"
                        )),
                    )));
                }
                let mut reader = Exact {
                    f,
                    left: n,
                    label: label.to_string(),
                };
                req.header("Content-Length", &n.to_string())
                    .send(ureq::SendBody::from_reader(&mut reader))
            }
            Body::Stream { open, len } => {
                let mut r = open().map_err(Fail::Permanent)?;
                let req = match len {
                    Some(n) => req.header("Content-Length", &n.to_string()),
                    None => req,
                };
                req.send(ureq::SendBody::from_reader(&mut r))
            }
        };
        let mut resp = match sent {
            Ok(r) => r,
            Err(ureq::Error::Io(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                // Our own body reader failing (a file that shrank) is not the network's.
                if e.to_string().contains("shrank") {
                    return Err(Fail::Permanent(net_err(e.to_string())));
                }
                return Err(Fail::Retry(describe(&ureq::Error::Io(e)), None));
            }
            Err(e) => return Err(Fail::Retry(describe(&e), None)),
        };
        let status = resp.status().as_u16();
        if (200..300).contains(&status) {
            if !read_answer {
                // Drain a little so the connection can be reused; never hold the answer.
                let _ = resp
                    .body_mut()
                    .with_config()
                    .limit(MAX_ERROR_BODY)
                    .read_to_vec();
                return Ok(Vec::new());
            }
            return resp
                .body_mut()
                .with_config()
                .limit(MAX_RESPONSE_BYTES)
                .read_to_vec()
                .map_err(|e| match e {
                    ureq::Error::BodyExceedsLimit(_) => Fail::Permanent(net_err(format!(
                        "the answer is larger than the {} MiB limit (not read)",
                        MAX_RESPONSE_BYTES >> 20
                    ))),
                    e => Fail::Retry(format!("reading the response: {}", describe(&e)), None),
                });
        }
        let after = retry_after(&resp);
        let location = resp
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(url_label);
        let text = resp
            .body_mut()
            .with_config()
            .limit(MAX_ERROR_BODY)
            .read_to_vec()
            .map(|b| {
                String::from_utf8_lossy(&b)
                    .chars()
                    .take(300)
                    .collect::<String>()
            })
            .unwrap_or_default();
        if status == 429 || status >= 500 {
            return Err(Fail::Retry(format!("HTTP {status}"), after));
        }
        if (300..400).contains(&status) {
            return Err(Fail::Refused(status, net_err(format!(
                "HTTP {status}: the server answered with a redirect to {} (redirects are not followed; if the server moved, set the base URL to its new address)",
                location.unwrap_or_else(|| "nowhere".into())
            ))));
        }
        Err(Fail::Refused(
            status,
            net_err(crate::online::status::explain_http(
                status,
                &self.base_url,
                url,
                &text,
            )),
        ))
    }

    /// `POST <base>/graphql`: returns `data`; GraphQL `errors` are permanent errors.
    pub fn graphql(&self, op: &str, query: &str, variables: Json, ctl: &Ctl) -> Result<Json> {
        // For an error message naming them (an unknown entity or project).
        let var = |a: &str, b: &str| {
            let input = variables.get("input");
            [
                variables.get(a),
                variables.get(b),
                input.and_then(|i| i.get(b)),
            ]
            .into_iter()
            .flatten()
            .find_map(Json::as_str)
            .unwrap_or("")
            .to_string()
        };
        let (entity, project) = (var("entity", "entityName"), var("project", "projectName"));
        let body = Json::object([
            ("query", Json::str(query)),
            ("variables", variables),
            ("operationName", Json::str(op)),
        ])
        .to_compact();
        let url = format!("{}/graphql", self.base_url);
        let bytes = self.request(
            op,
            "POST",
            &url,
            &self.json_headers("X-WANDB-CLIENT-ID"),
            &Body::Bytes(body.as_bytes()),
            true,
            ctl,
        )?;
        let text = String::from_utf8_lossy(&bytes);
        let v = Json::parse(&text)
            .map_err(|e| net_err(format!("{op}: bad response: {}", e.message)))?;
        if let Some(Json::Array(errs)) = v.get("errors") {
            if !errs.is_empty() {
                return Err(net_err(crate::online::status::explain_graphql(
                    op,
                    &entity,
                    &project,
                    &Json::Array(errs.clone())
                        .to_compact()
                        .chars()
                        .take(400)
                        .collect::<String>(),
                )));
            }
        }
        Ok(v.get("data").cloned().unwrap_or(Json::Null))
    }

    /// `POST <base><path>` with a JSON body (file_stream).
    pub fn post_json(&self, what: &str, path: &str, body: &[u8], ctl: &Ctl) -> Result<Vec<u8>> {
        let url = format!("{}{path}", self.base_url);
        self.request(
            what,
            "POST",
            &url,
            &self.json_headers("X-WANDB-ASYNC-CLIENT-ID"),
            &Body::Bytes(body),
            true,
            ctl,
        )
    }

    /// `PUT <url>` of `body` with the server's upload headers (`Name:Value`). Credentials
    /// only when `url` is on the base URL's origin (pre-signed storage URLs get none).
    pub fn put(
        &self,
        what: &str,
        url: &str,
        headers: &[String],
        body: &Body<'_>,
        ctl: &Ctl,
    ) -> Result<()> {
        let pairs: Vec<(&str, &str)> = headers
            .iter()
            .filter_map(|h| h.split_once(':'))
            .map(|(k, v)| (k.trim(), v.trim()))
            .collect();
        self.request(what, "PUT", url, &pairs, body, false, ctl)
            .map(|_| ())
    }

    /// `PUT <url>` of a file streamed from disk ([`Body::File`] with
    /// [`crate::platform::open_regular_file`]).
    pub fn put_file(
        &self,
        what: &str,
        url: &str,
        headers: &[String],
        path: &Path,
        ctl: &Ctl,
    ) -> Result<()> {
        let label = path.display().to_string();
        let open = || crate::platform::open_regular_file(path);
        self.put(
            what,
            url,
            headers,
            &Body::File {
                label: &label,
                open: &open,
            },
            ctl,
        )
    }
}

/// An error of one attempt as text (ureq's own display, with the I/O reason).
fn describe(e: &ureq::Error) -> String {
    e.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(base: &str) -> Client {
        let s = Settings {
            base_url: base.into(),
            api_key: "k".repeat(40),
            resume: crate::online::Resume::Never,
            transmit_interval: Duration::from_secs(15),
            heartbeat: Duration::from_secs(30),
            retry_min: Duration::from_millis(1),
            retry_max: Duration::from_millis(2),
        };
        Client::new(&s).unwrap()
    }

    #[test]
    fn auth_only_for_the_same_origin() {
        let c = client("http://127.0.0.1:6001");
        for same in [
            "http://127.0.0.1:6001/storage?x=1",
            "HTTP://127.0.0.1:6001/",
            "http://user@127.0.0.1:6001/x",
        ] {
            assert!(c.same_origin(same), "{same}");
        }
        for other in [
            "http://127.0.0.1:60011/x",
            "http://127.0.0.1:6001@127.0.0.1:60011/x",
            "http://127.0.0.1:600/x",
            "https://127.0.0.1:6001/x",
            "http://127.0.0.2:6001/x",
            "http://localhost:6001/x",
            "http://127.0.0.1/x",
            "file:///etc/passwd",
            "ftp://127.0.0.1:6001/x",
            "127.0.0.1:6001/x",
            "",
        ] {
            assert!(!c.same_origin(other), "{other}");
        }
        let w = client("https://api.wandb.ai");
        assert!(w.same_origin("https://api.wandb.ai:443/files/x"));
        assert!(w.same_origin("https://API.wandb.ai./x"));
        assert!(!w.same_origin("https://api.wandb.ai.example.com/x"));
        assert!(!w.same_origin("https://api.wandb.ai:8443/x"));
        assert!(!w.same_origin("http://api.wandb.ai/x"));
        assert!(!w.same_origin("https://evil.example@api.wandb.ai.example.com/"));
    }

    #[test]
    fn non_http_urls_are_refused_at_once() {
        let c = client("http://127.0.0.1:9");
        let ctl = Ctl::new();
        for url in [
            "file:///etc/passwd",
            "ftp://127.0.0.1:9/x",
            "gopher://x/",
            "/relative",
        ] {
            let t = Instant::now();
            let e = c
                .put("upload of x", url, &[], &Body::Bytes(b"x"), &ctl)
                .unwrap_err();
            assert!(e.message.contains("refused"), "{url}: {}", e.message);
            assert!(!e.message.contains("etc/passwd"), "{}", e.message);
            assert!(t.elapsed() < Duration::from_millis(500));
        }
        assert_eq!(c.attempts.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn cancel_interrupts_a_request_in_flight() {
        // A server that accepts and never answers.
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", l.local_addr().unwrap());
        let hold = std::thread::spawn(move || {
            let mut keep = Vec::new();
            for s in l.incoming().take(1).flatten() {
                keep.push(s);
                std::thread::sleep(Duration::from_secs(3));
            }
        });
        let c = client(&base);
        let ctl = Ctl::new();
        let t = Instant::now();
        std::thread::scope(|sc| {
            let h = sc.spawn(|| c.post_json("file_stream", "/x", b"{}", &ctl));
            std::thread::sleep(Duration::from_millis(300));
            ctl.cancel();
            let e = h.join().unwrap().unwrap_err();
            assert!(gave_up(&e), "{}", e.message);
        });
        assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
        hold.join().unwrap();
    }

    #[test]
    fn the_deadline_bounds_an_attempt() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", l.local_addr().unwrap());
        let hold = std::thread::spawn(move || {
            let s = l.incoming().next();
            std::thread::sleep(Duration::from_secs(3));
            drop(s);
        });
        let c = client(&base);
        let ctl = Ctl::new();
        ctl.set_deadline(Some(Instant::now() + Duration::from_millis(500)));
        let t = Instant::now();
        let e = c.post_json("file_stream", "/x", b"{}", &ctl).unwrap_err();
        assert!(gave_up(&e), "{}", e.message);
        assert!(
            t.elapsed() < Duration::from_millis(1500),
            "{:?}",
            t.elapsed()
        );
        hold.join().unwrap();
    }
}

/// One HTTP answer of any status, for callers that decide themselves what a status means
/// (the Weave sender: duplicate ids, `CALLS_COMPLETE_MODE_REQUIRED`, 413 splitting).
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    /// `Retry-After` of a 429/503, if any.
    pub retry_after: Option<Duration>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }
    /// Worth retrying with the same body: 429 and 5xx.
    pub fn retryable(&self) -> bool {
        self.status == 429 || self.status >= 500
    }
    /// The body as (lossy) text, at most `max` characters.
    pub fn text(&self, max: usize) -> String {
        String::from_utf8_lossy(&self.body)
            .chars()
            .take(max)
            .collect()
    }
}

/// A `multipart/form-data` body: text fields, then one file part. Returns the content type
/// (with its boundary) and the body.
pub fn multipart(
    fields: &[(&str, &str)],
    file_field: &str,
    filename: &str,
    file_type: &str,
    data: &[u8],
) -> (String, Vec<u8>) {
    let mut r = [0u8; 12];
    let _ = getrandom::fill(&mut r);
    let boundary: String = std::iter::once("wandbmedia".to_string())
        .chain(r.iter().map(|b| format!("{b:02x}")))
        .collect();
    let quote = |s: &str| s.replace(['"', '\r', '\n'], "_");
    let mut body = Vec::with_capacity(data.len() + 512);
    for (k, v) in fields {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{}\"\r\n\r\n{v}\r\n",
                quote(k)
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{}\"; filename=\"{}\"\r\nContent-Type: {file_type}\r\n\r\n",
            quote(file_field),
            quote(filename)
        )
        .as_bytes(),
    );
    body.extend_from_slice(data);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

impl Client {
    /// The retry backoff bounds (`WANDB_X_RETRY_MIN_SECONDS` / `_MAX_`).
    pub fn retry_bounds(&self) -> (Duration, Duration) {
        (self.retry_min, self.retry_max)
    }

    /// The delay before the next retry after waiting `wait` last time: `Retry-After` when
    /// the server sent one, else `wait` with jitter (as [`Client::post_json`] retries).
    pub fn retry_delay(&self, wait: Duration, answer: Option<&Answer>) -> Duration {
        answer
            .and_then(|a| a.retry_after)
            .unwrap_or_else(|| jitter(wait))
    }

    fn answer(
        &self,
        what: &str,
        r: std::result::Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> Result<Answer> {
        self.attempts.fetch_add(1, Ordering::Relaxed);
        let mut resp = r.map_err(|e| net_err(format!("{what}: {e}")))?;
        let status = resp.status().as_u16();
        let retry_after = retry_after(&resp);
        let body = resp
            .body_mut()
            .with_config()
            .limit(MAX_RESPONSE_BYTES)
            .read_to_vec()
            .map_err(|e| net_err(format!("{what}: reading the response: {e}")))?;
        Ok(Answer {
            status,
            retry_after,
            body,
        })
    }

    /// One `POST <url>` attempt (auth on the base URL's origin only): any HTTP status is `Ok`; `Err` only when no
    /// answer came (connection refused/reset, timeout, TLS). The caller retries.
    pub fn post_once(
        &self,
        what: &str,
        url: &str,
        content_type: &str,
        body: &[u8],
    ) -> Result<Answer> {
        // The same origin rule as `request`: credentials only for the base URL's origin,
        // and nothing but http(s) at all.
        let origin =
            Origin::parse(url).map_err(|e| Error::new(e.kind, format!("{what}: {}", e.message)))?;
        let mut req = self.agent.post(url).header("Content-Type", content_type);
        if origin == self.origin {
            req = req.header("Authorization", &self.auth);
        }
        self.answer(what, req.send(body))
    }

    /// One `GET <url>` attempt with auth (see [`Client::post_once`]).
    pub fn get_once(&self, what: &str, url: &str) -> Result<Answer> {
        let origin =
            Origin::parse(url).map_err(|e| Error::new(e.kind, format!("{what}: {}", e.message)))?;
        let mut req = self.agent.get(url);
        if origin == self.origin {
            req = req.header("Authorization", &self.auth);
        }
        self.answer(what, req.call())
    }
}
