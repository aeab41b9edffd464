//! The embedded MQTT broker (rumqttd, MQTT 3.1.1) the bridge starts when no broker is
//! configured, so `make up` works on a bare machine. It listens on a loopback port of its own
//! and admits only clients presenting `password` with their client id as user name: the
//! bridge's own client, and speakers passed on by the gate (`mqtt_gate`), which is where
//! speakers connect. Sessions are kept in memory only.

use anyhow::{Context, Result, bail};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// Starts the broker on a free loopback port in its own threads, admitting only `password`,
/// and waits until it accepts connections.
pub fn start(password: &str) -> Result<SocketAddr> {
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .context("no loopback port for the embedded MQTT broker")?;
    let mut connections = rumqttd::ConnectionSettings {
        connection_timeout_ms: 60_000,
        max_payload_size: 256 * 1024,
        max_inflight_count: 100,
        auth: None,
        external_auth: None,
        dynamic_filters: true,
    };
    let expected = password.to_string();
    connections.set_auth_handler(move |client_id: String, user: String, pass: String| {
        let ok = user == client_id && pass == expected;
        async move { ok }
    });

    let server = rumqttd::ServerSettings {
        name: "v4-embedded".into(),
        listen: addr,
        tls: None,
        next_connection_delay_ms: 1,
        connections,
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
            tracing::debug!(%addr, "embedded MQTT broker listening on loopback");
            return Ok(addr);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    bail!("the embedded MQTT broker did not start listening on {addr}")
}
