//! Configuration: one TOML file (`--config`), overridden by environment variables and flags.
//!
//! Every setting except the device table has a flag and an environment variable
//! (`safetynet-bridge --help` lists them all with their defaults). Precedence: flag >
//! environment > file > built-in default. The device table (webhook secrets, DC-09 accounts and
//! AES keys, MQTT ids) lives only in the file, which should be readable by the bridge's user
//! only. `--print-example-config` prints a commented file to start from.

pub use crate::devices::DeviceEntry;
use crate::devices::redacted;
use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::{Path, PathBuf};

/// The example configuration shipped with the binary.
pub const EXAMPLE: &str = include_str!("../bridge.example.toml");

const ABOUT: &str = "Safety Net device bridge: receives SIA DC-09 alarm frames (TCP/UDP) and MQTT \
speaker events, stores each one durably before answering the device, and delivers it to the \
suite's signed webhook (POST /api/v1/device-events) however long the suite is away. It also \
pushes due reminders to speakers and calls the suite's tick.";

const AFTER_HELP: &str = "Configuration: a TOML file (--config) holds every option below plus \
the device table ([[devices]]: device_id, secret, dc09_account, dc09_key, supervision_s, \
mqtt_id). A device's webhook secret is shown once by the suite when the device is registered \
(POST /api/v1/residents/{id}/devices); the operator copies it into the bridge's device table. \
Flags override environment variables, which override the file. Start from \
`safetynet-bridge --print-example-config`.";

#[derive(Parser, Debug)]
#[command(name = "safetynet-bridge", version, about = ABOUT, after_help = AFTER_HELP)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Cli {
    /// TOML configuration file. Without one the bridge runs with built-in defaults and no
    /// devices (every device message is refused).
    #[arg(
        long,
        short = 'c',
        env = "SAFETYNET_BRIDGE_CONFIG",
        value_name = "FILE"
    )]
    pub config: Option<PathBuf>,
    /// Print a commented example configuration file and exit.
    #[arg(long)]
    pub print_example_config: bool,
    /// Check the configuration (file, overrides, devices, keys), print a summary without
    /// secrets, and exit.
    #[arg(long)]
    pub check: bool,
    #[command(flatten)]
    pub overrides: Overrides,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Send one DC-09 frame to a receiver (this bridge or any other) and print the reply:
    /// an installation test, like `safetynet-cli send-event` for HTTP devices.
    SendDc09(crate::send_dc09::SendDc09Args),
    /// Write a self-signed TLS certificate and key (PEM) for the embedded broker's speaker
    /// listener (mqtt.tls_cert, mqtt.tls_key); give speakers the certificate to trust.
    TlsCert(TlsCertArgs),
    /// Write a mosquitto password file and ACL from this configuration's device table (each
    /// speaker: user = its mqtt_id, password = its secret, its own topics only) and print the
    /// mosquitto.conf lines that use them.
    MosquittoAuth(MosquittoAuthArgs),
}

/// `mosquitto-auth`: which configuration, and where to write.
#[derive(Args, Debug)]
pub struct MosquittoAuthArgs {
    /// The bridge's configuration file (its devices and mqtt.username/password).
    #[arg(long, value_name = "FILE")]
    pub config: std::path::PathBuf,
    /// Password file to write (mode 0600).
    #[arg(long, value_name = "FILE")]
    pub passwd: std::path::PathBuf,
    /// ACL file to write.
    #[arg(long, value_name = "FILE")]
    pub acl: std::path::PathBuf,
}

/// `tls-cert`: where and for which names.
#[derive(Args, Debug)]
pub struct TlsCertArgs {
    /// Host names or IP addresses speakers connect to.
    #[arg(long = "host", required = true)]
    pub hosts: Vec<String>,
    /// Certificate file to write.
    #[arg(long, value_name = "PEM")]
    pub cert: std::path::PathBuf,
    /// Private key file to write (mode 0600).
    #[arg(long, value_name = "PEM")]
    pub key: std::path::PathBuf,
}

/// Settings given as flags or environment variables; `None` leaves the file's value.
/// Field names match the file's keys so they merge table by table.
#[derive(Args, Serialize, Debug, Default)]
pub struct Overrides {
    #[command(flatten)]
    pub suite: SuiteArgs,
    #[command(flatten)]
    pub outbox: OutboxArgs,
    #[command(flatten)]
    pub delivery: DeliveryArgs,
    #[command(flatten)]
    pub dc09: Dc09Args,
    #[command(flatten)]
    pub mqtt: MqttArgs,
    #[command(flatten)]
    pub clock: ClockArgs,
    #[command(flatten)]
    pub directory: DirectoryArgs,
    #[command(flatten)]
    pub reminders: RemindersArgs,
    #[command(flatten)]
    pub metrics: MetricsArgs,
    #[command(flatten)]
    pub log: LogArgs,
}

