//! KubeArmor logs and alerts to events.

use super::*;

pub(super) fn kubearmor(v: &Value) -> Result<Vec<Event>, Skip> {
    let ty = str_of(v, "Type")?.unwrap_or("");
    if !KUBEARMOR_TYPES.contains(&ty) {
        return Err(Skip {
            reason: SkipReason::UnknownEventType,
            message: format!("KubeArmor event type {ty:?}"),
        });
    }
    let op = str_of(v, "Operation")?.unwrap_or("");
    let ts = match str_of(v, "UpdatedTime")?.and_then(parse_rfc3339) {
        Some(t) => Some(t),
        None => int_of(v, "Timestamp")?.and_then(|s| s.checked_mul(1_000_000_000)),
    };
    let mut labels = BTreeMap::new();
    if let Some(l) = str_of(v, "Labels")? {
        for item in l.split(',') {
            if let Some((k, val)) = item.split_once('=') {
                labels.insert(k.trim().to_string(), val.trim().to_string());
            }
        }
    }
    let pod = PodMeta {
        namespace: string_of(v, "NamespaceName")?,
        pod: string_of(v, "PodName")?,
        container: string_of(v, "ContainerName")?,
        labels,
        node: string_of(v, "HostName")?,
    };
    let result = string_of(v, "Result")?;
    let resource = str_of(v, "Resource")?.unwrap_or("").trim();
    let data = str_of(v, "Data")?.unwrap_or("");
    let data_kv = kv_tokens(data);
    let syscall = data_kv
        .get("syscall")
        .or_else(|| data_kv.get("kfunc"))
        .or_else(|| data_kv.get("lsm"))
        .cloned();
    let process_name = match string_of(v, "ProcessName")? {
        Some(p) => Some(p),
        None => str_of(v, "Source")?
            .map(|s| split_cmd(s).0)
            .filter(|s| !s.is_empty()),
    };
    let ev = |kind| event(SourceEngine::KubeArmor, ts, &pod, result.clone(), kind);
    let kind = match op {
        "Process" => {
            let (binary, args) = if resource.starts_with('/') {
                split_cmd(resource)
            } else {
                (
                    process_name.clone().ok_or_else(|| {
                        invalid("KubeArmor Process event without Resource or ProcessName")
                    })?,
                    None,
                )
            };
            EventKind::Process(ProcessEvent {
                action: ProcessAction::Exec,
                binary,
                args,
                parent: match string_of(v, "ParentProcessName")? {
                    Some(p) => Some(p),
                    None => str_of(v, "Source")?
                        .map(|s| split_cmd(s).0)
                        .filter(|s| !s.is_empty()),
                },
                uid: int_of(v, "UID")?,
                by_owner: None,
            })
        }
        "File" => {
            if resource.is_empty() {
                return Err(invalid("KubeArmor File event without Resource"));
            }
            let flags = data_kv.get("flags").filter(|f| !f.is_empty()).cloned();
            EventKind::File(FileEvent {
                path: resource.to_string(),
                operation: kubearmor_file_op(syscall.as_deref(), flags.as_deref()),
                flags,
                syscall,
                process: process_name,
                by_owner: None,
            })
        }
        "Network" => EventKind::Network(kubearmor_network(
            resource,
            &data_kv,
            syscall.as_deref(),
            process_name,
        )),
        "NetworkFirewall" => {
            let ed = obj(v, "EventData")?;
            let get = |k: &str| -> Option<String> {
                ed.and_then(|e| e.get(k))
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .or_else(|| data_kv.get(k).cloned())
            };
            let ingress = resource.eq_ignore_ascii_case("INGRESS");
            let (src_ip, src_port) = (
                get("SourceIP"),
                get("SourcePort").and_then(|p| p.parse().ok()),
            );
            let (dst_ip, dst_port) = (
                get("DestinationIP"),
                get("DestinationPort").and_then(|p| p.parse().ok()),
            );
            let (local_ip, local_port, remote_ip, remote_port) = if ingress {
                (dst_ip, dst_port, src_ip, src_port)
            } else {
                (src_ip, src_port, dst_ip, dst_port)
            };
            EventKind::Network(NetworkEvent {
                protocol: get("Protocol").unwrap_or_else(|| "unknown".into()),
                direction: if ingress {
                    Direction::Ingress
                } else {
                    Direction::Egress
                },
                local_ip,
                local_port,
                remote_ip,
                remote_port,
                peer: None,
                dns_name: None,
                process: process_name,
                http: None,
            })
        }
        "Syscall" | "Capabilities" => {
            let cap = op == "Capabilities";
            let name = if cap {
                if resource.is_empty() {
                    syscall.clone().unwrap_or_default()
                } else {
                    resource.to_string()
                }
            } else {
                syscall.clone().unwrap_or_else(|| resource.to_string())
            };
            if name.is_empty() {
                return Err(invalid(format!(
                    "KubeArmor {op} event without Resource or syscall"
                )));
            }
            let mut args: Vec<String> = Vec::new();
            if !cap && !resource.is_empty() {
                args.push(resource.to_string());
            }
            args.extend(
                data_kv
                    .iter()
                    .filter(|(k, _)| k.as_str() != "syscall")
                    .map(|(k, v)| format!("{k}={v}")),
            );
            EventKind::Syscall(SyscallEvent {
                kind: if cap {
                    SyscallKind::Capability
                } else {
                    SyscallKind::Syscall
                },
                name,
                args: (!args.is_empty()).then(|| args.join(" ")),
                process: process_name,
            })
        }
        other => {
            return Err(Skip {
                reason: SkipReason::UnknownEventType,
                message: format!("KubeArmor operation {other:?}"),
            });
        }
    };
    Ok(vec![ev(kind)])
}

