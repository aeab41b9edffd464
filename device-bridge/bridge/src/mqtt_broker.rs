//! The embedded MQTT broker (rumqttd, MQTT 3.1.1) the bridge starts when no broker is
//! configured, so `make up` works on a bare machine. It has no authentication and keeps
//! sessions in memory only: production deployments point `mqtt.broker` at a real broker.

use anyhow::{Context, Result, bail};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// Starts the broker on `listen` in its own threads and waits until it accepts connections.
pub fn start(listen: &str) -> Result<SocketAddr> {
    let addr: SocketAddr = listen
        .parse()
        .with_context(|| format!("mqtt.embedded_listen {listen:?} is not an IP:port"))?;
    if addr.port() == 0 {
        bail!("mqtt.embedded_listen needs a fixed port (speakers must know where to connect)");
    }
    // Fail early and clearly if the port is taken (rumqttd would only log it).
    std::net::TcpListener::bind(addr)
        .with_context(|| format!("the embedded MQTT broker cannot listen on {addr}"))?;

    let server = rumqttd::ServerSettings {
        name: "v4-embedded".into(),
        listen: addr,
        tls: None,
        next_connection_delay_ms: 1,
        connections: rumqttd::ConnectionSettings {
            connection_timeout_ms: 60_000,
            max_payload_size: 256 * 1024,
            max_inflight_count: 100,
            auth: None,
            external_auth: None,
            dynamic_filters: true,
        },
    };
    let config = rumqttd::Config {
        id: 0,
        router: rumqttd::RouterConfig {
            max_connections: 20_000,
            max_outgoing_packet_count: 200,
            max_segment_size: 10 * 1024 * 1024,
            max_segment_count: 10,
            ..Default::default()
        },
        v4: Some(HashMap::from([("1".to_string(), server)])),
        ..Default::default()
    };
    std::thread::Builder::new()
        .name("mqtt-broker".into())
        .spawn(move || {
            let mut broker = rumqttd::Broker::new(config);
            if let Err(e) = broker.start() {
                tracing::error!(error = %e, "embedded MQTT broker stopped");
            }
        })
        .context("starting the embedded MQTT broker")?;

    // Ready once the address is taken (probing with a connection would make the broker log
    // an aborted MQTT handshake).
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if std::net::TcpListener::bind(addr).is_err() {
            tracing::info!(%addr, "embedded MQTT broker listening (no authentication: keep it on a private address)");
            return Ok(addr);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    bail!("the embedded MQTT broker did not start listening on {addr}")
}
