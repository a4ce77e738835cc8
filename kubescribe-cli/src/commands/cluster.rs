//! `kubescribe cluster`: what the cluster runs (policy engines, namespaces,
//! pods, Services).

use std::io::Write;

use anyhow::Result;
use serde_json::{Value, json};

use kubescribe_core::Engine;
use kubescribe_events::cluster::{ClusterContext, ClusterError, ClusterSnapshot};
use kubescribe_kube::DaemonSetStatus;

use crate::args::{ClusterInfoArgs, Format};
use crate::output::{self, Exit};

/// An engine's state as far as the API shows it.
struct EngineStatus {
    engine: &'static str,
    /// Its CRDs are installed (NetworkPolicy: always served).
    installed: bool,
    /// Its agent runs on the nodes: every pod of its DaemonSet(s) ready.
    /// `None`: not known (no agent of its own, or DaemonSets not readable).
    running: Option<bool>,
    /// What was seen.
    detail: String,
}

/// The agent DaemonSet names of each engine (upstream Helm charts and operators).
fn agent_of(engine: Engine, daemonset: &str) -> bool {
    match engine {
        Engine::KubeArmor => daemonset == "kubearmor" || daemonset.starts_with("kubearmor-"),
        Engine::Tetragon => daemonset == "tetragon",
        Engine::Cilium => daemonset == "cilium",
        Engine::Calico => daemonset == "calico-node",
        Engine::Kubernetes => false,
    }
}

fn engine_status(
    installed: &[Engine],
    daemonsets: &Result<Vec<DaemonSetStatus>, ClusterError>,
) -> Vec<EngineStatus> {
    Engine::ALL
        .iter()
        .map(|&engine| {
            let is_installed = installed.contains(&engine);
            let (running, detail) = match (engine, daemonsets) {
                (Engine::Kubernetes, _) => {
                    let enforcers: Vec<&str> = installed
                        .iter()
                        .filter(|e| matches!(e, Engine::Cilium | Engine::Calico))
                        .map(|e| e.name())
                        .collect();
                    (
                        None,
                        if enforcers.is_empty() {
                            "served by every API server; enforced only by a network plugin that implements it (none of Cilium, Calico installed)".to_string()
                        } else {
                            format!(
                                "served by every API server; enforced by the network plugin ({})",
                                enforcers.join(", ")
                            )
                        },
                    )
                }
                (_, Err(e)) => (None, format!("cannot tell whether it runs: {e}")),
                (_, Ok(list)) => {
                    let agents: Vec<&DaemonSetStatus> =
                        list.iter().filter(|d| agent_of(engine, &d.name)).collect();
                    if agents.is_empty() {
                        (Some(false), "no agent DaemonSet".to_string())
                    } else {
                        let ready = agents
                            .iter()
                            .all(|d| d.desired > 0 && d.ready >= d.desired);
                        let seen: Vec<String> = agents
                            .iter()
                            .map(|d| {
                                format!(
                                    "DaemonSet {}/{} {}/{} pods ready",
                                    d.namespace, d.name, d.ready, d.desired
                                )
                            })
                            .collect();
                        (Some(ready), seen.join(", "))
                    }
                }
            };
            EngineStatus {
                engine: engine.name(),
                installed: is_installed,
                running,
                detail,
            }
        })
        .collect()
}

/// `kubescribe cluster`: what the cluster runs.
pub fn run(args: ClusterInfoArgs) -> Result<Exit> {
    let mut cluster = args.cluster_args.connect()?;
    let snapshot = ClusterSnapshot::take(&mut cluster, args.namespace.as_deref())?;
    let engines = cluster.engines()?;
    let status = engine_status(&engines, &cluster.daemonsets());
    let mut out = std::io::stdout().lock();
    match args.output {
        Format::Json | Format::Yaml => {
            let mut v = serde_json::to_value(&snapshot)?;
            if let Value::Object(m) = &mut v {
                m.insert(
                    "engines".into(),
                    json!(engines.iter().map(|e| e.name()).collect::<Vec<_>>()),
                );
                m.insert(
                    "engineStatus".into(),
                    json!(
                        status
                            .iter()
                            .map(|e| json!({"engine": e.engine, "installed": e.installed,
                                        "running": e.running, "detail": e.detail}))
                            .collect::<Vec<_>>()
                    ),
                );
            }
            if args.output == Format::Yaml {
                write!(out, "{}", kubescribe_core::document::to_yaml(&v)?)?;
            } else {
                output::write_json(&mut out, &v)?;
            }
        }
        Format::Name => {
            anyhow::bail!("-o name lists objects; `kubescribe cluster` takes -o text, json or yaml")
        }
        Format::Text => {
            writeln!(out, "cluster: {}", snapshot.source)?;
            writeln!(out, "engines:")?;
            for e in &status {
                let state = match (e.installed, e.running) {
                    (false, _) => "not installed",
                    (true, Some(true)) => "installed, running",
                    (true, Some(false)) => "installed, NOT running",
                    (true, None) => "installed",
                };
                writeln!(out, "  {}: {state} ({})", e.engine, e.detail)?;
            }
            writeln!(out, "namespaces: {}", snapshot.namespaces.join(", "))?;
            writeln!(out, "pods ({}):", snapshot.pods.len())?;
            for p in &snapshot.pods {
                let labels: Vec<String> =
                    p.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
                let ports: Vec<String> = p
                    .ports
                    .iter()
                    .map(|pp| match &pp.name {
                        Some(n) => format!("{n}:{}/{}", pp.port, pp.protocol),
                        None => format!("{}/{}", pp.port, pp.protocol),
                    })
                    .collect();
                let owner = p
                    .owner
                    .as_ref()
                    .map(|o| format!(" owner {}/{}", o.kind, o.name))
                    .unwrap_or_default();
                writeln!(
                    out,
                    "  {}/{} [{}] ports [{}]{owner}",
                    p.namespace,
                    p.name,
                    labels.join(","),
                    ports.join(",")
                )?;
            }
            writeln!(out, "services ({}):", snapshot.services.len())?;
            for s in &snapshot.services {
                let sel: Vec<String> = s.selector.iter().map(|(k, v)| format!("{k}={v}")).collect();
                let ports: Vec<String> = s
                    .ports
                    .iter()
                    .map(|p| {
                        format!(
                            "{}->{}/{}",
                            p.port,
                            p.target_port.as_deref().unwrap_or("?"),
                            p.protocol
                        )
                    })
                    .collect();
                writeln!(
                    out,
                    "  {}/{} selector [{}] ports [{}]",
                    s.namespace,
                    s.name,
                    sel.join(","),
                    ports.join(",")
                )?;
            }
        }
    }
    Ok(Exit::Ok)
}
