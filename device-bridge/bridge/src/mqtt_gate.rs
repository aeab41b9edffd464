//! The speakers' door to the embedded broker.
//!
//! rumqttd checks nothing per topic and cannot tell a subscriber who published a message, so
//! speakers never reach it directly. They connect here (over TLS when a certificate is set),
//! sign in as their own device — user name = the id in their topics, password = the device's
//! secret — and every packet they send is checked against their own topics before it is passed
//! on: they may publish only to `{prefix}/{id}/events` and `{prefix}/{id}/status` (their last
//! will included) and subscribe only to `{prefix}/{id}/commands`. Anything else closes the
//! connection and is counted. The broker itself listens on loopback and admits only connections
//! that present this process's random internal password, which only the gate and the bridge's
//! own client know.

use bytes::BytesMut;
use rumqttc::mqttbytes::v4::{ConnAck, ConnectReturnCode, Login, Packet};
use rumqttc::mqttbytes::{self, check};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;

use crate::devices::SharedDirectory;
use crate::metrics::Metrics;

/// Time a speaker has for the TLS handshake and its CONNECT.
const HANDSHAKE: Duration = Duration::from_secs(10);
/// Largest packet a speaker may send (as the broker allows).
const MAX_PACKET: usize = 256 * 1024;

/// What the gate checks speakers against, and where it passes them on to.
pub struct Gate {
    /// The devices that may sign in.
    pub directory: Arc<SharedDirectory>,
    /// `mqtt.topic_prefix`, without a trailing slash.
    pub prefix: String,
    /// The embedded broker, on loopback.
    pub broker: SocketAddr,
    /// What the broker requires as password.
    pub internal_password: String,
    /// TLS for speakers, when configured.
    pub tls: Option<TlsAcceptor>,
    /// Where refusals are counted.
    pub metrics: Arc<Metrics>,
}

/// Why a speaker's connection was refused or closed (the `reason` label).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No TLS handshake, or a failed one, in time.
    Tls,
    /// Bytes that are not MQTT 3.1.1, or no CONNECT in time.
    Malformed,
    /// No credentials, an unknown device, or the wrong password.
    BadCredentials,
    /// A last will on a topic other than the speaker's own status.
    WillTopic,
    /// A publish or subscription outside the speaker's own topics.
    TopicMismatch,
    /// The broker behind the gate could not be reached.
    BrokerUnreachable,
}

impl Refusal {
    /// The metric label.
    pub fn as_str(self) -> &'static str {
        match self {
            Refusal::Tls => "tls",
            Refusal::Malformed => "malformed",
            Refusal::BadCredentials => "bad-credentials",
            Refusal::WillTopic => "will-topic",
            Refusal::TopicMismatch => "topic-mismatch",
            Refusal::BrokerUnreachable => "broker-unreachable",
        }
    }
}

/// Accepts speakers on `listener` for as long as the task runs.
pub async fn serve(listener: TcpListener, gate: Arc<Gate>) {
    loop {
        let (tcp, peer) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "MQTT gate: accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let gate = gate.clone();
        // Each connection in its own task: a slow handshake holds up nobody else.
        tokio::spawn(async move {
            if let Err(r) = gate.connection(tcp).await {
                gate.metrics.inc(
                    "safetynet_bridge_mqtt_rejected_total",
                    &[("reason", r.as_str())],
                );
                tracing::info!(%peer, reason = r.as_str(), "MQTT gate refused a speaker connection");
            }
        });
    }
}

impl Gate {
    async fn connection(&self, tcp: TcpStream) -> Result<(), Refusal> {
        let _ = tcp.set_nodelay(true);
        match &self.tls {
            Some(acceptor) => {
                let tls = tokio::time::timeout(HANDSHAKE, acceptor.accept(tcp))
                    .await
                    .map_err(|_| Refusal::Tls)?
                    .map_err(|_| Refusal::Tls)?;
                self.speaker(tls).await
            }
            None => self.speaker(tcp).await,
        }
    }

    /// The topics device `id` may publish to, and the one it may subscribe to.
    fn own_topics(&self, id: &str) -> ([String; 2], String) {
        let base = format!("{}/{id}", self.prefix);
        (
            [format!("{base}/events"), format!("{base}/status")],
            format!("{base}/commands"),
        )
    }