fn kubearmor_file_op(syscall: Option<&str>, flags: Option<&str>) -> FileOperation {
    let s = syscall.unwrap_or("").to_ascii_uppercase();
    if s.contains("EXEC") {
        FileOperation::Exec
    } else if [
        "UNLINK", "RENAME", "CHMOD", "CHOWN", "MKDIR", "RMDIR", "TRUNCATE", "WRITE", "LINK",
    ]
    .iter()
    .any(|w| s.contains(w))
    {
        FileOperation::Write
    } else if s.contains("OPEN") || flags.is_some() {
        flags.map_or(FileOperation::Open, op_from_open_flags)
    } else if s.contains("READ") {
        FileOperation::Read
    } else {
        FileOperation::Open
    }
}

fn kubearmor_network(
    resource: &str,
    data: &BTreeMap<String, String>,
    syscall: Option<&str>,
    process: Option<String>,
) -> NetworkEvent {
    let r = kv_tokens(resource);
    let s = syscall.unwrap_or("").to_ascii_uppercase();
    let direction = if s.contains("ACCEPT") {
        Direction::Ingress
    } else if s.contains("BIND") || s.contains("LISTEN") {
        Direction::Listen
    } else if s.contains("CONNECT") || s.contains("SEND") {
        Direction::Egress
    } else {
        Direction::Unknown
    };
    let family = r
        .get("sa_family")
        .or_else(|| r.get("domain"))
        .map(String::as_str)
        .unwrap_or("");
    let sock_type = r.get("type").map(String::as_str).unwrap_or("");
    // ping opens `type=SOCK_RAW protocol=1` (or `SOCK_DGRAM` unprivileged):
    // an ICMP socket, which KubeArmor's `protocol: icmp` rules match.
    let icmp = match r.get("protocol").map(|p| p.to_ascii_uppercase()) {
        Some(p) if p == "1" || p == "ICMP" || p == "IPPROTO_ICMP" => Some("ICMP"),
        Some(p) if p == "58" || p == "ICMPV6" || p == "IPPROTO_ICMPV6" => Some("ICMPv6"),
        _ => None,
    };
    let protocol = if family == "AF_UNIX" {
        "UNIX".to_string()
    } else if let Some(p) = icmp {
        p.to_string()
    } else if s.starts_with("UDP") || sock_type.starts_with("SOCK_DGRAM") {
        "UDP".to_string()
    } else if s.starts_with("TCP") || sock_type.starts_with("SOCK_STREAM") {
        "TCP".to_string()
    } else if sock_type.starts_with("SOCK_RAW") {
        "RAW".to_string()
    } else if let Some(p) = r.get("protocol").filter(|p| p.as_str() != "0") {
        p.to_ascii_uppercase()
    } else {
        "unknown".to_string()
    };
    let addr = r
        .get("sin_addr")
        .or_else(|| r.get("sin6_addr"))
        .or_else(|| r.get("remoteip"))
        .or_else(|| data.get("daddr"))
        .cloned();
    let port = r
        .get("sin_port")
        .or_else(|| r.get("sin6_port"))
        .or_else(|| r.get("port"))
        .and_then(|p| p.parse().ok());
    let dns_name = data.get("domain").cloned().or_else(|| {
        // `Resource` is the bare domain for DNS-visibility events.
        (!resource.is_empty() && !resource.contains('=') && !resource.contains(' '))
            .then(|| resource.to_string())
    });
    let (local_port, remote_port) = if direction == Direction::Listen {
        (port, None)
    } else {
        (None, port)
    };
    NetworkEvent {
        protocol,
        direction,
        local_ip: None,
        local_port,
        remote_ip: if direction == Direction::Listen {
            None
        } else {
            addr
        },
        remote_port,
        peer: None,
        dns_name,
        process,
        http: None,
    }
}
