//! Webhooks out: registered endpoints get every event as a signed POST, from a worker
//! thread, so a handler never waits on a receiver.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{channel, Sender};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use serde_json::Value;
use spaps_proto::webhook::sign;

/// Attempts per delivery.
const ATTEMPTS: u32 = 3;

/// One attempt to deliver an event to an endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct WebhookDelivery {
    /// The endpoint.
    pub url: String,
    /// The event's `id`.
    pub event_id: String,
    /// The event's `type`.
    pub event_type: String,
    /// The body sent.
    pub body: String,
    /// The `X-SPAPS-Signature` header sent.
    pub signature: String,
    /// 1 for the first attempt.
    pub attempt: u32,
    /// The receiver's status, or `None` when it could not be reached.
    pub status: Option<u16>,
}

#[derive(Debug, Default)]
pub(crate) struct Dispatcher {
    endpoints: Mutex<Vec<(String, String)>>,
    sender: Mutex<Option<Sender<Job>>>,
    shared: Arc<Shared>,
}

#[derive(Debug, Default)]
struct Shared {
    deliveries: Mutex<Vec<WebhookDelivery>>,
    pending: AtomicUsize,
}

#[derive(Debug)]
struct Job {
    url: String,
    secret: String,
    event: Value,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Dispatcher {
    pub(crate) fn register(&self, url: &str, secret: &str) {
        lock(&self.endpoints).push((url.to_owned(), secret.to_owned()));
    }

    pub(crate) fn deliveries(&self) -> Vec<WebhookDelivery> {
        lock(&self.shared.deliveries).clone()
    }

    pub(crate) fn flush(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while self.shared.pending.load(Ordering::SeqCst) > 0 {
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        true
    }

    /// Queues `events` for every registered endpoint.
    pub(crate) fn send(&self, events: Vec<Value>) {
        if events.is_empty() {
            return;
        }
        let endpoints = lock(&self.endpoints).clone();
        if endpoints.is_empty() {
            return;
        }
        let mut sender = lock(&self.sender);
        let tx = sender.get_or_insert_with(|| {
            let (tx, rx) = channel::<Job>();
            let shared = Arc::clone(&self.shared);
            let spawned = std::thread::Builder::new()
                .name("mock-spaps-webhooks".to_owned())
                .spawn(move || {
                    let agent: ureq::Agent = ureq::Agent::config_builder()
                        .http_status_as_error(false)
                        .max_redirects(0)
                        .timeout_global(Some(Duration::from_secs(5)))
                        .build()
                        .into();
                    for job in rx {
                        deliver(&agent, &shared, &job);
                        shared.pending.fetch_sub(1, Ordering::SeqCst);
                    }
                });
            // Without a worker (the spawn failed) the jobs are never sent.
            drop(spawned);
            tx
        });
        for event in events {
            for (url, secret) in &endpoints {
                self.shared.pending.fetch_add(1, Ordering::SeqCst);
                let job = Job {
                    url: url.clone(),
                    secret: secret.clone(),
                    event: event.clone(),
                };
                if tx.send(job).is_err() {
                    self.shared.pending.fetch_sub(1, Ordering::SeqCst);
                }
            }
        }
    }
}

fn deliver(agent: &ureq::Agent, shared: &Shared, job: &Job) {
    let body = serde_json::to_string(&job.event).unwrap_or_default();
    let text = |k: &str| job.event[k].as_str().unwrap_or_default().to_owned();
    for attempt in 1..=ATTEMPTS {
        let t = time::OffsetDateTime::now_utc().unix_timestamp();
        let signature = sign(&job.secret, t, body.as_bytes());
        let status = agent
            .post(&job.url)
            .header("content-type", "application/json")
            .header("x-spaps-signature", &signature)
            .header("user-agent", "spaps-mock-webhooks")
            .send(body.as_bytes())
            .ok()
            .map(|r| r.status().as_u16());
        lock(&shared.deliveries).push(WebhookDelivery {
            url: job.url.clone(),
            event_id: text("id"),
            event_type: text("type"),
            body: body.clone(),
            signature,
            attempt,
            status,
        });
        if status.is_some_and(|s| (200..300).contains(&s)) {
            return;
        }
        std::thread::sleep(Duration::from_millis(50 * u64::from(attempt)));
    }
}