#[derive(Args, Serialize, Debug, Default)]
#[command(next_help_heading = "Suite [suite]")]
pub struct SuiteArgs {
    /// Base URL of the Safety Net suite; events go to URL/api/v1/device-events.
    /// [file: suite.url] [default: http://127.0.0.1:3000]
    #[arg(
        long = "suite-url",
        env = "SAFETYNET_BRIDGE_SUITE_URL",
        value_name = "URL"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Bearer token with role `clock` (or admin), used for the tick and the reminder feed.
    /// Empty: neither runs. [file: suite.clock_token] [default: empty]
    #[arg(
        long = "clock-token",
        env = "SAFETYNET_BRIDGE_CLOCK_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clock_token: Option<String>,
}

#[derive(Args, Serialize, Debug, Default)]
#[command(next_help_heading = "Durable outbox [outbox]")]
pub struct OutboxArgs {
    /// SQLite file (WAL, synchronous=FULL) holding every accepted event until the suite has
    /// it. Relative paths are relative to the working directory.
    /// [file: outbox.path] [default: bridge-outbox.db]
    #[arg(
        long = "outbox-path",
        env = "SAFETYNET_BRIDGE_OUTBOX_PATH",
        value_name = "FILE"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<PathBuf>,
    /// Disk budget in bytes. Past it, non-urgent events (heartbeats, activity…) are refused
    /// (NAK / no PUBACK, so devices retry later); emergencies are still taken while the disk
    /// allows. [file: outbox.max_bytes] [default: 1073741824 (1 GiB)]
    #[arg(
        long = "outbox-max-bytes",
        env = "SAFETYNET_BRIDGE_OUTBOX_MAX_BYTES",
        value_name = "BYTES"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_bytes: Option<u64>,
    /// Fraction of the budget at which the bridge starts warning loudly (every minute).
    /// [file: outbox.warn_ratio] [default: 0.8]
    #[arg(
        long = "outbox-warn-ratio",
        env = "SAFETYNET_BRIDGE_OUTBOX_WARN_RATIO",
        value_name = "RATIO"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warn_ratio: Option<f64>,
    /// How long delivered events are kept (to recognise retransmitted frames) before pruning.
    /// [file: outbox.keep_delivered_s] [default: 3600]
    #[arg(
        long = "outbox-keep-delivered-secs",
        env = "SAFETYNET_BRIDGE_OUTBOX_KEEP_DELIVERED_SECS",
        value_name = "SECS"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keep_delivered_s: Option<u64>,
}

#[derive(Args, Serialize, Debug, Default)]
#[command(next_help_heading = "Delivery to the webhook [delivery]")]
pub struct DeliveryArgs {
    /// Most webhook requests in flight at once (events of one device are always sent one at a
    /// time, in order). [file: delivery.concurrency] [default: 16]
    #[arg(
        long = "delivery-concurrency",
        env = "SAFETYNET_BRIDGE_DELIVERY_CONCURRENCY",
        value_name = "N"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub concurrency: Option<usize>,
    /// Timeout of one webhook request. [file: delivery.timeout_ms] [default: 10000]
    #[arg(
        long = "delivery-timeout-ms",
        env = "SAFETYNET_BRIDGE_DELIVERY_TIMEOUT_MS",
        value_name = "MS"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u64>,
    /// First retry delay; doubles per failure, with jitter. [file: delivery.initial_backoff_ms]
    /// [default: 500]
    #[arg(
        long = "delivery-initial-backoff-ms",
        env = "SAFETYNET_BRIDGE_DELIVERY_INITIAL_BACKOFF_MS",
        value_name = "MS"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub initial_backoff_ms: Option<u64>,
    /// Longest retry delay. [file: delivery.max_backoff_ms] [default: 30000]
    #[arg(
        long = "delivery-max-backoff-ms",
        env = "SAFETYNET_BRIDGE_DELIVERY_MAX_BACKOFF_MS",
        value_name = "MS"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_backoff_ms: Option<u64>,
}

