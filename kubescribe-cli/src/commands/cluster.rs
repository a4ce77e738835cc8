//! `kubescribe cluster`: what the cluster runs (policy engines, namespaces,
//! pods, Services).

use std::io::Write;

use anyhow::Result;
use serde_json::{Value, json};

use kubescribe_events::cluster::{ClusterContext, ClusterSnapshot};

use crate::args::{ClusterInfoArgs, Format};
use crate::output::{self, Exit};

/// `kubescribe cluster`: what the cluster runs.
pub fn run(args: ClusterInfoArgs) -> Result<Exit> {
    let mut cluster = args.cluster_args.connect()?;
    let snapshot = ClusterSnapshot::take(&mut cluster, args.namespace.as_deref())?;
    let engines = cluster.engines()?;
    let mut out = std::io::stdout().lock();
    match args.output {
        Format::Json => {
            let mut v = serde_json::to_value(&snapshot)?;
            if let Value::Object(m) = &mut v {
                m.insert(
                    "engines".into(),
                    json!(engines.iter().map(|e| e.name()).collect::<Vec<_>>()),
                );
            }
            output::write_json(&mut out, &v)?;
        }
        Format::Text => {
            writeln!(out, "cluster: {}", snapshot.source)?;
            writeln!(
                out,
                "engines: {}",
                engines
                    .iter()
                    .map(|e| e.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            )?;
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
