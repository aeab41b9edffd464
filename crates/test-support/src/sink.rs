//! A local HTTP endpoint standing in for 119 dispatch or the SMS gateway.

use std::net::ToSocketAddrs;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Why a sink could not listen (tiny_http's error, shown as it words it).
pub type Error = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What a sink answers every request with (the suite reads only the status).
const ANSWER: &str = "{\"ok\":true}";

/// One request received by a [`Sink`].
#[derive(Debug, Clone)]
pub struct Received {
    /// When it arrived (before its body was read).
    pub at: Instant,
    /// `POST`, `GET`, ...
    pub method: String,
    /// The path and query, as sent (`/dispatch`).
    pub path: String,
    /// Every header, in the order sent.
    pub headers: Vec<(String, String)>,
    /// The body as text (empty if it was not UTF-8).
    pub body: String,
}

impl Received {
    /// The first header called `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Called with each request as it arrives (see [`Sink::serve`]).
type OnRequest = Box<dyn FnMut(&Received) + Send>;

/// A local HTTP server standing in for 119 dispatch or the SMS gateway. It records every
/// request and answers `{"ok":true}` with the status currently set (200 at first), after the
/// delay currently set (none at first), each answer on a thread of its own as a real gateway
/// serves many senders at once: a slow answer to one does not hold up the next. It stops
/// listening when dropped.
pub struct Sink {
    /// `http://IP:PORT`, to build the URLs the suite is given.
    pub origin: String,
    received: Arc<Mutex<Vec<Received>>>,
    status: Arc<AtomicU16>,
    delay: Arc<Mutex<Duration>>,
    server: Arc<tiny_http::Server>,
    thread: Option<JoinHandle<()>>,
}

impl Sink {
    /// A sink on an ephemeral 127.0.0.1 port; panics if it cannot listen.
    pub fn start() -> Sink {
        Self::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("a sink on 127.0.0.1:0: {e}"))
    }

    /// A sink listening on `addr` that records every request (see [`Sink::received`]).
    pub fn bind(addr: impl ToSocketAddrs) -> Result<Sink, Error> {
        Self::listen(addr, None)
    }

    /// A sink listening on `addr` that hands each request to `on_request` as it arrives (before
    /// answering it) instead of keeping it, for a sink that runs for long.
    pub fn serve(
        addr: impl ToSocketAddrs,
        on_request: impl FnMut(&Received) + Send + 'static,
    ) -> Result<Sink, Error> {
        Self::listen(addr, Some(Box::new(on_request)))
    }

    fn listen(addr: impl ToSocketAddrs, mut on_request: Option<OnRequest>) -> Result<Sink, Error> {
        let server = Arc::new(tiny_http::Server::http(addr)?);
        let origin = format!(
            "http://{}",
            server
                .server_addr()
                .to_ip()
                .expect("tiny_http::Server::http listens on an IP address")
        );
        let received = Arc::new(Mutex::new(Vec::new()));
        let status = Arc::new(AtomicU16::new(200));
        let delay = Arc::new(Mutex::new(Duration::ZERO));
        let (s, r, st, d) = (
            server.clone(),
            received.clone(),
            status.clone(),
            delay.clone(),
        );
        let thread = std::thread::spawn(move || {
            for mut req in s.incoming_requests() {
                let at = Instant::now();
                let mut body = String::new();
                let _ = req.as_reader().read_to_string(&mut body);
                let rec = Received {
                    at,
                    method: req.method().to_string(),
                    path: req.url().to_string(),
                    headers: req
                        .headers()
                        .iter()
                        .map(|h| (h.field.to_string(), h.value.to_string()))
                        .collect(),
                    body,
                };
                match on_request.as_mut() {
                    Some(hand_on) => hand_on(&rec),
                    None => r.lock().unwrap().push(rec),
                }
                let code = st.load(Ordering::SeqCst);
                let wait = *d.lock().unwrap();
                std::thread::spawn(move || {
                    std::thread::sleep(wait);
                    let _ = req
                        .respond(tiny_http::Response::from_string(ANSWER).with_status_code(code));
                });
            }
        });
        Ok(Sink {
            origin,
            received,
            status,
            delay,
            server,
            thread: Some(thread),
        })
    }

    /// Answers later requests with `code` (e.g. 503 to make the suite retry).
    pub fn set_status(&self, code: u16) {
        self.status.store(code, Ordering::SeqCst);
    }

    /// Answers each later request only after `delay` (a slow receiver: the request is recorded
    /// on arrival).
    pub fn set_delay(&self, delay: Duration) {
        *self.delay.lock().unwrap() = delay;
    }

    /// Every request recorded so far, in arrival order.
    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// How many recorded requests satisfy `pred`, counted without copying them (`pred` runs
    /// while the sink waits to record the next request).
    pub fn count(&self, pred: impl Fn(&Received) -> bool) -> usize {
        self.received
            .lock()
            .unwrap()
            .iter()
            .filter(|r| pred(r))
            .count()
    }

    /// Waits until `pred` holds for the recorded requests, or `timeout` passes; returns them.
    pub fn wait_for(&self, timeout: Duration, pred: impl Fn(&[Received]) -> bool) -> Vec<Received> {
        let deadline = Instant::now() + timeout;
        loop {
            let got = self.received();
            if pred(&got) || Instant::now() > deadline {
                return got;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Serves until the sink's server stops (in practice, until the process ends): for a
    /// command whose only work is the sink.
    pub fn run_forever(mut self) {
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        self.server.unblock();
    }
}

/// The suite's variables (`NAME=VALUE`, for `--variable`) that send 119 dispatches to
/// `dispatch` and SMS to `sms`: `dispatch_url`, `dispatch_origin`, `sms_url`, `sms_origin`. One
/// sink may stand in for both.
pub fn suite_variables(dispatch: &Sink, sms: &Sink) -> [String; 4] {
    [
        format!("dispatch_url={}/dispatch", dispatch.origin),
        format!("dispatch_origin={}", dispatch.origin),
        format!("sms_url={}/sms", sms.origin),
        format!("sms_origin={}", sms.origin),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::TcpStream;

    /// Sends one HTTP/1.1 request and returns the status line.
    fn send(origin: &str, path: &str, headers: &str, body: &str) -> String {
        let mut s = TcpStream::connect(origin.trim_start_matches("http://")).unwrap();
        write!(
            s,
            "POST {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: {}\r\n{headers}\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        assert!(out.ends_with(ANSWER), "{out}");
        out.lines().next().unwrap().to_string()
    }

    #[test]
    fn records_requests_and_answers_with_the_status_set() {
        let sink = Sink::start();
        assert!(sink.origin.starts_with("http://127.0.0.1:"));
        let first = send(
            &sink.origin,
            "/dispatch",
            "Idempotency-Key: k1\r\n",
            "{\"a\":1}",
        );
        assert!(first.contains(" 200 "), "{first}");
        sink.set_status(503);
        let second = send(&sink.origin, "/sms", "", "");
        assert!(second.contains(" 503 "), "{second}");
        let got = sink.wait_for(Duration::from_secs(5), |r| r.len() >= 2);
        assert_eq!(got.len(), 2);
        assert_eq!(
            (got[0].method.as_str(), got[0].path.as_str()),
            ("POST", "/dispatch")
        );
        assert_eq!(got[0].header("idempotency-key"), Some("k1"));
        assert_eq!(got[0].body, "{\"a\":1}");
        assert!(got[0].at <= got[1].at);
        assert_eq!(sink.count(|r| r.path == "/sms"), 1);
    }

    #[test]
    fn a_serving_sink_hands_requests_on_instead_of_keeping_them() {
        let (tx, rx) = std::sync::mpsc::channel();
        let sink = Sink::serve("127.0.0.1:0", move |r| {
            let _ = tx.send(r.path.clone());
        })
        .unwrap();
        send(&sink.origin, "/dispatch", "", "");
        assert_eq!(
            rx.recv_timeout(Duration::from_secs(5)).unwrap(),
            "/dispatch"
        );
        assert!(sink.received().is_empty());
    }

    #[test]
    fn a_slow_answer_holds_up_no_other() {
        let sink = Sink::start();
        sink.set_delay(Duration::from_secs(2));
        let origin = sink.origin.clone();
        let slow = std::thread::spawn(move || send(&origin, "/slow", "", ""));
        sink.wait_for(Duration::from_secs(5), |r| !r.is_empty());
        sink.set_delay(Duration::ZERO);
        let started = Instant::now();
        send(&sink.origin, "/fast", "", "");
        assert!(started.elapsed() < Duration::from_secs(1));
        slow.join().unwrap();
    }

    #[test]
    fn variables_point_the_suite_at_the_sinks() {
        let (a, b) = (Sink::start(), Sink::start());
        let v = suite_variables(&a, &b);
        assert_eq!(v[0], format!("dispatch_url={}/dispatch", a.origin));
        assert_eq!(v[3], format!("sms_origin={}", b.origin));
    }

    #[test]
    fn a_taken_address_is_an_error() {
        let sink = Sink::start();
        let addr = sink.origin.trim_start_matches("http://").to_string();
        assert!(Sink::bind(addr.as_str()).is_err());
    }
}