#[derive(Args, Serialize, Debug, Default)]
#[command(next_help_heading = "SIA DC-09 receiver [dc09]")]
pub struct Dc09Args {
    /// TCP address the DC-09 receiver listens on; empty turns TCP off.
    /// [file: dc09.tcp_listen] [default: 0.0.0.0:12000]
    #[arg(
        long = "dc09-tcp",
        env = "SAFETYNET_BRIDGE_DC09_TCP",
        value_name = "ADDR"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tcp_listen: Option<String>,
    /// UDP address the DC-09 receiver listens on; empty turns UDP off.
    /// [file: dc09.udp_listen] [default: 0.0.0.0:12000]
    #[arg(
        long = "dc09-udp",
        env = "SAFETYNET_BRIDGE_DC09_UDP",
        value_name = "ADDR"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub udp_listen: Option<String>,
    /// Forward NULL (link test) messages to the suite as `heartbeat` events (they always count
    /// for supervision). [file: dc09.forward_heartbeats] [default: true]
    #[arg(
        long = "dc09-forward-heartbeats",
        env = "SAFETYNET_BRIDGE_DC09_FORWARD_HEARTBEATS",
        value_name = "BOOL"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub forward_heartbeats: Option<bool>,
    /// A supervised gateway (device `supervision_s`) that sends nothing for
    /// GRACE × supervision_s raises `device-offline`. [file: dc09.supervision_grace]
    /// [default: 2.0]
    #[arg(
        long = "dc09-supervision-grace",
        env = "SAFETYNET_BRIDGE_DC09_SUPERVISION_GRACE",
        value_name = "GRACE"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub supervision_grace: Option<f64>,
    /// A frame repeating an already stored one (same account, sequence and content) within
    /// this window is ACKed again without a second event (a panel retransmits when our ACK
    /// was lost). [file: dc09.dedupe_window_s] [default: 600]
    #[arg(
        long = "dc09-dedupe-window-secs",
        env = "SAFETYNET_BRIDGE_DC09_DEDUPE_WINDOW_SECS",
        value_name = "SECS"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dedupe_window_s: Option<u64>,
    /// Close a TCP connection that sent nothing for this long. [file: dc09.idle_timeout_s]
    /// [default: 600]
    #[arg(
        long = "dc09-idle-timeout-secs",
        env = "SAFETYNET_BRIDGE_DC09_IDLE_TIMEOUT_SECS",
        value_name = "SECS"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idle_timeout_s: Option<u64>,
}

#[derive(Args, Serialize, Debug, Default)]
#[command(next_help_heading = "MQTT speakers [mqtt]")]
pub struct MqttArgs {
    /// Run the MQTT link at all. [file: mqtt.enabled] [default: true]
    #[arg(
        long = "mqtt-enabled",
        env = "SAFETYNET_BRIDGE_MQTT_ENABLED",
        value_name = "BOOL"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Broker to connect to, `mqtt://host:port` (or `host:port`), or over TLS
    /// `mqtts://host:port` with --mqtt-ca-file. Empty: the bridge starts its
    /// own embedded broker (rumqttd) on --mqtt-embedded-listen, so it works on a bare machine;
    /// in production point it at a real broker. [file: mqtt.broker] [default: empty]
    #[arg(
        long = "mqtt-broker",
        env = "SAFETYNET_BRIDGE_MQTT_BROKER",
        value_name = "URL"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub broker: Option<String>,
    /// Where speakers reach the embedded broker (only without --mqtt-broker). Each speaker
    /// signs in as its own device (user name = its mqtt_id, password = its device secret) and
    /// may use only its own topics; off loopback, TLS is required (--mqtt-tls-cert).
    /// [file: mqtt.embedded_listen] [default: 127.0.0.1:1883]
    #[arg(
        long = "mqtt-embedded-listen",
        env = "SAFETYNET_BRIDGE_MQTT_EMBEDDED_LISTEN",
        value_name = "ADDR"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub embedded_listen: Option<String>,
    /// Client id; fixed, because the session is persistent (clean_session=false) and the
    /// broker keeps QoS 1 events for us while we are away. [file: mqtt.client_id]
    /// [default: safetynet-bridge]
    #[arg(
        long = "mqtt-client-id",
        env = "SAFETYNET_BRIDGE_MQTT_CLIENT_ID",
        value_name = "ID"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// PEM certificate chain the embedded broker presents to speakers (TLS); with
    /// --mqtt-tls-key. Without them speakers connect in plain MQTT, allowed on loopback only.
    /// [file: mqtt.tls_cert] [default: none]
    #[arg(
        long = "mqtt-tls-cert",
        env = "SAFETYNET_BRIDGE_MQTT_TLS_CERT",
        value_name = "PEM"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_cert: Option<String>,
    /// PEM private key of --mqtt-tls-cert. [file: mqtt.tls_key] [default: none]
    #[arg(
        long = "mqtt-tls-key",
        env = "SAFETYNET_BRIDGE_MQTT_TLS_KEY",
        value_name = "PEM"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_key: Option<String>,
    /// PEM certificates to trust for an `mqtts://` broker. [file: mqtt.ca_file]
    /// [default: none]
    #[arg(
        long = "mqtt-ca-file",
        env = "SAFETYNET_BRIDGE_MQTT_CA_FILE",
        value_name = "PEM"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<String>,
    /// Broker user name. [file: mqtt.username] [default: none]
    #[arg(
        long = "mqtt-username",
        env = "SAFETYNET_BRIDGE_MQTT_USERNAME",
        value_name = "USER"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Broker password. [file: mqtt.password] [default: none]
    #[arg(
        long = "mqtt-password",
        env = "SAFETYNET_BRIDGE_MQTT_PASSWORD",
        value_name = "PASSWORD",
        hide_env_values = true
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// MQTT keep-alive. [file: mqtt.keep_alive_s] [default: 30]
    #[arg(
        long = "mqtt-keep-alive-secs",
        env = "SAFETYNET_BRIDGE_MQTT_KEEP_ALIVE_SECS",
        value_name = "SECS"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keep_alive_s: Option<u64>,
    /// Topic prefix; the bridge uses PREFIX/{id}/events, PREFIX/{id}/commands and
    /// PREFIX/{id}/status. [file: mqtt.topic_prefix] [default: safetynet/v1/devices]
    #[arg(
        long = "mqtt-topic-prefix",
        env = "SAFETYNET_BRIDGE_MQTT_TOPIC_PREFIX",
        value_name = "PREFIX"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub topic_prefix: Option<String>,
}

