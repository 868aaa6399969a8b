//! HTTP for the sender: `ureq` (rustls, no OpenSSL; proxies from the environment as Python's
//! `requests` reads them: `HTTPS_PROXY` for an https base URL, `HTTP_PROXY` for an http one,
//! `ALL_PROXY` as the fallback, `NO_PROXY` hosts bypass it),
//! Basic auth `api:<key>`, retries with exponential backoff + jitter on connection errors,
//! 5xx and 429 (honouring `Retry-After`), bounded by the caller's deadline. A 4xx other than
//! 429 is a permanent error.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;

use crate::error::{Error, ErrorKind, Result};
use crate::json::Json;
use crate::online::Settings;

/// Stop conditions shared between the host thread and the uploader.
#[derive(Debug, Default)]
pub struct Ctl {
    /// Set: give up waiting/retrying at this instant (finish timeout).
    pub deadline: Mutex<Option<Instant>>,
    /// Give up now (host dropping the run without waiting).
    pub abort: AtomicBool,
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

pub struct Client {
    agent: ureq::Agent,
    pub base_url: String,
    auth: String,
    retry_min: Duration,
    retry_max: Duration,
    /// Requests sent (attempts), for tests and diagnostics.
    pub attempts: std::sync::atomic::AtomicU64,
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
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(20)))
            .timeout_global(Some(Duration::from_secs(180)))
            .proxy(proxy_from_env(&s.base_url)?)
            .tls_config(tls_config()?)
            .user_agent(format!("wandb-media/{}", crate::VERSION))
            .build();
        let token = base64::engine::general_purpose::STANDARD.encode(format!("api:{}", s.api_key));
        Ok(Client {
            agent: config.into(),
            base_url: s.base_url.clone(),
            auth: format!("Basic {token}"),
            retry_min: s.retry_min,
            retry_max: s.retry_max,
            attempts: Default::default(),
        })
    }

    /// One request with retries. `send` performs one attempt.
    fn retrying(
        &self,
        what: &str,
        ctl: &Ctl,
        send: &dyn Fn() -> std::result::Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> Result<Vec<u8>> {
        let mut wait = self.retry_min;
        let mut attempt = 0u32;
        loop {
            if ctl.aborted() {
                return Err(net_err(format!("{what}: {GAVE_UP} (aborted)")));
            }
            attempt += 1;
            self.attempts.fetch_add(1, Ordering::Relaxed);
            let (delay, why) = match send() {
                Ok(mut resp) => {
                    let status = resp.status().as_u16();
                    if (200..300).contains(&status) {
                        return resp
                            .body_mut()
                            .with_config()
                            .limit(64 << 20)
                            .read_to_vec()
                            .map_err(|e| net_err(format!("{what}: reading the response: {e}")));
                    }
                    let after = retry_after(&resp);
                    let body = resp.body_mut().read_to_string().unwrap_or_default();
                    if status == 429 || status >= 500 {
                        (
                            after.unwrap_or_else(|| jitter(wait)),
                            format!("HTTP {status}"),
                        )
                    } else {
                        let body: String = body.chars().take(300).collect();
                        return Err(net_err(format!("{what}: HTTP {status}: {body}")));
                    }
                }
                Err(e) => (jitter(wait), e.to_string()),
            };
            if attempt == 1 || attempt.is_multiple_of(10) {
                crate::online::warn(&format!("{what} failed ({why}); retrying in {delay:.1?}"));
            }
            if !ctl.sleep(delay) {
                return Err(net_err(format!("{what}: {GAVE_UP} (last error: {why})")));
            }
            wait = (wait * 2).min(self.retry_max);
        }
    }

    /// `POST <base>/graphql`: returns `data`; GraphQL `errors` are permanent errors.
    pub fn graphql(&self, op: &str, query: &str, variables: Json, ctl: &Ctl) -> Result<Json> {
        let body = Json::object([
            ("query", Json::str(query)),
            ("variables", variables),
            ("operationName", Json::str(op)),
        ])
        .to_compact();
        let url = format!("{}/graphql", self.base_url);
        let bytes = self.retrying(op, ctl, &|| {
            self.agent
                .post(&url)
                .header("Authorization", &self.auth)
                .header("Content-Type", "application/json")
                .send(body.as_bytes())
        })?;
        let text = String::from_utf8_lossy(&bytes);
        let v = Json::parse(&text)
            .map_err(|e| net_err(format!("{op}: bad response: {}", e.message)))?;
        if let Some(Json::Array(errs)) = v.get("errors") {
            if !errs.is_empty() {
                return Err(net_err(format!(
                    "{op}: {}",
                    Json::Array(errs.clone())
                        .to_compact()
                        .chars()
                        .take(400)
                        .collect::<String>()
                )));
            }
        }
        Ok(v.get("data").cloned().unwrap_or(Json::Null))
    }

    /// `POST <base><path>` with a JSON body (file_stream).
    pub fn post_json(&self, what: &str, path: &str, body: &[u8], ctl: &Ctl) -> Result<Vec<u8>> {
        let url = format!("{}{path}", self.base_url);
        self.retrying(what, ctl, &|| {
            self.agent
                .post(&url)
                .header("Authorization", &self.auth)
                .header("Content-Type", "application/json")
                .send(body)
        })
    }

    /// `PUT <url>` of a file's bytes with the server's upload headers (`Name:Value`).
    pub fn put(
        &self,
        what: &str,
        url: &str,
        headers: &[String],
        body: &[u8],
        ctl: &Ctl,
    ) -> Result<()> {
        // Upload URLs on the API host carry our auth; pre-signed storage URLs must not.
        let same_host = url.starts_with(&self.base_url);
        self.retrying(what, ctl, &|| {
            let mut req = self.agent.put(url);
            if same_host {
                req = req.header("Authorization", &self.auth);
            }
            for h in headers {
                if let Some((k, v)) = h.split_once(':') {
                    req = req.header(k.trim(), v.trim());
                }
            }
            req.send(body)
        })
        .map(|_| ())
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
            .limit(64 << 20)
            .read_to_vec()
            .map_err(|e| net_err(format!("{what}: reading the response: {e}")))?;
        Ok(Answer {
            status,
            retry_after,
            body,
        })
    }

    /// One `POST <url>` attempt with auth: any HTTP status is `Ok`; `Err` only when no
    /// answer came (connection refused/reset, timeout, TLS). The caller retries.
    pub fn post_once(
        &self,
        what: &str,
        url: &str,
        content_type: &str,
        body: &[u8],
    ) -> Result<Answer> {
        let r = self
            .agent
            .post(url)
            .header("Authorization", &self.auth)
            .header("Content-Type", content_type)
            .send(body);
        self.answer(what, r)
    }

    /// One `GET <url>` attempt with auth (see [`Client::post_once`]).
    pub fn get_once(&self, what: &str, url: &str) -> Result<Answer> {
        let r = self
            .agent
            .get(url)
            .header("Authorization", &self.auth)
            .call();
        self.answer(what, r)
    }
}