    async fn speaker<S: AsyncRead + AsyncWrite + Unpin>(
        &self,
        mut speaker: S,
    ) -> Result<(), Refusal> {
        let mut buf = BytesMut::with_capacity(4096);
        let (_, first) = tokio::time::timeout(HANDSHAKE, read_packet(&mut speaker, &mut buf))
            .await
            .map_err(|_| Refusal::Malformed)??;
        let Packet::Connect(mut connect) = first else {
            return Err(Refusal::Malformed);
        };
        let login = connect.login.take();
        let device = login.as_ref().and_then(|l| {
            self.directory
                .current()
                .by_mqtt(&l.username)
                .filter(|d| same_secret(&d.secret, &l.password))
                .cloned()
        });
        let Some(device) = device else {
            refuse(&mut speaker, ConnectReturnCode::BadUserNamePassword).await;
            return Err(Refusal::BadCredentials);
        };
        let id = device.mqtt_id.clone();
        let (publish_to, subscribe_to) = self.own_topics(&id);
        if connect
            .last_will
            .as_ref()
            .is_some_and(|w| w.topic != publish_to[1])
        {
            refuse(&mut speaker, ConnectReturnCode::NotAuthorized).await;
            return Err(Refusal::WillTopic);
        }
        // One session per device, whatever client id the speaker chose, and never one that
        // could take over the bridge's own session.
        connect.client_id = format!("speaker.{id}");
        connect.login = Some(Login::new(
            connect.client_id.clone(),
            self.internal_password.clone(),
        ));
        let mut broker = TcpStream::connect(self.broker)
            .await
            .map_err(|_| Refusal::BrokerUnreachable)?;
        let _ = broker.set_nodelay(true);
        let mut out = BytesMut::new();
        connect.write(&mut out).map_err(|_| Refusal::Malformed)?;
        broker
            .write_all(&out)
            .await
            .map_err(|_| Refusal::BrokerUnreachable)?;
        tracing::debug!(device_id = %device.id, "speaker signed in to the MQTT gate");

        let (mut from_broker, mut to_broker) = broker.into_split();
        let (mut from_speaker, mut to_speaker) = tokio::io::split(speaker);
        let down = tokio::io::copy(&mut from_broker, &mut to_speaker);
        let up = async {
            loop {
                let (raw, packet) = match read_packet(&mut from_speaker, &mut buf).await {
                    Ok(p) => p,
                    Err(Refusal::Malformed) if buf.is_empty() => return Ok(()), // closed
                    Err(r) => return Err(r),
                };
                let allowed = match &packet {
                    Packet::Publish(p) => publish_to.contains(&p.topic),
                    Packet::Subscribe(s) => s.filters.iter().all(|f| f.path == subscribe_to),
                    Packet::Unsubscribe(_)
                    | Packet::PubAck(_)
                    | Packet::PubRec(_)
                    | Packet::PubRel(_)
                    | Packet::PubComp(_)
                    | Packet::PingReq
                    | Packet::Disconnect => true,
                    _ => false,
                };
                if !allowed {
                    return Err(Refusal::TopicMismatch);
                }
                if to_broker.write_all(&raw).await.is_err() {
                    return Ok(());
                }
            }
        };
        tokio::select! {
            _ = down => Ok(()),
            r = up => r,
        }
    }
}

/// Reads one whole packet: its bytes as sent, and what they say. `Malformed` at the end of the
/// stream too (with `buf` empty when it ended cleanly between packets).
async fn read_packet<S: AsyncRead + Unpin>(
    s: &mut S,
    buf: &mut BytesMut,
) -> Result<(BytesMut, Packet), Refusal> {
    loop {
        match check(buf.iter(), MAX_PACKET) {
            Ok(header) => {
                let raw = buf.split_to(header.frame_length());
                let packet =
                    Packet::read(&mut raw.clone(), MAX_PACKET).map_err(|_| Refusal::Malformed)?;
                return Ok((raw, packet));
            }
            Err(mqttbytes::Error::InsufficientBytes(_)) => {
                if s.read_buf(buf).await.map_err(|_| Refusal::Malformed)? == 0 {
                    return Err(Refusal::Malformed);
                }
            }
            Err(_) => return Err(Refusal::Malformed),
        }
    }
}

async fn refuse<S: AsyncWrite + Unpin>(s: &mut S, code: ConnectReturnCode) {
    let mut out = BytesMut::new();
    if ConnAck::new(code, false).write(&mut out).is_ok() {
        let _ = s.write_all(&out).await;
        let _ = s.flush().await;
    }
    let _ = s.shutdown().await;
}

/// Compares secrets in time that does not depend on where they differ.
fn same_secret(a: &str, b: &str) -> bool {
    use sha2::{Digest, Sha256};
    Sha256::digest(a.as_bytes()) == Sha256::digest(b.as_bytes())
}

/// TLS for speakers from a PEM certificate chain and private key.
pub fn tls_acceptor(cert_path: &str, key_path: &str) -> anyhow::Result<TlsAcceptor> {
    use anyhow::Context;
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs = CertificateDer::pem_file_iter(cert_path)
        .with_context(|| format!("mqtt.tls_cert {cert_path}"))?
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("mqtt.tls_cert {cert_path}"))?;
    let key = PrivateKeyDer::from_pem_file(key_path)
        .with_context(|| format!("mqtt.tls_key {key_path}"))?;
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .context("mqtt.tls_cert and mqtt.tls_key do not make a TLS identity")?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// A self-signed certificate and key (PEM) for `hosts` (names or IP addresses), for a
/// deployment without a certificate authority; speakers are given the certificate to trust.
pub fn self_signed(hosts: &[String]) -> anyhow::Result<(String, String)> {
    let key = rcgen::KeyPair::generate()?;
    let params = rcgen::CertificateParams::new(hosts.to_vec())?;
    let cert = params.self_signed(&key)?;
    Ok((cert.pem(), key.serialize_pem()))
}
