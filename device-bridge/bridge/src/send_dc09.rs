//! `safetynet-bridge send-dc09`: sends one DC-09 frame and prints the receiver's reply — to
//! test an installation (panel account, key, firewall) without a panel at hand.

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use safetynet_dc09::{
    ContactId, Key, Message, NoKeys, Payload, Qualifier, Scan, SeededPad, SiaData, Token,
    decode_unchecked, encode, scan,
};
use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{TcpStream, UdpSocket};
use std::time::Duration;

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Kind {
    /// ADM-CID with --code/--qualifier/--group/--zone.
    AdmCid,
    /// SIA-DCS with --sia data.
    SiaDcs,
    /// NULL link test (supervision heartbeat).
    Null,
}

#[derive(Args, Debug)]
pub struct SendDc09Args {
    /// Receiver address (host:port).
    #[arg(long, default_value = "127.0.0.1:12000")]
    pub to: String,
    /// Send over UDP instead of TCP.
    #[arg(long)]
    pub udp: bool,
    /// Panel account (hex), as in the bridge's device table.
    #[arg(long)]
    pub account: String,
    /// AES key as hex (32/48/64 digits): sends an encrypted (`*`) frame.
    #[arg(long)]
    pub key: Option<String>,
    /// Message type.
    #[arg(long, value_enum, default_value = "adm-cid")]
    pub kind: Kind,
    /// Contact ID event code (100 medical/pendant, 110 fire, 111 smoke, 151 gas, 602 test…).
    #[arg(long, default_value_t = 100)]
    pub code: u16,
    /// Send the Contact ID event as a restore (qualifier 3).
    #[arg(long)]
    pub restore: bool,
    /// Contact ID group/partition.
    #[arg(long, default_value_t = 1)]
    pub group: u8,
    /// Contact ID zone or user.
    #[arg(long, default_value_t = 1)]
    pub zone: u16,
    /// SIA-DCS data after `#acct|`, e.g. `Nri1/FA01`.
    #[arg(long, default_value = "Nri1/FA01")]
    pub sia: String,
    /// Sequence number 0-9999.
    #[arg(long, default_value_t = 1)]
    pub seq: u16,
    /// Receiver number (hex), sent as `R…`.
    #[arg(long, default_value = "1")]
    pub receiver: String,
    /// Account prefix (hex), sent as `L…`.
    #[arg(long, default_value = "1")]
    pub prefix: String,
    /// Seconds to add to the frame's timestamp (test the −40 s/+20 s window).
    #[arg(long, default_value_t = 0, allow_hyphen_values = true)]
    pub skew_secs: i64,
    /// How long to wait for the reply.
    #[arg(long, default_value_t = 5000)]
    pub timeout_ms: u64,
}

fn printable(b: &[u8]) -> String {
    String::from_utf8_lossy(b)
        .replace('\n', "<LF>")
        .replace('\r', "<CR>")
}

pub fn run(a: SendDc09Args) -> Result<()> {
    let key = a
        .key
        .as_deref()
        .map(Key::from_hex)
        .transpose()
        .map_err(|e| anyhow::anyhow!("--key: {e}"))?;
    let (token, payload) = match a.kind {
        Kind::AdmCid => {
            let q = if a.restore {
                Qualifier::Restore
            } else {
                Qualifier::New
            };
            (
                Token::AdmCid,
                Payload::ContactId(
                    ContactId::new(q, a.code, a.group, a.zone).with_account(a.account.clone()),
                ),
            )
        }
        Kind::SiaDcs => (
            Token::SiaDcs,
            Payload::Sia(SiaData::new(Some(a.account.clone()), a.sia.clone())),
        ),
        Kind::Null => (Token::Null, Payload::Empty),
    };
    let ts = chrono::Utc::now() + chrono::TimeDelta::seconds(a.skew_secs);
    let msg = Message::new(token, a.seq, a.prefix.clone(), a.account.clone(), payload)
        .with_receiver(a.receiver.clone())
        .with_timestamp(ts)
        .with_encryption(key.is_some());
    let mut seed = [0u8; 8];
    let _ = getrandom::fill(&mut seed);
    let frame = encode(
        &msg,
        key.as_ref(),
        &mut SeededPad::new(u64::from_le_bytes(seed)),
    )
    .context("encoding the frame")?;
    println!("sent  {}", printable(&frame));

    let timeout = Duration::from_millis(a.timeout_ms);
    let reply = if a.udp {
        let sock = UdpSocket::bind("0.0.0.0:0")?;
        sock.set_read_timeout(Some(timeout))?;
        sock.send_to(&frame, &a.to)
            .with_context(|| format!("sending to {}", a.to))?;
        let mut buf = [0u8; 4200];
        let n = sock.recv(&mut buf).context("no UDP reply")?;
        buf[..n].to_vec()
    } else {
        let addr = std::net::ToSocketAddrs::to_socket_addrs(&a.to)?
            .next()
            .context("--to does not resolve")?;
        let mut s = TcpStream::connect_timeout(&addr, timeout)
            .with_context(|| format!("connecting to {}", a.to))?;
        s.set_read_timeout(Some(timeout))?;
        s.write_all(&frame)?;
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4200];
        loop {
            if let Scan::Frame { len } = scan(&buf) {
                buf.truncate(len);
                break buf;
            }
            let n = s.read(&mut chunk).context("no TCP reply")?;
            if n == 0 {
                bail!("connection closed without a reply");
            }
            buf.extend_from_slice(&chunk[..n]);
        }
    };
    println!("reply {}", printable(&reply));
    let keys: HashMap<String, Key> = key
        .clone()
        .map(|k| HashMap::from([(a.account.to_ascii_uppercase(), k)]))
        .unwrap_or_default();
    let decoded = if keys.is_empty() {
        decode_unchecked(&reply, &NoKeys)
    } else {
        decode_unchecked(&reply, &keys)
    };
    match decoded {
        Ok(m) => {
            println!(
                "      {} seq {} account {:?}{}",
                m.header.token.as_str(),
                m.header.seq,
                m.header.account,
                if m.header.encrypted {
                    " (encrypted)"
                } else {
                    ""
                }
            );
            if m.header.token != Token::Ack {
                bail!("the receiver answered {}", m.header.token.as_str());
            }
            if m.header.seq != a.seq {
                bail!(
                    "the ACK echoes sequence {} instead of {}",
                    m.header.seq,
                    a.seq
                );
            }
            Ok(())
        }
        Err(e) => bail!("reply not understood: {e}"),
    }
}
