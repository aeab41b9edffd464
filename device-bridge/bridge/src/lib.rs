//! Safety Net device bridge (DESIGN §2, §4, §8): the native program next to the devices'
//! networks. It speaks SIA DC-09 (alarm gateways, TCP and UDP) and MQTT (AI care speakers),
//! answers a device only once its event is committed to a local SQLite outbox, and delivers
//! every event to the suite's signed webhook, in order per device, however long the suite is
//! away. It also pushes due reminders to speakers and calls the suite's tick.
//!
//! One concern per module:
//! - [`config`]: TOML file + environment/flag overrides, `--help`
//! - [`devices`]: the device table (account/MQTT id → suite device, secret, AES key)
//! - [`events`]: the webhook's event model
//! - [`outbox`]: durable storage, group commit, disk budget
//! - [`delivery`]: signed webhook requests, per-device order, backoff with jitter
//! - [`dc09_server`]: DC-09 receivers (TCP/UDP), ACK/NAK/DUH
//! - [`supervision`]: NULL supervision windows, offline/online transitions
//! - [`mqtt`] / [`mqtt_broker`]: speaker link, embedded broker
//! - [`clock`], [`reminders`], [`metrics`]: tick, reminder push, `/healthz` + `/metrics`
//! - [`app`]: wiring; [`send_dc09`]: the installation-test subcommand

pub mod app;
pub mod clock;
pub mod config;
pub mod dc09_server;
pub mod delivery;
pub mod devices;
pub mod directory_sync;
pub mod events;
pub mod metrics;
pub mod mosquitto_auth;
pub mod mqtt;
pub mod mqtt_broker;
pub mod mqtt_gate;
pub mod outbox;
pub mod reminders;
pub mod send_dc09;
pub mod supervision;
