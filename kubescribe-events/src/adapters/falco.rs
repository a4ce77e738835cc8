//! Falco alerts (JSON output) to events.

use super::*;

/// Falco alert to events; generic so the borrowed fast path
/// (`falco_fast`) and the [`Value`] path share one definition.
pub(crate) fn falco<F: Fields + ?Sized>(v: &F) -> Result<Vec<Event>, Skip> {
    let source = str_of(v, "source")?.unwrap_or("syscall");
    let rule = str_of(v, "rule")?.unwrap_or("");
    if source != "syscall" {
        return Err(Skip {
            reason: SkipReason::NotRuntimeActivity,
            message: format!(
                "Falco source {source:?} (rule {rule:?}) carries no workload activity"
            ),
        });
    }
    let f =
        obj(v, "output_fields")?.ok_or_else(|| invalid("Falco alert without `output_fields`"))?;
    let ts = match int_of(f, "evt.time")? {
        Some(ns) => Some(ns),
        None => str_of(v, "time")?.and_then(parse_rfc3339),
    };
    let mut labels = BTreeMap::new();
    f.each_prefixed("k8s.pod.label", &mut |k, val| {
        if let (Some(name), Scalar::Str(s)) = (
            k.strip_prefix("k8s.pod.label[")
                .and_then(|r| r.strip_suffix(']'))
                .or_else(|| k.strip_prefix("k8s.pod.label.")),
            val,
        ) {
            labels.insert(name.to_string(), s.to_string());
        }
    });
    if let Some(all) = str_of(f, "k8s.pod.labels")? {
        // Falco prints `[app:nginx, tier:web]` (or `app=nginx,…`).
        for item in all.trim_matches(|c| c == '[' || c == ']').split(',') {
            let item = item.trim();
            if let Some((k, val)) = item.split_once(':').or_else(|| item.split_once('=')) {
                labels.insert(k.trim().to_string(), val.trim().to_string());
            }
        }
    }
    let pod = PodMeta {
        namespace: string_of(f, "k8s.ns.name")?,
        pod: string_of(f, "k8s.pod.name")?,
        container: match string_of(f, "container.name")? {
            Some(n) => Some(n),
            None => string_of(f, "container.id")?.filter(|id| id != "host"),
        },
        labels,
        node: match string_of(f, "evt.hostname")? {
            Some(h) => Some(h),
            None => string_of(v, "hostname")?,
        },
    };
    let cmdline = str_of(f, "proc.cmdline")?;
    let binary = match string_of(f, "proc.exepath")? {
        Some(p) => Some(p),
        None => match string_of(f, "proc.exe")? {
            Some(p) => Some(p),
            None => match string_of(f, "proc.name")? {
                Some(p) => Some(p),
                None => cmdline.map(|c| split_cmd(c).0).filter(|s| !s.is_empty()),
            },
        },
    };
    let args = match string_of(f, "proc.args")? {
        Some(a) => Some(a),
        None => cmdline.and_then(|c| split_cmd(c).1),
    };
    let parent = match string_of(f, "proc.pexepath")? {
        Some(p) => Some(p),
        None => string_of(f, "proc.pname")?,
    };
    let evt_type = str_of(f, "evt.type")?.unwrap_or("");
    // Events get `pod` at the end: cloned for all but the last, which takes it.
    let blank = PodMeta::default();
    let mut out = Vec::with_capacity(2);
    if let Some(bin) = &binary {
        out.push(event(
            SourceEngine::Falco,
            ts,
            &blank,
            None,
            EventKind::Process(ProcessEvent {
                action: ProcessAction::Exec,
                binary: bin.clone(),
                args,
                parent,
                uid: int_of(f, "user.uid")?,
                by_owner: None,
            }),
        ));
    }
    let fd_name = str_of(f, "fd.name")?.filter(|s| !s.is_empty());
    let fd_type = str_of(f, "fd.type")?.unwrap_or("");
    let file_path = match string_of(f, "fs.path.name")? {
        Some(p) => Some(p),
        None => fd_name
            .filter(|n| {
                fd_type == "file"
                    || fd_type == "directory"
                    || (fd_type.is_empty() && n.starts_with('/'))
            })
            .map(str::to_string),
    };
    let flags = string_of(f, "evt.arg.flags")?;
    if let Some(path) = file_path {
        let op = falco_file_op(f, evt_type, flags.as_deref(), rule)?;
        out.push(event(
            SourceEngine::Falco,
            ts,
            &blank,
            none_if_empty(string_of(f, "evt.res")?),
            EventKind::File(FileEvent {
                path,
                operation: op,
                flags,
                syscall: (!evt_type.is_empty()).then(|| evt_type.to_string()),
                process: binary.clone(),
                by_owner: None,
            }),
        ));
    } else if let Some(conn) = fd_name.filter(|n| n.contains("->")) {
        out.push(event(
            SourceEngine::Falco,
            ts,
            &blank,
            none_if_empty(string_of(f, "evt.res")?),
            EventKind::Network(falco_network(f, conn, evt_type, binary.clone())?),
        ));
    }
    if out.is_empty() {
        if !evt_type.is_empty() {
            out.push(event(
                SourceEngine::Falco,
                ts,
                &blank,
                None,
                EventKind::Syscall(SyscallEvent {
                    kind: SyscallKind::Syscall,
                    name: evt_type.to_string(),
                    args: string_of(f, "evt.args")?,
                    process: None,
                }),
            ));
        } else {
            return Err(Skip {
                reason: SkipReason::NotRuntimeActivity,
                message: format!(
                    "Falco alert (rule {rule:?}) has no process, file, network or syscall fields"
                ),
            });
        }
    }
    let mut pod = Some(pod);
    let last = out.len().saturating_sub(1);
    for (i, e) in out.iter_mut().enumerate() {
        e.pod = if i == last {
            pod.take().unwrap_or_default()
        } else {
            pod.clone().unwrap_or_default()
        };
    }
    Ok(out)
}