#[derive(Args, Serialize, Debug, Default)]
#[command(next_help_heading = "Clock [clock]")]
pub struct ClockArgs {
    /// Seconds between calls to POST /api/v1/jobs/tick; 0 turns the clock off (e.g. when a
    /// Kubernetes CronJob ticks instead). Needs --clock-token. [file: clock.interval_s]
    /// [default: 30]
    #[arg(
        long = "clock-interval-secs",
        env = "SAFETYNET_BRIDGE_CLOCK_INTERVAL_SECS",
        value_name = "SECS"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval_s: Option<u64>,
    /// Tick routes POSTed on each interval, comma-separated paths on --suite-url: the
    /// incidents tick (escalation, inactivity, offline, 119/SMS retries, retention), the
    /// reminders tick (missed doses) and the officers job (retention of rejected applications).
    /// [file: clock.routes] [default: /api/v1/jobs/tick,/api/v1/jobs/reminders,/api/v1/jobs/officers]
    #[arg(
        long = "clock-routes",
        env = "SAFETYNET_BRIDGE_CLOCK_ROUTES",
        value_name = "PATHS",
        value_delimiter = ','
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub routes: Option<Vec<String>>,
}

#[derive(Args, Serialize, Debug, Default)]
#[command(next_help_heading = "Device directory [directory]")]
pub struct DirectoryArgs {
    /// Seconds between refreshes of the device table from the suite (GET
    /// /api/v1/device-directory with --clock-token); a device retired in the suite is refused
    /// here within one refresh. 0 reads `[[devices]]` from the file instead.
    /// [file: directory.refresh_s] [default: 0]
    #[arg(
        long = "directory-refresh-secs",
        env = "SAFETYNET_BRIDGE_DIRECTORY_REFRESH_SECS",
        value_name = "SECS"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_s: Option<u64>,
    /// File keeping the last table fetched, sealed (AES-256-GCM) with the key in the
    /// SAFETYNET_BRIDGE_KEY environment variable, so that the bridge starts receiving alarms
    /// even while the suite cannot be reached. Empty: no copy is kept.
    /// [file: directory.cache] [default: empty]
    #[arg(
        long = "directory-cache",
        env = "SAFETYNET_BRIDGE_DIRECTORY_CACHE",
        value_name = "PATH"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache: Option<PathBuf>,
}

