//! `kubescribe collect`: live collection from the engines into the store
//! (`kubescribe_collect`), with a progress line on standard error and a clean
//! stop on Ctrl-C.

use std::io::{IsTerminal, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Result, bail};
use clap::{Args, ValueEnum};
use kubescribe_collect::{
    CollectOptions, CollectReport, OnFull, Source, SourceKind, SourceState, Stop, TlsOptions,
};

use crate::output::{self, Exit};
use crate::store_location;

/// The arguments of `kubescribe collect`.
#[derive(Args)]
pub struct CollectArgs {
    /// The store: an SQLite file (created if missing) or a PostgreSQL URL
    /// (`postgres://user@host:port/db`); default $KUBESCRIBE_STORE, else
    /// kubescribe.db.
    #[arg(long, value_name = "FILE|URL")]
    pub store: Option<PathBuf>,
    /// A Hubble Relay (`observer.Observer/GetFlows`), e.g. `hubble-relay:4245`; repeatable.
    #[arg(long, value_name = "HOST:PORT")]
    pub hubble: Vec<String>,
    /// A Tetragon gRPC server (`tetragon.FineGuidanceSensors/GetEvents`), e.g.
    /// `localhost:54321`; repeatable.
    #[arg(long, value_name = "HOST:PORT")]
    pub tetragon: Vec<String>,
    /// A KubeArmor relay (`feeder.LogService`), e.g. `kubearmor-relay:32767`; repeatable.
    #[arg(long, value_name = "HOST:PORT")]
    pub kubearmor: Vec<String>,
    /// Which KubeArmor streams to read: `WatchAlerts`, `WatchLogs`, or both.
    #[arg(long, value_enum, default_value_t = KubeArmorStreams::Both)]
    pub kubearmor_streams: KubeArmorStreams,
    /// Listen for Falco's `http_output` (and falcosidekick-style) posts on
    /// this address, e.g. `0.0.0.0:2801`.
    #[arg(long, value_name = "ADDR:PORT")]
    pub falco_listen: Option<SocketAddr>,
    /// The token a Falco post must carry (`Authorization: Bearer TOKEN`;
    /// Falco: `http_output.custom_headers`). Default $KUBESCRIBE_FALCO_TOKEN.
    #[arg(long, value_name = "TOKEN")]
    pub falco_token: Option<String>,
    /// Connect to the gRPC sources over TLS (implied by the other --tls-* options).
    #[arg(long)]
    pub tls: bool,
    /// CA certificate(s) (PEM) the servers' certificates must chain to
    /// (default: the system's roots).
    #[arg(long, value_name = "FILE")]
    pub tls_ca_cert: Option<PathBuf>,
    /// Client certificate (PEM), for mutual TLS.
    #[arg(long, value_name = "FILE", requires = "tls_client_key")]
    pub tls_client_cert: Option<PathBuf>,
    /// The client certificate's key (PEM).
    #[arg(long, value_name = "FILE", requires = "tls_client_cert")]
    pub tls_client_key: Option<PathBuf>,
    /// The name the servers' certificates must carry (Hubble Relay's is
    /// `*.hubble-relay.cilium.io`).
    #[arg(long, value_name = "NAME")]
    pub tls_server_name: Option<String>,
    /// When the store falls behind: `block` holds the sources back (gRPC flow
    /// control, Falco posts wait), `drop` drops what does not fit and counts it.
    #[arg(long, value_enum, default_value_t = Full::Block)]
    pub on_full: Full,
    /// Records queued for the store at most.
    #[arg(long, default_value_t = 8192)]
    pub queue: usize,
    /// Records per store transaction at most.
    #[arg(long, default_value_t = 16384)]
    pub batch: usize,
    /// Stop after this many seconds (default: on Ctrl-C).
    #[arg(long, value_name = "SECONDS")]
    pub duration: Option<f64>,
    /// How many skipped records to list (all are counted).
    #[arg(long, default_value_t = 20)]
    pub show_errors: usize,
    /// No progress line.
    #[arg(long, short)]
    pub quiet: bool,
    /// The final report as JSON on standard output.
    #[arg(long)]
    pub json: bool,
}

