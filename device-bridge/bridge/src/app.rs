//! Wiring: opens the outbox, starts delivery, the DC-09 receivers, the MQTT link (and embedded
//! broker), supervision, the clock, reminder push and the operations server, then waits for
//! SIGINT/SIGTERM.
//!
//! Prints one line per listener on stdout (`dc09-tcp ADDR`, `dc09-udp ADDR`, `metrics URL`,
//! `mqtt ADDR`) and then `ready`, for scripts and tests; logs go to stderr.

use anyhow::{Context, Result};
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::mpsc;

use crate::config::Settings;
use crate::dc09_server::{self, Receiver};
use crate::delivery::{self, Delivery, HttpClient};
use crate::devices::{Directory, SharedDirectory};
use crate::directory_sync::{self, Cache};
use crate::metrics::{self, Metrics};
use crate::outbox::{self, Outbox};
use crate::supervision::{self, Liveness};
use crate::{clock, mqtt, mqtt_broker, mqtt_gate, reminders};

fn announce(line: String) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

pub async fn run(settings: Settings) -> Result<()> {
    tracing::info!(summary = %settings.summary(), "starting safetynet-bridge {}", env!("CARGO_PKG_VERSION"));
    let metrics = Metrics::new();
    let directory = Arc::new(SharedDirectory::new(Directory::build(&settings.devices)?));

    let (sink_tx, sink_rx) = mpsc::unbounded_channel();
    let (outbox, recovered) = Outbox::open(
        outbox::Settings::from_config(&settings.outbox, settings.dc09.dedupe_window_s),
        metrics.clone(),
        sink_tx,
    )?;
    if recovered.pending > 0 {
        tracing::info!(
            undelivered = recovered.pending,
            "outbox holds undelivered events from before; delivering them first"
        );
    }
    let liveness = Arc::new(Liveness::new(
        &directory.current(),
        &recovered.offline,
        settings.dc09.supervision_grace,
    ));

    let client = HttpClient::new(Duration::from_millis(settings.delivery.timeout_ms));
    let sync = if settings.directory.refresh_s > 0 {
        let sync = directory_sync::Sync {
            client: client.clone(),
            url: settings.suite_url("/api/v1/device-directory"),
            token: settings.suite.clock_token.clone(),
            interval: Duration::from_secs(settings.directory.refresh_s),
            cache: settings.directory.cache.clone().map(|path| Cache {
                path,
                key: std::env::var(crate::config::BRIDGE_KEY_ENV).unwrap_or_default(),
            }),
            directory: directory.clone(),
            liveness: liveness.clone(),
        };
        // The copy first, so alarms are taken even if the suite does not answer now.
        match sync.load_cache() {
            Ok(Some(n)) => tracing::info!(devices = n, "device directory read from its cache"),
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %format!("{e:#}"), "device directory cache unusable"),
        }
        match sync.refresh().await {
            Ok(n) => tracing::info!(devices = n, "device directory fetched from the suite"),
            Err(e) => {
                tracing::warn!(error = %format!("{e:#}"), "device directory not fetched; retrying every refresh")
            }
        }
        Some(sync)
    } else {
        None
    };
    if directory.current().is_empty() {
        tracing::warn!(
            "the device table is empty: every device message will be refused (see --print-example-config)"
        );
    }
    let delivery = Delivery::new(
        client.clone(),
        delivery::Settings {
            url: settings.suite_url("/api/v1/device-events"),
            concurrency: settings.delivery.concurrency,
            initial_backoff: Duration::from_millis(settings.delivery.initial_backoff_ms),
            max_backoff: Duration::from_millis(settings.delivery.max_backoff_ms),
        },
        directory.clone(),
        outbox.clone(),
        metrics.clone(),
    );
    tokio::spawn(delivery.run(sink_rx));

    if !settings.metrics.listen.is_empty() {
        let l = TcpListener::bind(&settings.metrics.listen)
            .await
            .with_context(|| format!("metrics.listen {}", settings.metrics.listen))?;
        announce(format!("metrics http://{}", l.local_addr()?));
        tokio::spawn(metrics::serve(l, metrics.clone()));
    }

    let receiver = Arc::new(Receiver::new(
        directory.clone(),
        outbox.clone(),
        metrics.clone(),
        liveness.clone(),
        settings.dc09.forward_heartbeats,
    ));
    if !settings.dc09.tcp_listen.is_empty() {
        let l = TcpListener::bind(&settings.dc09.tcp_listen)
            .await
            .with_context(|| format!("dc09.tcp_listen {}", settings.dc09.tcp_listen))?;
        announce(format!("dc09-tcp {}", l.local_addr()?));
        tokio::spawn(dc09_server::serve_tcp(
            l,
            receiver.clone(),
            Duration::from_secs(settings.dc09.idle_timeout_s.max(1)),
        ));
    }
    if !settings.dc09.udp_listen.is_empty() {
        let s = UdpSocket::bind(&settings.dc09.udp_listen)
            .await
            .with_context(|| format!("dc09.udp_listen {}", settings.dc09.udp_listen))?;
        announce(format!("dc09-udp {}", s.local_addr()?));
        tokio::spawn(dc09_server::serve_udp(Arc::new(s), receiver.clone()));
    }
    tokio::spawn(supervision::run(
        liveness.clone(),
        outbox.clone(),
        metrics.clone(),
    ));

    let token = settings.suite.clock_token.clone();
    let commands = if settings.mqtt.enabled {
        let mut login = (
            settings.mqtt.username.clone(),
            settings.mqtt.password.clone(),
        );
        let mut tls_client = None;
        let (host, port) = if settings.mqtt.broker.is_empty() {
            // Speakers reach the embedded broker only through the gate; the bridge's own client
            // signs in to it with the same random password the gate uses.
            let password = format!("internal-{}", safetynet_wire::ids::random_hex(24));
            let broker = mqtt_broker::start(&password)?;
            let tls = match (&settings.mqtt.tls_cert, &settings.mqtt.tls_key) {
                (Some(c), Some(k)) => Some(mqtt_gate::tls_acceptor(c, k)?),
                _ => None,
            };
            let listener = TcpListener::bind(&settings.mqtt.embedded_listen)
                .await
                .with_context(|| {
                    format!("mqtt.embedded_listen {}", settings.mqtt.embedded_listen)
                })?;
            let secure = if tls.is_some() {
                "tls"
            } else {
                "plain, loopback only"
            };
            announce(format!(
                "mqtt {} (embedded, {secure})",
                listener.local_addr()?
            ));
            tokio::spawn(mqtt_gate::serve(
                listener,
                Arc::new(mqtt_gate::Gate {
                    directory: directory.clone(),
                    prefix: settings.mqtt.topic_prefix.trim_end_matches('/').to_string(),
                    broker,
                    internal_password: password.clone(),
                    tls,
                    metrics: metrics.clone(),
                }),
            ));
            login = (Some(settings.mqtt.client_id.clone()), Some(password));
            (broker.ip().to_string(), broker.port())
        } else {
            let b = mqtt::parse_broker(&settings.mqtt.broker)?;
            if b.tls {
                let ca = settings.mqtt.ca_file.as_deref().unwrap_or_default();
                tls_client = Some(mqtt::tls_client(ca)?);
            }
            announce(format!(
                "mqtt {}:{}{}",
                b.host,
                b.port,
                if b.tls { " (tls)" } else { "" }
            ));
            (b.host, b.port)
        };
        let sender = mqtt::start(
            mqtt::Settings {
                host,
                port,
                tls: tls_client,
                client_id: settings.mqtt.client_id.clone(),
                username: login.0,
                password: login.1,
                keep_alive: Duration::from_secs(settings.mqtt.keep_alive_s.max(5)),
                topic_prefix: settings.mqtt.topic_prefix.clone(),
            },
            mqtt::Link {
                directory: directory.clone(),
                outbox: outbox.clone(),
                metrics: metrics.clone(),
                liveness: liveness.clone(),
            },
        );
        if !recovered.commands.is_empty() {
            tracing::info!(
                commands = recovered.commands.len(),
                "republishing commands the broker had not acknowledged"
            );
            let s = sender.clone();
            let cmds = recovered.commands;
            tokio::spawn(async move {
                for c in cmds {
                    if s.send(c).await.is_err() {
                        break;
                    }
                }
            });
        }
        Some(sender)
    } else {
        None
    };

    if settings.clock.interval_s > 0 && !token.is_empty() {
        let routes: Vec<String> = settings
            .clock
            .routes
            .iter()
            .map(|r| settings.suite_url(r))
            .collect();
        tokio::spawn(clock::run(
            client.clone(),
            routes,
            token.clone(),
            Duration::from_secs(settings.clock.interval_s),
            metrics.clone(),
        ));
        tracing::info!(interval_s = settings.clock.interval_s, routes = %settings.clock.routes.join(","), "clock on");
    } else {
        tracing::info!("clock off (interval 0 or no clock token)");
    }

    match (settings.feed_url(), &commands) {
        (Some(url), Some(cmds)) => {
            if token.is_empty() {
                tracing::warn!(
                    "reminders.feed_url is set but suite.clock_token is empty: polling without a token"
                );
            }
            tokio::spawn(
                reminders::Poller {
                    client: client.clone(),
                    url,
                    token: token.clone(),
                    batch: settings.reminders.batch,
                    interval: Duration::from_secs(settings.reminders.poll_interval_s),
                    directory: directory.clone(),
                    outbox: outbox.clone(),
                    commands: cmds.clone(),
                    metrics: metrics.clone(),
                }
                .run(),
            );
        }
        (Some(_), None) => {
            tracing::warn!("reminders.feed_url is set but MQTT is off: reminder push disabled")
        }
        _ => {}
    }

    if let Some(sync) = sync {
        tokio::spawn(sync.run());
    }
    announce("ready".into());
    tracing::info!(devices = directory.current().len(), "bridge ready");
    shutdown_signal().await;
    tracing::info!("stopping: finishing outbox writes");
    outbox.shutdown().await;
    Ok(())
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