#[derive(Args, Serialize, Debug, Default)]
#[command(next_help_heading = "Reminder push [reminders]")]
pub struct RemindersArgs {
    /// Due-reminder feed, polled with GET ?limit=N and the clock token: absolute URL, or a
    /// path on --suite-url (the suite's is /api/v1/reminders/due). Empty turns reminder push
    /// off. See the `reminders` module for the JSON it expects.
    /// [file: reminders.feed_url] [default: empty]
    #[arg(
        long = "reminders-feed-url",
        env = "SAFETYNET_BRIDGE_REMINDERS_FEED_URL",
        value_name = "URL"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub feed_url: Option<String>,
    /// Seconds between feed polls. [file: reminders.poll_interval_s] [default: 15]
    #[arg(
        long = "reminders-poll-secs",
        env = "SAFETYNET_BRIDGE_REMINDERS_POLL_SECS",
        value_name = "SECS"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub poll_interval_s: Option<u64>,
    /// Most items asked for per poll. [file: reminders.batch] [default: 100]
    #[arg(
        long = "reminders-batch",
        env = "SAFETYNET_BRIDGE_REMINDERS_BATCH",
        value_name = "N"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch: Option<u32>,
}

#[derive(Args, Serialize, Debug, Default)]
#[command(next_help_heading = "Operations [metrics] [log]")]
pub struct MetricsArgs {
    /// Address of the operations HTTP server (GET /healthz, GET /metrics in Prometheus text
    /// format); empty turns it off. [file: metrics.listen] [default: 127.0.0.1:9464]
    #[arg(
        long = "metrics-listen",
        env = "SAFETYNET_BRIDGE_METRICS_LISTEN",
        value_name = "ADDR"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<String>,
}

#[derive(Args, Serialize, Debug, Default)]
pub struct LogArgs {
    /// Log format: `text` or `json` (one object per line). Logs carry ids, kinds and counts,
    /// never names, phone numbers, addresses or secrets. [file: log.format] [default: text]
    #[arg(
        long = "log-format",
        env = "SAFETYNET_BRIDGE_LOG_FORMAT",
        value_name = "FORMAT"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    /// Log filter (tracing EnvFilter syntax, e.g. `info` or `safetynet_bridge=debug`).
    /// [file: log.level] [default: info]
    #[arg(
        long = "log-level",
        env = "SAFETYNET_BRIDGE_LOG_LEVEL",
        value_name = "FILTER"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Resolved settings (file + overrides + defaults).

#[derive(Deserialize, Debug, Clone, Default)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub suite: Suite,
    pub outbox: Outbox,
    pub delivery: Delivery,
    pub dc09: Dc09,
    pub mqtt: Mqtt,
    pub clock: Clock,
    pub directory: DirectorySync,
    pub reminders: Reminders,
    pub metrics: Metrics,
    pub log: Log,
    pub devices: Vec<DeviceEntry>,
}

#[derive(Deserialize, Clone)]
#[serde(default, deny_unknown_fields)]
pub struct Suite {
    pub url: String,
    pub clock_token: String,
}

impl Default for Suite {
    fn default() -> Self {
        Suite {
            url: "http://127.0.0.1:3000".into(),
            clock_token: String::new(),
        }
    }
}

impl fmt::Debug for Suite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Suite")
            .field("url", &self.url)
            .field("clock_token", &redacted(&self.clock_token))
            .finish()
    }
}

#[derive(Deserialize, Debug, Clone)]
#[serde(default, deny_unknown_fields)]
pub struct Outbox {
    pub path: PathBuf,
    pub max_bytes: u64,
    pub warn_ratio: f64,
    pub keep_delivered_s: u64,
}

impl Default for Outbox {
    fn default() -> Self {
        Outbox {
            path: PathBuf::from("bridge-outbox.db"),
            max_bytes: 1 << 30,
            warn_ratio: 0.8,
            keep_delivered_s: 3600,
        }
    }
}

#[derive(Deserialize, Debug, Clone)]
#[serde(default, deny_unknown_fields)]
pub struct Delivery {
    pub concurrency: usize,
    pub timeout_ms: u64,
    pub initial_backoff_ms: u64,
    pub max_backoff_ms: u64,
}

impl Default for Delivery {
    fn default() -> Self {
        Delivery {
            concurrency: 16,
            timeout_ms: 10_000,
            initial_backoff_ms: 500,
            max_backoff_ms: 30_000,
        }
    }
}

#[derive(Deserialize, Debug, Clone)]
#[serde(default, deny_unknown_fields)]
pub struct Dc09 {
    pub tcp_listen: String,
    pub udp_listen: String,
    pub forward_heartbeats: bool,
    pub supervision_grace: f64,
    pub dedupe_window_s: u64,
    pub idle_timeout_s: u64,
}