/// KubeArmor's streams.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KubeArmorStreams {
    /// `WatchAlerts` (policy matches).
    Alerts,
    /// `WatchLogs` (container and host logs).
    Logs,
    /// Both.
    Both,
}

/// The drop policy.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Full {
    /// Hold the sources back.
    Block,
    /// Drop and count.
    Drop,
}

fn sources(args: &CollectArgs) -> Vec<Source> {
    let tls = (args.tls
        || args.tls_ca_cert.is_some()
        || args.tls_client_cert.is_some()
        || args.tls_server_name.is_some())
    .then(|| TlsOptions {
        ca_cert: args.tls_ca_cert.clone(),
        client_cert: args.tls_client_cert.clone(),
        client_key: args.tls_client_key.clone(),
        server_name: args.tls_server_name.clone(),
    });
    let grpc = |kind, endpoint: &String| Source::Grpc {
        kind,
        endpoint: endpoint.clone(),
        tls: tls.clone(),
    };
    let mut out: Vec<Source> = Vec::new();
    out.extend(args.hubble.iter().map(|e| grpc(SourceKind::Hubble, e)));
    out.extend(args.tetragon.iter().map(|e| grpc(SourceKind::Tetragon, e)));
    for e in &args.kubearmor {
        if args.kubearmor_streams != KubeArmorStreams::Logs {
            out.push(grpc(SourceKind::KubeArmorAlerts, e));
        }
        if args.kubearmor_streams != KubeArmorStreams::Alerts {
            out.push(grpc(SourceKind::KubeArmorLogs, e));
        }
    }
    if let Some(listen) = args.falco_listen {
        out.push(Source::Falco {
            listen,
            token: args
                .falco_token
                .clone()
                .or_else(|| std::env::var("KUBESCRIBE_FALCO_TOKEN").ok()),
        });
    }
    out
}

/// Stops `stop` on the first Ctrl-C (the collection then commits what it
/// received and returns); a second Ctrl-C exits at once. Returns once the
/// handler is in place, so a Ctrl-C that comes right after the listener says
/// where it listens is not met by the default action (ending the process
/// with nothing committed).
fn stop_on_ctrl_c(stop: Stop) {
    let (ready, registered) = std::sync::mpsc::channel::<()>();
    std::thread::spawn(move || {
        let Ok(rt) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            return;
        };
        rt.block_on(async {
            let mut first = std::pin::pin!(tokio::signal::ctrl_c());
            // The first poll registers the handler.
            let polled =
                std::future::poll_fn(|cx| std::task::Poll::Ready(first.as_mut().poll(cx))).await;
            drop(ready);
            let got = match polled {
                std::task::Poll::Ready(r) => r,
                std::task::Poll::Pending => first.await,
            };
            if got.is_ok() {
                eprintln!("\nkubescribe: stopping: committing what was received (Ctrl-C again to quit at once)");
                stop.stop();
                if tokio::signal::ctrl_c().await.is_ok() {
                    std::process::exit(130);
                }
            }
        });
    });
    // Ends when the thread registered the handler (or could not).
    let _ = registered.recv();
}