fn falco_file_op<F: Fields + ?Sized>(
    f: &F,
    evt_type: &str,
    flags: Option<&str>,
    rule: &str,
) -> Result<FileOperation, Skip> {
    let truthy = |k: &str| -> Result<bool, Skip> {
        Ok(match f.field(k) {
            Some(Scalar::Bool(b)) => b,
            Some(Scalar::Str(s)) => s == "true",
            Some(Scalar::Number(n)) => n.as_i64() == Some(1),
            _ => false,
        })
    };
    if truthy("evt.is_open_write")? {
        return Ok(FileOperation::Write);
    }
    if truthy("evt.is_open_exec")? {
        return Ok(FileOperation::Exec);
    }
    if truthy("evt.is_open_read")? {
        return Ok(FileOperation::Read);
    }
    if let Some(fl) = flags {
        return Ok(op_from_open_flags(fl));
    }
    let t = evt_type;
    Ok(if t.starts_with("exec") {
        FileOperation::Exec
    } else if t.contains("write")
        || t.contains("unlink")
        || t.contains("rename")
        || t.contains("chmod")
        || t.contains("chown")
        || t.contains("mkdir")
        || t.contains("rmdir")
        || t.contains("truncate")
        || t.contains("link")
    {
        FileOperation::Write
    } else if t.contains("read") {
        FileOperation::Read
    } else if t.is_empty() && rule.to_ascii_lowercase().contains("writ") {
        FileOperation::Write
    } else if t.is_empty() && rule.to_ascii_lowercase().contains("read") {
        FileOperation::Read
    } else {
        FileOperation::Open
    })
}

/// Splits `10.0.0.1:443` / `[::1]:443` into address and port.
fn split_host_port(s: &str) -> (Option<String>, Option<u16>) {
    let s = s.trim();
    if let Some((h, p)) = s.strip_prefix('[').and_then(|rest| rest.split_once("]:")) {
        return (Some(h.to_string()), p.parse().ok());
    }
    match s.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => (Some(h.to_string()), p.parse().ok()),
        _ => (Some(s.to_string()).filter(|s| !s.is_empty()), None),
    }
}

fn falco_network<F: Fields + ?Sized>(
    f: &F,
    conn: &str,
    evt_type: &str,
    process: Option<String>,
) -> Result<NetworkEvent, Skip> {
    let (client, server) = conn.split_once("->").unwrap_or((conn, ""));
    let (cip, cport) = split_host_port(client);
    let (sip, sport) = split_host_port(server);
    let protocol = str_of(f, "fd.l4proto")?
        .filter(|p| !p.is_empty())
        .map(str::to_ascii_uppercase)
        .unwrap_or_else(|| "unknown".into());
    let inbound = evt_type.starts_with("accept") || evt_type == "listen";
    Ok(if inbound {
        NetworkEvent {
            protocol,
            direction: Direction::Ingress,
            local_ip: sip,
            local_port: sport,
            remote_ip: cip,
            remote_port: cport,
            peer: None,
            dns_name: None,
            process,
            http: None,
        }
    } else {
        NetworkEvent {
            protocol,
            direction: Direction::Egress,
            local_ip: cip,
            local_port: cport,
            remote_ip: sip,
            remote_port: sport,
            peer: None,
            dns_name: string_of(f, "fd.sip.name")?,
            process,
            http: None,
        }
    })
}