impl Default for Dc09 {
    fn default() -> Self {
        Dc09 {
            tcp_listen: "0.0.0.0:12000".into(),
            udp_listen: "0.0.0.0:12000".into(),
            forward_heartbeats: true,
            supervision_grace: 2.0,
            dedupe_window_s: 600,
            idle_timeout_s: 600,
        }
    }
}

#[derive(Deserialize, Clone)]
#[serde(default, deny_unknown_fields)]
pub struct Mqtt {
    pub enabled: bool,
    pub broker: String,
    pub embedded_listen: String,
    pub tls_cert: Option<String>,
    pub tls_key: Option<String>,
    pub ca_file: Option<String>,
    pub client_id: String,
    pub username: Option<String>,
    pub password: Option<String>,
    pub keep_alive_s: u64,
    pub topic_prefix: String,
}

impl Default for Mqtt {
    fn default() -> Self {
        Mqtt {
            enabled: true,
            broker: String::new(),
            embedded_listen: "127.0.0.1:1883".into(),
            tls_cert: None,
            tls_key: None,
            ca_file: None,
            client_id: "safetynet-bridge".into(),
            username: None,
            password: None,
            keep_alive_s: 30,
            topic_prefix: "safetynet/v1/devices".into(),
        }
    }
}

impl fmt::Debug for Mqtt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mqtt")
            .field("enabled", &self.enabled)
            .field("broker", &self.broker)
            .field("embedded_listen", &self.embedded_listen)
            .field("tls_cert", &self.tls_cert)
            .field("tls_key", &self.tls_key)
            .field("ca_file", &self.ca_file)
            .field("client_id", &self.client_id)
            .field("username", &self.username)
            .field("password", &self.password.as_deref().map(redacted))
            .field("keep_alive_s", &self.keep_alive_s)
            .field("topic_prefix", &self.topic_prefix)
            .finish()
    }
}

/// Where the device table comes from: the suite, refreshed (`refresh_s` > 0), or the file.
#[derive(Deserialize, Debug, Clone, Default)]
#[serde(default, deny_unknown_fields)]
pub struct DirectorySync {
    pub refresh_s: u64,
    pub cache: Option<PathBuf>,
}

/// The environment variable holding the key the directory cache is sealed with.
pub const BRIDGE_KEY_ENV: &str = "SAFETYNET_BRIDGE_KEY";

#[derive(Deserialize, Debug, Clone)]
#[serde(default, deny_unknown_fields)]
pub struct Clock {
    pub interval_s: u64,
    pub routes: Vec<String>,
}

impl Default for Clock {
    fn default() -> Self {
        Clock {
            interval_s: 30,
            routes: vec![
                "/api/v1/jobs/tick".into(),
                "/api/v1/jobs/reminders".into(),
                "/api/v1/jobs/officers".into(),
            ],
        }
    }
}

#[derive(Deserialize, Debug, Clone)]
#[serde(default, deny_unknown_fields)]
pub struct Reminders {
    pub feed_url: String,
    pub poll_interval_s: u64,
    pub batch: u32,
}

impl Default for Reminders {
    fn default() -> Self {
        Reminders {
            feed_url: String::new(),
            poll_interval_s: 15,
            batch: 100,
        }
    }
}

#[derive(Deserialize, Debug, Clone)]
#[serde(default, deny_unknown_fields)]
pub struct Metrics {
    pub listen: String,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            listen: "127.0.0.1:9464".into(),
        }
    }
}

#[derive(Deserialize, Debug, Clone)]
#[serde(default, deny_unknown_fields)]
pub struct Log {
    pub format: String,
    pub level: String,
}

impl Default for Log {
    fn default() -> Self {
        Log {
            format: "text".into(),
            level: "info".into(),
        }
    }
}