fn count(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The progress line: per source its state, events/s and totals.
fn line(r: &CollectReport) -> String {
    let secs = r.elapsed.as_secs();
    let mut parts = vec![format!(
        "{:02}:{:02}:{:02}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )];
    for s in &r.sources {
        let mut p = format!(
            "{} {} {:.0} ev/s, {} stored",
            s.name,
            s.state.as_str(),
            s.events_per_sec,
            count(s.events)
        );
        if s.dropped > 0 {
            p.push_str(&format!(", {} DROPPED", count(s.dropped)));
        }
        if s.state != SourceState::Connected
            && let Some(e) = &s.last_error
        {
            p.push_str(&format!(" ({e})"));
        }
        parts.push(p);
    }
    parts.push(format!("queued {}", r.queued));
    kubescribe_core::quote::escape_control(&parts.join(" | ")).into_owned()
}

/// Collects until Ctrl-C (or --duration), then prints the summary. Exit 0
/// when nothing was dropped, 1 when records were dropped (--on-full drop)
/// or skipped as malformed or unsupported, 2 when the store or a source's
/// settings failed.
pub fn run(args: CollectArgs) -> Result<Exit> {
    let sources = sources(&args);
    if sources.is_empty() {
        bail!("nothing to collect from: give --hubble, --tetragon, --kubearmor or --falco-listen");
    }
    let mut store =
        store_location::open_or_create_store(&store_location::store_or_default(&args.store))?;
    let options = CollectOptions {
        queue_records: args.queue.max(1),
        batch_records: args.batch.max(1),
        on_full: match args.on_full {
            Full::Block => OnFull::Block,
            Full::Drop => OnFull::Drop,
        },
        max_errors_kept: args.show_errors,
        ..CollectOptions::default()
    };
    let stop = Stop::new();
    stop_on_ctrl_c(stop.clone());
    if let Some(secs) = args.duration {
        let stop = stop.clone();
        let wait = Duration::from_secs_f64(secs.max(0.0));
        std::thread::spawn(move || {
            std::thread::sleep(wait);
            stop.stop();
        });
    }
    let terminal = std::io::stderr().is_terminal();
    let mut last_line = std::time::Instant::now();
    let quiet = args.quiet;
    let mut first = true;
    let mut on_report = |r: &CollectReport| {
        if quiet {
            return;
        }
        if std::mem::take(&mut first) {
            for s in &r.sources {
                if let Some(a) = s.address {
                    eprintln!("kubescribe: {} listening on {a}", s.name);
                }
            }
            return;
        }
        let mut err = std::io::stderr().lock();
        if terminal {
            let _ = write!(err, "\r\x1b[2Kkubescribe: collect {}", line(r));
            if r.done {
                let _ = writeln!(err);
            }
        } else if r.done || last_line.elapsed() >= Duration::from_secs(10) {
            last_line = std::time::Instant::now();
            let _ = writeln!(err, "kubescribe: collect {}", line(r));
        }
    };
    let report =
        kubescribe_collect::collect(&mut store, &sources, &options, &stop, &mut on_report)?;
    if args.json {
        output::print_json(&serde_json::to_value(&report)?)?;
    } else {
        let mut out = std::io::stdout().lock();
        for e in &report.errors {
            writeln!(
                out,
                "{}",
                kubescribe_core::quote::escape_control(&e.to_string())
            )?;
        }
        let skipped: u64 = report.skipped.values().sum();
        if skipped as usize > report.errors.len() {
            writeln!(
                out,
                "... {} more skipped record(s) not listed (--show-errors)",
                skipped as usize - report.errors.len()
            )?;
        }
        for s in &report.sources {
            writeln!(
                out,
                "{}: {} received, {} stored ({} events), {} skipped, {} repeats, {} dropped, {} refused, {} lost upstream, {} connection(s), {} lost connection(s)",
                kubescribe_core::quote::escape_control(&s.name),
                count(s.received),
                count(s.stored),
                count(s.events),
                count(s.skipped),
                count(s.duplicates),
                count(s.dropped),
                count(s.rejected),
                count(s.lost_upstream),
                s.connects,
                s.disconnects
            )?;
        }
        writeln!(
            out,
            "collected for {:.1} s: {} events in {} transaction(s), {:.0} events/s",
            report.elapsed.as_secs_f64(),
            count(report.sources.iter().map(|s| s.events).sum()),
            report.commits,
            report.events_per_sec()
        )?;
    }
    let dropped: u64 = report.sources.iter().map(|s| s.dropped).sum();
    let malformed = report
        .skipped
        .iter()
        .any(|(reason, _)| !matches!(reason, kubescribe_events::SkipReason::NotRuntimeActivity));
    Ok(if dropped > 0 || malformed {
        Exit::Invalid
    } else {
        Exit::Ok
    })
}