/// Deep-merges `over` into `base` (tables merge key by key; other values replace).
fn merge(base: &mut toml::Table, over: toml::Table) {
    for (k, v) in over {
        match (base.get_mut(&k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}

impl Settings {
    /// Reads `file` (if any) and applies `overrides` on top.
    pub fn load(file: Option<&Path>, overrides: &Overrides) -> Result<Settings> {
        let mut table = match file {
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .with_context(|| format!("reading config file {}", p.display()))?;
                toml::from_str::<toml::Table>(&text)
                    .with_context(|| format!("config file {} is not valid TOML", p.display()))?
            }
            None => toml::Table::new(),
        };
        let over = toml::Table::try_from(overrides).context("encoding overrides")?;
        merge(&mut table, over);
        let s: Settings = toml::Value::Table(table)
            .try_into()
            .context("invalid configuration")?;
        s.validate()?;
        Ok(s)
    }

    /// Parses a whole configuration from TOML text (tests, tools).
    pub fn from_toml(text: &str) -> Result<Settings> {
        let s: Settings = toml::from_str(text).context("invalid configuration")?;
        s.validate()?;
        Ok(s)
    }

    fn validate(&self) -> Result<()> {
        if !(self.suite.url.starts_with("http://") || self.suite.url.starts_with("https://")) {
            bail!("suite.url must start with http:// or https://");
        }
        if !(0.0..=1.0).contains(&self.outbox.warn_ratio) {
            bail!("outbox.warn_ratio must be between 0 and 1");
        }
        if self.outbox.max_bytes < 1 << 20 {
            bail!("outbox.max_bytes must be at least 1 MiB");
        }
        if self.delivery.concurrency == 0 {
            bail!("delivery.concurrency must be at least 1");
        }
        if self.delivery.timeout_ms == 0 || self.delivery.initial_backoff_ms == 0 {
            bail!("delivery.timeout_ms and delivery.initial_backoff_ms must be positive");
        }
        if self.delivery.max_backoff_ms < self.delivery.initial_backoff_ms {
            bail!("delivery.max_backoff_ms must be at least delivery.initial_backoff_ms");
        }
        if self.dc09.supervision_grace < 1.0 {
            bail!("dc09.supervision_grace must be at least 1.0");
        }
        if !matches!(self.log.format.as_str(), "text" | "json") {
            bail!("log.format must be `text` or `json`");
        }
        if self.directory.refresh_s > 0 {
            if !self.devices.is_empty() {
                bail!(
                    "directory.refresh_s is set: the device table comes from the suite, so the file must list no [[devices]]"
                );
            }
            if self.suite.clock_token.is_empty() {
                bail!(
                    "directory.refresh_s needs suite.clock_token (the directory is read with it)"
                );
            }
        }
        if self.directory.cache.is_some() {
            if self.directory.refresh_s == 0 {
                bail!("directory.cache applies only with directory.refresh_s");
            }
            if std::env::var(BRIDGE_KEY_ENV).map_or(true, |k| k.len() < 32) {
                bail!(
                    "directory.cache is set: put a key of at least 32 characters in {BRIDGE_KEY_ENV} (the cache holds device secrets)"
                );
            }
        }
        if self.mqtt.client_id.is_empty() {
            bail!("mqtt.client_id must not be empty (the session is persistent)");
        }
        if !self.mqtt.broker.is_empty()
            && crate::mqtt::parse_broker(&self.mqtt.broker)?.tls
            && self.mqtt.ca_file.is_none()
        {
            bail!("mqtt.broker is mqtts://: set mqtt.ca_file to the certificates to trust");
        }
        if self.mqtt.tls_cert.is_some() != self.mqtt.tls_key.is_some() {
            bail!("mqtt.tls_cert and mqtt.tls_key go together");
        }
        if self.mqtt.enabled && self.mqtt.broker.is_empty() && self.mqtt.tls_cert.is_none() {
            let loopback = self
                .mqtt
                .embedded_listen
                .parse::<std::net::SocketAddr>()
                .is_ok_and(|a| a.ip().is_loopback());
            if !loopback {
                bail!(
                    "mqtt.embedded_listen {} is not a loopback address: set mqtt.tls_cert and mqtt.tls_key, or speakers' passwords would cross the network in clear",
                    self.mqtt.embedded_listen
                );
            }
        }
        if self.clock.routes.iter().any(|r| !r.starts_with('/')) {
            bail!("clock.routes are paths on suite.url and must start with '/'");
        }
        if self.reminders.poll_interval_s == 0 || self.reminders.batch == 0 {
            bail!("reminders.poll_interval_s and reminders.batch must be positive");
        }
        // The device table is checked when the directory is built (crate::devices).
        crate::devices::Directory::build(&self.devices)?;
        Ok(())
    }

    /// `suite.url` + `path`, without a doubled slash.
    pub fn suite_url(&self, path: &str) -> String {
        format!("{}{}", self.suite.url.trim_end_matches('/'), path)
    }

    /// The reminder feed's absolute URL, if configured.
    pub fn feed_url(&self) -> Option<String> {
        let f = self.reminders.feed_url.trim();
        if f.is_empty() {
            None
        } else if f.starts_with('/') {
            Some(self.suite_url(f))
        } else {
            Some(f.to_string())
        }
    }

    /// A summary without secrets (for `--check` and the start-up log).
    pub fn summary(&self) -> String {
        let dc09 = self
            .devices
            .iter()
            .filter(|d| d.dc09_account.is_some())
            .count();
        let keyed = self.devices.iter().filter(|d| d.dc09_key.is_some()).count();
        let supervised = self
            .devices
            .iter()
            .filter(|d| d.supervision_s.is_some())
            .count();
        format!(
            "suite {} (clock token {}), outbox {} (budget {} MiB), dc09 tcp {:?} udp {:?}, \
             mqtt {}, clock every {} s on {}, reminders {}, metrics {:?}; {}",
            self.suite.url,
            if self.suite.clock_token.is_empty() {
                "not set"
            } else {
                "set"
            },
            self.outbox.path.display(),
            self.outbox.max_bytes >> 20,
            self.dc09.tcp_listen,
            self.dc09.udp_listen,
            if !self.mqtt.enabled {
                "off".to_string()
            } else if self.mqtt.broker.is_empty() {
                format!("embedded broker on {}", self.mqtt.embedded_listen)
            } else {
                self.mqtt.broker.clone()
            },
            self.clock.interval_s,
            self.clock.routes.join(","),
            self.feed_url().as_deref().unwrap_or("off"),
            self.metrics.listen,
            if self.directory.refresh_s > 0 {
                format!(
                    "devices from the suite every {} s{}",
                    self.directory.refresh_s,
                    if self.directory.cache.is_some() {
                        ", cached sealed"
                    } else {
                        ""
                    }
                )
            } else {
                format!(
                    "{} devices ({dc09} DC-09, {keyed} with AES keys, {supervised} supervised)",
                    self.devices.len()
                )
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_config_is_valid() {
        let s = Settings::from_toml(EXAMPLE).unwrap();
        assert_eq!(s.devices.len(), 2);
        assert_eq!(s.suite.url, "http://127.0.0.1:3000");
    }

    #[test]
    fn defaults_without_a_file() {
        let s = Settings::load(None, &Overrides::default()).unwrap();
        assert_eq!(s.delivery.concurrency, 16);
        assert_eq!(s.dc09.tcp_listen, "0.0.0.0:12000");
        assert!(s.mqtt.enabled && s.mqtt.broker.is_empty());
        assert!(s.devices.is_empty());
    }

    #[test]
    fn flags_override_the_file() {
        let dir = std::env::temp_dir().join(format!("bridge-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("b.toml");
        std::fs::write(
            &file,
            "[suite]\nurl = \"http://suite:3000\"\nclock_token = \"t\"\n[delivery]\nconcurrency = 4\n",
        )
        .unwrap();
        let cli = Cli::parse_from([
            "safetynet-bridge",
            "--config",
            file.to_str().unwrap(),
            "--delivery-concurrency",
            "9",
            "--mqtt-enabled",
            "false",
        ]);
        let s = Settings::load(cli.config.as_deref(), &cli.overrides).unwrap();
        assert_eq!(s.suite.url, "http://suite:3000");
        assert_eq!(s.suite.clock_token, "t");
        assert_eq!(s.delivery.concurrency, 9);
        assert!(!s.mqtt.enabled);
        assert_eq!(s.delivery.timeout_ms, 10_000);
    }

    #[test]
    fn typos_and_bad_values_are_refused() {
        assert!(Settings::from_toml("[suite]\nurll = \"x\"\n").is_err());
        assert!(Settings::from_toml("[suite]\nurl = \"ftp://x\"\n").is_err());
        assert!(Settings::from_toml("[log]\nformat = \"xml\"\n").is_err());
    }

    #[test]
    fn secrets_never_print() {
        let s = Settings::from_toml(EXAMPLE).unwrap();
        let dbg = format!("{s:?}");
        for d in &s.devices {
            assert!(!dbg.contains(&d.secret), "secret leaked in Debug");
        }
        assert!(!s.summary().contains(&s.devices[0].secret));
    }

    #[test]
    fn feed_url_relative_to_suite() {
        let mut s = Settings::default();
        s.suite.url = "http://h:1/".into();
        s.reminders.feed_url = "/api/v1/reminders/due".into();
        assert_eq!(s.feed_url().unwrap(), "http://h:1/api/v1/reminders/due");
        s.reminders.feed_url = "http://other/feed".into();
        assert_eq!(s.feed_url().unwrap(), "http://other/feed");
    }
}
